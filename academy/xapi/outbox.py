"""Queueing statements and starting delivery runs.

``queue_statement`` adds the statement to the caller's transaction (nothing when
``XAPI_LRS_URL`` is empty). A commit that queued any starts one delivery run: an RQ job where
``REDIS_URL`` is set, else this process's xAPI thread (a run already going takes the new ones
along), inline when ``JOBS_EAGER``. A page never waits for the LRS. A run that leaves statements
for later schedules the next run itself; ``flask xapi send`` (cron) sends whatever is due too.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import event

from academy.background import runner_for
from academy.database import db, utcnow
from academy.xapi.delivery import DeliveryReport, deliver_due, enabled
from academy.xapi.models import XapiStatement
from academy.xapi.statements import RANKS

log = logging.getLogger(__name__)
_PENDING = "academy.xapi.pending"
_LISTENING = "academy.xapi.listening"
MIN_RETRY_SECONDS = 30  # after a run stopped by an unreachable LRS, the next waits at least this


def queue_statement(body: dict, verb: str, occurred_at: datetime) -> XapiStatement | None:
    """Store ``body`` for delivery in the current transaction (the caller commits). Adds the row
    without flushing: an event whose transaction is rolled back leaves no statement."""
    if not enabled():
        return None
    now = utcnow()
    row = XapiStatement(
        id=body["id"],
        body=body,
        verb=verb,
        occurred_at=occurred_at,
        rank=RANKS[verb],
        state="queued",
        tries=0,
        next_try_at=now,
        created_at=now,
    )
    db.session.add(row)
    _deliver_after_commit()
    return row


def _deliver_after_commit() -> None:
    session = db.session()
    session.info[_PENDING] = current_app._get_current_object()
    if session.info.get(_LISTENING):
        return
    session.info[_LISTENING] = True
    event.listen(session, "after_commit", _on_commit)
    event.listen(session, "after_rollback", _on_rollback)


def _on_commit(session) -> None:
    if session.in_nested_transaction():
        return
    app = session.info.pop(_PENDING, None)
    if app is not None:
        start_delivery(app)


def _on_rollback(session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_PENDING, None)


def start_delivery(app, delay: float = 0) -> None:
    """Have a delivery run start (after ``delay`` seconds)."""
    redis_url = app.config.get("REDIS_URL")
    if redis_url and _enqueue_rq(redis_url, delay):
        return
    if app.config.get("JOBS_EAGER"):
        if not delay:
            run_delivery(app)
        return
    _runner(app).kick(delay)


def _enqueue_rq(redis_url: str, delay: float) -> bool:
    try:
        from redis import Redis  # noqa: PLC0415 - only with REDIS_URL; 0.4 s to import
        from rq import Queue  # noqa: PLC0415 - only with REDIS_URL; 1.3 s to import

        queue = Queue("academy", connection=Redis.from_url(redis_url))
        if delay:  # served by `rq worker --with-scheduler`; one retry run is kept, the latest
            queue.enqueue_in(
                timedelta(seconds=delay), "academy.xapi.cli.rq_deliver", job_id="academy-xapi-retry"
            )
        else:
            queue.enqueue("academy.xapi.cli.rq_deliver", job_timeout=3600)
        return True
    except Exception:  # noqa: BLE001 - any Redis failure means "send from here instead"
        log.warning("Redis unavailable; delivering xAPI statements in-process", exc_info=True)
        return False


def run_delivery(app) -> DeliveryReport | None:
    """One run in its own application context; errors are logged, never raised into the commit
    that started it. Schedules the next run when statements wait for a later try."""
    with app.app_context():
        try:
            report = deliver_due()
        except Exception:  # noqa: BLE001 - a broken run must not break the caller
            log.exception("xAPI delivery run failed")
            db.session.rollback()
            return None
        finally:
            db.session.remove()
    if report.next_due is not None:
        wait = (report.next_due - utcnow()).total_seconds()
        if report.stopped or wait <= 0:
            wait = max(wait, MIN_RETRY_SECONDS)
        start_delivery(app, wait)
    return report


def _runner(app):
    return runner_for(app, "academy-xapi", run_delivery)


def wait_for_delivery(app, timeout: float = 30) -> bool:
    """Wait for this process's xAPI thread to be idle (tests, the CLI). True when it is."""
    return _runner(app).wait(timeout)


def stop_retries(app) -> None:
    """Cancel this process's scheduled retry run (tests)."""
    _runner(app).stop()
