"""Admin pages: only admins; users search and edit; units; the audit log."""

from __future__ import annotations

from sqlalchemy import select

from academy.auth.models import Unit
from academy.core.audit import AuditEvent
from academy.database import db


def test_admin_pages_are_for_admins_only(client, auth, make_user):
    auth.login(make_user(roles=("hr",)))
    for path in ("/admin/", "/admin/users", "/admin/units", "/admin/audit", "/admin/users/import"):
        assert client.get(path).status_code == 403


def test_user_search_and_deactivate(client, auth, make_user, make_unit):
    unit = make_unit("Phường Tân Định", code="TD")
    target = make_user(full_name="Vũ Thị Lan", unit=unit, employee_code="CB-LAN")
    make_user(full_name="Người Khác")
    auth.login(make_user(roles=("admin",)))
    page = client.get("/admin/users?q=lan").get_data(as_text=True)
    assert "Vũ Thị Lan" in page and "Người Khác" not in page
    response = client.post(
        f"/admin/users/{target.id}",
        data={
            "full_name": "Vũ Thị Lan",
            "email": target.email,
            "employee_code": "CB-LAN",
            "position": "",
            "unit": unit.id,
            "roles": ["learner", "hr"],
        },
    )  # is_active unticked
    assert response.status_code == 302
    db.session.expire_all()
    assert target.is_active is False and target.roles == {"learner", "hr"}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.update"))
    assert "is_active" in event.detail["changed"]
    assert "user.update" in client.get("/admin/audit?action=user").get_data(as_text=True)


def test_duplicate_email_is_409_not_500(client, auth, make_user):
    first, second = make_user(), make_user()
    auth.login(make_user(roles=("admin",)))
    response = client.post(
        f"/admin/users/{second.id}",
        data={
            "full_name": "X",
            "email": first.email,
            "employee_code": "",
            "position": "",
            "roles": ["learner"],
            "is_active": "y",
        },
    )
    assert response.status_code == 409


def test_units_create_and_reject_cycles(client, auth, make_user):
    auth.login(make_user(roles=("admin",)))
    assert (
        client.post(
            "/admin/units", data={"code": "C", "name": "Thành phố", "kind": "city"}
        ).status_code
        == 302
    )

    city = db.session.scalar(select(Unit).where(Unit.code == "C"))
    client.post(
        "/admin/units", data={"code": "W", "name": "Phường 1", "kind": "ward", "parent": city.id}
    )
    ward = db.session.scalar(select(Unit).where(Unit.code == "W"))
    assert ward.path == f"/{city.id}/{ward.id}/"
    assert (
        client.post("/admin/units", data={"code": "W", "name": "Trùng", "kind": "ward"}).status_code
        == 400
    )
    # moving the city below its own ward is not offered (400) and changes nothing
    assert (
        client.post(
            f"/admin/units/{city.id}",
            data={"code": "C", "name": "Thành phố", "kind": "city", "parent": ward.id},
        ).status_code
        == 400
    )
    db.session.expire_all()
    assert city.parent_id is None and city.path == f"/{city.id}/"
    assert "Phường 1" in client.get("/admin/units").get_data(as_text=True)
