// The camera button's file name follows what a chart shows: "jace-vryns-prodigy-ori-30d",
// "market-index-30d". Set into each graph's config by the callbacks of callbacks/chart_controls.py.
(function () {
    // "Jace, Vryn's Prodigy" -> "jace-vryns-prodigy": accents dropped, apostrophes joined, one dash per gap.
    const slug = (text) =>
        String(text)
            .normalize('NFKD')
            .replace(/[\u0300-\u036f]/g, '')
            .toLowerCase()
            .replace(/['’]/g, '')
            .replace(/[^a-z0-9]+/g, '-')
            .replace(/^-+|-+$/g, '');

    // A component tree's node with this id (the card page's header is a tree of components).
    const find = (node, id) => {
        if (!node || typeof node !== 'object') return null;
        if (Array.isArray(node)) {
            for (const child of node) {
                const found = find(child, id);
                if (found) return found;
            }
            return null;
        }
        if (node.props && node.props.id === id) return node;
        return find(node.props && node.props.children, id);
    };

    // The plain text of a tree: its strings in order.
    const text = (node) => {
        if (node === null || node === undefined || typeof node === 'boolean') return '';
        if (typeof node === 'string' || typeof node === 'number') return String(node);
        if (Array.isArray(node)) return node.map(text).join(' ');
        return text(node.props && node.props.children);
    };

    const named = (config, parts) => {
        const filename = parts.map(slug).filter(Boolean).join('-') || 'cardcharts';
        const options = (config && config.toImageButtonOptions) || {};
        if (options.filename === filename) return window.dash_clientside.no_update;
        return {...config, toImageButtonOptions: {format: 'png', scale: 2, ...options, filename}};
    };

    window.dash_clientside = Object.assign({}, window.dash_clientside, {
        charts: {
            // A fixed prefix and the page's values ("all" and empty ones left out).
            exportName(prefix, config, ...values) {
                return named(config, [prefix, ...values.filter((v) => v && v !== 'all')]);
            },

            // The card chart: the printing's name and set code (from its header), then the range.
            cardExportName(header, range, config) {
                const title = find(header, 'card-name');
                const set = /\(([A-Za-z0-9]+)\) #/.exec(text(header));
                return named(config, [title ? text(title) : 'card', set ? set[1] : '', range]);
            },
        },
    });
})();
