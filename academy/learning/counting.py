"""What every HR figure counts, defined once: the completion report, the compliance matrix, the
dashboard and the early warning all read these conditions.

- Only active people count; a deactivated person leaves every figure (their records stay).
- People count in the unit they are in now (``User.unit_id``); ``UnitMembership`` keeps where they
  were before.
- A mandatory enrolment is one bound to a mandate (``Enrollment.assignment_id``); cancelling a
  mandate unbinds its enrolments and clears their due dates, so it leaves every count.
- Figures are taken "as at" a moment: completed means completed by then, overdue means due before
  then and not completed by then. A period report is taken as at the end of its period.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import literal

from academy.auth.models import User
from academy.database import UTCDateTime
from academy.learning.models import Enrollment


def counted_person():
    return User.is_active.is_(True)


def mandatory():
    return Enrollment.assignment_id.is_not(None)


def completed_by(as_of: datetime):
    return Enrollment.completed_at.is_not(None) & (
        Enrollment.completed_at <= literal(as_of, UTCDateTime)
    )


def open_at(as_of: datetime):
    """Not completed by ``as_of`` (a completion after it does not count yet)."""
    return Enrollment.completed_at.is_(None) | (
        Enrollment.completed_at > literal(as_of, UTCDateTime)
    )


def overdue_at(as_of: datetime):
    return (
        open_at(as_of)
        & Enrollment.due_at.is_not(None)
        & (Enrollment.due_at < literal(as_of, UTCDateTime))
    )
