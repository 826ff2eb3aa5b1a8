"""Digital Academy (Học viện Số): create_app() builds the Flask application."""

from __future__ import annotations

import importlib
import os

from flask import Flask
from flask_babel import lazy_gettext
from werkzeug.routing import IntegerConverter

from academy.cache import init_cache
from academy.config import load_config
from academy.database import engine_options, ping_idle_connections, read_outside_transactions
from academy.extensions import csrf, db, limiter, login_manager, migrate
from academy.i18n import init_i18n
from academy.security import init_security
from academy.static_files import init_static_files

BLUEPRINTS = (
    "academy.core.views",
    "academy.auth.views",
    "academy.learning.course_pages",
    "academy.learning.views",
    "academy.authoring.views",
    "academy.paths.views",
    "academy.certificates.views",
    "academy.reports.views",
    "academy.admin.views",
    "academy.notify.views",
    "academy.training.views",
    "academy.api.views",
)
# Each module's connect_listeners() subscribes its feature to the signals in academy.events.
LISTENERS = (
    "academy.certificates.listeners",
    "academy.paths.listeners",
    "academy.notify.listeners",
    "academy.xapi.listeners",
)
CLI_GROUPS = (
    "academy.coursefiles.cli",
    "academy.auth.cli",
    "academy.admin.cli",
    "academy.demo.cli",
    "academy.paths.cli",
    "academy.certificates.cli",
    "academy.reports.cli",
    "academy.mail_cli",
    "academy.notify.cli",
    "academy.xapi.cli",
)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app. No I/O here: no database, no migrations, no model loading."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("ACADEMY_INSTANCE_PATH") or None,
        instance_relative_config=True,
    )
    load_config(app, test_config)
    register_extensions(app)
    register_i18n(app)
    register_security(app)
    register_static_files(app)
    register_sessions(app)
    register_blueprints(app)
    register_events(app)
    register_errors(app)
    register_cli(app)
    register_templates(app)
    return app


def register_extensions(app: Flask) -> None:
    # Every model on the metadata. Features load when an app is built, not on `import academy`.
    from academy import models  # noqa: F401, PLC0415 - a feature import, by design in create_app

    options = engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    options.update(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    with app.app_context():
        read_outside_transactions(db.engine)  # first: a ping then runs outside a transaction too
        ping_idle_connections(db.engine)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    csrf.init_app(app)
    if not app.config["RATELIMIT_STORAGE_URI"]:
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"] or "memory://"
    limiter.init_app(app)
    init_cache(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    # Flask-Login's notice is English; ours is translated when flashed, in the reader's language.
    login_manager.login_message = lazy_gettext("Vui lòng đăng nhập để xem trang này.")
    login_manager.login_message_category = "info"
    login_manager.localize_callback = str
    login_manager.session_protection = "basic"


def register_i18n(app: Flask) -> None:
    init_i18n(app)


def register_security(app: Flask) -> None:
    init_security(app)


def register_static_files(app: Flask) -> None:
    # WhiteNoise wraps app.wsgi_app here, so gunicorn (wsgi.py) and the tests' app both get it.
    init_static_files(app)


def register_sessions(app: Flask) -> None:
    from academy.auth.sessions import init_sessions  # noqa: PLC0415 - feature import, as models

    init_sessions(app)


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` never matches a number the database's integer column cannot hold."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def register_blueprints(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedIntConverter
    for name in BLUEPRINTS:
        app.register_blueprint(importlib.import_module(name).bp)


def register_events(app: Flask) -> None:
    """Subscribe each feature to the events it reacts to (idempotent: one connection a receiver)."""
    for name in LISTENERS:
        importlib.import_module(name).connect_listeners()


def register_errors(app: Flask) -> None:
    from academy.core.errors import init_errors  # noqa: PLC0415 - feature import, as models

    init_errors(app)


def register_cli(app: Flask) -> None:
    for name in CLI_GROUPS:
        module = importlib.import_module(name)
        for group in getattr(module, "COMMANDS", ()):
            app.cli.add_command(group)


def register_templates(app: Flask) -> None:
    from academy.core.template_helpers import init_templates  # noqa: PLC0415 - feature import

    init_templates(app)
