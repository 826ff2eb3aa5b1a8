"""Sending the outbox to the LRS: ``deliver_due`` claims due statements in batches and POSTs each
batch to ``{XAPI_LRS_URL}/statements`` (xAPI 1.0.3, basic auth).

Claiming is the outbox pattern of ``academy.mail``: a short transaction marks the batch
``sending`` with a lease in ``next_try_at`` (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's
write lock taken first, so writers serialise), so two runs at once never take the same statement;
a run that died leaves its batch to the next run once the lease ends.

Answers: 200/204 sent. 409, or a refusal saying the id "already exists", is sent too: our id is
there already (a retry after a lost answer), never a second copy. The LRS unreachable, a timeout,
5xx, 408 or 429: the batch goes back with a growing delay (1 min, 5 min, 30 min, 2 h, 6 h, 12 h,
24 h) until ``XAPI_MAX_ATTEMPTS``, and the run stops. Another 4xx refuses what we sent: a batch is
then sent one statement at a time, so only the refused one is marked failed, with the reason.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import requests
from flask import current_app
from sqlalchemy import func, select, update

from academy.database import db, utcnow
from academy.xapi.models import XapiStatement

log = logging.getLogger(__name__)
TABLE = XapiStatement.__table__
RETRY_DELAYS = (60, 5 * 60, 30 * 60, 2 * 3600, 6 * 3600, 12 * 3600, 24 * 3600)
CLAIM_LEASE = timedelta(minutes=10)
TEMPORARY_CODES = (408, 425, 429)


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0  # put back for a later try
    failed: int = 0
    stopped: bool = False  # the LRS could not be reached: the run gave up early
    next_due: datetime | None = None  # the earliest try still waiting, if any
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Claimed:
    id: str
    body: dict
    tries: int


@dataclass(frozen=True)
class _Answer:
    outcome: str  # "sent" | "duplicate" (our id is there) | "refused" | "down"
    reason: str = ""


def enabled() -> bool:
    return bool(current_app.config.get("XAPI_LRS_URL"))


def deliver_due(now: datetime | None = None, limit: int | None = None) -> DeliveryReport:
    """Send every statement due at ``now`` (default: now), batch by batch, in the order the
    events happened, until none is due, the LRS cannot be reached, or ``limit`` were taken up."""
    report = DeliveryReport()
    if not enabled():
        return report
    size = max(1, int(current_app.config.get("XAPI_BATCH_SIZE") or 50))
    taken = 0
    with requests.Session() as http:
        while limit is None or taken < limit:
            batch = _claim(now or utcnow(), min(size, (limit - taken) if limit else size))
            if not batch:
                break
            taken += len(batch)
            _send_batch(http, batch, report)
            if report.stopped:
                break
    report.next_due = db.session.scalar(
        select(func.min(XapiStatement.next_try_at)).where(
            XapiStatement.state.in_(("queued", "sending"))
        )
    )
    db.session.commit()
    return report


def _claim(now: datetime, size: int) -> list[_Claimed]:
    _begin_write_transaction()
    query = (
        select(XapiStatement)
        .where(XapiStatement.state.in_(("queued", "sending")), XapiStatement.next_try_at <= now)
        .order_by(XapiStatement.occurred_at, XapiStatement.rank, XapiStatement.created_at)
        .limit(size)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = db.session.scalars(query).all()
    claimed = []
    stamp = utcnow()
    for row in rows:
        row.state, row.tries, row.claimed_at = "sending", row.tries + 1, stamp
        row.next_try_at = stamp + CLAIM_LEASE
        claimed.append(_Claimed(row.id, row.body, row.tries))
    db.session.commit()
    for row in rows:
        db.session.expunge(row)
    return claimed


def _begin_write_transaction() -> None:
    """On SQLite, take the write lock before reading what to claim (as academy.mail does)."""
    connection = db.session.connection()
    if (
        connection.dialect.name == "sqlite"
        and not connection.connection.dbapi_connection.in_transaction
    ):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _send_batch(http, batch: list[_Claimed], report: DeliveryReport) -> None:
    answer = post_statements(http, [item.body for item in batch])
    if answer.outcome == "sent" or (answer.outcome == "duplicate" and len(batch) == 1):
        _record_sent(batch, report)
    elif answer.outcome == "down":
        for item in batch:
            _record_failure(item, answer, report)
        report.stopped = True
    elif len(batch) == 1:
        _record_failure(batch[0], answer, report)
    else:  # the LRS refused the batch for one of it (refused, or already there): which one?
        for position, item in enumerate(batch):
            single = post_statements(http, [item.body])
            if single.outcome in ("sent", "duplicate"):
                _record_sent([item], report)
                continue
            _record_failure(item, single, report)
            if single.outcome == "down":
                for waiting in batch[position + 1 :]:
                    _record_failure(waiting, single, report)
                report.stopped = True
                return


def post_statements(http, bodies: list[dict]) -> _Answer:
    """One POST of ``bodies`` to the LRS; what its answer means for them."""
    config = current_app.config
    url = config["XAPI_LRS_URL"].rstrip("/") + "/statements"
    username = config.get("XAPI_LRS_USERNAME")
    auth = (username, config.get("XAPI_LRS_PASSWORD") or "") if username else None
    try:
        answer = http.post(
            url,
            data=json.dumps(bodies, ensure_ascii=False).encode("utf-8"),
            headers={
                "X-Experience-API-Version": "1.0.3",
                "Content-Type": "application/json; charset=utf-8",
            },
            auth=auth,
            timeout=float(config.get("XAPI_TIMEOUT") or 10),
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        return _Answer("down", f"{type(exc).__name__}: {exc}"[:2000])
    reason = f"{answer.status_code} {answer.text.strip()}"[:2000]
    code = answer.status_code
    if code in (200, 204):
        return _Answer("sent")
    if code == 409 or (400 <= code < 500 and "already exist" in reason.lower()):
        return _Answer("duplicate", reason)
    if 400 <= code < 500 and code not in TEMPORARY_CODES:
        return _Answer("refused", reason)
    return _Answer("down", reason)


def _record_sent(batch: list[_Claimed], report: DeliveryReport) -> None:
    db.session.execute(
        update(TABLE)
        .where(TABLE.c.id.in_([item.id for item in batch]))
        .values(state="sent", sent_at=utcnow(), last_error=None)
    )
    db.session.commit()
    report.sent += len(batch)


def _record_failure(item: _Claimed, answer: _Answer, report: DeliveryReport) -> None:
    values = {"last_error": answer.reason}
    if answer.outcome == "refused" or item.tries >= max_attempts():
        values["state"] = "failed"
        report.failed += 1
    else:
        values["state"] = "queued"
        values["next_try_at"] = utcnow() + timedelta(seconds=retry_delay(item.tries))
        report.retrying += 1
    db.session.execute(update(TABLE).where(TABLE.c.id == item.id).values(**values))
    db.session.commit()
    report.errors.append(f"{item.id}: {answer.reason}")
    log.warning("xAPI statement %s not delivered: %s", item.id, answer.reason)


def max_attempts() -> int:
    return max(1, int(current_app.config.get("XAPI_MAX_ATTEMPTS") or 10))


def retry_delay(tries: int) -> int:
    """Seconds to wait after the ``tries``-th failed try."""
    return RETRY_DELAYS[min(max(tries, 1), len(RETRY_DELAYS)) - 1]


def waiting_count() -> int:
    return db.session.scalar(
        select(func.count(XapiStatement.id)).where(XapiStatement.state.in_(("queued", "sending")))
    )


def requeue_failed() -> int:
    """Give failed statements a fresh round of tries; the caller commits."""
    return db.session.execute(
        update(TABLE)
        .where(TABLE.c.state == "failed")
        .values(state="queued", tries=0, next_try_at=utcnow())
    ).rowcount
