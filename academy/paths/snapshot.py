"""A learner's path, kept between requests under the state it was built from.

The key holds everything the path and its reasons are made of: the learner (their results,
passes and enrolments, with which due dates have passed), the published catalogue's stamp,
the recommender model in use, the reader's language and the local day (reasons name dates). Any
change gives a new key, so a kept path is never stale — a quiz result shows on the next page.
Kept in the shared cache (Redis when configured), so every worker reuses it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import get_locale

from academy.cache import remembered, shared_cache
from academy.catalog.stamps import catalogue_stamp
from academy.database import utcnow

PATH_SECONDS = 3600


def remembered_path(user, learner, colleagues: dict, limit: int | None, model_meta, build):
    """``build()``'s path for this state, kept; built afresh whenever any input changed."""
    key = path_key(user, learner, colleagues, limit, model_meta)
    path = remembered(shared_cache, key, build, PATH_SECONDS)
    path.key = key  # the page showing it is kept under the same key (core.page_cache)
    return path


def path_key(user, learner, colleagues: dict, limit: int | None, model_meta) -> str:
    now = utcnow()
    state = repr(
        (
            sorted(learner.scores.items()),
            sorted(learner.passed),
            sorted(_enrolment_state(e, now) for e in learner.enrollments.values()),
            sorted(colleagues.items()),
        )
    )
    model = (model_meta or {}).get("id"), (model_meta or {}).get("trained_at")
    digest = hashlib.sha256(state.encode()).hexdigest()[:32]
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    today = datetime.now(zone).date().isoformat()
    return f"path:{user.id}:{digest}:{catalogue_stamp()}:{model}:{get_locale()}:{today}:{limit}"


def _enrolment_state(enrollment, now) -> tuple:
    due = enrollment.due_at
    return (
        enrollment.course_id,
        enrollment.source,
        due.isoformat() if due else "",
        bool(due and due < now),
        enrollment.completed_at is not None,
    )
