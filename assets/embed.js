// The "Embed" button of a page's chart (layouts/embed.py `embed_control`): its dialog shows the iframe
// snippet of the view on screen, built from the address bar as app/oembed.py `embed_url` builds it.
(function () {
    const WIDTH = 800;
    const HEIGHT = 450;
    const attribute = (text) =>
        String(text).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

    // "/card?id=45&range=30d" -> "/embed/card/45?range=30d"; "/" -> "/embed/market"; null for other pages.
    const embedPath = (pathname, search) => {
        const query = new URLSearchParams(search);
        let path;
        if (pathname === '/' || pathname === '') {
            path = '/embed/market';
        } else if (pathname === '/compare') {
            path = '/embed/compare';
        } else if (pathname === '/card' && /^[0-9]+$/.test(query.get('id') || '')) {
            path = '/embed/card/' + query.get('id');
            query.delete('id');
        } else {
            return null;
        }
        const rest = query.toString();
        return path + (rest ? '?' + rest : '');
    };

    window.dash_clientside = Object.assign({}, window.dash_clientside, {
        embed: {
            snippet(clicks) {
                const noUpdate = window.dash_clientside.no_update;
                if (!clicks) return [noUpdate, noUpdate];
                const path = embedPath(window.location.pathname, window.location.search);
                if (path === null) return [true, 'Choose a printing first: this view has no chart to embed.'];
                const src = window.location.origin + path;
                const title = document.title || 'CardCharts';
                const html =
                    `<iframe src="${attribute(src)}" width="${WIDTH}" height="${HEIGHT}" style="border:0"` +
                    ` loading="lazy" title="${attribute(title)}"></iframe>`;
                return [true, html];
            },
        },
    });
})();
