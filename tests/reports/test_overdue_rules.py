"""Overdue that is right: due dates in the past are refused; relative due dates ("within N days of
joining"); joiners get their own due date; a cancelled mandate leaves every count but stays in
history; a ward's mandate survives the cancel of the city's; a moved person counts where they are
now; a double-submitted confirmation makes one mandate."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from academy.auth.models import UnitMembership, User
from academy.core.audit import AuditEvent
from academy.database import db, utcnow
from academy.learning.models import Assignment, Enrollment, LessonProgress
from academy.reports.assignments import assign_course, local_day, local_today
from academy.reports.services import due_datetime

CONFIRM = {"confirm": "Xác nhận giao"}
PREVIEW = {"preview": "Xem trước"}


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _fixed(client, unit, course, day, step=CONFIRM):
    data = {"unit": unit.id, "course": course.id, "due_kind": "fixed", "due_date": day, **step}
    return client.post("/reports/assignments", data=data)


def _relative(client, unit, course, n, step=CONFIRM):
    data = {"unit": unit.id, "course": course.id, "due_kind": "relative", "due_days": n, **step}
    return client.post("/reports/assignments", data=data)


def _enrolment(user, course) -> Enrollment | None:
    db.session.expire_all()
    return db.session.scalar(
        select(Enrollment).where(Enrollment.user_id == user.id, Enrollment.course_id == course.id)
    )


def _due_day(user, course):
    """The local day a person's enrolment is due (None: no due date)."""
    enrolment = _enrolment(user, course)
    return local_day(enrolment.due_at) if enrolment.due_at else None


def _in_unit_since(user, days_ago: int) -> None:
    """Plant: the person has been in their unit for ``days_ago`` days."""
    db.session.execute(
        update(UnitMembership)
        .where(UnitMembership.user_id == user.id)
        .values(started_at=utcnow() - timedelta(days=days_ago))
    )
    db.session.commit()


def _made_days_ago(assignment_id: int, days_ago: int, due_at=None) -> None:
    """Plant: the mandate was made ``days_ago`` days ago (its enrolments with it); ``due_at`` moves
    its fixed due date and its people's."""
    shift = timedelta(days=days_ago)
    mandate = db.session.get(Assignment, assignment_id)
    mandate.created_at = mandate.created_at - shift
    for enrolment in db.session.scalars(
        select(Enrollment).where(Enrollment.assignment_id == assignment_id)
    ):
        enrolment.enrolled_at -= shift
        if due_at is not None:
            enrolment.due_at = due_at
        elif mandate.due_days:
            enrolment.due_at -= shift
    if due_at is not None:
        mandate.due_at = due_at
    db.session.commit()


def _mandate(unit, course) -> Assignment:
    db.session.expire_all()
    return db.session.scalar(
        select(Assignment).where(Assignment.unit_id == unit.id, Assignment.course_id == course.id)
    )


def _edit(client, person, **changes):
    """The admin's edit form for ``person``, with ``changes`` (unit, is_active)."""
    data = {
        "full_name": person.full_name,
        "email": person.email,
        "employee_code": person.employee_code,
        "position": person.position or "",
        "unit": person.unit_id,
        "roles": ["learner"],
        "is_active": "y",
    }
    data.update(changes)
    data = {key: value for key, value in data.items() if value is not None}
    response = client.post(f"/admin/users/{person.id}", data=data)
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]


def _overdue_total(client, **args) -> int:
    page = client.get("/reports/completion", query_string=args).get_data(as_text=True)
    return int(re.search(r'data-total="overdue">([\d.,]+)<', page).group(1).replace(".", ""))


@pytest.fixture
def town(make_unit, make_user, make_course):
    """City › ward A (cell A1) and ward B; two people long in ward A, one in cell A1, one in B, one
    deactivated in A; HR of the city, an admin."""
    city = make_unit("Thành phố", kind="city", code="TP")
    ward_a = make_unit("Phường A", parent=city, kind="ward", code="PA")
    cell = make_unit("Chi bộ A1", parent=ward_a, kind="cell", code="PA-1")
    ward_b = make_unit("Phường B", parent=city, kind="ward", code="PB")
    people = {
        "an": make_user(unit=ward_a, full_name="Nguyễn Văn An"),
        "binh": make_user(unit=ward_a, full_name="Trần Thị Bình"),
        "chi": make_user(unit=cell, full_name="Lê Thị Chi"),
        "dung": make_user(unit=ward_b, full_name="Phạm Văn Dũng"),
        "gone": make_user(unit=ward_a, full_name="Hồ Văn Nghỉ"),
    }
    people["gone"].is_active = False
    db.session.commit()
    for person in people.values():
        _in_unit_since(person, 100)
    return {
        "city": city,
        "ward_a": ward_a,
        "cell": cell,
        "ward_b": ward_b,
        "course": make_course(title="Chuyển đổi số"),
        "other_course": make_course(title="An toàn thông tin"),
        "hr": make_user(roles=("hr",), unit=city, full_name="Tổ Chức Thành Phố"),
        "admin": make_user(roles=("admin",), unit=city, full_name="Quản Trị"),
        **people,
    }


