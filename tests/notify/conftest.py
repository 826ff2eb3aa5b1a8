"""Planted mandatory enrolments around one fixed moment: Monday 4 March 2030, 07:00 in Hà Nội.

Phường Bến Nghé (BN) ─ Chi bộ 1 (BN-1)         Phường Đa Kao (DK)
  hr_bn (HR of BN)                                 khac (overdue 3 days)
  due7 (due in 7 days), due3 (in 3 days), due1 (tomorrow), today (due today),
  over1 (overdue 1 day), over8 (overdue 8 days; in BN-1), done (completed), voluntary (self-
  enrolled, due tomorrow), cancelled (the mandate was cancelled), gone (deactivated, due tomorrow),
  due8 (in 8 days)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest

from academy.auth.models import User
from academy.database import db
from academy.i18n import academy_zone
from academy.learning.models import Assignment, Enrollment
from academy.mail import OutboxMessage
from academy.notify.models import Notification
from academy.reports.assignments import cancel_assignment
from academy.reports.services import due_datetime

TODAY = date(2030, 3, 4)  # a Monday (ISO week 2030-W10)


@dataclass
class Planted:
    now: datetime
    people: dict[str, User]
    enrolments: dict[str, Enrollment]
    course: object
    hr: User

    def enrolment_id(self, name: str) -> int:
        return self.enrolments[name].id


def local_moment(day: date, hour: int = 7) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=academy_zone())


@pytest.fixture
def planted(app, make_unit, make_user, make_course) -> Planted:
    ben_nghe = make_unit("Phường Bến Nghé", kind="ward", code="BN")
    cell = make_unit("Chi bộ 1", parent=ben_nghe, kind="cell", code="BN-1")
    da_kao = make_unit("Phường Đa Kao", kind="ward", code="DK")
    course = make_course(title="Chuyển đổi số", slug="chuyen-doi-so")
    other = make_course(title="Lý luận chính trị", slug="ly-luan")
    mandate = Assignment(course_id=course.id, unit_id=ben_nghe.id, due_at=due_datetime(TODAY))
    mandate_dk = Assignment(course_id=course.id, unit_id=da_kao.id, due_at=due_datetime(TODAY))
    to_cancel = Assignment(course_id=other.id, unit_id=ben_nghe.id, due_at=due_datetime(TODAY))
    db.session.add_all([mandate, mandate_dk, to_cancel])
    db.session.commit()
    hr = make_user(full_name="Phạm Thu Hà", roles=("hr",), unit=ben_nghe, employee_code="HR-BN")
    specs = {  # name: (unit, days until due, bound to, completed)
        "due7": (ben_nghe, 7, mandate, False),
        "due3": (ben_nghe, 3, mandate, False),
        "due1": (ben_nghe, 1, mandate, False),
        "today": (ben_nghe, 0, mandate, False),
        "over1": (ben_nghe, -1, mandate, False),
        "over8": (cell, -8, mandate, False),
        "done": (ben_nghe, -3, mandate, True),
        "voluntary": (ben_nghe, 1, None, False),
        "cancelled": (ben_nghe, 1, to_cancel, False),
        "gone": (ben_nghe, 1, mandate, False),
        "due8": (ben_nghe, 8, mandate, False),
        "khac": (da_kao, -3, mandate_dk, False),
    }
    people, enrolments = {}, {}
    for name, (unit, days, bound, completed) in specs.items():
        person = User(email=f"{name}@hvs.gov.vn", full_name=f"Cán bộ {name}", unit_id=unit.id)
        person.roles = ["learner"]  # no password: nobody signs in as them here (and it is quick)
        db.session.add(person)
        db.session.flush()
        enrolment = Enrollment(
            user_id=person.id,
            course_id=(bound.course_id if bound else course.id),
            source="assigned" if bound else "self",
            assignment_id=bound.id if bound else None,
            due_at=due_datetime(TODAY + timedelta(days=days)),
            completed_at=local_moment(TODAY - timedelta(days=1)) if completed else None,
        )
        db.session.add(enrolment)
        people[name], enrolments[name] = person, enrolment
    people["gone"].is_active = False
    db.session.commit()
    cancel_assignment(to_cancel)
    db.session.commit()
    return Planted(local_moment(TODAY), people, enrolments, course, hr)


def notification_keys() -> set[str]:
    return set(db.session.scalars(db.select(Notification.dedupe_key)))


def outbox_keys() -> set[str]:
    return set(db.session.scalars(db.select(OutboxMessage.dedupe_key)))


def outbox_count() -> int:
    return db.session.scalar(db.select(db.func.count(OutboxMessage.id)))
