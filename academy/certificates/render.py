"""The one PDF renderer: plain data → sandboxed HTML → WeasyPrint PDF/A.

Security comes from three walls: the template runs in Jinja's sandbox with autoescaping, it only
ever sees plain values (never ORM objects, so no lazy loads or attribute walks), and WeasyPrint
can fetch nothing but files under ``academy/static`` through :class:`StaticOnlyFetcher`, plus the
images this module makes for the render at hand (the QR code) under ``academy-render:``.
"""

from __future__ import annotations

import atexit
import ctypes.util
import io
import logging
import threading
from importlib.resources import files
from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from academy.core.qr import qr_png
from academy.pdf import STATIC_SCHEME, make_fetcher

log = logging.getLogger(__name__)

PDF_TEMPLATES = Path(__file__).resolve().parent / "pdf"
PDF_VARIANT = "pdf/a-3b"
OUTPUT_INTENT = "academy-srgb"
PLAIN_TYPES = (str, int, float, bool, type(None))
QR_SRC = "academy-render:qr.png"

# WeasyPrint/Pango/fontconfig state is shared; one render at a time per process.
_lock = threading.Lock()
_state: dict = {}


def _environment() -> SandboxedEnvironment:
    env = _state.get("env")
    if env is None:
        env = SandboxedEnvironment(
            loader=FileSystemLoader(str(PDF_TEMPLATES)),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        _state["env"] = env
    return env


def render_html(data: dict, template: str = "certificate.html") -> str:
    """Fill the PDF template from plain data only (a str/int/float/bool/None per key)."""
    for key, value in data.items():
        if not isinstance(value, PLAIN_TYPES):
            raise TypeError(f"certificate data {key!r} must be plain, not {type(value).__name__}")
    context = dict(data, qr_src=QR_SRC if data.get("verify_url") else "")
    return _environment().get_template(template).render(**context)


def html_to_pdf(
    html: str, images: dict[str, bytes] | None = None, attachments: tuple = ()
) -> bytes:
    """Lay out ``html`` as an archival PDF. Only academy/static files can be fetched, and the PNG
    ``images`` made for this render (URL → bytes, e.g. ``{QR_SRC: qr_png(url)}``). ``attachments``
    are embedded files, (name, bytes, description) each (PDF/A-3 allows them)."""
    from weasyprint import HTML  # noqa: PLC0415 - 2 s to import: only when a PDF is rendered

    warn_if_slow_subsetting()
    with _lock:
        fonts, stylesheet = _shared_resources()
        fetcher, static_images = _state["fetcher"], _state["images"]
        fetcher.images = images or {}
        # WeasyPrint caches images by URL: this render's own (its QR code) must not outlive it,
        # while our static ones (the seal, the corners) are parsed once per process.
        render_images = dict(static_images)
        document = HTML(string=html, base_url=STATIC_SCHEME, url_fetcher=fetcher)
        output = io.BytesIO()
        document.write_pdf(
            output,
            stylesheets=[stylesheet],
            font_config=fonts,
            color_profiles=dict(_state["profiles"]),
            output_intent=OUTPUT_INTENT,
            cache=render_images,
            pdf_variant=PDF_VARIANT,
            uncompressed_pdf=False,
            attachments=[_attachment(*item) for item in attachments],
        )
        static_images.update(
            (url, image) for url, image in render_images.items() if url.startswith(STATIC_SCHEME)
        )
    return output.getvalue()


def render_certificate_pdf(data: dict, attachments: tuple = ()) -> bytes:
    """The certificate PDF for ``data`` (see ``services.certificate_data`` for the keys), with
    ``attachments`` embedded (its Open Badges credential)."""
    # A raster QR is several times cheaper for WeasyPrint than the same code as an SVG path.
    images = {QR_SRC: qr_png(data["verify_url"])} if data.get("verify_url") else {}
    return html_to_pdf(render_html(data), images, attachments)


def _attachment(name: str, content: bytes, description: str):
    """An embedded file, marked as an alternative form of the page's content (PDF/A-3 asks for
    the relationship); no URL is ever fetched for it."""
    from weasyprint import Attachment  # noqa: PLC0415 - as HTML in html_to_pdf

    return Attachment(
        file_obj=io.BytesIO(content), name=name, description=description, relationship="Alternative"
    )


def _shared_resources():
    """Font configuration and the certificate stylesheet, built once per process
    (fonts are costly)."""
    if "fonts" not in _state:
        from weasyprint import CSS  # noqa: PLC0415 - as HTML in html_to_pdf
        from weasyprint.text.fonts import FontConfiguration  # noqa: PLC0415 - as HTML

        fetcher = _render_fetcher(make_fetcher())
        fonts = FontConfiguration()
        css = CSS(
            filename=str(PDF_TEMPLATES / "certificate.css"),
            font_config=fonts,
            url_fetcher=fetcher,
            base_url=STATIC_SCHEME,
        )
        _state.update(
            fonts=fonts,
            css=css,
            fetcher=fetcher,
            profiles={OUTPUT_INTENT: _srgb_profile()},
            images={},
        )  # our static images (the emblem), parsed once per process
        # Drop the font folder while the interpreter can still delete it
        # (its __del__ cannot at exit).
        atexit.register(_state.pop, "fonts", None)
    return _state["fonts"], _state["css"]


def _render_fetcher(static):
    """``static`` (academy/static only), plus the PNG images html_to_pdf was given to render."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: PLC0415 - as HTML

    class RenderFetcher(URLFetcher):
        images: dict[str, bytes] = {}

        def fetch(self, url, headers=None):
            if url in self.images:
                return URLFetcherResponse(url, self.images[url], {"Content-Type": "image/png"})
            return static.fetch(url, headers)

    return RenderFetcher(allowed_protocols=())


def _srgb_profile():
    """WeasyPrint's sRGB output intent, read once. (Its own PDF/A path opens the ICC file on every
    render and never closes it; naming our own intent avoids that leak and the repeated parse.)"""
    from weasyprint.css import ColorProfile  # noqa: PLC0415 - as HTML in html_to_pdf

    with (files("weasyprint.pdf") / "sRGB2014.icc").open("rb") as icc:
        return ColorProfile(icc, "sRGB2014.icc", "relative-colorimetric", (["r"], ["g"], ["b"]))


def has_fast_subsetting() -> bool:
    return ctypes.util.find_library("harfbuzz-subset") is not None


def warn_if_slow_subsetting() -> None:
    """Say once per process when HarfBuzz's subsetter is missing
    (WeasyPrint is then much slower)."""
    if "subset_checked" in _state:
        return
    _state["subset_checked"] = True
    if not has_fast_subsetting():
        log.warning(
            "libharfbuzz-subset0 is not installed: certificate PDFs render slowly "
            "(apt-get install libharfbuzz-subset0)"
        )
