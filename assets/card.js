// Card and compare pages: what the search boxes and the tab title need in the browser.

// The server matched the typed words already (word starts, accents, case and typos aside, see
// data/repositories/cards.py): the boxes show every option it sent, in its order, instead of
// Mantine's own substring filter, which would hide "Jace, Vryn's Prodigy" for "jace vryn".
window.dashMantineFunctions = window.dashMantineFunctions || {};
window.dashMantineFunctions.cardSearchKeepAll = function (input) {
    return input.options;
};

// The tab title names the printing (the card callback sends it; Dash's pages set the page's
// generic title before the card is known).
window.dash_clientside = window.dash_clientside || {};
window.dash_clientside.card = {
    title: function (title) {
        if (typeof title === 'string' && title) {
            document.title = title;
        }
        return window.dash_clientside.no_update;
    },
};
