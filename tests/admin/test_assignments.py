"""Assignments enrol everyone in the subtree, now and later (import, edit, unit move)."""

from __future__ import annotations

import io

from sqlalchemy import select

from academy.auth.models import User
from academy.database import db, utcnow
from academy.learning.models import Assignment, Enrollment, ModuleResult
from academy.reports.assignments import assign_course


def _enrolment(user, course):
    return db.session.scalar(
        select(Enrollment).where(Enrollment.user_id == user.id, Enrollment.course_id == course.id)
    )


def _assign(client, unit, course, due="2030-06-30"):
    return client.post(
        "/reports/assignments",
        data={"unit": unit.id, "course": course.id, "due_date": due, "confirm": "Xác nhận giao"},
    )


def test_assignment_enrols_present_and_future_members(
    client, auth, make_unit, make_user, make_course
):
    city = make_unit("Thành phố", code="CITY")
    ward = make_unit("Phường A", parent=city, code="PA")
    cell = make_unit("Chi bộ A1", parent=ward, code="PA1")
    other = make_unit("Phường B", parent=city, code="PB")
    in_ward, in_cell, outside = make_user(unit=ward), make_user(unit=cell), make_user(unit=other)
    self_enrolled = make_user(unit=cell)
    course = make_course()
    db.session.add(Enrollment(user_id=self_enrolled.id, course_id=course.id, source="self"))
    db.session.commit()
    auth.login(make_user(roles=("hr",), unit=ward))
    assert _assign(client, ward, course).status_code == 302
    for person in (in_ward, in_cell):
        enrolment = _enrolment(person, course)
        assert enrolment.source == "assigned" and enrolment.due_at.year == 2030
    assert _enrolment(outside, course) is None
    assert _enrolment(self_enrolled, course).source == "assigned"  # now mandatory, one row
    assert (
        _assign(client, ward, course).status_code == 302
    )  # twice: still one assignment, one row each
    assert len(db.session.scalars(select(Assignment)).all()) == 1
    # someone added later through the import joins the course
    auth.logout()
    auth.login(make_user(roles=("admin",), unit=city))
    data = "Mã cán bộ,Họ và tên,Email,Mã đơn vị\nNEW1,Người Mới,moi@hvs.gov.vn,PA1\n".encode()
    client.post(
        "/admin/users/import",
        data={"file": (io.BytesIO(data), "f.csv"), "apply": "Nhập"},
        content_type="multipart/form-data",
    )

    newcomer = db.session.scalar(select(User).where(User.employee_code == "NEW1"))
    assert _enrolment(newcomer, course).assignment_id is not None
    # someone moved into the subtree by an admin edit joins too
    client.post(
        f"/admin/users/{outside.id}",
        data={
            "full_name": outside.full_name,
            "email": outside.email,
            "employee_code": outside.employee_code,
            "position": "",
            "unit": ward.id,
            "roles": ["learner"],
            "is_active": "y",
        },
    )
    assert _enrolment(outside, course) is not None


def test_hr_cannot_assign_outside_own_subtree(client, auth, make_unit, make_user, make_course):
    ward, other = make_unit("Phường A", code="PA"), make_unit("Phường B", code="PB")
    member = make_user(unit=other)
    course = make_course()
    auth.login(make_user(roles=("hr",), unit=ward))
    assert _assign(client, other, course).status_code == 400
    assert _enrolment(member, course) is None
    assert "Phường B" not in client.get("/reports/assignments").get_data(as_text=True)


def test_moving_a_unit_enrols_its_people_in_the_new_parents_courses(
    client, auth, make_unit, make_user, make_course
):
    target, loose = make_unit("Phường A", code="PA"), make_unit("Tổ lẻ", code="TL")
    person = make_user(unit=loose)
    course = make_course()
    auth.login(make_user(roles=("admin",)))
    _assign(client, target, course)
    assert _enrolment(person, course) is None
    response = client.post(
        f"/admin/units/{loose.id}",
        data={"code": "TL", "name": "Tổ lẻ", "kind": "cell", "parent": target.id},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert loose.path.startswith(target.path) and _enrolment(person, course) is not None


def test_overdue_assignment_shows_in_report(client, auth, make_unit, make_user, make_course, days):
    """A due date in the past is refused by the form; a mandate whose day has since passed makes
    its open enrolments overdue in the report."""
    ward = make_unit("Phường A", code="PA")
    make_user(unit=ward, full_name="Hoàng Quá Hạn")
    course = make_course()
    auth.login(make_user(roles=("admin",)))
    assert _assign(client, ward, course, due="2020-01-01").status_code == 400
    assert db.session.scalar(select(Assignment)) is None
    assign_course(ward, course, days(-1))  # made earlier, its day now gone
    db.session.commit()
    page = client.get("/reports/completion?status=overdue").get_data(as_text=True)
    assert "Hoàng Quá Hạn" in page


def test_someone_who_already_passed_every_module_completes_when_assigned(
    client, auth, make_unit, make_user, make_course, monkeypatch
):
    """Modules passed by test-out before the assignment count: the assigned course completes at
    once."""
    issued = []
    monkeypatch.setattr(
        "academy.certificates.services.issue_certificate",
        lambda user, course: issued.append((user.id, course.id)),
    )
    ward = make_unit("Phường C", code="PC")
    course = make_course(modules=2)
    ready, halfway = make_user(unit=ward), make_user(unit=ward)
    for person, modules in ((ready, course.modules), (halfway, course.modules[:1])):
        for module in modules:
            db.session.add(
                ModuleResult(
                    user_id=person.id,
                    module_id=module.id,
                    best_score=0.9,
                    attempts_count=1,
                    passed_at=utcnow(),
                    updated_at=utcnow(),
                )
            )
    db.session.commit()
    auth.login(make_user(roles=("hr",), unit=ward))
    assert _assign(client, ward, course).status_code == 302
    db.session.expire_all()
    assert _enrolment(ready, course).completed_at is not None
    assert _enrolment(halfway, course).completed_at is None
    assert issued == [(ready.id, course.id)]
