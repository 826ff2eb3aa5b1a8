"""What the xapi feature does when other features report an event: queue one xAPI statement in
the event's own transaction (delivered after its commit; nothing when ``XAPI_LRS_URL`` is empty).

Each body is built before the row is added, so the queries it needs never flush a half-made row."""

from __future__ import annotations

from academy.database import utcnow
from academy.events import (
    attempt_recorded,
    course_completed,
    lesson_viewed,
    module_passed,
    session_attended,
)
from academy.xapi import statements
from academy.xapi.delivery import enabled
from academy.xapi.outbox import queue_statement


def connect_listeners() -> None:
    lesson_viewed.connect(on_lesson_viewed)
    attempt_recorded.connect(on_attempt_recorded)
    module_passed.connect(on_module_passed)
    course_completed.connect(on_course_completed)
    session_attended.connect(on_session_attended)


def on_lesson_viewed(_app, *, user, lesson, enrollment, **_data) -> None:
    if enabled():
        moment = utcnow()
        body = statements.lesson_experienced(user, lesson, enrollment, moment)
        queue_statement(body, "experienced", moment)


def on_attempt_recorded(_app, *, attempt, **_data) -> None:
    if enabled():
        queue_statement(statements.attempt_scored(attempt), "scored", attempt.submitted_at)


def on_module_passed(_app, *, user, module, attempt, **_data) -> None:
    if enabled():
        body = statements.module_passed(user, module, attempt)
        queue_statement(body, "passed", attempt.submitted_at)


def on_course_completed(_app, *, user, course, enrollment, **_data) -> None:
    if enabled():
        body = statements.course_completed(user, course, enrollment)
        queue_statement(body, "completed", enrollment.completed_at)


def on_session_attended(_app, *, session, user, attended_at, method, **_data) -> None:
    if enabled():
        body = statements.session_attended(user, session, attended_at, method)
        queue_statement(body, "attended", attended_at)