def test_a_due_date_in_the_past_is_refused_today_is_allowed(client, auth, town):
    auth.login(town["hr"])
    yesterday = (local_today() - timedelta(days=1)).isoformat()
    for step in (PREVIEW, CONFIRM):
        response = _fixed(client, town["ward_a"], town["course"], yesterday, step)
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "Hạn hoàn thành đã qua: hãy chọn từ hôm nay" in page
        assert local_today().strftime("%d/%m/%Y") in page
    for bad in ("0", "731", "mười"):
        assert _relative(client, town["ward_a"], town["course"], bad).status_code == 400
    missing = _relative(client, town["ward_a"], town["course"], "")
    assert "Hãy nhập số ngày kể từ khi vào đơn vị." in missing.get_data(as_text=True)
    assert _fixed(client, town["ward_a"], town["course"], "").status_code == 400
    assert _count(Assignment) == 0 and _count(Enrollment) == 0
    today = local_today().isoformat()
    assert _fixed(client, town["ward_a"], town["course"], today).status_code == 302
    assert _due_day(town["an"], town["course"]) == local_today()
    assert _enrolment(town["gone"], town["course"]) is None  # deactivated: never enrolled


def test_relative_due_date_for_present_members_a_joiner_and_a_re_dating(
    client, auth, town, make_user
):
    """In ward A "within 60 days of joining", made 20 days ago: those there since then have 40 days
    left; someone moved in today has 60. Re-dated to 90 days, each keeps their own join day."""
    auth.login(town["hr"])
    preview = _relative(client, town["ward_a"], town["course"], 60, PREVIEW)
    text = preview.get_data(as_text=True)
    assert "Sẽ giao cho 3 người ở 2 đơn vị." in text
    assert "Hạn hoàn thành: Trong 60 ngày kể từ khi vào đơn vị." in text
    later = (local_today() + timedelta(days=60)).strftime("%d/%m/%Y")
    assert f"Người đang ở đơn vị: hạn là hết ngày {later}" in text
    assert _count(Assignment) == 0
    assert _relative(client, town["ward_a"], town["course"], 60).status_code == 302
    mandate = _mandate(town["ward_a"], town["course"])
    assert (mandate.due_days, mandate.due_at) == (60, None)
    assert _due_day(town["an"], town["course"]) == local_today() + timedelta(days=60)
    _made_days_ago(mandate.id, 20)
    assert _due_day(town["chi"], town["course"]) == local_today() + timedelta(days=40)
    auth.logout()
    auth.login(town["admin"])
    _edit(client, town["dung"], unit=town["ward_a"].id)  # moved in today
    assert _due_day(town["dung"], town["course"]) == local_today() + timedelta(days=60)
    _edit(client, town["chi"], unit=town["ward_a"].id)  # cell A1 → ward A: still the same mandate
    assert _due_day(town["chi"], town["course"]) == local_today() + timedelta(days=40)
    listing = client.get("/reports/assignments").get_data(as_text=True)
    assert "Trong 60 ngày kể từ khi vào đơn vị" in listing
    assert _relative(client, town["ward_a"], town["course"], 90).status_code == 302
    assert _due_day(town["an"], town["course"]) == local_today() + timedelta(days=70)
    assert _due_day(town["chi"], town["course"]) == local_today() + timedelta(days=70)
    assert _due_day(town["dung"], town["course"]) == local_today() + timedelta(days=90)
    assert _count(Assignment) == 1
    # a relative mandate becomes a fixed one: every open enrolment gets the day
    day = local_today() + timedelta(days=120)
    assert _fixed(client, town["ward_a"], town["course"], day.isoformat()).status_code == 302
    assert {_due_day(town[p], town["course"]) for p in ("an", "binh", "chi", "dung")} == {day}
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "assignment.save").order_by(AuditEvent.id)
    ).all()[-1]
    assert event.detail["before"] == {"due_date": None, "due_days": 90}
    assert event.detail["after"] == {"due_date": day.strftime("%d/%m/%Y"), "due_days": None}


