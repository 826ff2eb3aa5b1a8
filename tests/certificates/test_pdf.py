"""The document: Vietnamese text intact, QR to the verify page, archival metadata, no fetching."""

from __future__ import annotations

import io
import subprocess
import urllib.request

import pytest
import zxingcpp
from jinja2.exceptions import SecurityError
from PIL import Image
from pypdf import PdfReader

from academy.certificates import render
from tests.certificates.conftest import NAME, nfc, pdf_text

SAMPLE = {
    "serial": "HVS-2026-000007",
    "full_name": NAME,
    "unit_name": "Phường Bến Thành",
    "course_title": "Lãnh đạo bằng dữ liệu",
    "hours": 4,
    "completed_on": "26/11/2026",
    "place_date": "Thành phố Hồ Chí Minh, ngày 26 tháng 11 năm 2026",
    "issuer_name": "PGS.TS. Nguyễn Văn A",
    "issuer_title": "Giám đốc Học viện Số",
    "organisation": "Học viện Số",
    "organisation_parent": "",
    "verify_url": "http://localhost/verify/abcDEF123",
}


def test_pdf_text_keeps_every_vietnamese_diacritic(certificate, app):
    text = pdf_text(certificate.pdf)
    assert nfc(NAME) in text
    assert "GIẤY CHỨNG NHẬN" in text
    assert "Lãnh đạo bằng dữ liệu" in text
    assert "Phường Bến Thành" in text
    assert certificate.serial in text
    assert app.config["CERTIFICATE_ISSUER_NAME"] in text
    assert "?" not in text.replace(certificate.verify_code, "")


def test_pdf_is_archival_with_metadata_and_embedded_font(certificate):
    reader = PdfReader(io.BytesIO(certificate.pdf))
    assert nfc(reader.metadata.title) == nfc(f"Giấy chứng nhận {certificate.serial} – {NAME}")
    assert reader.metadata.author == "Học viện Số"
    assert b'pdfaid:part="3"' in reader.xmp_metadata.stream.get_data()
    page = reader.pages[0]
    assert round(float(page.mediabox.width)) > round(float(page.mediabox.height))  # landscape
    fonts = [f.get_object() for f in page["/Resources"]["/Font"].values()]
    assert fonts and all("Be-Vietnam-Pro" in str(f["/BaseFont"]) for f in fonts)
    assert all(
        "/FontFile2" in f["/DescendantFonts"][0].get_object()["/FontDescriptor"] for f in fonts
    )


def qr_texts(pdf: bytes, folder) -> list[str]:
    """What a phone reads from the page printed at 150 dpi."""
    (folder / "c.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-singlefile", str(folder / "c.pdf"), str(folder / "c")],
        check=True,
    )
    with Image.open(folder / "c.png") as image:
        return [barcode.text for barcode in zxingcpp.read_barcodes(image)]


def test_qr_code_decodes_to_the_public_verify_url(certificate, tmp_path):
    expected = f"http://localhost/verify/{certificate.verify_code}"
    assert qr_texts(certificate.pdf, tmp_path) == [expected]


def test_each_certificate_of_a_batch_carries_its_own_qr_code(tmp_path):
    urls = ["http://localhost/verify/first", "http://localhost/verify/second"]
    pdfs = [render.render_certificate_pdf(dict(SAMPLE, verify_url=url)) for url in urls]
    assert [qr_texts(pdf, tmp_path) for pdf in pdfs] == [[url] for url in urls]


def test_a_template_cannot_reach_the_qr_code_of_another_render():
    render.render_certificate_pdf(SAMPLE)
    pdf = render.html_to_pdf(f'<html><body><img src="{render.QR_SRC}"></body></html>')
    assert b"/Subtype /Image" not in pdf


def test_data_given_to_the_template_is_escaped_and_inert(app):
    hostile = dict(SAMPLE, full_name='{{ 7*7 }}<img src="file:///etc/passwd">')
    html = render.render_html(hostile)
    assert "{{ 7*7 }}&lt;img" in html
    assert '<img src="file:' not in html


def test_template_refuses_orm_objects(certificate):
    with pytest.raises(TypeError):
        render.render_html(dict(SAMPLE, full_name=certificate.user))


def test_sandbox_blocks_attribute_walks():
    template = render._environment().from_string("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(SecurityError):
        template.render()


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://example.com/x.png",
        "https://example.com/x.png",
        "ftp://example.com/x",
        "data:image/png;base64,AAAA",
        "academy-static:../../../../etc/passwd",
        "/static/../config.py",
        "academy-static:fonts/nope.ttf",
        "//example.com/x.png",
    ],
)
def test_url_fetcher_refuses_everything_but_our_static_files(url):
    fetcher = render.make_fetcher()
    with pytest.raises(ValueError):
        fetcher.fetch(url)


def test_url_fetcher_serves_our_own_font():
    response = render.make_fetcher().fetch("academy-static:fonts/BeVietnamPro_700Bold.ttf")
    assert response.read()[:4] == b"\x00\x01\x00\x00"


def test_a_template_loading_outside_files_or_urls_gets_nothing(monkeypatch, caplog):
    def no_network(*args, **kwargs):
        raise AssertionError("the renderer tried to open a URL")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", no_network)
    html = (
        '<html><body><p>x</p><img src="file:///etc/passwd"><img src="http://example.com/x.png">'
        '<link rel="stylesheet" href="file:///etc/passwd"></body></html>'
    )
    pdf = render.html_to_pdf(html)
    assert pdf.startswith(b"%PDF-")
    assert b"/Subtype /Image" not in pdf and b"root:x:" not in pdf
    refused = caplog.text
    assert "file:///etc/passwd" in refused and "http://example.com/x.png" in refused
