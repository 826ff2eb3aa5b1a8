"""Unit targets (OKR/KPI): progress now, a projection to the due day from the pace so far, the
status HR reads, the child units' progress, the targets page and the dashboard card."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event, select

from academy.auth.models import User
from academy.certificates.models import Certificate
from academy.core.audit import AuditEvent
from academy.database import db
from academy.learning.models import Assignment, Enrollment
from academy.training import targets
from academy.training.models import (
    Attendance,
    ExternalTraining,
    SessionInvite,
    TrainingSession,
    UnitTarget,
)

# 2 July 2026, noon in Hà Nội: half of 2026 has gone by (a pace to 31/12 doubles).
NOW = datetime(2026, 7, 2, 5, 0, tzinfo=UTC)
MARCH = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)
LAST_YEAR = datetime(2025, 6, 1, 3, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    monkeypatch.setattr(targets, "utcnow", lambda: NOW)


@pytest.fixture
def city(make_unit):
    return make_unit("Thành phố", kind="city")


@pytest.fixture
def course(make_course):
    return make_course(title="Chuyển đổi số trong cơ quan nhà nước", track="data")


def people(unit, n, active=True):
    made = []
    for _ in range(n):
        number = len(db.session.scalars(select(User.id)).all()) + 1
        user = User(email=f"cb{number}-{unit.code}@hvs.gov.vn", full_name="Trần Văn An", unit=unit)
        user.is_active = active
        db.session.add(user)
        made.append(user)
    db.session.flush()
    return made


def mandate(course, unit, created_at=LAST_YEAR):
    assignment = Assignment(course_id=course.id, unit_id=unit.id, created_at=created_at)
    db.session.add(assignment)
    db.session.flush()
    return assignment


def enrol(assignment, users, completed_at=None):
    for user in users:
        db.session.add(
            Enrollment(
                user_id=user.id,
                course_id=assignment.course_id,
                assignment_id=assignment.id,
                source="assigned",
                enrolled_at=assignment.created_at,
                completed_at=completed_at,
            )
        )
    db.session.flush()


def target(unit, kind="course_completion", goal=0.9, due=date(2026, 12, 31), **extra):
    row = UnitTarget(unit_id=unit.id, year=2026, kind=kind, target=goal, due_on=due, **extra)
    db.session.add(row)
    db.session.commit()
    return row


def report_of(row, unit):
    reports = targets.unit_reports(unit, 2026, children=True)
    return next(r for r in reports if r.target.id == row.id)


def completion_unit(make_unit, parent, course, done, total=10, name=None):
    unit = make_unit(name, parent=parent, kind="ward")
    assignment = mandate(course, unit)
    crowd = people(unit, total)
    enrol(assignment, crowd[:done], completed_at=MARCH)
    enrol(assignment, crowd[done:])
    return unit


def test_slow_pace_is_behind_and_fast_pace_on_track(make_unit, city, course):
    slow = completion_unit(make_unit, city, course, done=3)
    fast = completion_unit(make_unit, city, course, done=5)
    slow_report = report_of(target(slow, course_id=course.id), slow).unit
    fast_report = report_of(target(fast, course_id=course.id), fast).unit

    assert slow_report.current == pytest.approx(0.3)
    assert slow_report.projection == pytest.approx(0.6, abs=0.01)  # 30% in half a year → 60%
    assert slow_report.status == "behind"
    assert fast_report.projection == pytest.approx(1.0)  # 50% in half a year → 100% (capped)
    assert fast_report.status == "on_track"


def test_pace_counts_from_the_mandate_and_from_the_share_at_the_start(make_unit, city, course):
    ward = make_unit(parent=city, kind="ward")
    crowd = people(ward, 10)
    # mandated on 1 April; 4 had completed it before (last year), 2 more since
    assignment = mandate(course, ward, created_at=datetime(2026, 3, 31, 17, 0, tzinfo=UTC))
    enrol(assignment, crowd[:4], completed_at=LAST_YEAR)
    enrol(assignment, crowd[4:6], completed_at=datetime(2026, 5, 1, 3, 0, tzinfo=UTC))
    enrol(assignment, crowd[6:])
    progress = report_of(target(ward, course_id=course.id, goal=0.8), ward).unit

    # 40% at the start, 60% now after 92 of 275 days: 40% + 20% × 275/92 ≈ 99.8%
    assert progress.current == pytest.approx(0.6)
    assert progress.projection == pytest.approx(0.4 + 0.2 * 275 / 92.5, abs=0.01)
    assert progress.status == "on_track"


def test_already_met_and_overdue(make_unit, city, course):
    met = completion_unit(make_unit, city, course, done=9)
    late = completion_unit(make_unit, city, course, done=5)
    # a completion after the due day (30 June) does not count for a target due then
    late_mandate = db.session.scalars(select(Assignment).where(Assignment.unit_id == late.id)).one()
    enrol(late_mandate, people(late, 1), completed_at=datetime(2026, 7, 1, 3, 0, tzinfo=UTC))
    met_report = report_of(target(met, course_id=course.id), met).unit
    late_row = target(late, course_id=course.id, goal=0.6, due=date(2026, 6, 30))
    late_report = report_of(late_row, late).unit

    assert met_report.status == "met"
    assert late_report.current == pytest.approx(5 / 11)
    assert late_report.status == "overdue"


def test_subtree_counts_people_where_they_are_now_and_active_only(make_unit, city, course):
    ward = make_unit("Phường Bến Nghé", parent=city, kind="ward")
    cell = make_unit("Chi bộ Khu phố 1", parent=ward, kind="cell")
    other = make_unit("Phường Đa Kao", parent=city, kind="ward")
    assignment = mandate(course, city)
    enrol(assignment, people(ward, 2), completed_at=MARCH)
    enrol(assignment, people(cell, 2), completed_at=MARCH)
    enrol(assignment, people(cell, 4))
    enrol(assignment, people(other, 2))
    enrol(assignment, people(other, 3, active=False), completed_at=MARCH)  # left: not counted
    report = report_of(target(city, course_id=course.id, goal=0.5), city)

    assert report.unit.people == 10 and report.unit.current == pytest.approx(4 / 10)
    rows = {info.id: progress for info, progress in report.children}
    assert set(rows) == {ward.id, other.id}  # direct children only; the cell counts in its ward
    assert rows[ward.id].people == 8 and rows[ward.id].current == pytest.approx(0.5)
    assert rows[ward.id].status == "met"
    assert rows[other.id].current == 0 and rows[other.id].status == "behind"


def test_the_people_count_only_the_course_mandated(make_unit, city, course):
    assert report_of(target(city, course_id=course.id), city).unit.status == "no_data"


def test_average_hours_projection(make_unit, city):
    ward = make_unit(parent=city, kind="ward")
    first, second = people(ward, 2)
    db.session.add(
        ExternalTraining(
            user_id=first.id, title="Lớp bồi dưỡng", hours=20, completed_on=date(2026, 3, 5)
        )
    )
    progress = report_of(target(ward, kind="average_hours", goal=40), ward).unit

    assert progress.current == pytest.approx(10)  # 20 hours over 2 people
    assert progress.projection == pytest.approx(20, abs=0.2)  # half a year gone
    assert progress.status == "behind"


def test_attendance_rate_is_the_rate_so_far(make_unit, city, make_user):
    ward = make_unit(parent=city, kind="ward")
    first, second = people(ward, 2)
    session = TrainingSession(
        title="Hội nghị chuyên đề",
        starts_at=datetime(2026, 5, 4, 1, 0, tzinfo=UTC),
        ends_at=datetime(2026, 5, 4, 4, 0, tzinfo=UTC),
        hours=3,
        secret="x" * 32,
    )
    db.session.add(session)
    db.session.flush()
    db.session.add(SessionInvite(session_id=session.id, unit_id=ward.id))
    db.session.add(Attendance(session_id=session.id, user_id=first.id, method="manual"))
    progress = report_of(target(ward, kind="attendance_rate", goal=0.85), ward).unit

    assert progress.current == pytest.approx(0.5)
    assert progress.projection == pytest.approx(0.5)
    assert progress.status == "behind"


def test_share_certified_on_a_track(make_unit, city, make_course):
    ward = make_unit(parent=city, kind="ward")
    ai_course = make_course(track="ai")
    holder, revoked, _ = people(ward, 3)
    for n, (user, gone) in enumerate(((holder, None), (revoked, MARCH))):
        db.session.add(
            Certificate(
                serial=f"HVS-2026-{n:06d}",
                verify_code=f"code-{n}",
                user_id=user.id,
                course_id=ai_course.id,
                issued_at=datetime(2026, 2, 1, 3, 0, tzinfo=UTC),
                revoked_at=gone,
            )
        )
    progress = report_of(target(ward, kind="track_certified", track="ai", goal=0.5), ward).unit

    assert progress.current == pytest.approx(1 / 3)
    assert progress.status == "on_track"  # 1/3 in half a year → 2/3 by the end


# ---- pages --------------------------------------------------------------------------------


@pytest.fixture
def ward_hr(make_unit, make_user, city):
    ward = make_unit("Phường Bến Nghé", parent=city, kind="ward")
    return make_user(roles=("hr",), unit=ward)


def test_hr_sets_a_target_and_sees_it_with_the_child_units(
    client, auth, ward_hr, make_unit, course
):
    ward = ward_hr.unit
    cell = make_unit("Khu phố 1", parent=ward, kind="cell")
    enrol(mandate(course, ward), people(cell, 4), completed_at=MARCH)
    db.session.commit()
    auth.login(ward_hr)
    form = {
        "kind": "course_completion",
        "course": course.id,
        "track": "",
        "target": "90",
        "due_on": "2026-06-30",
    }
    answer = client.post(f"/targets/new?unit={ward.id}&year=2026", data=form)

    assert answer.status_code == 302
    stored = db.session.scalars(select(UnitTarget)).one()
    assert stored.target == pytest.approx(0.9) and stored.created_by_id == ward_hr.id
    assert db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.like("target.%"))
    ).all() == ["target.save"]
    page = client.get(f"/targets?unit={ward.id}&year=2026").get_data(as_text=True)
    assert "Chuyển đổi số trong cơ quan nhà nước" in page and "Khu phố 1" in page
    assert "Đã đạt" in page  # 4 of 4 people in the cell completed
    again = client.post(f"/targets/new?unit={ward.id}&year=2026", data=form)
    assert again.status_code == 400 and db.session.scalars(select(UnitTarget)).all() == [stored]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"target": "0"}, "Tỉ lệ phải từ 1% đến 100%."),
        ({"target": "120"}, "Tỉ lệ phải từ 1% đến 100%."),
        ({"due_on": "2027-01-15"}, "Hạn đạt phải nằm trong năm 2026."),
        ({"kind": "average_hours", "target": "0"}, "Số giờ phải lớn hơn 0"),
        ({"kind": "track_certified"}, "Hãy chọn chuyên đề."),
        ({"course": ""}, "Hãy chọn khoá học."),
    ],
)
def test_form_refuses_a_wrong_target(client, auth, ward_hr, course, change, message):
    mandate(course, ward_hr.unit)
    db.session.commit()
    auth.login(ward_hr)
    form = {
        "kind": "course_completion",
        "course": course.id,
        "track": "",
        "target": "90",
        "due_on": "2026-06-30",
        **change,
    }
    answer = client.post(f"/targets/new?unit={ward_hr.unit.id}&year=2026", data=form)

    assert answer.status_code == 400
    assert message in answer.get_data(as_text=True)
    assert db.session.scalars(select(UnitTarget)).all() == []


def test_course_must_be_mandatory_for_the_unit(client, auth, ward_hr, course, make_unit):
    elsewhere = make_unit(parent=ward_hr.unit.parent)
    mandate(course, elsewhere)  # mandatory for another ward only
    db.session.commit()
    auth.login(ward_hr)
    form = {
        "kind": "course_completion",
        "course": course.id,
        "target": "90",
        "due_on": "2026-06-30",
    }
    answer = client.post(f"/targets/new?unit={ward_hr.unit.id}&year=2026", data=form)

    assert answer.status_code == 400
    assert db.session.scalars(select(UnitTarget)).all() == []


def test_edit_and_delete_with_confirmation_are_audited(client, auth, ward_hr):
    row = target(ward_hr.unit, kind="average_hours", goal=40)
    row.created_by_id = ward_hr.id
    db.session.commit()
    auth.login(ward_hr)
    form = {"kind": "average_hours", "target": "32", "due_on": "2026-12-31"}
    assert client.get(f"/targets/{row.id}/edit").status_code == 200
    assert client.post(f"/targets/{row.id}/edit", data=form).status_code == 302
    assert db.session.get(UnitTarget, row.id).target == 32

    confirm = client.get(f"/targets/{row.id}/delete")
    assert confirm.status_code == 200 and "Bạn chắc chắn" in confirm.get_data(as_text=True)
    assert db.session.get(UnitTarget, row.id) is not None
    assert client.post(f"/targets/{row.id}/delete").status_code == 302
    assert db.session.get(UnitTarget, row.id) is None
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.like("target.%")).order_by(AuditEvent.id)
    ).all()
    assert actions == ["target.save", "target.delete"]


def test_hr_of_another_ward_gets_404(client, auth, ward_hr, make_unit, city):
    other = make_unit("Phường Đa Kao", parent=city, kind="ward")
    row = target(other, kind="average_hours", goal=40)
    auth.login(ward_hr)

    assert client.get(f"/targets?unit={other.id}&year=2026").status_code == 404
    assert client.get(f"/targets/new?unit={other.id}&year=2026").status_code == 404
    assert client.get(f"/targets/{row.id}/edit").status_code == 404
    assert client.post(f"/targets/{row.id}/delete").status_code == 404
    assert db.session.get(UnitTarget, row.id) is not None


def test_ward_hr_cannot_change_what_the_city_set(client, auth, ward_hr, make_user, city):
    city_hr = make_user(roles=("hr",), unit=city)
    row = target(ward_hr.unit, kind="average_hours", goal=40)
    row.created_by_id = city_hr.id
    db.session.commit()
    auth.login(ward_hr)

    assert client.get(f"/targets?unit={ward_hr.unit.id}&year=2026").status_code == 200
    assert client.post(f"/targets/{row.id}/delete").status_code == 403


def test_dashboard_shows_the_targets_card(client, auth, ward_hr, course):
    ward = ward_hr.unit
    assignment = mandate(course, ward)
    enrol(assignment, people(ward, 2), completed_at=MARCH)
    enrol(assignment, people(ward, 8))
    target(ward, course_id=course.id)
    auth.login(ward_hr)
    page = client.get("/dashboard").get_data(as_text=True)

    assert "Chỉ tiêu năm 2026" in page
    assert "khoá “Chuyển đổi số trong cơ quan nhà nước”" in page
    assert "Chậm tiến độ" in page  # 20% by July: 40% by the end of the year, target 90%
    assert f"/targets?unit={ward.id}&amp;year=2026" in page


def test_child_units_cost_no_extra_queries(make_unit, city, course):
    assignment = mandate(course, city)
    target(city, course_id=course.id)
    target(city, kind="average_hours", goal=40)
    target(city, kind="track_certified", track="ai", goal=0.5)

    def statements():
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731 - a one-line counter
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            targets.unit_reports(city, 2026, children=True)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    enrol(assignment, people(make_unit(parent=city, kind="ward"), 2))
    db.session.commit()
    few = statements()
    for _ in range(5):
        ward = make_unit(parent=city, kind="ward")
        enrol(assignment, people(make_unit(parent=ward, kind="cell"), 3), completed_at=MARCH)
    db.session.commit()

    assert statements() == few
