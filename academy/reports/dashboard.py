"""Dashboard figures, aggregated in SQL per unit, then rolled up the (small) unit tree in Python.

At city scale (a million enrolments, two million module results) each figure is one pass over an
index that holds every column it reads (see the indexes on ``Enrollment`` and ``ModuleResult``):
per learner in index order, then per unit over one row per learner.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import case, func, literal, select

from academy.auth.models import Unit, User
from academy.certificates.models import Certificate
from academy.database import UTCDateTime, utcnow
from academy.extensions import db
from academy.learning.models import Enrollment, ModuleResult
from academy.reports.snapshots import Snapshots

WEEKS = 12
BUCKETS = 10


def _scoped(query, scope: Unit | None):
    """Restrict a query already joined to User to people inside ``scope``."""
    if scope is None:
        return query
    return query.join(Unit, Unit.id == User.unit_id).where(scope.subtree_filter())


def _scoped_ids(scope: Unit):
    return select(User.id).join(Unit, Unit.id == User.unit_id).where(scope.subtree_filter())


def _per_user(query, user_column, scope):
    """Aggregate per learner first (one pass in index order), then per unit over ~users rows."""
    if scope is not None:
        query = query.where(user_column.in_(_scoped_ids(scope)))
    inner = query.group_by(user_column).subquery()
    sums = [func.sum(c) for c in list(inner.c)[1:]]
    return (
        select(User.unit_id, *sums).join(inner, inner.c.user_id == User.id).group_by(User.unit_id)
    )


def _per_unit(now, scope):
    """Per leaf unit: people, enrolments, completions, overdue, score sums, month's certificates."""
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    # "+ 0": grouped by value, so SQLite reads the table once rather than walking the unit_id index
    # and fetching every user's row from it.
    unit_id = (User.unit_id + 0).label("unit_id")
    people = _scoped(select(unit_id, func.count(User.id)).where(User.is_active.is_(True)), scope)
    late = Enrollment.completed_at.is_(None) & (Enrollment.due_at < literal(now, UTCDateTime))
    enrol = _per_user(
        select(
            Enrollment.user_id.label("user_id"),
            func.count().label("n"),
            func.count(Enrollment.completed_at).label("done"),
            func.count(case((late, 1))).label("late"),
        ),
        Enrollment.user_id,
        scope,
    )
    scores = _per_user(
        select(
            ModuleResult.user_id.label("user_id"),
            func.sum(ModuleResult.best_score).label("s"),
            func.count().label("n"),
        ),
        ModuleResult.user_id,
        scope,
    )
    certs = _scoped(
        select(User.unit_id, func.count(Certificate.id))
        .select_from(Certificate)
        .join(User, User.id == Certificate.user_id)
        .where(
            Certificate.revoked_at.is_(None),
            Certificate.issued_at >= literal(month_start, UTCDateTime),
        ),
        scope,
    ).group_by(User.unit_id)
    return people.group_by(unit_id), enrol, scores, certs


def _collect(scope, now) -> dict[int, dict]:
    people, enrol, scores, certs = _per_unit(now, scope)
    stats: dict[int, dict] = {}

    def slot(unit_id):
        return stats.setdefault(unit_id, _blank())

    for unit_id, n in db.session.execute(people):
        slot(unit_id)["learners"] = n
    for unit_id, n, done, late in db.session.execute(enrol):
        slot(unit_id).update(enrolled=int(n or 0), completed=int(done or 0), overdue=int(late or 0))
    for unit_id, total, n in db.session.execute(scores):
        slot(unit_id).update(score_sum=float(total or 0), score_n=int(n or 0))
    for unit_id, n in db.session.execute(certs):
        slot(unit_id)["certificates"] = n
    return stats


def _focus(scope: Unit | None) -> Unit | None:
    """The unit whose children form the table: the reader's unit, or the single root city."""
    if scope is not None:
        return scope
    roots = list(db.session.scalars(select(Unit).where(Unit.parent_id.is_(None)).limit(2)))
    return roots[0] if len(roots) == 1 else None


