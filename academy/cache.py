"""What a page need not rebuild on every request, kept in three caches (Flask-Caching).

- ``local_cache``: this process's memory. Rendered fragments and read-only data keyed by the
  version of what they were built from (a course's ``updated_at``, the catalogue's stamp, the
  reader's locale and roles), so a publish shows at once in every worker without telling them.
- ``page_cache``: this process's memory, for whole pages (``academy.core.page_cache``), with a
  smaller bound of its own (``CACHE_PAGE_ITEMS``).
- ``shared_cache``: Redis when ``REDIS_URL`` is set (shared by every worker), else this process.
  Derived per-person data that is costly to build (a learner's path), keyed by the state it was
  built from, so it too can never be stale, only unused.

Nothing personal is ever keyed without the person: a key holds the user id, or only inputs
that are the same for everyone who shares it. A cache that fails (Redis gone) is skipped: the
page is built as if nothing were cached.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any

from flask import current_app
from flask_caching import Cache

log = logging.getLogger(__name__)

local_cache = Cache()  # also serves templates' {% cache %} fragments
shared_cache = Cache(with_jinja2_ext=False)
page_cache = Cache(with_jinja2_ext=False)  # whole pages (core.page_cache), in this process

_MISSING = object()


def init_cache(app) -> None:
    """Bind both caches. Tests get a key prefix of their own, so one test never reads another's
    entries from a shared Redis."""
    prefix = app.config.get("CACHE_KEY_PREFIX") or "academy:"
    if app.config.get("ENV_NAME") == "testing":
        prefix += secrets.token_hex(4) + ":"
    enabled = app.config.get("CACHE_ENABLED", True)
    timeout = int(app.config.get("CACHE_DEFAULT_TIMEOUT") or 600)
    redis_url = app.config.get("REDIS_URL")
    shared = {"CACHE_DEFAULT_TIMEOUT": timeout, "CACHE_NO_NULL_WARNING": True}
    if not enabled:
        shared["CACHE_TYPE"] = "NullCache"
    elif redis_url:
        shared.update(
            CACHE_TYPE="RedisCache",
            CACHE_REDIS_URL=redis_url,
            CACHE_KEY_PREFIX=prefix,
            # A Redis that does not answer must cost a page a second at most, not hang it.
            CACHE_OPTIONS={"socket_connect_timeout": 1, "socket_timeout": 1},
        )
    else:
        shared.update(CACHE_TYPE="SimpleCache", CACHE_THRESHOLD=2000)
    shared_cache.init_app(app, config=shared)
    for cache, items in (
        (local_cache, int(app.config.get("CACHE_LOCAL_ITEMS") or 5000)),
        # pages are larger than fragments: fewer of them, so a worker's memory stays bounded
        (page_cache, int(app.config.get("CACHE_PAGE_ITEMS") or 1000)),
    ):
        cache.init_app(
            app,
            config={
                "CACHE_TYPE": "SimpleCache" if enabled else "NullCache",
                "CACHE_THRESHOLD": items,
                "CACHE_DEFAULT_TIMEOUT": timeout,
                "CACHE_NO_NULL_WARNING": True,
            },
        )


def remembered(cache: Cache, key: str, build: Callable[[], Any], timeout: int | None = None):
    """``cache[key]``, built by ``build()`` and kept when missing. A cache that fails is skipped."""
    value = _get(cache, key)
    if value is not _MISSING:
        return value
    value = build()
    try:
        cache.set(key, value, timeout=timeout)
    except Exception:  # noqa: BLE001 - a cache is an optimisation; the page must not fail
        log.warning("cache %s unavailable; page built without it", key, exc_info=True)
    return value


def _get(cache: Cache, key: str):
    try:
        value = cache.get(key)
    except Exception:  # noqa: BLE001 - as above
        log.warning("cache %s unavailable; page built without it", key, exc_info=True)
        return _MISSING
    return _MISSING if value is None else value


def cache_enabled() -> bool:
    return bool(current_app.config.get("CACHE_ENABLED", True))
