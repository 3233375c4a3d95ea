"""Third-party files we serve ourselves (no CDN).

plotly-basic.min.js: plotly.js's official "basic" partial bundle (npm plotly.js-basic-dist-min 4.1.1, MIT,
the same plotly.js version as plotly.py 7.1's full bundle): the scatter, bar and pie traces, which cover every
chart callbacks/figures.py draws, at a quarter of the full bundle's size.
"""
