"""Every route of the app, with real values for its URL arguments, taken from the live site."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from academy.catalog.models import Course, Question
from academy.certificates.models import Certificate
from academy.jobs import Job
from academy.learning.models import Assignment, QuizAttempt


@dataclass(frozen=True)
class Route:
    endpoint: str
    rule: str
    methods: frozenset
    path: str  # the rule with real values filled in


def sample_values(site) -> dict[str, str]:
    """A real value for each URL argument name the app uses (others get a harmless default)."""
    with site.db() as session:
        course = session.scalar(
            select(Course).where(Course.status == "published").order_by(Course.id)
        )
        module = course.modules[0]
        lesson = module.lessons[0]
        question = session.scalar(select(Question).where(Question.module_id == module.id))
        attempt = session.scalar(select(QuizAttempt).order_by(QuizAttempt.id))
        certificate = session.scalar(select(Certificate).order_by(Certificate.id))
        assignment = session.scalar(select(Assignment).order_by(Assignment.id))
        job = session.scalar(select(Job).order_by(Job.created_at))
        values = {
            "slug": course.slug,
            "course_id": str(course.id),
            "id": str(course.id),
            "module_slug": module.slug,
            "module_id": str(module.id),
            "lesson_slug": lesson.slug,
            "lesson_id": str(lesson.id),
            "question_id": str(question.id) if question else "1",
            "attempt_id": str(attempt.id) if attempt else "1",
            "serial": certificate.serial if certificate else "HVS-2026-000001",
            "code": certificate.verify_code if certificate else "x" * 32,
            "certificate_id": str(certificate.id) if certificate else "1",
            "assignment_id": str(assignment.id) if assignment else "1",
            "job_id": job.id if job else "00000000-0000-0000-0000-000000000000",
            "track": course.track,
            "name": "anh.png",
            "filename": "anh.png",
            "revision_id": "1",
            "user_id": "1",
            "unit_id": "1",
            "format": "csv",
            "fmt": "json",  # an Open Badges credential download: open-badge.<json|jwt>
            "other_id": "1",
            "number": "1",
            "direction": "in",  # a check-in link: /attend/<session_id>/<in|out>/<token>
            "token": "1-Zm9yZ2VkY29kZQ",  # a made-up link or check-in code
        }
    return values


def _app_rules(app) -> list:
    """The app's URL rules, static files aside."""
    return [
        rule
        for rule in app.url_map.iter_rules()
        if not (rule.endpoint == "static" or rule.endpoint.endswith(".static"))
    ]


def all_routes(site) -> list[Route]:
    values = sample_values(site)
    routes = [
        Route(
            rule.endpoint,
            rule.rule,
            frozenset(rule.methods - {"HEAD", "OPTIONS"}),
            build_path(rule, {name: values.get(name, "1") for name in rule.arguments}),
        )
        for rule in _app_rules(site.app())
    ]
    return sorted(routes, key=lambda r: r.rule)


def object_rules(app) -> dict:
    """Every rule whose URL names an object (has arguments), static aside: {rule text: Rule}."""
    return {rule.rule: rule for rule in _app_rules(app) if rule.arguments}


def build_path(rule, values: dict) -> str:
    """The path of ``rule`` (a werkzeug Rule), ``values`` filled in and escaped as the app would."""
    return rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)[1]
