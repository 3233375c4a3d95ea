"""Third-party files we serve ourselves (no CDN), in place of heavier ones (app/compression.py).

plotly-basic.min.js: plotly.js's official "basic" partial bundle (npm plotly.js-basic-dist-min 4.1.1, MIT,
the same plotly.js version as plotly.py 7.1's full bundle): the scatter, bar and pie traces, which cover every
chart callbacks/figures.py draws, at a quarter of the full bundle's size.

regenerator-runtime.js: npm regenerator-runtime 0.14.1 (MIT, Facebook; the licence heads the file), as
published: the part of Dash's @babel/polyfill 7.12.1 that the component bundles call.
"""
