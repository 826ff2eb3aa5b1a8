"""The public verify page tells a revoked certificate apart, keeps the reason internal and points
a reissued certificate's old code to its replacement (issue 14, point 10)."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from academy.certificates.models import Certificate
from academy.database import db

SECRET_REASON = "Hồ sơ gian lận số 4711-bí-mật"


def _upload(client, code, data):
    return client.post(
        f"/verify/{code}",
        data={"document": (io.BytesIO(data), "giay-chung-nhan.pdf")},
        content_type="multipart/form-data",
    )


def _alerts(page: str) -> list[tuple[str, str]]:
    """(colour, text) of every alert box on the page, as a reader sees them."""
    found = re.findall(r'class="alert alert-(\w+)"[^>]*>(.*?)</div>', page, re.S)
    return [(colour, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))) for colour, body in found]


def _tampered(pdf: bytes) -> bytes:
    return pdf[:-40] + b"%  edited by hand  " + pdf[-40:]


@pytest.fixture
def admin(make_user):
    return make_user(email="quantri@example.vn", roles=("admin",))


@pytest.fixture
def revoke(client, auth, admin):
    """The admin revokes (or reissues) through the admin page, then signs out: the public's view."""

    def act(certificate, action="revoke", reason=SECRET_REASON):
        auth.login(admin)
        url = f"/admin/certificates/{certificate.id}/{action}"
        assert client.post(url, data={"reason": reason}).status_code == 303
        auth.logout()
        db.session.expire_all()

    return act


def _to_english(client):
    client.post("/locale", data={"locale": "en", "next": "/"})


def test_genuine_pdf_of_a_revoked_certificate_is_red_never_valid(client, certificate, revoke):
    pdf = certificate.pdf
    revoke(certificate)
    response = _upload(client, certificate.verify_code, pdf)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    alerts = _alerts(page)
    assert all(colour == "danger" for colour, _text in alerts) and len(alerts) == 2
    upload_result = alerts[1][1]
    assert "đúng là bản chúng tôi đã cấp" in upload_result and "đã bị thu hồi" in upload_result
    assert "hợp lệ" not in page and "alert-success" not in page


def test_genuine_pdf_of_a_revoked_certificate_in_english(client, certificate, revoke):
    pdf = certificate.pdf
    revoke(certificate)
    _to_english(client)
    page = _upload(client, certificate.verify_code, pdf).get_data(as_text=True)
    assert "exactly the one we issued" in page and "has been revoked" in page
    assert "Valid certificate" not in page and "alert-success" not in page


def test_revocation_reason_stays_off_the_public_page(client, auth, admin, certificate, revoke):
    pdf = certificate.pdf
    revoke(certificate)
    for page in (
        client.get(f"/verify/{certificate.verify_code}").get_data(as_text=True),
        _upload(client, certificate.verify_code, pdf).get_data(as_text=True),
    ):
        assert "Đã thu hồi" in page and SECRET_REASON not in page and "4711" not in page
    _to_english(client)
    page = client.get(f"/verify/{certificate.verify_code}").get_data(as_text=True)
    assert "Revoked" in page and SECRET_REASON not in page and "Reason" not in page
    auth.login(admin)  # admins still read it where they manage certificates
    assert SECRET_REASON in client.get("/admin/certificates").get_data(as_text=True)


def test_reissued_certificate_links_forward_to_the_new_one(client, learner, certificate, revoke):
    old_code = certificate.verify_code
    revoke(certificate, action="reissue")
    new = db.session.scalar(select(Certificate).where(Certificate.revoked_at.is_(None)))
    assert new.verify_code != old_code
    page = client.get(f"/verify/{old_code}").get_data(as_text=True)
    assert "Đã được thay bằng giấy chứng nhận mới" in page
    assert f'href="/verify/{new.verify_code}"' in page and new.serial in page
    assert learner.email not in page and "Phường Bến Thành" not in page  # nothing more personal
    assert SECRET_REASON not in page
    new_page = client.get(f"/verify/{new.verify_code}").get_data(as_text=True)
    assert "Giấy chứng nhận hợp lệ" in new_page and "Đã được thay" not in new_page
    _to_english(client)
    page = client.get(f"/verify/{old_code}").get_data(as_text=True)
    assert "replaced by a new certificate" in page and f"/verify/{new.verify_code}" in page


def test_revoked_without_reissue_links_nowhere(client, certificate, revoke):
    revoke(certificate)
    page = client.get(f"/verify/{certificate.verify_code}").get_data(as_text=True)
    assert "Đã thu hồi" in page and "Đã được thay" not in page
    assert page.count('href="/verify/') == 0


def test_valid_certificate_and_its_pdf_stay_green(client, certificate):
    page = _upload(client, certificate.verify_code, certificate.pdf).get_data(as_text=True)
    alerts = _alerts(page)
    assert [colour for colour, _text in alerts] == ["success", "success"]
    assert "Giấy chứng nhận hợp lệ" in alerts[0][1]
    assert "đúng là bản giấy chứng nhận đã cấp" in alerts[1][1]
    assert "Đã thu hồi" not in page and "Đã được thay" not in page


@pytest.mark.parametrize("revoked", [False, True])
def test_a_tampered_pdf_is_still_not_ours(client, certificate, revoke, revoked):
    pdf = certificate.pdf
    if revoked:
        revoke(certificate)
    page = _upload(client, certificate.verify_code, _tampered(pdf)).get_data(as_text=True)
    assert "KHÔNG khớp" in page and "đúng là bản" not in page
    assert _alerts(page)[-1][0] == "danger"
