"""QR codes: the one place that draws them (certificate verify links, two-factor enrolment)."""

from __future__ import annotations

import io

import segno

ERROR_CORRECTION = "m"  # survives a smudged print or a glare on a phone screen
PNG_PIXELS_PER_MODULE = 4  # CSS scales it up unsmoothed; 4 keeps it sharp where viewers smooth


def qr_png(
    text: str, *, scale: int = PNG_PIXELS_PER_MODULE, border: int = 0, dark: str = "#1b1b1b"
) -> bytes:
    """``text`` as a black-and-white PNG QR code, ``scale`` pixels a module (by default without
    quiet zone, for a page that sizes and surrounds it with CSS)."""
    output = io.BytesIO()
    qr = segno.make(text, error=ERROR_CORRECTION)
    qr.save(output, kind="png", scale=scale, border=border, dark=dark)
    return output.getvalue()


def qr_svg_data_uri(text: str, *, scale: int = 5, border: int = 2) -> str:
    """``text`` as an SVG QR code in a ``data:`` URI, ready for an ``<img src>`` on a web page."""
    return segno.make(text, error=ERROR_CORRECTION).svg_data_uri(scale=scale, border=border)
