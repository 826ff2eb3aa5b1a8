"""The base of every form: Flask-WTF (a CSRF token on each) speaking the reader's language.

WTForms' own messages ("This field is required.", "Not a valid choice."…) come in English only
for Vietnamese; ``translations/vi/LC_MESSAGES/wtforms.po`` carries them, compiled by ``make``.
"""

from __future__ import annotations

from pathlib import Path

from babel.support import NullTranslations, Translations
from flask import has_request_context
from flask_babel import get_locale
from flask_wtf import FlaskForm

CATALOGUES = Path(__file__).resolve().parent / "translations"
_loaded: dict[str, NullTranslations] = {}


def wtforms_translations() -> NullTranslations:
    """WTForms' messages for the current locale (English passes through untranslated)."""
    locale = str(get_locale()) if has_request_context() else "vi"
    if locale not in _loaded:
        _loaded[locale] = Translations.load(str(CATALOGUES), [locale], domain="wtforms")
    return _loaded[locale]


def int_or_none(value):
    """A select box's value as an id: None for the blank choice, -1 for anything that is no number
    (an unknown choice, which ``pre_validate`` then reports)."""
    try:
        return int(value) if value not in (None, "", "None") else None
    except (TypeError, ValueError):
        return -1


class Form(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return wtforms_translations()
