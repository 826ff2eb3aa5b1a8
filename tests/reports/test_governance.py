"""Governance of mandates: a ward's HR cannot undo what the city set; assigning is previewed
("N people in M units") before anything is written; cancelling is confirmed first and keeps the
mandate's row, cancelled."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from academy.database import db
from academy.learning.models import Assignment, Enrollment

CONFIRM = {"confirm": "Xác nhận giao"}
PREVIEW = {"preview": "Xem trước"}


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _post_assignment(client, unit, course, step, due="2030-06-30"):
    data = {"unit": unit.id, "course": course.id, "due_date": due, **step}
    return client.post("/reports/assignments", data=data)


@pytest.fixture
def tree(make_unit, make_user, make_course):
    """City › two wards; ward A has two cells (one empty); 4 active people and 1 inactive in A."""
    city = make_unit("Thành phố", kind="city", code="TP")
    ward = make_unit("Phường A", parent=city, kind="ward", code="PA")
    cell_1 = make_unit("Chi bộ A1", parent=ward, kind="cell", code="PA-1")
    make_unit("Chi bộ A2", parent=ward, kind="cell", code="PA-2")  # nobody in it
    other = make_unit("Phường B", parent=city, kind="ward", code="PB")
    for unit in (ward, cell_1, cell_1):
        make_user(unit=unit)
    gone = make_user(unit=cell_1)
    gone.is_active = False
    make_user(unit=other)
    db.session.commit()
    return {
        "city": city,
        "ward": ward,
        "other": other,
        "course": make_course(title="Chuyển đổi số"),
        "city_hr": make_user(roles=("hr",), unit=city, full_name="Tổ Chức Thành Phố"),
        "ward_hr": make_user(roles=("hr",), unit=ward, full_name="Tổ Chức Phường A"),
    }


def test_preview_counts_people_and_units_and_creates_nothing(client, auth, tree):
    auth.login(tree["ward_hr"])
    response = _post_assignment(client, tree["ward"], tree["course"], PREVIEW)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    # the ward HR + 3 people in ward A and cell A1 (the inactive one does not count)
    assert "Sẽ giao cho 4 người ở 2 đơn vị." in page
    assert "Xác nhận giao" in page and 'name="due_date" value="2030-06-30"' in page
    assert _count(Assignment) == 0 and _count(Enrollment) == 0
    auth.logout()
    auth.login(tree["city_hr"])
    page = _post_assignment(client, tree["city"], tree["course"], PREVIEW).get_data(as_text=True)
    assert "Sẽ giao cho 6 người ở 4 đơn vị." in page


def test_the_confirm_step_creates_the_assignment(client, auth, tree):
    auth.login(tree["ward_hr"])
    response = _post_assignment(client, tree["ward"], tree["course"], CONFIRM)
    assert response.status_code == 302
    assert _count(Assignment) == 1 and _count(Enrollment) == 4
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã giao khoá học; 4 người được ghi danh mới" in page, page[page.find("Đã giao") :][:200]


def test_the_unit_must_be_chosen(client, auth, tree):
    auth.login(tree["city_hr"])
    page = client.get("/reports/assignments").get_data(as_text=True)
    assert '<option selected value="">— Chọn đơn vị —</option>' in page
    data = {"unit": "", "course": tree["course"].id, "due_date": "2030-06-30", **CONFIRM}
    response = client.post("/reports/assignments", data=data)
    assert response.status_code == 400
    assert "Hãy chọn đơn vị được giao." in response.get_data(as_text=True)
    assert _count(Assignment) == 0


def _city_mandate(client, auth, tree):
    auth.login(tree["city_hr"])
    assert _post_assignment(client, tree["city"], tree["course"], CONFIRM).status_code == 302
    auth.logout()
    return db.session.scalar(select(Assignment))


def test_ward_hr_cannot_cancel_a_city_wide_mandate_but_the_city_hr_can(client, auth, tree):
    mandate = _city_mandate(client, auth, tree)
    auth.login(tree["ward_hr"])
    listing = client.get("/reports/assignments").get_data(as_text=True)
    assert "Chuyển đổi số" in listing and "Do cấp trên giao" in listing
    assert f"/reports/assignments/{mandate.id}/delete" not in listing
    for response in (
        client.get(f"/reports/assignments/{mandate.id}/delete"),
        client.post(f"/reports/assignments/{mandate.id}/delete"),
    ):
        assert response.status_code == 403
        assert "do cấp trên giao" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Assignment, mandate.id) is not None
    auth.logout()
    auth.login(tree["city_hr"])
    assert client.post(f"/reports/assignments/{mandate.id}/delete").status_code == 302
    db.session.expire_all()
    cancelled = db.session.get(Assignment, mandate.id)  # kept for history, binding nobody
    assert cancelled.cancelled_at is not None and cancelled.cancelled_by_id == tree["city_hr"].id


def test_ward_hr_cannot_change_what_the_city_assigned_to_the_ward(client, auth, tree):
    """A mandate the city set on the ward itself: the ward HR may neither re-date nor cancel it."""
    auth.login(tree["city_hr"])
    _post_assignment(client, tree["ward"], tree["course"], CONFIRM, due="2030-06-30")
    auth.logout()
    mandate = db.session.scalar(select(Assignment))
    auth.login(tree["ward_hr"])
    redate = _post_assignment(client, tree["ward"], tree["course"], CONFIRM, due="2031-01-31")
    assert redate.status_code == 403
    assert client.post(f"/reports/assignments/{mandate.id}/delete").status_code == 403
    db.session.expire_all()
    assert db.session.get(Assignment, mandate.id).due_at.year == 2030


def test_another_wards_mandate_stays_unknown(client, auth, tree, make_user):
    auth.login(tree["city_hr"])
    _post_assignment(client, tree["other"], tree["course"], CONFIRM)
    auth.logout()
    mandate = db.session.scalar(select(Assignment))
    auth.login(tree["ward_hr"])
    assert client.get(f"/reports/assignments/{mandate.id}/delete").status_code == 404
    assert "Phường B" not in client.get("/reports/assignments").get_data(as_text=True)


def test_cancelling_asks_first_and_a_get_changes_nothing(client, auth, tree):
    auth.login(tree["ward_hr"])
    _post_assignment(client, tree["ward"], tree["course"], CONFIRM)
    mandate = db.session.scalar(select(Assignment))
    listing = client.get("/reports/assignments").get_data(as_text=True)
    assert f'href="/reports/assignments/{mandate.id}/delete"' in listing
    page = client.get(f"/reports/assignments/{mandate.id}/delete")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Bạn chắc chắn" in text and 'method="post"' in text
    db.session.expire_all()
    assert _count(Assignment) == 1
    response = client.post(f"/reports/assignments/{mandate.id}/delete")
    assert response.status_code == 302 and _count(Assignment) == 1  # the row stays, cancelled
    db.session.expire_all()
    assert not db.session.get(Assignment, mandate.id).is_active
    assert _count(Enrollment) == 4  # the learners keep their enrolments
