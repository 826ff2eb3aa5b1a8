"""Extensions, created unbound; create_app() binds them."""

import logging

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from academy.database import db


def _storage_loss_is_an_error(record: logging.LogRecord) -> bool:
    """Flask-Limiter notes a lost Redis as a mere warning, yet from then on every limit counts per
    worker (N workers allow N times the limit): raise it to ERROR so monitoring sees it."""
    if "storage unreachable" in str(record.msg):
        record.levelno, record.levelname = logging.ERROR, "ERROR"
        record.msg = f"{record.msg}: rate limits now count per worker; sign-in is refused meanwhile"
    return True


class AcademyLimiter(Limiter):
    """Flask-Limiter, loud about a lost shared storage and starting afresh with each app.

    Other pages keep working on the per-worker fallback; sign-in fails closed on its own (its
    per-account counts need the same Redis, see academy/auth/throttle.py).
    """

    def init_app(self, app) -> None:
        self._storage_dead = False  # a new app, a new storage: nothing known to be down yet
        uri = str(app.config.get("RATELIMIT_STORAGE_URI") or app.config.get("REDIS_URL") or "")
        redis = uri.startswith(("redis://", "rediss://"))
        if redis and not app.config.get("RATELIMIT_STORAGE_OPTIONS"):
            # A Redis that does not answer must fail fast, not hang every request.
            app.config["RATELIMIT_STORAGE_OPTIONS"] = {
                "socket_connect_timeout": 1,
                "socket_timeout": 1,
            }
        super().init_app(app)
        self.logger.addFilter(
            _storage_loss_is_an_error
        )  # added once: the same filter is not added twice


migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = AcademyLimiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)

__all__ = ["babel", "csrf", "db", "limiter", "login_manager", "migrate"]
