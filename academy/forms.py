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


class Form(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return wtforms_translations()
