"""Reminders of mandatory due dates, and HR's weekly digest of their units' overdue people.

``send_reminders`` (run daily by ``flask reminders send`` from cron or a systemd timer, or by the
RQ scheduler) finds, for the active people's open mandatory enrolments (``reports.counting``):

- due in 7 days or fewer, but more than 1 (local calendar days): once (optional);
- due tomorrow: once (optional);
- overdue (from the day after the due date): then again every 7 days while still open;
- and, once per ISO week, each HR person's digest of the overdue people in their units (optional).

Each reminder is a ``Notification`` (the bell) and an e-mail in the person's language, both under
one ``dedupe_key`` ("reminder:due7:<enrolment>", "reminder:overdue:<enrolment>:<week>",
"digest:<hr user>:<iso week>"). The notification is stored first with INSERT … ON CONFLICT DO
NOTHING, and only the run whose insert wins queues the mail: a job run twice, or two runs at once,
reach each inbox once. Someone who turned reminders off still sees the optional ones in the bell,
without the e-mail; overdue notices always go.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import force_locale, format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy import literal, select

from academy.auth.models import User
from academy.catalog.models import Course
from academy.database import UTCDateTime, db, utcnow
from academy.i18n import academy_zone
from academy.learning.counting import counted_person, mandatory
from academy.learning.models import Enrollment
from academy.mail import queue_mail
from academy.notify.digest import send_hr_digests
from academy.notify.services import claim_notifications, existing_keys, public_url, site_path

BATCH_SIZE = 500  # reminders stored and mailed per transaction
DUE_SOON_DAYS = 7
OPTIONAL_KINDS = ("due7", "due1", "digest")  # a person may turn these e-mails off


@dataclass(frozen=True)
class Reminder:
    """One reminder of one enrolment to its learner."""

    kind: str  # due7 | due1 | overdue
    key: str
    user_id: int
    email: str
    full_name: str
    locale: str
    wants_reminders: bool
    course_title: str
    course_slug: str
    due_day: date
    days: int  # days left (due7, due1) or days overdue

    @property
    def mails(self) -> bool:
        return self.wants_reminders or self.kind not in OPTIONAL_KINDS


def local_today(now: datetime) -> date:
    return now.astimezone(academy_zone()).date()


def day_start(day: date) -> datetime:
    """The first moment of ``day`` in the academy's time zone."""
    return datetime.combine(day, time.min, academy_zone())


