"""Quiz submissions crossing the retrain threshold together queue one retrain, not one each."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from academy.auth.models import User
from academy.catalog.models import Module
from academy.database import db
from academy.jobs import Job
from academy.learning.services import enrol_learner, submit_attempt
from academy.paths import services as paths_services


@pytest.mark.slow
def test_submissions_crossing_the_threshold_together_queue_one_retrain(
    app, make_user, make_course, monkeypatch
):
    app.config["RECOMMENDER_RETRAIN_EVERY"] = 1  # every new attempt crosses it: no model yet
    course = make_course()
    users = [make_user() for _ in range(6)]
    for user in users:
        enrol_learner(user, course)
    db.session.commit()
    module = course.modules[0]
    right = {q.id: [c.id for c in q.choices if c.is_correct] for q in module.questions}

    def queue_without_running(func_path, *, kind, params=None, user_id=None):
        db.session.add(Job(kind=kind, params=params or {}))
        db.session.flush()
        time.sleep(0.2)  # the job stays uncommitted a while, as behind a slow commit

    monkeypatch.setattr(paths_services, "enqueue", queue_without_running)
    barrier, errors = threading.Barrier(len(users)), []

    def submit(user_id: int, module_id: int) -> None:
        with app.app_context():
            try:
                user, shown = db.session.get(User, user_id), db.session.get(Module, module_id)
                barrier.wait()
                submit_attempt(user, shown, f"crossing-{user_id}", right, question_ids=list(right))
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit, args=(u.id, module.id)) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert db.session.scalar(select(func.count()).select_from(Job)) == 1
