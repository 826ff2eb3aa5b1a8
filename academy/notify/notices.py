"""Notices of events other features report: a certificate issued, a new mandatory course.

Both appear in the bell and go by e-mail (neither is optional: a certificate is a record a person
keeps, and a mandate is work they must do). A new mandate may reach a whole city: its
notifications are one INSERT … SELECT per language inside the assigning request, and its mails are
queued by a background job after the commit.
"""

from __future__ import annotations

from datetime import UTC

from flask import current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import String, cast, literal, or_, select

from academy.auth.models import User
from academy.catalog.models import Course
from academy.database import UTCDateTime, db, utcnow
from academy.jobs import Job, enqueue, report_progress
from academy.learning.models import Assignment, Enrollment
from academy.learning.services import dialect_insert
from academy.mail import queue_mail
from academy.notify.models import Notification
from academy.notify.reminders import BATCH_SIZE, batches, local_today
from academy.notify.services import claim_notifications, public_url, site_path
from academy.reports.assignments import due_for

ASSIGNMENT_MAIL_JOB = "academy.notify.notices:mail_assignment"


# ---- certificate issued -------------------------------------------------------------------------


def notify_certificate(certificate) -> None:
    """Tell the learner their certificate was issued (bell and mail, once per certificate)."""
    user, course = certificate.user, certificate.course
    key = f"certificate:{certificate.id}"
    with force_locale(user.locale or "vi"):
        title = _("Bạn được cấp giấy chứng nhận khoá học “%(course)s”", course=course.title)
        body = _("Số hiệu: %(serial)s.", serial=certificate.serial)
    won = claim_notifications(
        [
            {
                "user_id": user.id,
                "kind": "certificate",
                "title": title,
                "body": body,
                "link": site_path("certificates.my_certificates"),
                "dedupe_key": key,
            }
        ]
    )
    if key in won:
        queue_mail(
            user.email,
            "notice_certificate",
            locale=user.locale or "vi",
            kind="certificate.issued",
            user_id=user.id,
            dedupe_key=key,
            recipient_name=user.full_name,
            course_title=course.title,
            serial=certificate.serial,
            action_url=public_url("certificates.my_certificates"),
        )


# ---- new mandatory course ------------------------------------------------------------------------


def assignment_key_prefix(assignment: Assignment) -> str:
    """Keys of one mandate's notices; a mandate cancelled and assigned again notifies again."""
    made = assignment.created_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%f")
    return f"assignment:{assignment.id}:{made}:"


def _in_language(locale: str):
    """People who read ``locale`` (the default language also takes anyone with no known one)."""
    languages = current_app.config["LANGUAGES"]
    if locale != current_app.config["BABEL_DEFAULT_LOCALE"]:
        return User.locale == locale
    return or_(User.locale == locale, User.locale.is_(None), User.locale.not_in(languages))


def _bound_open(assignment_id: int):
    """Open enrolments the mandate binds, of active people."""
    return (
        Enrollment.assignment_id == assignment_id,
        Enrollment.completed_at.is_(None),
        User.is_active.is_(True),
    )


def notify_assignment(assignment: Assignment) -> None:
    """One notification for each active person the new mandate binds with the course still to do
    (an INSERT … SELECT per language); their mails follow from a background job."""
    prefix = assignment_key_prefix(assignment)
    course = db.session.get(Course, assignment.course_id)
    due = due_for(assignment)
    now = utcnow()
    link = site_path("catalog.course_detail", slug=course.slug)
    for locale in current_app.config["LANGUAGES"]:
        with force_locale(locale):
            title = _("Khoá học bắt buộc mới: “%(course)s”", course=course.title)[:300]
            if due is None:
                body = _("Khoá học này không có hạn hoàn thành.")
            else:
                body = _(
                    "Hạn hoàn thành: hết ngày %(date)s.",
                    date=format_date(local_today(due), "dd/MM/yyyy"),
                )
        rows = (
            select(
                Enrollment.user_id,
                literal("assignment"),
                literal(title),
                literal(body),
                literal(link),
                literal(prefix) + cast(Enrollment.user_id, String),
                literal(now, UTCDateTime),
            )
            .join(User, User.id == Enrollment.user_id)
            .where(*_bound_open(assignment.id), _in_language(locale))
        )
        columns = ["user_id", "kind", "title", "body", "link", "dedupe_key", "created_at"]
        db.session.execute(
            dialect_insert(Notification)
            .from_select(columns, rows)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
    enqueue(
        ASSIGNMENT_MAIL_JOB,
        kind="notify.assignment_mail",
        params={"assignment_id": assignment.id, "prefix": prefix},
    )


def mail_assignment(job_id: str) -> None:
    """The background job: a mail to everyone a new mandate notified, in batches (each commits);
    run again, it sends nobody a second mail."""
    params = db.session.get(Job, job_id).params
    assignment = db.session.get(Assignment, params["assignment_id"])
    if assignment is None:
        return
    prefix = params["prefix"]
    course = db.session.get(Course, assignment.course_id)
    people = db.session.execute(
        select(User.id, User.email, User.full_name, User.locale, Enrollment.due_at)
        .join(Enrollment, Enrollment.user_id == User.id)
        .join(Notification, Notification.dedupe_key == literal(prefix) + cast(User.id, String))
        .where(*_bound_open(assignment.id))
        .order_by(User.id)
    ).all()
    course_url = public_url("catalog.course_detail", slug=course.slug)
    done = 0
    for batch in batches(people, BATCH_SIZE):
        for person in batch:
            queue_mail(
                person.email,
                "notice_assignment",
                locale=person.locale or "vi",
                kind="assignment.created",
                user_id=person.id,
                dedupe_key=f"{prefix}{person.id}",
                recipient_name=person.full_name,
                course_title=course.title,
                due_date=local_today(person.due_at) if person.due_at else None,
                action_url=course_url,
            )
        db.session.commit()
        done += len(batch)
        report_progress(job_id, done, len(people))
