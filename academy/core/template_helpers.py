"""What every template can use."""
from __future__ import annotations

from flask import request
from flask_babel import get_locale

from academy.core.forms import LocaleForm
from academy.core.once import once_token


def init_templates(app) -> None:
    app.jinja_env.globals["once_token"] = once_token

    @app.context_processor
    def inject_globals():
        return {
            "locale_form": LocaleForm,
            "current_locale": str(get_locale()),
            "current_path": request.full_path.rstrip("?") if request else "/",
        }
