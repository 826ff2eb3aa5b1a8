"""The dashboard's trend: the last twelve local weeks, each taken as at its end.

A week runs from Monday 00:00 to the next Monday 00:00 in the academy's time zone; the current week
is taken as at now. For each week: the completions in it, and the share of the enrolments that
existed at its end which were complete by then. Counted people and enrolments as everywhere
(``counting``): active people, mandatory enrolments unless every course is asked for.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import case, func, literal, select

from academy.auth.models import Unit, User
from academy.database import UTCDateTime
from academy.extensions import db
from academy.i18n import academy_zone
from academy.learning import counting
from academy.learning.models import Enrollment

WEEKS = 12


def percent_of(part: int, whole: int) -> float | None:
    """``part`` as a percentage of ``whole``, to one decimal; None for an empty whole."""
    return round(100 * part / whole, 1) if whole else None


def _at(moment: datetime):
    return literal(moment, UTCDateTime)


def _counted(query, scope: Unit | None, all_courses: bool):
    """Enrolments (joined to User) of active people in ``scope``; mandatory ones unless
    ``all_courses``."""
    query = query.where(counting.counted_person())
    if not all_courses:
        query = query.where(counting.mandatory())
    if scope is not None:
        query = query.join(Unit, Unit.id == User.unit_id).where(scope.subtree_filter())
    return query


def _local_weeks(now: datetime) -> list[tuple[datetime, datetime]]:
    """The last ``WEEKS`` local calendar weeks (Monday to Sunday) as (start, as-at) moments; the
    current week is taken as at ``now``."""
    zone = academy_zone()
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    weeks = []
    for back in range(WEEKS - 1, -1, -1):
        first = monday - timedelta(weeks=back)
        start = datetime.combine(first, time.min, zone)
        end = datetime.combine(first + timedelta(weeks=1), time.min, zone)
        weeks.append((start, min(end, now)))
    return weeks


def _bucket(column, bounds: list[datetime]):
    """0 for a moment at or before ``bounds[0]``, i for one in (bounds[i-1], bounds[i]], and
    len(bounds) for a later one or none."""
    return case(*((column <= _at(bound), i) for i, bound in enumerate(bounds)), else_=len(bounds))


def weekly_trend(scope: Unit | None, now: datetime, all_courses: bool) -> list[dict]:
    """Per local week, oldest first: completions in it, and the share of the enrolments existing at
    its end that were complete by then (as at the end of each week), all counted in one pass."""
    weeks = _local_weeks(now)
    bounds = [weeks[0][0]] + [end for _start, end in weeks]
    buckets = select(
        _bucket(Enrollment.enrolled_at, bounds).label("e"),
        _bucket(Enrollment.completed_at, bounds).label("c"),
    ).join(User, User.id == Enrollment.user_id)
    inner = _counted(buckets, scope, all_courses).subquery()
    counts = db.session.execute(
        select(inner.c.e, inner.c.c, func.count()).group_by(inner.c.e, inner.c.c)
    ).all()
    trend = []
    for i, (start, _end) in enumerate(weeks, start=1):
        existing = sum(n for e, _c, n in counts if e <= i)
        done = sum(n for e, c, n in counts if e <= i and c <= i)
        last_day = (start + timedelta(days=6)).date()
        trend.append(
            {
                "week": start.date().isoformat(),
                "label": start.strftime("%d/%m"),
                "range": f"{start:%d/%m}–{last_day:%d/%m}",
                "completed": sum(n for _e, c, n in counts if c == i),
                "enrolled": existing,
                "complete_share": percent_of(done, existing),
            }
        )
    return trend
