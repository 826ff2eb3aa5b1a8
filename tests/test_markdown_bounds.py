"""render_markdown() costs a bounded amount of work whatever the text, keeps the output of ordinary
lessons unchanged, keeps only the classes the Markdown extensions write, and shows only images
served by this site."""

from __future__ import annotations

import re
import time
from pathlib import Path

import markdown
import nh3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from academy.authoring.revisions import diff_rows
from academy.markdown import (
    ALLOWED_TAGS,
    EXTENSIONS,
    MAX_MARKDOWN_CHARS,
    URL_SCHEMES,
    render_markdown,
)

SHIPPED = Path(__file__).resolve().parents[1] / "courses"
FEW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Shapes measured quadratic (or worse) in Python-Markdown 3.x: ~20 KB of each took 0.3–9 s.
HOSTILE = ["[a](", "<b\n", "[a](b) ", "[^1](", "*[](\n]\\", "<a href="]


@pytest.mark.parametrize("unit", HOSTILE)
def test_hostile_shape_at_the_cap_renders_and_is_shown_as_plain_text(unit):
    text = (unit * (MAX_MARKDOWN_CHARS // len(unit) + 1))[:MAX_MARKDOWN_CHARS]
    started = time.monotonic()
    html = render_markdown(text)
    # A bound against quadratic blow-up (unbounded, these take minutes), not a speed target.
    assert time.monotonic() - started < 10
    assert html.startswith("<p>")
    assert "<a " not in html and "<sup>" not in html  # given up on: no link was parsed out of it
    assert re.sub(r"<br>\n?|</?p>|&[a-z]+;", "", html)  # the author's text is still there, escaped


def test_renderer_answers_after_giving_up():
    render_markdown("[a](" * 50_000)
    assert render_markdown("**đậm** và [liên kết](/courses)") == (
        '<p><strong>đậm</strong> và <a href="/courses" rel="noopener noreferrer nofollow">'
        "liên kết</a></p>"
    )


def _reference(text: str) -> str:
    """What the renderer produced before the bounds: Python-Markdown in process, then nh3."""
    attributes = {
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
    html = markdown.markdown(text, extensions=EXTENSIONS, output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=attributes,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def test_shipped_lessons_render_exactly_as_before():
    texts = [
        p.read_text(encoding="utf-8").split("---", 2)[-1] for p in sorted(SHIPPED.rglob("*.md"))
    ]
    texts.append(
        "Chú thích[^1]\n\n[^1]: Nguồn.\n\n```python\nprint('x')\n```\n\n"
        "*[AI]: Trí tuệ nhân tạo\n\nAI"
    )
    assert len(texts) > 20
    for text in texts:
        assert render_markdown(text) == _reference(text)


CLASS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,24}", fullmatch=True)


@FEW
@given(
    tag=st.sampled_from(["div", "span", "code"]), classes=st.lists(CLASS, min_size=1, max_size=6)
)
def test_only_the_classes_the_extensions_write_survive(tag, classes):
    html = render_markdown(f'<{tag} class="{" ".join(classes)}">x</{tag}>\n\nđoạn')
    kept = [c for found in re.findall(r'class="([^"]*)"', html) for c in found.split()]
    allowed = {"div": {"footnote"}, "span": set()}.get(tag)
    for name in kept:
        assert name in classes
        assert (
            name in allowed
            if allowed is not None
            else re.fullmatch(r"language-[A-Za-z0-9_+#.-]+", name)
        )


def test_fenced_code_language_and_footnotes_keep_their_classes():
    html = render_markdown("x[^1]\n\n[^1]: y\n\n```python\nz\n```")
    assert '<code class="language-python">' in html and '<div class="footnote">' in html
    overlay = render_markdown(
        '<div class="position-fixed top-0 start-0 w-100 h-100 bg-white">Đăng nhập lại</div>'
    )
    assert "class" not in overlay and "Đăng nhập lại" in overlay


HOST = st.from_regex(r"[a-z][a-z0-9-]{0,15}\.(?:com|vn|example)", fullmatch=True)
OFF_SITE = st.one_of(
    st.builds(
        lambda s, h: f"{s}://{h}/a.png",
        st.sampled_from(["http", "https", "HTTPS", "ftp", "data"]),
        HOST,
    ),
    st.builds(lambda h: f"//{h}/a.png", HOST),
    st.builds(lambda h: f"/\\{h}/a.png", HOST),
    st.builds(lambda h: f"ht\ttps://{h}/a.png", HOST),
)


@FEW
@given(
    src=OFF_SITE,
    alt=st.text(
        st.characters(
            codec="utf-8", exclude_categories=["Cs", "Cc"], exclude_characters="[]\\`*_<>!&"
        ),
        max_size=20,
    ),
)
def test_an_off_site_image_becomes_its_alt_text(src, alt):
    html = render_markdown(
        f'Ảnh: <img src="{src}" alt="{alt}"> và ![{alt}]({src.replace(" ", "%20")})'
    )
    # No image element survives; an author's malformed tag may come back as escaped text, inert.
    assert "<img" not in html
    assert not re.search(r"<[^>]*\bsrc=", html)


@pytest.mark.parametrize(
    "src", ["/media/0123456789abcdef0123456789abcdef.png", "hinh/so-do.png", "./a.png"]
)
def test_site_images_keep_their_source(src):
    html = render_markdown(f"![Sơ đồ]({src})")
    assert f'src="{src}"' in html and 'alt="Sơ đồ"' in html


LINES = st.lists(st.sampled_from(["", "a", "b", "c", "## Tiêu đề", "- mục"]), max_size=40)


@settings(max_examples=200, deadline=None)
@given(old=LINES, new=LINES)
def test_diff_with_full_context_shows_both_texts_in_order(old, new):
    rows = diff_rows(
        "".join(f"{line}\n" for line in old), "".join(f"{line}\n" for line in new), context=10**6
    )
    if old == new:
        assert rows == []  # the page says the two versions are the same
        return
    assert [r.old for r in rows if r.old_no] == old
    assert [r.new for r in rows if r.new_no] == new
    assert all(r.kind != "equal" or r.old == r.new for r in rows)


def test_diff_of_hostile_revisions_is_cut_off_with_the_context_around():
    old = "Mở đầu\n" + "\n".join("abc"[i % 3] for i in range(8000)) + "\nKết"
    new = "Mở đầu\n" + "\n".join("cba"[i % 3] for i in range(8000)) + "\nKết"
    started = time.monotonic()
    rows = diff_rows(old, new)
    assert time.monotonic() - started < 10  # unbounded, SequenceMatcher takes minutes here
    kinds = [r.kind for r in rows]
    assert kinds == ["equal"] + ["too_long"] + ["equal"] * (len(kinds) - 2) and len(kinds) <= 5
    assert rows[0].old == "Mở đầu" and rows[-1].new == "Kết"
    assert rows[1].old_no == rows[1].new_no == 7999  # the lines left out (the last "b" is shared)
