"""Names of downloaded files: one safe slug, one well-formed Content-Disposition header.

Every download builds its file name with :func:`download_filename` and, when it answers with a
plain ``Response``, its header with :func:`attachment_header` (``send_file(download_name=…)`` does
the same for files). Data that reaches a name — a unit code, a course slug, a serial — can hold
quotes, line breaks or any Unicode; none of it can split the header or break it (RFC 6266).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

FALLBACK_STEM = "tai-ve"
MAX_STEM_LENGTH = 120
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_EDGES = "._-"


def download_filename(*parts: object, ext: str) -> str:
    """``parts`` joined with "-" as an ASCII slug, then ``.ext``.

    Vietnamese letters lose their marks (đ → d); every run of other characters — spaces, quotes,
    slashes, control characters — becomes one "-". The stem never starts with a dot and is never
    empty (``tai-ve``).
    """
    stem = "-".join(slug for slug in map(_slug, parts) if slug)
    stem = stem[:MAX_STEM_LENGTH].strip(_EDGES) or FALLBACK_STEM
    suffix = _UNSAFE.sub("", ext).strip(_EDGES)
    return f"{stem}.{suffix}" if suffix else stem


def _slug(part: object) -> str:
    text = "" if part is None else str(part)
    text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return _UNSAFE.sub("-", text.encode("ascii", "ignore").decode("ascii")).strip(_EDGES)


def attachment_header(filename: str) -> str:
    """The ``Content-Disposition`` value that downloads ``filename``: a quoted ASCII ``filename``
    every client reads and ``filename*=UTF-8''…`` for those that prefer it (RFC 6266, RFC 5987)."""
    stem, dot, ext = filename.rpartition(".")
    safe = download_filename(stem, ext=ext) if dot else download_filename(filename, ext="")
    return f"attachment; filename=\"{safe}\"; filename*=UTF-8''{quote(safe, safe='')}"