def send_reminders(now: datetime | None = None, batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """Send every reminder due at ``now`` that was not sent before; commits batch by batch.

    Returns how many notifications of each kind this run stored (its mails follow them)."""
    now = now or utcnow()
    today = local_today(now)
    sent = {
        "due7": _send(_due_soon(today), batch_size),
        "due1": _send(_due_tomorrow(today), batch_size),
        "overdue": _send(_overdue(today), batch_size),
    }
    sent["digest"] = send_hr_digests(today, batch_size)
    return sent


# ---- selection: one query per kind -----------------------------------------------------------


def _open_mandatory(due_from: date | None, due_before: date):
    """Open mandatory enrolments of active people due on a local day in [due_from, due_before)."""
    query = (
        select(
            Enrollment.id,
            Enrollment.due_at,
            User.id.label("user_id"),
            User.email,
            User.full_name,
            User.locale,
            User.wants_reminders,
            Course.title,
            Course.slug,
        )
        .join(User, User.id == Enrollment.user_id)
        .join(Course, Course.id == Enrollment.course_id)
        .where(
            counted_person(),
            mandatory(),
            Enrollment.completed_at.is_(None),
            Enrollment.due_at < literal(day_start(due_before), UTCDateTime),
        )
        .order_by(Enrollment.id)
    )
    if due_from is not None:
        query = query.where(Enrollment.due_at >= literal(day_start(due_from), UTCDateTime))
    return db.session.execute(query)


def _reminder(kind: str, key: str, row, days: int) -> Reminder:
    return Reminder(
        kind=kind,
        key=key,
        user_id=row.user_id,
        email=row.email,
        full_name=row.full_name,
        locale=row.locale or "vi",
        wants_reminders=bool(row.wants_reminders),
        course_title=row.title,
        course_slug=row.slug,
        due_day=local_today(row.due_at),
        days=days,
    )


def _due_soon(today: date) -> Iterator[Reminder]:
    """Due in 2 … 7 days."""
    for row in _open_mandatory(
        today + timedelta(days=2), today + timedelta(days=DUE_SOON_DAYS + 1)
    ):
        days = (local_today(row.due_at) - today).days
        yield _reminder("due7", f"reminder:due7:{row.id}", row, days)


def _due_tomorrow(today: date) -> Iterator[Reminder]:
    for row in _open_mandatory(today + timedelta(days=1), today + timedelta(days=2)):
        yield _reminder("due1", f"reminder:due1:{row.id}", row, 1)


def _overdue(today: date) -> Iterator[Reminder]:
    """Due before today: the first notice the day after the due date, then one a week."""
    for row in _open_mandatory(None, today):
        days = (today - local_today(row.due_at)).days
        week = (days - 1) // 7
        yield _reminder("overdue", f"reminder:overdue:{row.id}:{week}", row, days)


# ---- delivery: in batches, each reminder once ---------------------------------------------------


def batches(items, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _send(reminders, batch_size: int) -> int:
    """Store and mail ``reminders`` not sent before, one transaction per batch; how many stored."""
    stored = 0
    for batch in batches(list(reminders), batch_size):
        done = existing_keys([reminder.key for reminder in batch])
        fresh = [reminder for reminder in batch if reminder.key not in done]
        if not fresh:
            continue
        won = claim_notifications([_notification(reminder) for reminder in fresh])
        for reminder in fresh:
            if reminder.key in won and reminder.mails:
                _queue(reminder)
        db.session.commit()
        stored += len(won)
    return stored


def _texts(reminder: Reminder) -> tuple[str, str]:
    """The notification's title and body, in the reader's language."""
    course, day = reminder.course_title, format_date(reminder.due_day, "dd/MM/yyyy")
    if reminder.kind == "overdue":
        title = ngettext(
            "Khoá học bắt buộc “%(course)s” đã quá hạn %(num)s ngày",
            "Khoá học bắt buộc “%(course)s” đã quá hạn %(num)s ngày",
            reminder.days,
            course=course,
        )
        return title, _("Hạn hoàn thành là hết ngày %(date)s. Hãy hoàn thành sớm nhất.", date=day)
    if reminder.kind == "due1":
        title = _("Ngày mai là hạn hoàn thành khoá học “%(course)s”", course=course)
    else:
        title = ngettext(
            "Còn %(num)s ngày để hoàn thành khoá học “%(course)s”",
            "Còn %(num)s ngày để hoàn thành khoá học “%(course)s”",
            reminder.days,
            course=course,
        )
    return title, _("Hạn hoàn thành: hết ngày %(date)s.", date=day)


def _notification(reminder: Reminder) -> dict:
    with force_locale(reminder.locale):
        title, body = _texts(reminder)
    return {
        "user_id": reminder.user_id,
        "kind": f"reminder.{reminder.kind}",
        "title": title,
        "body": body,
        "link": site_path("catalog.course_detail", slug=reminder.course_slug),
        "dedupe_key": reminder.key,
    }


def _queue(reminder: Reminder) -> None:
    template = "reminder_overdue" if reminder.kind == "overdue" else "reminder_due"
    queue_mail(
        reminder.email,
        template,
        locale=reminder.locale,
        kind=f"reminder.{reminder.kind}",
        user_id=reminder.user_id,
        dedupe_key=reminder.key,
        recipient_name=reminder.full_name,
        course_title=reminder.course_title,
        due_date=reminder.due_day,
        days=reminder.days,
        optional=reminder.kind in OPTIONAL_KINDS,
        action_url=public_url("catalog.course_detail", slug=reminder.course_slug),
        preferences_url=public_url("notify.preferences"),
    )