def test_a_joiner_after_a_fixed_due_date_has_passed_gets_thirty_days(
    client, auth, town, make_unit, app
):
    """The ward's fixed due date was yesterday (set 60 days ago): those there are overdue, but a
    person imported today, one moved in and one reactivated each have 30 days from today."""
    auth.login(town["admin"])
    in_5_days = local_today() + timedelta(days=5)
    assert _fixed(client, town["ward_a"], town["course"], in_5_days.isoformat()).status_code == 302
    assert _due_day(town["an"], town["course"]) == in_5_days  # there already: the day as set
    mandate = _mandate(town["ward_a"], town["course"])
    _made_days_ago(mandate.id, 60, due_at=due_datetime(local_today() - timedelta(days=1)))
    data = "Mã cán bộ,Họ và tên,Email,Mã đơn vị\nNEW1,Người Mới,moi@hvs.gov.vn,PA-1\n".encode()
    client.post(
        "/admin/users/import",
        data={"file": (io.BytesIO(data), "f.csv"), "apply": "Nhập"},
        content_type="multipart/form-data",
    )
    newcomer = db.session.scalar(select(User).where(User.employee_code == "NEW1"))
    thirty = local_today() + timedelta(days=30)
    assert _due_day(newcomer, town["course"]) == thirty
    _edit(client, town["dung"], unit=town["ward_a"].id)
    assert _due_day(town["dung"], town["course"]) == thirty
    _edit(client, town["gone"], is_active="y")  # reactivated: joins again today
    assert _due_day(town["gone"], town["course"]) == thirty
    assert _due_day(town["an"], town["course"]) == local_today() - timedelta(days=1)
    # a later date that leaves a joiner enough time stays theirs; the minimum is a setting
    app.config["ASSIGNMENT_JOINER_MIN_DAYS"] = 45
    far = local_today() + timedelta(days=100)
    assign_course(town["ward_b"], town["other_course"], due_datetime(far))
    assign_course(town["cell"], town["other_course"], due_datetime(in_5_days))
    db.session.commit()
    _made_days_ago(_mandate(town["cell"], town["other_course"]).id, 1)
    _edit(client, town["binh"], unit=town["ward_b"].id)
    assert _due_day(town["binh"], town["other_course"]) == far
    _edit(client, town["binh"], unit=town["cell"].id)
    assert _due_day(town["binh"], town["other_course"]) == local_today() + timedelta(days=45)


def test_a_cancelled_mandate_leaves_the_overdue_count_and_stays_in_history(
    client, auth, town, days
):
    """Ward A's mandate is overdue for its three people; cancelled, they keep their progress, the
    course becomes voluntary for them, the report counts no overdue, and the mandate is listed as
    cancelled, by whom and when. Assigned again later, the same mandate comes back."""
    course = town["course"]
    assign_course(town["ward_a"], course, days(-2), town["hr"])
    lesson = course.modules[0].lessons[0]
    db.session.add(LessonProgress(user_id=town["an"].id, lesson_id=lesson.id))
    db.session.commit()
    mandate = _mandate(town["ward_a"], course)
    auth.login(town["hr"])
    assert _overdue_total(client) == 3
    assert _overdue_total(client, unit=town["ward_a"].id) == 3
    page = client.get(f"/reports/assignments/{mandate.id}/delete").get_data(as_text=True)
    assert "Phường A (PA)" in page and "trở thành tự nguyện" in page
    assert client.post(f"/reports/assignments/{mandate.id}/delete").status_code == 302
    assert _overdue_total(client) == 0
    enrolment = _enrolment(town["an"], course)
    assert (enrolment.assignment_id, enrolment.due_at, enrolment.source) == (None, None, "self")
    assert _count(LessonProgress) == 1  # progress kept
    listing = client.get("/reports/assignments").get_data(as_text=True)
    cancelled = listing[listing.index('data-testid="cancelled-assignments"') :]
    today = local_today().strftime("%d/%m/%Y")
    assert (
        f"Đã huỷ ngày {today} bởi Tổ Chức Thành Phố" in cancelled and "Chuyển đổi số" in cancelled
    )
    active = listing[
        listing.index('data-testid="active-assignments"') : listing.index(
            'data-testid="cancelled-assignments"'
        )
    ]
    assert "Chuyển đổi số" not in active
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "assignment.delete"))
    assert event.detail["before"] == {"active": True} and event.detail["after"] == {"active": False}
    assert client.post(f"/reports/assignments/{mandate.id}/delete").status_code == 302  # no-op
    # assigned again: the same row, active, its people mandatory again with the new day
    day = local_today() + timedelta(days=10)
    assert _fixed(client, town["ward_a"], course, day.isoformat()).status_code == 302
    revived = _mandate(town["ward_a"], course)
    assert revived.id == mandate.id and revived.is_active and revived.cancelled_by_id is None
    assert (
        _due_day(town["an"], course) == day and _enrolment(town["an"], course).source == "assigned"
    )
    assert _count(Assignment) == 1


