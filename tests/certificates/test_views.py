"""Getting, verifying and revoking certificates over HTTP."""

from __future__ import annotations

import io

from sqlalchemy import select

from academy.certificates.models import Certificate
from academy.certificates.services import revoke_certificate
from academy.core.audit import AuditEvent
from academy.database import db


def _audits(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_my_certificates_lists_mine_with_a_download_link(client, auth, learner, certificate):
    auth.login(learner)
    page = client.get("/me/certificates").get_data(as_text=True)
    assert certificate.serial in page
    assert f"/certificates/{certificate.serial}.pdf" in page
    assert "Còn hiệu lực" in page


def test_owner_downloads_the_stored_pdf(client, auth, learner, certificate):
    auth.login(learner)
    response = client.get(f"/certificates/{certificate.serial}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data == certificate.pdf
    assert not _audits("certificate.download")


def test_another_learner_gets_the_same_404_as_a_missing_serial(
    client, auth, make_user, ward, certificate
):
    auth.login(make_user(unit=ward))
    theirs = client.get(f"/certificates/{certificate.serial}.pdf")
    missing = client.get("/certificates/HVS-2026-999999.pdf")
    assert theirs.status_code == missing.status_code == 404
    # the same page, but for the path echoed in the language switcher
    assert theirs.data.replace(certificate.serial.encode(), b"S") == missing.data.replace(
        b"HVS-2026-999999", b"S"
    )


def test_hr_outside_the_owners_units_gets_404(client, auth, make_user, make_unit, certificate):
    auth.login(make_user(roles=("hr",), unit=make_unit(name="Sở Tài chính")))
    assert client.get(f"/certificates/{certificate.serial}.pdf").status_code == 404


def test_hr_over_the_owners_unit_downloads_and_is_audited(
    client, auth, make_user, district, certificate
):
    hr = make_user(roles=("hr",), unit=district)
    auth.login(hr)
    assert client.get(f"/certificates/{certificate.serial}.pdf").status_code == 200
    [event] = _audits("certificate.download")
    assert (event.actor_id, event.target) == (hr.id, certificate.serial)


def test_admin_downloads_any_certificate(client, auth, make_user, certificate):
    auth.login(make_user(roles=("admin",)))
    assert client.get(f"/certificates/{certificate.serial}.pdf").status_code == 200
    assert len(_audits("certificate.download")) == 1


def test_verify_page_shows_valid_then_revoked(client, auth, make_user, certificate, learner):
    page = client.get(f"/verify/{certificate.verify_code}").get_data(as_text=True)
    assert "Giấy chứng nhận hợp lệ" in page
    assert (
        learner.full_name in page and certificate.serial in page and "Lãnh đạo bằng dữ liệu" in page
    )
    assert learner.email not in page and "Phường Bến Thành" not in page  # nothing else personal

    auth.login(make_user(roles=("admin",)))
    response = client.post(
        f"/admin/certificates/{certificate.id}/revoke", data={"reason": "Gian lận khi thi"}
    )
    assert response.status_code == 303
    auth.logout()
    page = client.get(f"/verify/{certificate.verify_code}").get_data(as_text=True)
    assert "đã bị thu hồi" in page and "Gian lận khi thi" not in page  # the reason is internal
    assert "Giấy chứng nhận hợp lệ" not in page
    assert len(_audits("certificate.revoke")) == 1


def test_unknown_code_is_a_clear_not_found(client):
    response = client.get("/verify/khong-ton-tai-ma-nay")
    assert response.status_code == 404
    assert "Không tìm thấy giấy chứng nhận" in response.get_data(as_text=True)


def _upload(client, code, data, name="giay-chung-nhan.pdf"):
    return client.post(
        f"/verify/{code}",
        data={"document": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_uploading_the_issued_pdf_says_genuine(client, certificate):
    response = _upload(client, certificate.verify_code, certificate.pdf)
    assert response.status_code == 200
    assert "đúng là bản giấy chứng nhận đã cấp" in response.get_data(as_text=True)


def test_an_altered_pdf_is_not_genuine(client, certificate):
    altered = certificate.pdf[:-40] + b"%  edited by hand  " + certificate.pdf[-40:]
    assert altered != certificate.pdf
    response = _upload(client, certificate.verify_code, altered)
    assert "KHÔNG khớp" in response.get_data(as_text=True)
    assert "đúng là bản" not in response.get_data(as_text=True)


def test_upload_must_be_a_small_pdf(client, app, certificate):
    assert _upload(client, certificate.verify_code, b"hello", name="a.txt").status_code == 400
    assert _upload(client, certificate.verify_code, b"not a pdf", name="a.pdf").status_code == 400
    app.config["UPLOAD_MAX_BYTES"] = 1024
    assert _upload(client, certificate.verify_code, b"%PDF-" + b"0" * 2000).status_code == 413


def test_upload_needs_the_csrf_token(csrf_app, client, certificate):
    assert _upload(client, certificate.verify_code, certificate.pdf).status_code == 400


def test_verify_page_is_rate_limited(client, app, certificate):
    app.config["VERIFY_RATE_LIMIT"] = "3 per minute"
    codes = [client.get(f"/verify/{certificate.verify_code}").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_owner_list_marks_a_revoked_certificate(client, auth, learner, certificate):
    revoke_certificate(certificate, "Sai thông tin", actor=None)
    db.session.commit()
    auth.login(learner)
    page = client.get("/me/certificates").get_data(as_text=True)
    assert "Đã thu hồi" in page and "Sai thông tin" in page


def test_only_admins_reach_the_revocation_pages(client, auth, make_user, district, certificate):
    auth.login(make_user(roles=("hr",), unit=district))
    assert client.get("/admin/certificates").status_code == 403
    assert (
        client.post(
            f"/admin/certificates/{certificate.id}/revoke", data={"reason": "x y z"}
        ).status_code
        == 403
    )
    assert certificate.revoked_at is None


def test_admin_searches_by_name_and_needs_a_reason(client, auth, make_user, certificate):
    auth.login(make_user(roles=("admin",)))
    assert certificate.serial in client.get("/admin/certificates?q=hồng nhung").get_data(
        as_text=True
    )
    assert (
        client.post(f"/admin/certificates/{certificate.id}/revoke", data={"reason": ""}).status_code
        == 400
    )
    db.session.refresh(certificate)
    assert certificate.revoked_at is None


def test_reissue_gives_a_new_serial_and_code(client, auth, make_user, certificate):
    auth.login(make_user(roles=("admin",)))
    response = client.post(
        f"/admin/certificates/{certificate.id}/reissue", data={"reason": "Đổi họ tên"}
    )
    assert response.status_code == 303
    db.session.expire_all()
    rows = db.session.scalars(select(Certificate).order_by(Certificate.id)).all()
    assert len(rows) == 2 and rows[0].revoked_at is not None and rows[1].revoked_at is None
    assert rows[1].serial != rows[0].serial and rows[1].verify_code != rows[0].verify_code
    assert rows[1].serial.endswith("-000002")
    assert "đã bị thu hồi" in client.get(f"/verify/{rows[0].verify_code}").get_data(as_text=True)
