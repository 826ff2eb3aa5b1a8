"""Bench-only WSGI entry: the real app plus ``/bench/ping``, a minimal Flask route served by the
same gunicorn, the same app object and its hooks. Never imported by the product."""

from academy import create_app
from academy.extensions import limiter

app = create_app()


@app.get("/bench/ping")
@limiter.exempt
def bench_ping():
    return "pong"
