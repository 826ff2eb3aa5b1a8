"""HR's weekly digest: the overdue people of the units each HR person looks after.

Sent once per ISO week (the first run of the week; Monday with a daily schedule) to every active
person with the HR role whose units (their unit and the units below it; everything for an admin)
have someone overdue. The notification and the mail share the key "digest:<hr user>:<year>-W<week>".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from flask_babel import force_locale, ngettext
from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import aliased

from academy.auth.models import Unit, User, UserRole
from academy.auth.units import unit_directory
from academy.catalog.models import Course
from academy.database import UTCDateTime, db
from academy.i18n import academy_zone
from academy.learning.counting import counted_person, mandatory
from academy.learning.models import Enrollment
from academy.mail import queue_mail
from academy.notify.services import claim_notifications, existing_keys, public_url, site_path

DIGEST_ROWS = 50  # overdue enrolments listed in one digest; the rest are counted


@dataclass
class Digest:
    hr_id: int
    people: int = 0
    enrolments: int = 0
    rows: list[dict] = field(default_factory=list)


def digest_key(hr_id: int, today: date) -> str:
    year, week, _day = today.isocalendar()
    return f"digest:{hr_id}:{year}-W{week:02d}"


def _hr_scopes():
    """(hr_id, prefix): each active HR person and the unit path their units start with ("/" for
    an admin: every unit). HR without a unit sees nothing and gets no digest."""
    admin_role = aliased(UserRole)
    is_admin = exists().where(admin_role.user_id == User.id, admin_role.role == "admin")
    return (
        select(
            User.id.label("hr_id"),
            case((is_admin, literal("/")), else_=Unit.path).label("prefix"),
        )
        .join(UserRole, and_(UserRole.user_id == User.id, UserRole.role == "hr"))
        .outerjoin(Unit, Unit.id == User.unit_id)
        .where(User.is_active.is_(True), or_(is_admin, Unit.id.is_not(None)))
        .subquery("hr_scope")
    )


def _overdue_in(scope, before: datetime, *columns):
    """``columns`` over (HR person × their units' open mandatory enrolments due before
    ``before``), for active people."""
    return (
        select(*columns)
        .select_from(scope)
        .join(Unit, Unit.path.startswith(scope.c.prefix))
        .join(User, User.unit_id == Unit.id)
        .join(Enrollment, Enrollment.user_id == User.id)
        .where(
            counted_person(),
            mandatory(),
            Enrollment.completed_at.is_(None),
            Enrollment.due_at < literal(before, UTCDateTime),
        )
    )


def find_digests(today: date) -> dict[int, Digest]:
    """Every HR person's digest for ``today`` (those with nobody overdue are left out): two
    queries, the counts and the ``DIGEST_ROWS`` most overdue enrolments per person."""
    before = datetime.combine(today, time.min, academy_zone())
    scope = _hr_scopes()
    counts = _overdue_in(
        scope,
        before,
        scope.c.hr_id,
        func.count(func.distinct(User.id)),
        func.count(Enrollment.id),
    ).group_by(scope.c.hr_id)
    digests = {
        hr_id: Digest(hr_id, people, enrolments)
        for hr_id, people, enrolments in db.session.execute(counts)
    }
    if not digests:
        return {}
    rank = func.row_number().over(
        partition_by=scope.c.hr_id, order_by=(Enrollment.due_at, Enrollment.id)
    )
    ranked = (
        _overdue_in(
            scope,
            before,
            scope.c.hr_id,
            User.full_name,
            User.unit_id,
            Course.title,
            Enrollment.due_at,
            rank.label("rank"),
        )
        .join(Course, Course.id == Enrollment.course_id)
        .subquery()
    )
    units = unit_directory()
    rows = select(ranked).where(ranked.c.rank <= DIGEST_ROWS).order_by(ranked.c.hr_id, "rank")
    for row in db.session.execute(rows):
        unit = units.get(row.unit_id)
        due_day = row.due_at.astimezone(academy_zone()).date()
        digests[row.hr_id].rows.append(
            {
                "name": row.full_name,
                "unit_code": unit.code if unit else "",
                "unit_path": unit.full_name if unit else "",
                "course": row.title,
                "due_date": due_day,
                "days": (today - due_day).days,
            }
        )
    return digests


def send_hr_digests(today: date, batch_size: int) -> int:
    """Store and mail this week's digests not sent yet; commits; returns how many were stored."""
    digests = find_digests(today)
    if not digests:
        return 0
    keys = {hr_id: digest_key(hr_id, today) for hr_id in digests}
    done = existing_keys(list(keys.values()))
    todo = [hr_id for hr_id, key in keys.items() if key not in done]
    stored = 0
    for start in range(0, len(todo), batch_size):
        people = db.session.scalars(
            select(User).where(User.id.in_(todo[start : start + batch_size]))
        )
        recipients = {person.id: person for person in people}
        won = claim_notifications(
            [_notification(recipients[i], digests[i], keys[i]) for i in recipients]
        )
        for hr_id, person in recipients.items():
            if keys[hr_id] in won and person.wants_reminders:
                _queue(person, digests[hr_id], keys[hr_id])
        db.session.commit()
        stored += len(won)
    return stored


def _notification(person: User, digest: Digest, key: str) -> dict:
    with force_locale(person.locale or "vi"):
        title = ngettext(
            "%(num)s người trong đơn vị của bạn đã quá hạn khoá học bắt buộc",
            "%(num)s người trong đơn vị của bạn đã quá hạn khoá học bắt buộc",
            digest.people,
        )
        body = ngettext(
            "%(num)s khoá học bắt buộc chưa hoàn thành đã quá hạn. Bản tổng hợp hằng tuần.",
            "%(num)s khoá học bắt buộc chưa hoàn thành đã quá hạn. Bản tổng hợp hằng tuần.",
            digest.enrolments,
        )
    return {
        "user_id": person.id,
        "kind": "reminder.digest",
        "title": title,
        "body": body,
        "link": site_path("reports.warnings", band="overdue"),
        "dedupe_key": key,
    }


def _queue(person: User, digest: Digest, key: str) -> None:
    queue_mail(
        person.email,
        "hr_digest",
        locale=person.locale or "vi",
        kind="reminder.digest",
        user_id=person.id,
        dedupe_key=key,
        recipient_name=person.full_name,
        people=digest.people,
        enrolments=digest.enrolments,
        rows=digest.rows,
        more=digest.enrolments - len(digest.rows),
        action_url=public_url("reports.warnings", band="overdue"),
        preferences_url=public_url("notify.preferences"),
    )
