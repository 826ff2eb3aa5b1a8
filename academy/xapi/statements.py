"""Building xAPI 1.0.3 statements from the platform's events (plain dicts, JSON as sent).

The learner is an Agent identified by an ``account`` on this site: ``{homePage: PUBLIC_BASE_URL,
name: the user's id}``. Not the e-mail address, by default: an address changes (a new agency, a
new domain) and the LRS would then see two people, while the id never changes; and the LRS, kept
by the city across systems, gets no personal contact data it does not need. ``XAPI_ACTOR = "mbox"``
identifies learners by e-mail instead, for an LRS that must match them with another system.

Verbs come from the ADL registry (http://adlnet.gov/expapi/verbs/): experienced (a lesson
opened), scored (a graded quiz attempt: ``result.score.scaled``, ``success``), passed (a module),
completed (a course), attended (a training session). Activities are the pages' own URLs under
``PUBLIC_BASE_URL``; context names the course as parent and, when the learner is enrolled, the
enrolment as ``registration`` (a UUID derived from it, the same in every statement of it).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from flask import current_app

from academy.learning.services import find_enrollment

ADL_VERBS = "http://adlnet.gov/expapi/verbs/"
ADL_ACTIVITIES = "http://adlnet.gov/expapi/activities/"
# verb → (English display, Vietnamese display); ranks order statements of one moment.
VERBS = {
    "experienced": ("experienced", "đã xem"),
    "scored": ("scored", "đạt điểm"),
    "passed": ("passed", "đã đạt"),
    "completed": ("completed", "đã hoàn thành"),
    "attended": ("attended", "đã tham dự"),
}
RANKS = {"experienced": 0, "attended": 0, "scored": 1, "passed": 2, "completed": 3}


def site_url() -> str:
    return (current_app.config.get("PUBLIC_BASE_URL") or "http://localhost").rstrip("/")


def timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with milliseconds, as xAPI recommends."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def actor(user) -> dict:
    agent = {"objectType": "Agent", "name": user.full_name}
    if current_app.config.get("XAPI_ACTOR") == "mbox" and user.email:
        agent["mbox"] = f"mailto:{user.email}"
    else:
        agent.pop("name")  # with the account alone the LRS holds no name either
        agent["account"] = {"homePage": site_url(), "name": str(user.id)}
    return agent


def verb(name: str) -> dict:
    english, vietnamese = VERBS[name]
    return {"id": ADL_VERBS + name, "display": {"en-US": english, "vi-VN": vietnamese}}


def activity(url: str, kind: str, title: str) -> dict:
    return {
        "objectType": "Activity",
        "id": url,
        "definition": {"type": ADL_ACTIVITIES + kind, "name": {"vi-VN": title}},
    }


def course_activity(course) -> dict:
    return activity(f"{site_url()}/courses/{course.slug}", "course", course.title)


def module_activity(module) -> dict:
    url = f"{site_url()}/courses/{module.course.slug}/{module.slug}"
    return activity(url, "module", module.title)


def quiz_activity(module) -> dict:
    url = f"{site_url()}/courses/{module.course.slug}/{module.slug}/quiz"
    return activity(url, "assessment", module.title)


def lesson_activity(lesson) -> dict:
    module = lesson.module
    url = f"{site_url()}/courses/{module.course.slug}/{module.slug}/{lesson.slug}"
    return activity(url, "lesson", lesson.title)


def session_activity(session) -> dict:
    return activity(f"{site_url()}/sessions/{session.id}", "meeting", session.title)


def registration(enrollment) -> str | None:
    """The enrolment as an xAPI registration: a UUID stable for this site and enrolment."""
    if enrollment is None:
        return None
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{site_url()}/enrollments/{enrollment.id}"))


def context(course=None, enrollment=None) -> dict:
    found = {"platform": current_app.config.get("CERTIFICATE_ORGANISATION") or "Học viện Số"}
    found["language"] = "vi-VN"
    if course is not None:
        found["contextActivities"] = {"parent": [course_activity(course)]}
    reg = registration(enrollment)
    if reg:
        found["registration"] = reg
    return found


def statement(name: str, user, obj: dict, moment: datetime, *, ctx=None, result=None) -> dict:
    body = {
        "id": str(uuid.uuid4()),
        "actor": actor(user),
        "verb": verb(name),
        "object": obj,
        "timestamp": timestamp(moment),
    }
    if result is not None:
        body["result"] = result
    if ctx:
        body["context"] = ctx
    return body


def duration(start: datetime | None, end: datetime | None) -> str | None:
    """ISO 8601 duration, seconds to the hundredth (xAPI's precision)."""
    if start is None or end is None or end < start:
        return None
    return f"PT{round((end - start).total_seconds(), 2)}S"


def score_of(attempt) -> dict:
    shown = len(attempt.question_ids or ()) or 1
    scaled = round(min(1.0, max(0.0, float(attempt.score))), 4)
    return {"scaled": scaled, "raw": round(scaled * shown, 2), "min": 0, "max": shown}


# ---- one builder per event --------------------------------------------------------------------


def lesson_experienced(user, lesson, enrollment, moment: datetime) -> dict:
    course = lesson.module.course
    return statement(
        "experienced", user, lesson_activity(lesson), moment, ctx=context(course, enrollment)
    )


def attempt_scored(attempt) -> dict:
    module = attempt.module
    result = {"score": score_of(attempt), "success": bool(attempt.passed), "completion": True}
    spent = duration(attempt.started_at, attempt.submitted_at)
    if spent:
        result["duration"] = spent
    enrollment = find_enrollment(attempt.user, module.course)
    return statement(
        "scored",
        attempt.user,
        quiz_activity(module),
        attempt.submitted_at,
        ctx=context(module.course, enrollment),
        result=result,
    )


def module_passed(user, module, attempt) -> dict:
    result = {"score": score_of(attempt), "success": True, "completion": True}
    enrollment = find_enrollment(user, module.course)
    return statement(
        "passed",
        user,
        module_activity(module),
        attempt.submitted_at,
        ctx=context(module.course, enrollment),
        result=result,
    )


def course_completed(user, course, enrollment) -> dict:
    return statement(
        "completed",
        user,
        course_activity(course),
        enrollment.completed_at,
        ctx=context(None, enrollment),
        result={"completion": True, "success": True},
    )


def session_attended(user, session, moment: datetime, method: str) -> dict:
    course = session.course
    enrollment = find_enrollment(user, course) if course is not None else None
    ctx = context(course, enrollment)
    ctx["extensions"] = {f"{site_url()}/xapi/extensions/check-in-method": method}
    return statement("attended", user, session_activity(session), moment, ctx=ctx)
