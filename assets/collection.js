// Collection, portfolio and alerts pages: the grid's card links, and the portfolio's live refresh.
(function () {
    const React = window.React;

    // The lot grid's card column: the name as a link to the printing's page (React escapes the name).
    window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {};
    window.dashAgGridComponentFunctions.CardLink = function (props) {
        const id = props.data && props.data.card_id;
        if (!/^[0-9]+$/.test(String(id))) return props.value || '';
        return React.createElement('a', {href: '/card?id=' + id, className: 'cc-card-link'}, props.value);
    };

    // A price of a held card landed (or a batch settled, when the page follows the market channel):
    // refetch once things settle, so a batch touching many held cards costs one refetch, not one each.
    const SETTLE_MS = 800;
    let pending = null;

    window.dash_clientside = Object.assign({}, window.dash_clientside, {
        collection: {
            portfolioRefresh(message, held) {
                const noUpdate = window.dash_clientside.no_update;
                if (!message || !held) return noUpdate;
                const cards = (held.cards || []).map(String);
                const hit =
                    (message.type === 'card_price_update' && cards.includes(String(message.data.card_id))) ||
                    (message.type === 'market_update' && held.market);
                if (!hit) return noUpdate;
                clearTimeout(pending);
                pending = setTimeout(() => {
                    window.dash_clientside.set_props('portfolio-refresh', {data: Date.now()});
                }, SETTLE_MS);
                return noUpdate;
            },

            // A price alert for this user: the inbox refetches.
            alertArrived(message, count) {
                if (!message || message.type !== 'price_alert') return window.dash_clientside.no_update;
                return (count || 0) + 1;
            },
        },
    });
})();
