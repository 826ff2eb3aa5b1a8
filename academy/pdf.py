"""What every PDF we make shares: WeasyPrint may fetch the package's own static files and
nothing else (no ``file:``, no network), through ``make_fetcher()``."""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path

STATIC_ROOT = (Path(__file__).resolve().parent / "static").resolve()
STATIC_SCHEME = "academy-static:"
# A content-hashed name from academy.static_files (css/app.<12 hex>.css): the source file serves.
HASHED_PART = re.compile(r"\.[0-9a-f]{12}(?=(\.[^./]*)?$)")


def make_fetcher():
    """A WeasyPrint URL fetcher serving ``academy-static:<path>`` and ``/static/<path>`` from
    academy/static only; ``file:``, ``http(s):``, ``data:`` and anything else raise, so WeasyPrint
    loads nothing for them. (Built lazily: importing WeasyPrint is slow, create_app does no I/O.)"""
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: PLC0415 - 2 s, see above

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            path = static_path_for(url)
            mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime_type})

    return StaticOnlyFetcher(allowed_protocols=())


def static_path_for(url: str) -> Path:
    """The file under academy/static that ``url`` names; ValueError for any other URL."""
    if url.startswith(STATIC_SCHEME):
        relative = url[len(STATIC_SCHEME) :]
    elif url.startswith("/static/"):
        relative = url[len("/static/") :]
    else:
        raise ValueError(f"the PDF renderer refuses to fetch {url[:80]!r}")
    relative = relative.split("?", 1)[0].split("#", 1)[0].lstrip("/")
    path = (STATIC_ROOT / relative).resolve()
    if not path.is_file():
        path = (STATIC_ROOT / HASHED_PART.sub("", relative, count=1)).resolve()
    if not path.is_relative_to(STATIC_ROOT) or not path.is_file():
        raise ValueError(f"no such static file: {relative[:80]!r}")
    return path
