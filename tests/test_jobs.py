"""enqueue(): a job starts once its transaction commits, and never when it rolls back."""

import os
from datetime import timedelta

from academy.database import db, utcnow
from academy.jobs import Job, enqueue

RAN: list[str] = []


def record_run(job_id: str) -> None:
    RAN.append(job_id)


def test_job_runs_after_commit(app):
    RAN.clear()
    job = enqueue("tests.test_jobs:record_run", kind="test")
    assert RAN == []  # not before the commit: a worker could not see the row yet
    db.session.commit()
    assert [job.id] == RAN
    assert db.session.get(Job, job.id).status == "finished"


def test_job_of_a_rolled_back_transaction_never_runs(app, make_user):
    RAN.clear()
    enqueue("tests.test_jobs:record_run", kind="test")
    db.session.rollback()
    make_user()  # a later, unrelated commit
    assert RAN == []
    assert db.session.query(Job).count() == 0


def test_a_savepoint_is_not_the_commit_a_job_waits_for(app, make_user):
    """Work done in a savepoint after queueing (a certificate's serial, a once-only mail) neither
    starts the job early nor, when the savepoint is rolled back, cancels it."""
    RAN.clear()
    job = enqueue("tests.test_jobs:record_run", kind="test")
    with db.session.begin_nested():
        pass
    assert RAN == []
    savepoint = db.session.begin_nested()
    savepoint.rollback()
    assert RAN == []
    db.session.commit()
    assert [job.id] == RAN
    assert db.session.get(Job, job.id).status == "finished"


def test_a_new_job_sweeps_away_files_whose_download_link_expired(app):
    folder = os.path.join(app.instance_path, "exports")
    os.makedirs(folder, exist_ok=True)
    paths = {}
    for name, hours in (("old", -1), ("fresh", 5)):
        paths[name] = os.path.join(folder, f"{name}.zip")
        with open(paths[name], "wb") as handle:
            handle.write(b"PK")
        db.session.add(
            Job(
                id=name,
                kind="test",
                status="finished",
                result_path=paths[name],
                expires_at=utcnow() + timedelta(hours=hours),
            )
        )
    outside = app.instance_path + "-elsewhere.zip"  # never touched, whatever a row says
    with open(outside, "wb") as handle:
        handle.write(b"PK")
    db.session.add(
        Job(
            id="outside",
            kind="test",
            status="finished",
            result_path=outside,
            expires_at=utcnow() - timedelta(hours=1),
        )
    )
    db.session.commit()

    enqueue("tests.test_jobs:record_run", kind="test")
    db.session.commit()
    assert not os.path.exists(paths["old"]) and db.session.get(Job, "old").result_path is None
    assert (
        os.path.exists(paths["fresh"])
        and db.session.get(Job, "fresh").result_path == paths["fresh"]
    )
    assert os.path.exists(outside)
    os.remove(outside)
