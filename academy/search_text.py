"""Text folded for search: lower case, no diacritics, "đ" as "d", spaces collapsed.

Vietnamese names are searched by their folded form stored beside them (``User.search_name``), so
"Đỗ", "đỗ" and "do" find the same person on SQLite (whose ``lower()`` knows ASCII only) and on
PostgreSQL alike, with a plain ``LIKE``.
"""

from __future__ import annotations

import unicodedata

_EXTRA = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d"})


def fold(text: str | None) -> str:
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.translate(_EXTRA))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(unicodedata.normalize("NFC", bare).casefold().split())