def test_a_ward_mandate_survives_the_cancel_of_the_city_one(client, auth, town, days):
    """The city's mandate (overdue) and ward A's (60 days from joining) bind ward A's people to the
    earlier; the city's cancelled, ward A's people are bound to the ward's with its due date, ward
    B's become voluntary, and nobody is overdue."""
    course = town["course"]
    assign_course(town["city"], course, days(-1), town["hr"])
    db.session.commit()
    auth.login(town["hr"])
    assert _relative(client, town["ward_a"], course, 60).status_code == 302
    city_mandate, ward_mandate = _mandate(town["city"], course), _mandate(town["ward_a"], course)
    assert _enrolment(town["an"], course).assignment_id == city_mandate.id  # the earlier due date
    assert _overdue_total(client) == 6  # 3 in ward A, 1 in B, the city's HR and admin
    client.post(f"/reports/assignments/{city_mandate.id}/delete")
    listing = client.get("/reports/assignments").get_data(as_text=True)
    assert "trừ 3 người vẫn được một đơn vị khác giao" in listing
    for name in ("an", "binh", "chi"):
        assert _enrolment(town[name], course).assignment_id == ward_mandate.id
        assert _due_day(town[name], course) == local_today() + timedelta(days=60)
    assert _enrolment(town["dung"], course).assignment_id is None
    assert _enrolment(town["dung"], course).due_at is None
    assert _overdue_total(client) == 0


def test_a_moved_person_counts_in_the_new_unit_with_their_history(client, auth, town, days):
    """Bình, overdue on ward A's course, moves to ward B: ward A counts nothing overdue for her,
    ward B's own course binds her with a joiner's due date, and her unit history shows both
    stays."""
    assign_course(town["ward_a"], town["course"], days(-1), town["hr"])
    assign_course(town["ward_b"], town["other_course"], days(50), town["hr"])
    db.session.commit()
    auth.login(town["admin"])
    assert _overdue_total(client, unit=town["ward_a"].id) == 3
    _edit(client, town["binh"], unit=town["ward_b"].id)
    assert _overdue_total(client, unit=town["ward_a"].id) == 2
    assert _overdue_total(client, unit=town["ward_b"].id) == 0
    old = _enrolment(town["binh"], town["course"])
    assert (old.assignment_id, old.due_at, old.source) == (None, None, "self")  # kept, voluntary
    new = _enrolment(town["binh"], town["other_course"])
    assert new.assignment_id == _mandate(town["ward_b"], town["other_course"]).id
    assert local_day(new.due_at) == local_day(days(50))
    in_b = client.get("/reports/completion", query_string={"unit": town["ward_b"].id})
    in_a = client.get("/reports/completion", query_string={"unit": town["ward_a"].id})
    assert "Trần Thị Bình" in in_b.get_data(as_text=True)
    assert "Trần Thị Bình" not in in_a.get_data(as_text=True)
    stays = db.session.execute(
        select(UnitMembership.unit_id, UnitMembership.ended_at)
        .where(UnitMembership.user_id == town["binh"].id)
        .order_by(UnitMembership.started_at)
    ).all()
    assert [unit for unit, _ in stays] == [town["ward_a"].id, town["ward_b"].id]
    assert stays[0].ended_at is not None and stays[1].ended_at is None


def test_a_unit_re_hung_under_another_ward_joins_its_mandates(client, auth, town):
    """Cell A1 moves from ward A to ward B: its people leave ward A's mandate and join ward B's as
    joiners (30 days, since B's day is near)."""
    auth.login(town["hr"])
    soon = local_today() + timedelta(days=3)
    _fixed(client, town["ward_a"], town["course"], soon.isoformat())
    _fixed(client, town["ward_b"], town["other_course"], soon.isoformat())
    auth.logout()
    auth.login(town["admin"])
    cell = town["cell"]
    response = client.post(
        f"/admin/units/{cell.id}",
        data={"code": cell.code, "name": cell.name, "kind": "cell", "parent": town["ward_b"].id},
    )
    assert response.status_code == 302
    assert _enrolment(town["chi"], town["course"]).assignment_id is None
    assert _due_day(town["chi"], town["other_course"]) == local_today() + timedelta(days=30)


def test_double_submitting_the_confirmation_makes_one_mandate(client, auth, town):
    auth.login(town["hr"])
    day = (local_today() + timedelta(days=30)).isoformat()
    first = _fixed(client, town["ward_a"], town["course"], day)
    second = _fixed(client, town["ward_a"], town["course"], day)
    assert first.status_code == second.status_code == 302
    assert _count(Assignment) == 1 and _count(Enrollment) == 3
    saves = select(func.count()).where(AuditEvent.action == "assignment.save")
    assert db.session.scalar(saves) == 1
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "không có gì thay đổi" in page
