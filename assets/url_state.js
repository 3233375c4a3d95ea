// The view's state lives in the URL: each filter change pushes a history entry, so a
// copied URL opens the same view and back / forward walk through the changes.
window.cardcharts = window.cardcharts || {};
window.cardcharts.pushQuery = function (names, values, required) {
    const query = new URLSearchParams();
    for (let i = 0; i < names.length; i++) {
        const value = values[i];
        if (required.includes(names[i]) && (value === null || value === undefined || value === '')) {
            return window.dash_clientside.no_update;
        }
        query.set(names[i], Array.isArray(value) ? value.join(',') : (value ?? ''));
    }
    const next = window.location.pathname + '?' + query.toString();
    if (next !== window.location.pathname + window.location.search) {
        window.history.pushState({}, '', next);
    }
    return window.dash_clientside.no_update;
};
