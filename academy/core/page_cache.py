"""Whole pages kept for everyone who would see the same page (``shared_page``).

A page such as a lesson is the same HTML for every reader in the same state: the same course
version, lesson, language, roles and progress marks. Only three things in it are the reader's
own: their name in the account menu, the CSRF tokens of its forms, and parts a feature
registers (``register_part``: the bell, by notify). The page is rendered once with markers in their
place and kept in this process's cache under a key of
everything else it depends on, which the view gives; each request then puts the reader's own
parts in (a plain string replace) instead of running the templates again.

A key is a version, as in ``academy.cache``: a new state gives a new key, so a kept page is never
stale. A request carrying flashed messages is rendered as usual and not kept.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable

from flask import current_app, g, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from academy.cache import cache_enabled, page_cache, remembered

PAGE_SECONDS = 600

# Random per process, so no lesson text or name can forge one.
_NONCE = secrets.token_hex(12)
CSRF_MARK = f"csrf-{_NONCE}"
NAME_MARK = f"name-{_NONCE}"


class ShellMarks:
    """What base.html prints instead of the reader's own parts while a page is kept
    (``page_shell`` in templates; None otherwise)."""

    name = Markup(NAME_MARK)

    @staticmethod
    def part(name: str) -> Markup:
        return Markup(_part_mark(name))


def _part_mark(name: str) -> str:
    return f"part-{name}-{_NONCE}"


def register_part(app, name: str, render: Callable[[], str]) -> None:
    """A personal part of base.html (``page_shell.part(name)`` in the template), put into every
    kept page by ``render()`` (the reader's own HTML for it)."""
    app.extensions.setdefault("page_parts", {})[name] = render


def page_shell():
    return g.get("page_shell")


def shared_page(key_parts: tuple, render: Callable[[], str]) -> str:
    """``render()``'s page for this reader: kept under ``key_parts`` (everything the page shows
    besides the reader's name, bell and CSRF tokens) with the language, roles and address."""
    if not cache_enabled() or session.get("_flashes") or not current_user.is_authenticated:
        return render()
    key = _page_key(key_parts)
    shell = remembered(page_cache, key, lambda: _render_shell(render), PAGE_SECONDS)
    return _fill(shell)


def _page_key(key_parts: tuple) -> str:
    roles = ",".join(sorted(current_user.roles))
    parts = repr((key_parts, str(get_locale()), roles, request.endpoint, request.full_path))
    return "page:" + hashlib.sha256(parts.encode()).hexdigest()


def _render_shell(render: Callable[[], str]) -> str:
    """The page with markers for the reader's own parts (Flask-WTF takes the request's token from
    ``g``, so every form on the page gets the marker)."""
    token = g.pop("csrf_token", None)
    g.csrf_token = CSRF_MARK
    g.page_shell = ShellMarks
    try:
        return render()
    finally:
        g.pop("page_shell", None)
        g.pop("csrf_token", None)
        if token is not None:
            g.csrf_token = token


def _fill(shell: str) -> str:
    page = shell.replace(CSRF_MARK, generate_csrf())
    page = page.replace(NAME_MARK, str(escape(current_user.full_name)))
    for name, render in current_app.extensions.get("page_parts", {}).items():
        mark = _part_mark(name)
        if mark in page:
            page = page.replace(mark, render())
    return page
