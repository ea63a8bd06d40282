"""The web page and its JSON API over a trained generator (`acgan serve`).

Owns: the app and its routes (app.py), the work behind them (faces.py), the request and response bodies
(schemas.py), the guards in front (limits.py), the model behind it (backend.py) and the page (static/).
May import: acgan.errors, acgan.data, acgan.sample (and FastAPI, uvicorn).
"""
