// The first layout comes with the page in it (app/first_layout.py). The renderer hands it here
// (its `layout_post` hook) before drawing it:
// - The page was built for the URL the layout request's Referer named. If that is not the URL in the
//   address bar (a browser that sent no Referer, or only the origin), the page is taken out again,
//   and Dash's router fills the container for the real URL as usual.
// - On a page with a chart, the grids are drawn once the first chart is: building a grid takes as
//   long as drawing the chart, and it sits below it. Each grid waits in an empty Div of its own (its
//   id + "-later"), with the rows the server drew it with; its callbacks write to it once it is in.
(function () {
    const LATEST_MS = 3000; // the grids come after this long even if no chart is drawn (plotly.js failed)

    // Each node of a layout (a component as JSON: {type, namespace, props}) with its parent's children and index.
    const walk = (node, visit, siblings, index) => {
        if (Array.isArray(node)) {
            node.forEach((child, i) => walk(child, visit, node, i));
        } else if (node && typeof node === 'object' && node.props) {
            visit(node, siblings, index);
            const {children} = node.props;
            if (Array.isArray(children)) walk(children, visit);
            else if (children && typeof children === 'object') walk(children, visit, node.props, 'children');
        }
    };

    const find = (layout, id) => {
        let found = null;
        walk(layout, (node) => {
            if (node.props.id === id) found = found || node;
        });
        return found;
    };

    // The page is the one in the address bar, or none (the router's).
    const checkPage = (layout) => {
        const location = find(layout, '_pages_location');
        if (!location || location.props.pathname === undefined) return false;
        const {pathname, search} = location.props;
        if (pathname === window.location.pathname && search === window.location.search) return true;
        delete location.props.pathname;
        delete location.props.search;
        find(layout, '_pages_content').props.children = null;
        delete find(layout, '_pages_store').props.data;
        return false;
    };

    const afterFirstChart = (then) => {
        const start = performance.now();
        const wait = () => {
            const drawn = document.querySelector('#_pages_content .js-plotly-plot .main-svg');
            if (drawn || performance.now() - start > LATEST_MS) {
                setTimeout(then, 0); // after the frame that shows the chart
            } else {
                requestAnimationFrame(wait);
            }
        };
        requestAnimationFrame(wait);
    };

    const deferGrids = (page) => {
        let charts = 0;
        const grids = [];
        walk(page, (node, siblings, index) => {
            if (node.type === 'Graph') charts += 1;
            if (node.namespace === 'dash_ag_grid' && typeof node.props.id === 'string' && siblings !== undefined) {
                grids.push([node, siblings, index]);
            }
        });
        if (!charts || !grids.length) return;
        const later = grids.map(([grid, siblings, index]) => {
            const id = `${grid.props.id}-later`;
            siblings[index] = {type: 'Div', namespace: 'dash_html_components', props: {id}};
            return [id, grid];
        });
        afterFirstChart(() => later.forEach(([id, grid]) => window.dash_clientside.set_props(id, {children: grid})));
    };

    window.cardcharts = window.cardcharts || {};
    window.cardcharts.firstLayout = function (layout) {
        if (checkPage(layout)) deferGrids(find(layout, '_pages_content'));
    };
})();
