"""render_markdown(): the one path from author Markdown to HTML safe to show learners."""

from __future__ import annotations

from academy.markdown_guard import convert_bounded
from academy.markdown_worker import (  # noqa: F401 - the rules, re-exported
    ALLOWED_ATTRIBUTES,
    ALLOWED_CLASSES,
    ALLOWED_TAGS,
    EXTENSIONS,
    URL_SCHEMES,
    clean_html,
    is_local_source,
)

MAX_MARKDOWN_CHARS = 200_000  # a lesson, quiz or description; forms and the importer refuse more


def render_markdown(text: str) -> str:
    """Markdown to sanitised HTML: an allow-list of tags, attributes and classes, no scripts, no
    styles, no event handlers, links only to http(s)/mailto or relative URLs, images only from
    this site. Render once, at save time.

    The cost is bounded whatever the text: a conversion that would take too long (hostile shapes
    only) yields the text as escaped plain paragraphs instead (see ``markdown_guard``)."""
    return convert_bounded(text or "")


def render_inline(text: str) -> str:
    """For one-line fields (quiz prompts, choices): the same rules, without the outer <p>."""
    html = render_markdown(text)
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return html
