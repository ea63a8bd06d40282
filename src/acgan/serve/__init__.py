"""The web page and its JSON API over a trained generator (`acgan serve`), and the static site that draws in
the visitor's browser (`acgan site`).

Owns: the app and its routes (app.py), the work behind them (service.py), the request and response bodies
(schemas.py), the guards in front (guards.py), the page (page.py and its files in static/) and the static
site (site.py).
May import: acgan.version, acgan.errors, acgan.data, acgan.sample, acgan.judge (and FastAPI, uvicorn): judge's
tagger reads the colours back in the faces a request asks it to.
"""
