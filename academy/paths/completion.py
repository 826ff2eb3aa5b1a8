"""The page a learner reaches on finishing a course: congratulations, the certificate, and where
the learning path leads next.

It lives in paths because it shows what two features above learning know (the certificate issued
on ``course_completed``, and the path); paths reads certificates, never the other way round.
"""

from __future__ import annotations

from flask import render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from academy.auth.access import require
from academy.catalog.models import Course
from academy.certificates.services import live_certificate, verify_url
from academy.database import db
from academy.learning.services import find_enrollment
from academy.paths.services import home_path
from academy.paths.views import bp

NEXT_ITEMS = 3  # how much of the path the page suggests


@bp.get("/courses/<slug>/complete")
@login_required
def course_complete(slug: str):
    """Only for a learner who has completed the course; anyone else gets a 404."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    enrollment = find_enrollment(current_user, course) if course is not None else None
    require(enrollment is not None and enrollment.completed_at is not None)
    certificate = live_certificate(current_user.id, course.id)
    path = home_path(current_user)
    return render_template(
        "paths/course_complete.html",
        course=course,
        enrollment=enrollment,
        certificate=certificate,
        verify_link=verify_url(certificate.verify_code) if certificate else None,
        next_items=path.items[:NEXT_ITEMS],
    )