def _roll_up(stats: dict, focus: Unit | None) -> tuple[list[dict], dict]:
    units = db.session.execute(
        select(Unit.id, Unit.code, Unit.name, Unit.path, Unit.parent_id)
    ).all()
    by_id = {u.id: u for u in units}
    base = focus.path if focus is not None else "/"
    rows: dict[int, dict] = {}
    total = _blank()
    for unit_id, figures in stats.items():
        unit = by_id.get(unit_id)
        if unit is None or not unit.path.startswith(base):
            continue
        rest = unit.path[len(base) :].strip("/")
        key = int(rest.split("/")[0]) if rest else unit.id
        target = by_id[key]
        row = rows.setdefault(
            key, {**_blank(), "unit_id": key, "code": target.code, "name": target.name}
        )
        for name, value in figures.items():
            row[name] += value
            total[name] += value
    return sorted((_finish(r) for r in rows.values()), key=lambda r: r["name"]), _finish(total)


def _blank() -> dict:
    return {
        "learners": 0,
        "enrolled": 0,
        "completed": 0,
        "overdue": 0,
        "score_sum": 0.0,
        "score_n": 0,
        "certificates": 0,
    }


def _finish(row: dict) -> dict:
    score_n = row.pop("score_n")
    score_sum = row.pop("score_sum")
    row["completion_rate"] = (
        round(100 * row["completed"] / row["enrolled"], 1) if row["enrolled"] else 0.0
    )
    row["average_score"] = round(100 * score_sum / score_n, 1) if score_n else None
    return row


def _weekly(scope, now) -> list[dict]:
    start = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    starts = [start - timedelta(weeks=WEEKS - 1 - i) for i in range(WEEKS)]
    at = Enrollment.completed_at
    columns = [
        func.sum(
            case(
                (
                    (at >= literal(s, UTCDateTime))
                    & (at < literal(s + timedelta(weeks=1), UTCDateTime)),
                    1,
                ),
                else_=0,
            )
        )
        for s in starts
    ]
    query = select(*columns).select_from(Enrollment).where(at >= literal(starts[0], UTCDateTime))
    if scope is not None:
        query = _scoped(query.join(User, User.id == Enrollment.user_id), scope)
    counts = db.session.execute(query).one()
    return [
        {"week": s.date().isoformat(), "completed": int(n or 0)}
        for s, n in zip(starts, counts, strict=True)
    ]


def _distribution(scope) -> list[dict]:
    """Best module scores in ten bands, counted per distinct score (a few dozen) from its index."""
    query = select(ModuleResult.best_score, func.count()).group_by(ModuleResult.best_score)
    if scope is not None:
        query = query.where(ModuleResult.user_id.in_(_scoped_ids(scope)))
    counts = [0] * BUCKETS
    for score, n in db.session.execute(query):
        counts[next((i for i in range(BUCKETS - 1) if score < (i + 1) / BUCKETS), BUCKETS - 1)] += n
    return [{"range": f"{i * 10}–{(i + 1) * 10}%", "count": counts[i]} for i in range(BUCKETS)]


def cached_dashboard_data(scope: Unit | None) -> dict:
    """``dashboard_data`` for ``scope`` from the latest snapshot of this process.

    Every open dashboard polls: a poll never waits for an aggregation (except the first one of a
    scope); when the snapshot is older than ``DASHBOARD_CACHE_SECONDS`` (default 15), one
    aggregation per scope runs in the background and serves every poller after it. 0 turns the
    snapshots off: every call aggregates.
    """
    seconds = current_app.config["DASHBOARD_CACHE_SECONDS"]
    if not seconds:
        return dashboard_data(scope)
    snapshots = current_app.extensions.setdefault("reports.dashboard", Snapshots(_scope_snapshot))
    return snapshots.get(current_app._get_current_object(), getattr(scope, "id", None), seconds)


def _scope_snapshot(scope_id: int | None) -> dict:
    scope = db.session.get(Unit, scope_id) if scope_id is not None else None
    if (
        scope_id is not None and scope is None
    ):  # never the whole city in place of a unit that is gone
        raise LookupError(f"unit {scope_id} no longer exists")
    return dashboard_data(scope)


def dashboard_data(scope: Unit | None) -> dict:
    """Everything the dashboard shows, as plain JSON-ready data."""
    now = utcnow()
    focus = _focus(scope)
    rows, kpis = _roll_up(_collect(scope, now), focus)
    return {
        "generated_at": now.isoformat(),
        "scope": focus.name if focus else None,
        "kpis": kpis,
        "units": rows,
        "weekly": _weekly(scope, now),
        "scores": _distribution(scope),
    }
