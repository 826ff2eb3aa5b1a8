"""render_markdown(): the one path from author Markdown to HTML safe to show learners."""
from __future__ import annotations

import threading

import markdown as md
import nh3

EXTENSIONS = ["extra", "sane_lists"]

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt",
    "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark",
    "ol", "p", "pre", "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "ul",
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
    "h2": {"id"}, "h3": {"id"}, "h4": {"id"},
}
URL_SCHEMES = {"http", "https", "mailto"}

# Building a Markdown converter loads every extension; keep one per thread and reset it per call.
_local = threading.local()


def _converter() -> md.Markdown:
    converter = getattr(_local, "converter", None)
    if converter is None:
        converter = _local.converter = md.Markdown(extensions=EXTENSIONS, output_format="html")
    return converter.reset()


def render_markdown(text: str) -> str:
    """Markdown to sanitised HTML: an allow-list of tags and attributes, no scripts, no styles,
    no event handlers, links only to http(s)/mailto or relative URLs. Render once, at save time."""
    html = _converter().convert(text or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def render_inline(text: str) -> str:
    """For one-line fields (quiz prompts, choices): the same rules, without the outer <p>."""
    html = render_markdown(text)
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return html
