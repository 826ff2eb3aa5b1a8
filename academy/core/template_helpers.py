"""What every template can use."""

from __future__ import annotations

from flask import request
from flask_babel import format_decimal, get_locale

from academy.core.forms import LocaleForm
from academy.core.once import once_token
from academy.core.page_cache import page_shell


def percent_number(share: float | None) -> str:
    """0.705 → "70,5" (in the reader's language): a share as the number of percent."""
    if share is None:
        return ""
    return format_decimal(round(share * 100, 2), "#,##0.##")


def pass_mark(share: float | None) -> str:
    """A pass mark as learners and authors read it: 0.7 → "70%", 0.675 → "67,5%" (never rounded
    up or down to a mark the grading does not use)."""
    return "—" if share is None else f"{percent_number(share)}%"


def init_templates(app) -> None:
    app.jinja_env.globals["once_token"] = once_token
    app.add_template_filter(pass_mark, "pass_mark")

    @app.context_processor
    def inject_globals():
        return {
            "locale_form": LocaleForm,
            "current_locale": str(get_locale()),
            "current_path": request.full_path.rstrip("?") if request else "/",
            "page_shell": page_shell(),
        }
