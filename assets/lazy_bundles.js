// Component bundles a page's HTML leaves out (app/first_layout.py names each in a
// <link data-bundle="namespace" data-components="Type ..." href="bundle URL">): running AG Grid's
// 1.3 MB bundle took 100 to 300 ms before the first chart, which sits above every grid.
// Until its bundle has run, each of its components is a stand-in that loads it on first render,
// then draws the real component with the same props. Once loaded, the namespace is the real one
// with the stand-ins kept in place of its components, so Dash keeps rendering the same element
// type and nothing already drawn is built twice.
(function () {
    const standIn = (type, load, state) => {
        const StandIn = (props) => {
            const [, rerender] = React.useState(0);
            React.useEffect(() => {
                if (!state.real) load().then(() => rerender(1), () => rerender(2));
            }, []);
            if (state.real) return React.createElement(state.real[type], props);
            if (state.failed) {
                return React.createElement('div', {className: 'lazy-bundle-error', role: 'alert'},
                    'This table could not be loaded. Reload the page to try again.');
            }
            return null;
        };
        // Dash waits on this before running a callback that writes to a lazily loaded component.
        Object.defineProperty(StandIn, '_dashprivate_isLazyComponentReady', {
            get: () => (state.real
                ? state.real[type]._dashprivate_isLazyComponentReady
                : load().then((real) => real[type]._dashprivate_isLazyComponentReady)),
        });
        return StandIn;
    };

    for (const link of document.querySelectorAll('link[data-bundle]')) {
        const namespace = link.dataset.bundle;
        if (window[namespace]) continue; // its bundle is on the page after all
        const state = {real: null, failed: false, loading: null};
        const standIns = {};
        const load = () => {
            state.loading = state.loading || new Promise((resolve, reject) => {
                const script = document.createElement('script');
                script.src = link.href;
                script.onload = () => {
                    state.real = window[namespace];
                    window[namespace] = Object.assign({}, state.real, standIns);
                    resolve(state.real);
                };
                script.onerror = () => {
                    state.failed = true;
                    state.loading = null; // the next render tries again
                    reject(new Error(`${namespace}: its bundle could not be loaded`));
                };
                document.head.appendChild(script);
            });
            return state.loading;
        };
        for (const type of link.dataset.components.split(' ')) standIns[type] = standIn(type, load, state);
        window[namespace] = Object.assign({}, standIns);
    }
})();
