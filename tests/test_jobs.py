"""enqueue(): a job starts once its transaction commits, and never when it rolls back."""
from academy.database import db
from academy.jobs import Job, enqueue

RAN: list[str] = []


def record_run(job_id: str) -> None:
    RAN.append(job_id)


def test_job_runs_after_commit(app):
    RAN.clear()
    job = enqueue("tests.test_jobs:record_run", kind="test")
    assert RAN == []  # not before the commit: a worker could not see the row yet
    db.session.commit()
    assert RAN == [job.id]
    assert db.session.get(Job, job.id).status == "finished"


def test_job_of_a_rolled_back_transaction_never_runs(app, make_user):
    RAN.clear()
    enqueue("tests.test_jobs:record_run", kind="test")
    db.session.rollback()
    make_user()  # a later, unrelated commit
    assert RAN == []
    assert db.session.query(Job).count() == 0
