"""Dashboard figures, aggregated in SQL per unit, then rolled up the (small) unit tree in Python.

Every figure counts what ``academy.learning.counting`` counts: active people only, mandatory
enrolments only unless the reader asks for every course, overdue as at now. At city scale (a
million enrolments, two million module results) each figure is one pass over an index: per learner
in index order, then per unit over one row per learner.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app
from flask_babel import force_locale, get_locale
from sqlalchemy import case, func, literal, select

from academy.auth.models import Unit, User
from academy.auth.units import PATH_SEPARATOR, unit_directory
from academy.catalog.models import Module
from academy.certificates.models import Certificate
from academy.database import UTCDateTime, utcnow
from academy.extensions import db
from academy.i18n import academy_zone
from academy.learning import counting
from academy.learning.models import Enrollment, ModuleResult
from academy.reports.dashboard_trend import percent_of, weekly_trend
from academy.reports.snapshots import Snapshots
from academy.reports.warnings import warning_summary
from academy.training.targets import dashboard_targets

BUCKETS = 10
RANKED = 10  # units in each of the top and bottom lists
WARNINGS = 10  # most urgent early warnings on the dashboard


def _at(moment: datetime):
    return literal(moment, UTCDateTime)


def _chosen(query, all_courses: bool):
    """Mandatory enrolments only, unless the reader asked for every course."""
    return query if all_courses else query.where(counting.mandatory())


def _scoped(query, scope: Unit | None):
    """Restrict a query already joined to User to active people inside ``scope``."""
    query = query.where(counting.counted_person())
    if scope is None:
        return query
    return query.join(Unit, Unit.id == User.unit_id).where(scope.subtree_filter())


def _people_ids(scope: Unit | None):
    return _scoped(select(User.id), scope)


def _per_user(query, user_column, scope):
    """Aggregate per learner first (one pass in index order), then per unit over ~users rows."""
    if scope is not None:
        query = query.where(user_column.in_(_people_ids(scope)))
    inner = query.group_by(user_column).subquery()
    sums = [func.sum(c) for c in list(inner.c)[1:]]
    return (
        select(User.unit_id, *sums)
        .join(inner, inner.c.user_id == User.id)
        .where(counting.counted_person())
        .group_by(User.unit_id)
    )


def _results(scope, all_courses: bool):
    """(unit, best score, how many) over the module results of the counted people; for mandatory
    courses only, the results in courses the person must take. One pass gives both the average
    score per unit and the distribution of scores."""
    query = (
        select(User.unit_id, ModuleResult.best_score, func.count())
        .select_from(ModuleResult)
        .join(User, User.id == ModuleResult.user_id)
    )
    if not all_courses:
        mandated = (Enrollment.user_id == ModuleResult.user_id) & (
            Enrollment.course_id == Module.course_id
        )
        query = (
            query.join(Module, Module.id == ModuleResult.module_id)
            .join(Enrollment, mandated)
            .where(counting.mandatory())
        )
    return _scoped(query, scope).group_by(User.unit_id, ModuleResult.best_score)


def _per_unit(now, month_start, scope, all_courses):
    """Per leaf unit: people; enrolments, completions, overdue; month's certificates."""
    # "+ 0": grouped by value, so SQLite reads the table once rather than walking the unit_id index
    # and fetching every user's row from it.
    unit_id = (User.unit_id + 0).label("unit_id")
    people = _scoped(select(unit_id, func.count(User.id)), scope).group_by(unit_id)
    enrolments = select(
        Enrollment.user_id.label("user_id"),
        func.count().label("n"),
        func.count(case((counting.completed_by(now), 1))).label("done"),
        func.count(case((counting.overdue_at(now), 1))).label("late"),
    )
    enrol = _per_user(_chosen(enrolments, all_courses), Enrollment.user_id, scope)
    certs = select(User.unit_id, func.count(Certificate.id)).select_from(Certificate)
    if not all_courses:
        certs = certs.join(
            Enrollment,
            (Enrollment.user_id == Certificate.user_id)
            & (Enrollment.course_id == Certificate.course_id),
        ).where(counting.mandatory())
    certs = _scoped(
        certs.join(User, User.id == Certificate.user_id).where(
            Certificate.revoked_at.is_(None),
            Certificate.issued_at >= _at(month_start),
            Certificate.issued_at <= _at(now),
        ),
        scope,
    ).group_by(User.unit_id)
    return people, enrol, certs


def _collect(scope, now, month_start, all_courses) -> tuple[dict[int, dict], list[int]]:
    """The figures per leaf unit, and the scores counted in ``BUCKETS`` bands."""
    people, enrol, certs = _per_unit(now, month_start, scope, all_courses)
    stats: dict[int, dict] = {}

    def slot(unit_id):
        return stats.setdefault(unit_id, _blank())

    for unit_id, n in db.session.execute(people):
        slot(unit_id)["learners"] = n
    for unit_id, n, done, late in db.session.execute(enrol):
        slot(unit_id).update(enrolled=int(n or 0), completed=int(done or 0), overdue=int(late or 0))
    bands = [0] * BUCKETS
    for unit_id, score, n in db.session.execute(_results(scope, all_courses)):
        slot(unit_id)["score_sum"] += score * n
        slot(unit_id)["score_n"] += n
        bands[next((i for i in range(BUCKETS - 1) if score < (i + 1) / BUCKETS), BUCKETS - 1)] += n
    for unit_id, n in db.session.execute(certs):
        slot(unit_id)["certificates"] = n
    return stats, bands


