// Live prices: one WebSocket per tab (the design's /ws protocol). Pages name the
// channels they want in a `live-channels` store; every update lands in the shell's
// `live-message` store, from which each page's callbacks refresh or append points.
// The header's badge says what is true: "live" (the socket is open and follows this page's
// channels), "connecting" (opening, before any failure), "offline" (it failed or dropped and
// is retrying) and "idle" (the page follows nothing, whatever the socket does).
(function () {
    const FIRST_RETRY_MS = 500;
    const LAST_RETRY_MS = 30000;
    const PING_MS = 25000;
    // The badge's colour per state (as layouts/shell.py LIVE_COLORS).
    const COLORS = {live: 'green', connecting: 'yellow', offline: 'red', idle: 'gray'};

    const live = {
        socket: null,
        wanted: new Map(), // key -> subscribe command fields
        attempt: 0,
        opened: false, // a socket has been open before: a new one may have missed updates
        seq: 0,
        pinger: null,
        failed: false, // the last socket failed or dropped; none has opened since
        shown: 'idle', // what the badge says (the shell's first state)

        want(channels) {
            const next = new Map(channels.map((c) => [c.channel + ':' + (c.card_id ?? ''), c]));
            for (const [key, fields] of this.wanted) {
                if (!next.has(key)) this.send({action: 'unsubscribe', ...fields});
            }
            for (const [key, fields] of next) {
                if (!this.wanted.has(key)) this.send({action: 'subscribe', ...fields});
            }
            this.wanted = next;
            this.connect();
            this.showState();
        },

        connect() {
            if (this.socket || this.wanted.size === 0) return;
            const scheme = window.location.protocol === 'https:' ? 'wss://' : 'ws://';
            const socket = new WebSocket(scheme + window.location.host + '/ws');
            this.socket = socket;
            this.showState();
            socket.onopen = () => {
                this.attempt = 0;
                this.showState();
                for (const fields of this.wanted.values()) this.send({action: 'subscribe', ...fields});
                if (this.opened) this.resync();
                this.opened = true;
                this.pinger = setInterval(() => this.send({action: 'ping'}), PING_MS);
            };
            socket.onmessage = (event) => {
                let message;
                try {
                    message = JSON.parse(event.data);
                } catch (error) {
                    return;
                }
                if (message.type === 'error') {
                    console.info('cardcharts live:', message.error);
                } else if (message.data !== undefined) {
                    this.deliver(message);
                }
            };
            socket.onclose = () => {
                clearInterval(this.pinger);
                this.socket = null;
                this.failed = true;
                this.showState();
                // Exponential backoff with jitter: a restarted server is not stormed by every tab at once.
                const delay = Math.min(LAST_RETRY_MS, FIRST_RETRY_MS * 2 ** this.attempt) * (0.5 + Math.random());
                this.attempt += 1;
                setTimeout(() => this.connect(), delay);
            };
        },

        send(command) {
            if (this.socket && this.socket.readyState === WebSocket.OPEN) {
                this.socket.send(JSON.stringify(command));
            }
        },

        deliver(message) {
            this.seq += 1;
            window.dash_clientside.set_props('live-message', {data: {...message, seq: this.seq}});
        },

        // Whatever was published while the socket was down is refetched, never guessed.
        resync() {
            for (const fields of this.wanted.values()) {
                if (fields.channel === 'market') this.deliver({type: 'market_update', data: {resync: true}});
                if (fields.channel === 'card') {
                    this.deliver({type: 'card_price_update', data: {card_id: fields.card_id, price_data: {resync: true}}});
                }
            }
        },

        state() {
            if (this.wanted.size === 0) return 'idle';
            if (this.socket && this.socket.readyState === WebSocket.OPEN) return 'live';
            // After a failure the badge stays offline through each retry, until one opens.
            return this.failed ? 'offline' : 'connecting';
        },

        showState() {
            const state = this.state();
            if (state === 'live') this.failed = false;
            if (state === this.shown) return;
            this.shown = state;
            window.dash_clientside.set_props('live-status', {children: state, color: COLORS[state]});
        },
    };

    const noUpdate = () => window.dash_clientside.no_update;

    // The newest x of a trace, to skip points the figure already has.
    const lastX = (trace) => (trace.x && trace.x.length ? trace.x[trace.x.length - 1] : '');

    window.dash_clientside = Object.assign({}, window.dash_clientside, {
        live: {
            follow(channels) {
                live.want(channels || []);
                return channels || [];
            },

            // Follow the card channels of a list of card ids (the compare page's printings).
            followCards(ids) {
                const channels = (ids || [])
                    .filter((id) => /^[0-9]+$/.test(String(id)))
                    .map((id) => ({channel: 'card', card_id: Number(id)}));
                live.want(channels);
                return channels;
            },

            // A new price of one of `ids`: bump the page's refresh counter.
            cardsRefresh(message, ids, count) {
                if (!message || message.type !== 'card_price_update') return noUpdate();
                if (!(ids || []).map(String).includes(String(message.data.card_id))) return noUpdate();
                return (count || 0) + 1;
            },

            // A market update: bump the page's refresh counter, so its callbacks refetch.
            marketRefresh(message, count) {
                if (!message || message.type !== 'market_update') return noUpdate();
                return (count || 0) + 1;
            },

            // A card update: the latest-prices grid refetches; the chart gains the new points
            // when it draws raw prices and has a trace for each, and is refetched otherwise
            // (bucketed ranges, a new variant, spreads that would go stale).
            cardUpdate(message, figure, cardId, detailCount, chartCount) {
                const none = [noUpdate(), noUpdate(), noUpdate()];
                if (!message || message.type !== 'card_price_update') return none;
                if (String(message.data.card_id) !== String(cardId)) return none;
                const detail = (detailCount || 0) + 1;
                const refetch = [noUpdate(), detail, (chartCount || 0) + 1];
                const variants = (message.data.price_data || {}).variants;
                const traces = (figure && figure.data) || [];
                const meta = (figure && figure.layout && figure.layout.meta) || {};
                if (!variants || meta.resolution !== 'RAW' || traces.some((t) => !t.meta || !t.meta.variant)) {
                    return refetch;
                }
                const filters = meta.filters || {};
                const shown = (v) => Object.entries(filters).every(([name, value]) => value === null || v[name] === value);
                const extend = {x: [], y: [], customdata: []};
                const indices = [];
                for (const v of variants.filter(shown)) {
                    const key = [v.marketplace_id, v.condition, v.finish, v.language].join('|');
                    const index = traces.findIndex((t) => t.meta.variant === key);
                    if (index < 0) return refetch;
                    if (v.time <= lastX(traces[index])) continue;
                    indices.push(index);
                    extend.x.push([v.time]);
                    extend.y.push([Number(v.price)]);
                    extend.customdata.push([[v.price, v.currency]]);
                }
                return [indices.length ? [extend, indices] : noUpdate(), detail, noUpdate()];
            },
        },
    });
})();
