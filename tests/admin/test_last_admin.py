"""The academy always keeps an active admin: the last one can neither lose the role nor be
deactivated, not even by themselves; once a second admin exists, both are allowed."""

from __future__ import annotations

from academy.database import db

REFUSED = "quản trị viên cuối cùng"


def _edit(client, user, *, roles, active=True):
    data = {
        "full_name": user.full_name,
        "email": user.email,
        "employee_code": user.employee_code,
        "position": "",
        "unit": "",
        "roles": roles,
    }
    if active:
        data["is_active"] = "y"
    return client.post(f"/admin/users/{user.id}", data=data)


def _reloaded(user):
    db.session.expire_all()
    return db.session.get(type(user), user.id)


def test_the_last_admin_cannot_demote_or_deactivate_themselves(client, auth, make_user):
    admin = make_user(roles=("admin",), full_name="Quản Trị Duy Nhất")
    make_user(roles=("hr",))  # other people, but no other admin
    auth.login(admin)
    for response in (
        _edit(client, admin, roles=["learner"]),
        _edit(client, admin, roles=["admin"], active=False),
    ):
        assert response.status_code == 409
        assert REFUSED in response.get_data(as_text=True)
        admin = _reloaded(admin)
        assert admin.roles == {"admin"} and admin.is_active
    assert client.get("/admin/users").status_code == 200  # still signed in, still an admin


def test_an_inactive_second_admin_does_not_count(client, auth, make_user):
    admin = make_user(roles=("admin",))
    dormant = make_user(roles=("admin",))
    dormant.is_active = False
    db.session.commit()
    auth.login(admin)
    assert _edit(client, admin, roles=["learner"]).status_code == 409
    assert "admin" in _reloaded(admin).roles


def test_with_a_second_admin_one_may_step_down(client, auth, make_user):
    admin = make_user(roles=("admin",))
    second = make_user(roles=("admin", "hr"), full_name="Quản Trị Thứ Hai")
    auth.login(admin)
    assert _edit(client, second, roles=["hr"], active=False).status_code == 302
    second = _reloaded(second)
    assert second.roles == {"hr"} and not second.is_active
    # the remaining admin is now the last one again
    assert _edit(client, admin, roles=["learner"]).status_code == 409
    third = make_user(roles=("admin",))
    assert _edit(client, admin, roles=["learner"]).status_code == 302
    assert _reloaded(admin).roles == {"learner"} and _reloaded(third).roles == {"admin"}
