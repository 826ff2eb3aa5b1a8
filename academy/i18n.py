"""Vietnamese first, English second: locale choice and formatting filters."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app, has_request_context, request, session
from flask.globals import _cv_app
from flask_babel import (
    format_date,
    format_datetime,
    format_decimal,
    format_percent,
    get_translations,
)
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


def request_translations():
    """Flask-Babel's ``get_translations()``, looked up once per request and language.

    Flask-Babel finds the catalogue anew on every call (context, domain, locale lookups: ~25 µs),
    and a page calls it once per translated string in its templates. The request keeps the one it
    found beside the locale it was found for; ``force_locale`` (a mail in its reader's language)
    or ``refresh()`` changes that locale object, so the catalogue is looked up again. Relies on
    Flask-Babel 4 keeping its state in ``g._flask_babel`` (tests/test_i18n.py checks both).
    """
    app_ctx = _cv_app.get(None)
    if app_ctx is None:
        return get_translations()
    here = app_ctx.g  # where Flask-Babel keeps its per-context state (g._flask_babel)
    locale = getattr(getattr(here, "_flask_babel", None), "babel_locale", None)
    memo = getattr(here, "_academy_translations", None)
    if memo is None or locale is None or memo[0] is not locale:
        translations = get_translations()
        memo = (getattr(here._flask_babel, "babel_locale", None), translations)
        here._academy_translations = memo
    return memo[1]


def init_i18n(app) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.filters.update(
        date=lambda value, fmt="medium": format_date(value, fmt) if value else "—",
        datetime=lambda value, fmt="short": format_datetime(value, fmt) if value else "—",
        number=lambda value: format_decimal(value) if value is not None else "—",
        percent=lambda value: format_percent(value, "#,##0%") if value is not None else "—",
    )
