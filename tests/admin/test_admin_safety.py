"""Admin safety by every path: the staff import cannot take the role from the last active admin
(its dry run names the line, applying writes nothing), yet may hand it over in the same file; a
deactivated person is signed out at once, and an admin demoted by an import loses admin pages at
their next click."""

from __future__ import annotations

import io

from sqlalchemy import select

from academy.auth.models import User
from academy.database import db
from tests.conftest import PASSWORD

HEADER = "employee_code,full_name,email,unit_code,position,roles\n"


def _upload(client, lines: list[str], *, apply=False):
    data = {"file": (io.BytesIO((HEADER + "\n".join(lines) + "\n").encode()), "nhan-su.csv")}
    data["apply" if apply else "dry_run"] = "y"
    return client.post("/admin/users/import", data=data, content_type="multipart/form-data")


def _row(user, roles: str, unit_code: str) -> str:
    return f"{user.employee_code},{user.full_name},{user.email},{unit_code},Chuyên viên,{roles}"


def _roles(user) -> set[str]:
    db.session.expire_all()
    return db.session.get(User, user.id).roles


def test_an_import_cannot_demote_the_last_admin(client, auth, make_user, make_unit):
    unit = make_unit(code="UBND")
    admin = make_user(roles=("admin",), unit=unit, email="quantri.mot@hvs.gov.vn")
    auth.login(admin)
    for apply in (False, True):
        answer = _upload(client, [_row(admin, "learner", "UBND")], apply=apply)
        body = answer.get_data(as_text=True)
        assert answer.status_code == 400
        assert "Không thể bỏ quyền quản trị của quantri.mot@hvs.gov.vn" in body
    assert _roles(admin) == {"admin"}
    assert client.get("/admin/users").status_code == 200


def test_an_inactive_admin_does_not_count_for_an_import(client, auth, make_user, make_unit):
    unit = make_unit(code="UBND")
    admin = make_user(roles=("admin",), unit=unit)
    dormant = make_user(roles=("admin",), unit=unit)
    dormant.is_active = False
    db.session.commit()
    auth.login(admin)
    assert _upload(client, [_row(admin, "hr", "UBND")], apply=True).status_code == 400
    assert _roles(admin) == {"admin"}


def test_an_import_may_hand_the_role_over(client, auth, make_user, make_unit):
    unit = make_unit(code="UBND")
    admin = make_user(roles=("admin",), unit=unit)
    successor = make_user(roles=("hr",), unit=unit)
    auth.login(admin)
    lines = [_row(admin, "learner", "UBND"), _row(successor, '"admin,hr"', "UBND")]
    assert _upload(client, lines, apply=True).status_code == 302
    assert _roles(admin) == {"learner"} and _roles(successor) == {"admin", "hr"}
    # the demoted admin keeps a session, but no admin page from the next click on
    assert client.get("/admin/users").status_code == 403


def test_a_second_active_admin_lets_an_import_demote_one(client, auth, make_user, make_unit):
    unit = make_unit(code="UBND")
    admin = make_user(roles=("admin",), unit=unit)
    other = make_user(roles=("admin",), unit=unit)
    auth.login(admin)
    assert _upload(client, [_row(other, "learner", "UBND")], apply=True).status_code == 302
    assert _roles(other) == {"learner"}


def test_a_deactivated_person_is_signed_out_at_once(app, client, auth, make_user):
    person = make_user(email="thoi.viec@hvs.gov.vn")
    theirs = app.test_client()
    theirs.post("/login", data={"email": person.email, "password": PASSWORD})
    assert theirs.get("/account/password").status_code == 200
    auth.login(make_user(roles=("admin",)))
    answer = client.post(
        f"/admin/users/{person.id}",
        data={
            "full_name": person.full_name,
            "email": person.email,
            "employee_code": person.employee_code,
            "position": "",
            "unit": "",
            "roles": ["learner"],
        },
    )
    assert answer.status_code == 302
    assert not db.session.scalar(select(User.is_active).where(User.id == person.id))
    signed_out = theirs.get("/account/password")
    assert signed_out.status_code == 302 and "/login" in signed_out.location
    again = theirs.post("/login", data={"email": person.email, "password": PASSWORD})
    assert again.status_code == 401