def _focus(scope: Unit | None) -> Unit | None:
    """The unit whose children are ranked: the reader's unit, or the single root city."""
    if scope is not None:
        return scope
    roots = list(db.session.scalars(select(Unit).where(Unit.parent_id.is_(None)).limit(2)))
    return roots[0] if len(roots) == 1 else None


def _roll_up(stats: dict, focus: Unit | None, directory) -> tuple[list[dict], dict]:
    """Figures per child of ``focus`` (each with its subtree; people in ``focus`` itself form a
    row of their own), and the total."""
    base = focus.path if focus is not None else "/"
    rows: dict[int, dict] = {}
    total = _blank()
    for unit_id, figures in stats.items():
        unit = directory.get(unit_id)
        if unit is None or not unit.path.startswith(base):
            continue
        rest = unit.path[len(base) :].strip("/")
        key = int(rest.split("/")[0]) if rest else unit.id
        target = directory[key]
        row = rows.setdefault(
            key,
            {
                **_blank(),
                "unit_id": key,
                "code": target.code,
                "name": target.name,
                "label": target.label,
            },
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
    row["completion_rate"] = percent_of(row["completed"], row["enrolled"])
    row["average_score"] = round(100 * score_sum / score_n, 1) if score_n else None
    return row


def _ranking(rows: list[dict], focus: Unit | None) -> dict:
    """The ``RANKED`` child units with the highest completion rate and, apart from those, the
    ``RANKED`` with the lowest (lowest first); only units with enrolments, never ``focus``."""
    ranked = [r for r in rows if r["enrolled"] and (focus is None or r["unit_id"] != focus.id)]
    ranked.sort(key=lambda r: (-r["completed"] / r["enrolled"], r["code"]))
    rest = ranked[RANKED:]
    bottom = sorted(rest[-RANKED:], key=lambda r: (r["completed"] / r["enrolled"], r["code"]))
    return {"top": ranked[:RANKED], "bottom": bottom, "ranked_units": len(ranked)}


def cached_dashboard_data(scope: Unit | None, all_courses: bool = False) -> dict:
    """``dashboard_data`` for ``scope`` from the latest snapshots of this process.

    Every open dashboard polls: a poll never waits for an aggregation (except the first one of a
    scope); when a snapshot is older than ``DASHBOARD_CACHE_SECONDS`` (default 15), one
    aggregation per key runs in the background and serves every poller after it. The figures are
    kept per scope and choice of courses, the early warnings (which read mandatory courses only)
    per scope. 0 turns the snapshots off: every call aggregates.
    """
    seconds = current_app.config["DASHBOARD_CACHE_SECONDS"]
    if not seconds:
        return dashboard_data(scope, all_courses)
    snapshots = current_app.extensions.setdefault("reports.dashboard", Snapshots(_snapshot))
    app, scope_id = current_app._get_current_object(), getattr(scope, "id", None)
    figures = snapshots.get(app, ("figures", scope_id, bool(all_courses)), seconds)
    locale = str(get_locale() or "vi")  # the reasons are worded in the reader's language
    # a city's early-warning list takes seconds: the page never waits for it (the card says it is
    # being prepared, and the next poll fills it in)
    warnings = snapshots.get(app, ("warnings", scope_id, locale), seconds, wait=False)
    return {**figures, "warnings": warnings}


def _snapshot(key: tuple) -> dict:
    kind, scope_id, *choice = key
    scope = db.session.get(Unit, scope_id) if scope_id is not None else None
    if scope_id is not None and scope is None:  # never the whole city for a unit that is gone
        raise LookupError(f"unit {scope_id} no longer exists")
    if kind == "warnings":
        with force_locale(choice[0]):
            return _warnings(scope)
    return _figures(scope, *choice)


def _warnings(scope: Unit | None) -> dict:
    """The early-warning counts and the most urgent entries, each due date as the page writes it."""
    summary = warning_summary(scope, limit=WARNINGS)
    for entry in summary["top"]:
        entry["due"] = date.fromisoformat(entry["due_date"]).strftime("%d/%m/%Y")
        name = entry["unit_path"].rsplit(PATH_SEPARATOR, 1)[-1]
        entry["unit"] = f"{name} ({entry['unit_code']})" if name else entry["unit_code"]
    return summary


def _local_month_start(now: datetime) -> datetime:
    local = now.astimezone(academy_zone())
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def dashboard_data(scope: Unit | None, all_courses: bool = False) -> dict:
    """Everything the dashboard shows, as plain JSON-ready data, as at now."""
    return {**_figures(scope, all_courses), "warnings": _warnings(scope)}


def _figures(scope: Unit | None, all_courses: bool) -> dict:
    now = utcnow()
    month_start = _local_month_start(now)
    focus = _focus(scope)
    directory = unit_directory()
    stats, bands = _collect(scope, now, month_start, all_courses)
    rows, kpis = _roll_up(stats, focus, directory)
    return {
        "generated_at": now.isoformat(),
        "updated": now.astimezone(academy_zone()).strftime("%H:%M %d/%m/%Y"),
        "courses": "all" if all_courses else "mandatory",
        "scope": directory[focus.id].full_name if focus else None,
        "focus_id": focus.id if focus else None,
        "month_start": month_start.date().isoformat(),
        "kpis": kpis,
        "units": rows,
        **_ranking(rows, focus),
        "weekly": weekly_trend(scope, now, all_courses),
        "scores": [{"range": f"{i * 10}–{(i + 1) * 10}%", "count": n} for i, n in enumerate(bands)],
        "targets": _targets(focus),
    }


def _targets(focus: Unit | None) -> dict | None:
    """The focus unit's targets of this year with their progress (the "Chỉ tiêu năm" card)."""
    return dashboard_targets(focus)
