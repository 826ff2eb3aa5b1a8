"""What every template can use."""
from __future__ import annotations

from flask import request
from flask_babel import get_locale

from academy.core.forms import LocaleForm


def init_templates(app) -> None:
    @app.context_processor
    def inject_globals():
        return {
            "locale_form": LocaleForm,
            "current_locale": str(get_locale()),
            "current_path": request.full_path.rstrip("?") if request else "/",
        }
