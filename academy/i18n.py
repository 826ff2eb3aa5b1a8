"""Vietnamese first, English second: locale choice and formatting filters."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app, has_request_context, request, session
from flask_babel import format_date, format_datetime, format_decimal, format_percent
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from academy.extensions import babel


def academy_zone() -> ZoneInfo:
    """The academy's time zone (``BABEL_DEFAULT_TIMEZONE``): dates on reports and certificates are
    local dates."""
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def select_locale() -> str:
    """The signed-in user's choice, else this browser's choice, else Vietnamese."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and jobs speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    try:
        if current_user and current_user.is_authenticated and current_user.locale in languages:
            return current_user.locale
    except SQLAlchemyError:  # database down: the error page still needs a language
        pass
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    if request.args.get("lang") in languages:
        return request.args["lang"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def init_i18n(app) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters.update(
        date=lambda value, fmt="medium": format_date(value, fmt) if value else "—",
        datetime=lambda value, fmt="short": format_datetime(value, fmt) if value else "—",
        number=lambda value: format_decimal(value) if value is not None else "—",
        percent=lambda value: format_percent(value, "#,##0%") if value is not None else "—",
    )
