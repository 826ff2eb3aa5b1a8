"""Several rows carried in one JSON value of another statement's row (``json_rows``), read back
(``rows_from_json``) as the rows the statement gives on its own: the same values, of the same
Python types, on SQLite and on PostgreSQL whatever its time zone. Checked on the statements the
catalogue and the path read with the signed-in user."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import false, select, text

from academy.auth.models import User
from academy.database import db, json_rows, rows_from_json
from academy.learning.enrolment import enrol_learner
from academy.learning.models import ModuleResult
from academy.learning.progress import PROGRESS_ROWS_ALL_COURSES
from academy.paths.services import LEARNER_ROWS

DUE = datetime(2026, 12, 31, 16, 59, 59, 123456, tzinfo=UTC)


def _both(statement, params: dict | None = None) -> tuple[list, list]:
    """(the statement's rows, the same rows carried as JSON and read back), in one order."""
    rows = statement.subquery()
    value = db.session.execute(select(json_rows(*rows.c)).select_from(rows), params).scalar_one()
    carried = rows_from_json(value, statement.selected_columns)
    return sorted(db.session.execute(statement, params).all()), sorted(carried)


@pytest.fixture
def learner(app, make_user, make_course):
    course = make_course(modules=2)
    learner = make_user(email="json@hvs.gov.vn")
    enrol_learner(learner, course).due_at = DUE
    first, second = course.modules
    db.session.add_all(
        [
            ModuleResult(
                user_id=learner.id,
                module_id=first.id,
                best_score=87.5,
                passed_at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC),
            ),
            ModuleResult(user_id=learner.id, module_id=second.id, best_score=0.0),
        ]
    )
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # JSON writes times in the session's zone: read back, they are the same instants in UTC
        db.session.execute(text("SET LOCAL TIME ZONE 'Asia/Ho_Chi_Minh'"))
    return learner


@pytest.mark.parametrize("statement", [LEARNER_ROWS, PROGRESS_ROWS_ALL_COURSES])
def test_rows_read_back_from_json_are_the_rows_the_statement_gives(learner, statement):
    plain, carried = _both(statement, {"user_id": learner.id})
    assert len(plain) >= 2  # the enrolment, and results (or modules passed per course)
    assert [tuple(row) for row in carried] == [tuple(row) for row in plain]
    assert [[type(v) for v in row] for row in carried] == [[type(v) for v in row] for row in plain]


def test_times_come_back_in_utc_and_columns_by_name(learner):
    _plain, carried = _both(LEARNER_ROWS, {"user_id": learner.id})
    enrolled = next(row for row in carried if row.kind == "enrolment")
    assert enrolled.due_at == DUE and enrolled.due_at.utcoffset().total_seconds() == 0
    assert sorted(row.best_score for row in carried if row.kind == "result") == [0.0, 87.5]


def test_booleans_come_back_as_booleans(learner):
    plain, carried = _both(select(User.is_active, User.full_name).where(User.id == learner.id))
    assert carried == plain == [(True, "Nguyễn Thị Hằng")] and type(carried[0][0]) is bool


def test_no_rows_read_back_as_no_rows(app):
    assert _both(select(User.id, User.created_at).where(false())) == ([], [])
