"""The audit log as an admin reads it: labels, before → after, sign-ins, filters, CSV export."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from academy.core.audit import AuditEvent
from academy.database import db

WRONG = "sai-mat-khau-123"


def _text(response) -> str:
    """The page as a reader sees it: tags dropped, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def _plant(action, actor=None, target="", at=None, detail=None):
    event = AuditEvent(
        action=action,
        actor_id=getattr(actor, "id", None),
        target=target,
        detail=detail or {},
        at=at or datetime.now(UTC),
    )
    db.session.add(event)
    db.session.commit()
    return event


@pytest.fixture
def admin(auth, make_user):
    user = make_user(full_name="Quản Trị Viên", roles=("admin",))
    auth.login(user)
    return user


def test_actions_read_in_vietnamese_and_english(client, admin):
    _plant("certificate.revoke", target="HVS-2025-000001")
    _plant("khong.ro.ma", target="x")
    page = _text(client.get("/admin/audit"))
    assert "Thu hồi chứng chỉ" in page and "khong.ro.ma" in page
    client.post("/locale", data={"locale": "en", "next": "/"})
    page = _text(client.get("/admin/audit"))
    assert "Revoke certificate" in page and "Thu hồi chứng chỉ" not in page


def test_admin_user_edit_shows_before_and_after(client, admin, make_user, make_unit):
    old_unit, new_unit = make_unit(code="P-CU"), make_unit(code="P-MOI")
    person = make_user(full_name="Trần Văn Cũ", unit=old_unit, employee_code="CB-9")
    response = client.post(
        f"/admin/users/{person.id}",
        data={
            "full_name": "Trần Văn Mới",
            "email": person.email,
            "employee_code": "CB-9",
            "position": "Chuyên viên",
            "unit": new_unit.id,
            "roles": ["learner"],
            "is_active": "y",
        },
    )
    assert response.status_code == 302
    page = _text(client.get("/admin/audit?action=user.update"))
    assert "Họ tên: Trần Văn Cũ → Trần Văn Mới" in page
    assert "Đơn vị: P-CU → P-MOI" in page
    assert "Email:" not in page  # unchanged fields are not listed


def test_unit_edit_shows_before_and_after(client, admin, make_unit):
    unit = make_unit("Chi bộ 1", code="CB1", kind="cell")
    response = client.post(
        f"/admin/units/{unit.id}",
        data={"code": "CB1", "name": "Chi bộ Một", "kind": "cell", "parent": ""},
    )
    assert response.status_code == 302
    assert "Tên đơn vị: Chi bộ 1 → Chi bộ Một" in _text(client.get("/admin/audit"))


def test_sign_in_and_failed_sign_in_are_recorded(client, auth, make_user):
    person = make_user(full_name="Lê Thị Đăng", email="dang@hvs.gov.vn")
    assert auth.login(person).status_code == 302
    auth.logout()
    typed = "Dang@HVS.gov.vn"
    assert client.post("/login", data={"email": typed, "password": WRONG}).status_code == 401
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    signin = next(e for e in events if e.action == "auth.signin")
    failed = next(e for e in events if e.action == "auth.signin.failed")
    assert signin.actor_id == person.id and signin.ip
    assert failed.target == "Dang@HVS.gov.vn" and failed.actor_id is None and failed.ip
    assert all(WRONG not in str(e.detail) + e.target for e in events)
    auth.login(make_user(roles=("admin",)))
    page = _text(client.get("/admin/audit?actor=dang@hvs"))
    assert "Đăng nhập thất bại" in page and "Lê Thị Đăng" in page


def test_typed_email_is_trimmed_to_120_characters(client):
    typed = "a" * 60 + "@" + "b" * 60 + "." + "c" * 60 + ".vn"  # 185 characters, well formed
    assert client.post("/login", data={"email": typed, "password": WRONG}).status_code == 401
    failed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "auth.signin.failed"))
    assert failed.target == typed[:120]


def test_each_filter_narrows_the_list(client, admin, make_user, make_unit):
    ward = make_unit("Phường Bến Thành", code="BT", kind="ward")
    cell = make_unit("Chi bộ khu phố 1", parent=ward, code="BT-KP1", kind="cell")
    other = make_unit("Phường Đa Kao", code="DK", kind="ward")
    an = make_user(full_name="Đỗ Văn An", unit=cell)
    binh = make_user(full_name="Phạm Thị Bình", unit=other)
    _plant("report.download", an, "mot", datetime(2025, 3, 1, 2, tzinfo=UTC))
    _plant("certificate.download", binh, "hai", datetime(2025, 3, 2, 2, tzinfo=UTC))
    # 23:30 on 2 March UTC is already 3 March in Hồ Chí Minh City
    _plant("certificate.download", an, "ba", datetime(2025, 3, 2, 23, 30, tzinfo=UTC))

    def targets(query):
        response = client.get("/admin/audit?" + query)
        assert response.status_code == 200
        return {row.target for row in db.session.scalars(select(AuditEvent))} & set(
            re.findall(r"<td class=\"text-break\">(\w+)</td>", response.get_data(as_text=True))
        )

    assert targets("") == {"mot", "hai", "ba"}
    assert targets("actor=v%C4%83n+AN") == {"mot", "ba"}  # "văn AN"
    assert targets("actor=" + binh.email) == {"hai"}
    assert targets("action=certificate.download") == {"hai", "ba"}
    assert targets(f"unit={ward.id}") == {"mot", "ba"}
    assert targets("date_from=2025-03-02&date_to=2025-03-02") == {"hai"}
    assert targets("date_from=2025-03-03") == {"ba"}


def test_bad_filters_are_a_message_not_a_500(client, admin):
    response = client.get("/admin/audit?date_from=2025-03-05&date_to=2025-03-01")
    assert response.status_code == 400
    assert "Ngày kết thúc phải sau ngày bắt đầu" in response.get_data(as_text=True)
    assert client.get("/admin/audit?date_from=hom-qua&unit=abc&page=x").status_code == 400


def test_csv_export_has_the_filtered_rows_neutralised_and_is_audited(client, admin, make_user):
    person = make_user(full_name='=HYPERLINK("http://x")')
    _plant("report.download", person, "=1+1")
    _plant("certificate.download", person, "khong-xuat")
    response = client.get("/admin/audit.csv?action=report.download")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert ".csv" in response.headers["Content-Disposition"]
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert len(rows) == 2  # header + the one report.download
    assert rows[1][1] == '\'=HYPERLINK("http://x")' and rows[1][5] == "'=1+1"
    assert rows[1][4] == "Tải báo cáo"
    export = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "audit.export"))
    assert export.actor_id == admin.id and export.detail["rows"] == 1
    assert "Xuất nhật ký kiểm toán" in _text(client.get("/admin/audit"))


def test_audit_log_is_for_admins_only(client, auth, make_user):
    _plant("report.download", target="bi-mat")
    auth.login(make_user(roles=("hr", "instructor")))
    for path in ("/admin/audit", "/admin/audit.csv"):
        assert client.get(path).status_code in (403, 404)
    assert not db.session.scalar(select(AuditEvent).where(AuditEvent.action == "audit.export"))
