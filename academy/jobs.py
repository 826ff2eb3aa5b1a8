"""Background jobs: one way to enqueue work.

With ``REDIS_URL`` configured, jobs go to an RQ queue served by ``rq worker academy``;
otherwise they run in this process on a worker thread (inline when ``JOBS_EAGER``).
A job function takes a ``Job`` id first and reports progress through ``report_progress``.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import threading
import uuid
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import JSON, ForeignKey, Integer, String, Text, event, select
from sqlalchemy.orm import Mapped, mapped_column

from academy.database import UTCDateTime, db, utcnow
from academy.errors import NotFound

log = logging.getLogger(__name__)
JOB_STATUSES = ("queued", "running", "finished", "failed")


class Job(db.Model):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    kind: Mapped[str] = mapped_column(String(60))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    result_path: Mapped[str | None] = mapped_column(String(400))
    error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def enqueue(
    func_path: str, *, kind: str, params: dict | None = None, user_id: int | None = None
) -> Job:
    """Record a Job and run ``func_path`` ("package.module:function") with its id.

    The caller commits; the job starts after the commit so a worker sees the row.
    """
    purge_expired_files()
    job = Job(kind=kind, params=params or {}, created_by_id=user_id)
    db.session.add(job)
    db.session.flush()
    app = current_app._get_current_object()
    job_id = job.id

    def start():
        redis_url = app.config.get("REDIS_URL")
        if redis_url and _enqueue_rq(redis_url, func_path, job_id):
            return
        if app.config.get("JOBS_EAGER"):
            run_job(app, func_path, job_id)
        else:
            threading.Thread(target=run_job, args=(app, func_path, job_id), daemon=True).start()

    _after_commit(start)
    return job


def purge_expired_files() -> None:
    """Delete the files of downloads whose link has expired (each new job sweeps).

    Only files inside the instance folder are touched; the job keeps its row, without a file."""
    instance = os.path.realpath(current_app.instance_path)
    expired = db.session.scalars(
        select(Job).where(Job.result_path.is_not(None), Job.expires_at < utcnow())
    )
    for job in expired:
        path = os.path.realpath(job.result_path)
        if os.path.commonpath([instance, path]) == instance:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
        job.result_path = None


def _enqueue_rq(redis_url: str, func_path: str, job_id: str) -> bool:
    """Queue on RQ; if Redis does not answer, say so in the log and fall back to in-process."""
    try:
        from redis import Redis  # noqa: PLC0415 - only with REDIS_URL; 0.4 s to import
        from rq import Queue  # noqa: PLC0415 - only with REDIS_URL; 1.3 s to import

        Queue("academy", connection=Redis.from_url(redis_url)).enqueue(
            "academy.jobs.rq_entry", func_path, job_id, job_timeout=3600
        )
        return True
    except Exception:  # noqa: BLE001 - any Redis failure means "run it here instead"
        log.warning("Redis unavailable; running job %s in-process", job_id, exc_info=True)
        return False


def _after_commit(callback) -> None:
    """Run ``callback`` once the current transaction commits; never if it rolls back instead.

    SQLAlchemy sends both events for a savepoint too (``begin_nested``): those are not the
    transaction's end, so they are let pass (a job started there would not find its row yet)."""
    session = db.session()
    state = {"pending": True}

    def committed(done):
        if state["pending"] and not done.in_nested_transaction():
            state["pending"] = False
            callback()

    def rolled_back(done):
        if not done.in_nested_transaction():
            state["pending"] = False

    event.listen(session, "after_commit", committed)
    event.listen(session, "after_rollback", rolled_back)


def rq_entry(func_path: str, job_id: str) -> None:
    """What an RQ worker runs: build the app, then the job."""
    from academy import create_app  # noqa: PLC0415 - cycle: create_app loads this module

    run_job(create_app(), func_path, job_id)


def run_job(app, func_path: str, job_id: str) -> None:
    module_name, func_name = func_path.split(":")
    func = getattr(importlib.import_module(module_name), func_name)
    with app.app_context():
        job = db.session.get(Job, job_id)
        job.status = "running"
        db.session.commit()
        try:
            func(job_id)
        except Exception as exc:  # noqa: BLE001 - a failed job is recorded, never lost
            db.session.rollback()
            log.exception("job %s failed", job_id)
            job = db.session.get(Job, job_id)
            job.status, job.error, job.finished_at = "failed", str(exc)[:2000], utcnow()
            db.session.commit()
            return
        job = db.session.get(Job, job_id)
        if job.status == "running":
            job.status, job.finished_at = "finished", utcnow()
        db.session.commit()
        db.session.remove()


def export_file(name: str) -> str:
    """Where a job writes a file for download: ``instance/exports/<name>`` (the folder is made)."""
    folder = os.path.join(current_app.instance_path, "exports")
    os.makedirs(folder, exist_ok=True)
    return os.path.join(folder, name)


def offer_download(job: Job, path: str) -> None:
    """Record ``job``'s finished file and when its link expires (``DOWNLOAD_LINK_HOURS``). Flushes
    nothing; the job commits."""
    job.result_path = path
    job.expires_at = utcnow() + timedelta(hours=int(current_app.config["DOWNLOAD_LINK_HOURS"]))


def own_job(job_id: str, user, kind: str) -> Job:
    """The ``kind`` job that ``user`` started; anyone else's, or none, is ``NotFound`` (a 404 that
    does not tell whether the job exists)."""
    job = db.session.get(Job, job_id)
    if job is None or job.kind != kind or job.created_by_id != user.id:
        raise NotFound
    return job


def download_ready(job: Job) -> bool:
    """Whether ``job`` finished with a file whose link has not expired and that is still on disk."""
    return (
        job.status == "finished"
        and bool(job.result_path)
        and job.expires_at is not None
        and job.expires_at > utcnow()
        and os.path.isfile(job.result_path)
    )


def report_progress(job_id: str, done: int, total: int) -> None:
    """Store progress in its own short transaction so pages polling the job see it move."""
    db.session.query(Job).filter_by(id=job_id).update({"progress": done, "total": total})
    db.session.commit()
