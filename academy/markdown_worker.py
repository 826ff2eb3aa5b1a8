"""The rendering rules (Markdown extensions, the sanitiser's allow-lists) and the child process
that applies them for ``academy.markdown_guard``.

Python-Markdown takes time quadratic in the length of a paragraph for some shapes of input
(unclosed links ``[a](`` repeated, unclosed tags ``<b`` on many lines, thousands of links in one
paragraph…). The web process hands the text to this child and waits; the child gives up — it
exits — once one conversion has used ``cpu_seconds`` of processor time, so a hostile text costs a
bounded amount of work however it is shaped. Sanitising runs in the child too: nh3 (html5ever) is
itself quadratic in the depth of unclosed tags (``<div>`` × 40,000 took 12 s).

Run as a file (``python -I markdown_worker.py CPU_SECONDS``), not as ``academy.markdown_worker``:
it imports only Python-Markdown and nh3, so it starts in a fraction of a second. Protocol on
stdin/stdout: a 4-byte big-endian length, then that many bytes of UTF-8; one answer per question,
in order. End of input ends the child.
"""

from __future__ import annotations

import html as html_lib
import os
import re
import struct
import sys
import threading
import time
from pathlib import Path

import nh3

HEADER = struct.Struct(">I")
GAVE_UP = 3  # the exit status of a conversion that used up its time

EXTENSIONS = ["extra", "sane_lists"]

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "td": {"align", "colspan", "rowspan"},
    "ol": {"start"},
    "code": {"class"},
    "div": {"class"},
    "span": {"class"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
}
URL_SCHEMES = {"http", "https", "mailto"}

# Only the classes the Markdown extensions write: fenced code's language and the footnotes block.
# An author's own classes (Bootstrap's position-fixed, w-100…) could dress a lesson up as the page.
ALLOWED_CLASSES = {"div": {"footnote"}, "span": set()}
CODE_CLASS_RE = re.compile(r"language-[A-Za-z0-9_+#.-]{1,40}")
IMG_RE = re.compile(r'<img((?:\s+[a-z-]+(?:="[^"]*")?)*)\s*/?>')  # nh3's output: values in "…"
ALT_RE = re.compile(r'\salt="([^"]*)"')


def clean_html(html: str) -> str:
    """The allow-list applied to HTML; an off-site image becomes its alt text."""
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return IMG_RE.sub(_unless_sourced, cleaned) if "<img" in cleaned else cleaned


def _filter_attribute(tag: str, name: str, value: str) -> str | None:
    if name == "class":
        kept = [
            c
            for c in value.split()
            if c in ALLOWED_CLASSES.get(tag, ()) or (tag == "code" and CODE_CLASS_RE.fullmatch(c))
        ]
        return " ".join(kept) or None
    if tag == "img" and name == "src":
        return value if is_local_source(value) else None
    return value


def is_local_source(src: str) -> bool:
    """A path on this site ("/media/…" or relative), never another host: no scheme, no "//"."""
    src = re.sub(r"[\t\n\r]", "", src).strip()
    if not src or "\\" in src or src.startswith("//"):
        return False
    return ":" not in src.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]


def _unless_sourced(match: re.Match) -> str:
    """An image whose source was dropped becomes its alt text (as text)."""
    if ' src="' in match.group(1):
        return match.group(0)
    alt = ALT_RE.search(match.group(1))
    return html_lib.escape(html_lib.unescape(alt.group(1)), quote=False) if alt else ""


def _without_own_folder() -> None:
    """``academy/markdown.py`` must not shadow the ``markdown`` library."""
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if p and Path(p).resolve() != here]


def _watch(started: list, cpu_seconds: float) -> None:
    """Exit the process once the conversion in progress has used ``cpu_seconds`` of CPU."""
    while True:
        time.sleep(0.01)
        began = started[0]
        if began is not None and time.process_time() - began > cpu_seconds:
            os._exit(GAVE_UP)


def _read_exactly(stream, size: int) -> bytes | None:
    data = stream.read(size)
    return data if data is not None and len(data) == size else None


def serve(cpu_seconds: float) -> None:
    """Answer conversions until stdin closes."""
    _without_own_folder()
    import markdown  # noqa: PLC0415 - after _without_own_folder(): academy/markdown.py shadows it

    converter = markdown.Markdown(extensions=EXTENSIONS, output_format="html")
    started: list = [None]
    threading.Thread(target=_watch, args=(started, cpu_seconds), daemon=True).start()
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    while (header := _read_exactly(source, HEADER.size)) is not None:
        body = _read_exactly(source, HEADER.unpack(header)[0])
        if body is None:
            return
        started[0] = time.process_time()
        html = clean_html(converter.reset().convert(body.decode("utf-8", "surrogatepass")))
        started[0] = None
        answer = html.encode("utf-8", "surrogatepass")
        sink.write(HEADER.pack(len(answer)) + answer)
        sink.flush()


if __name__ == "__main__":
    serve(float(sys.argv[1]))
