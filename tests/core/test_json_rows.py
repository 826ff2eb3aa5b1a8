"""Several rows carried in one JSON value of another statement's row (``json_rows``), read back
(``rows_from_json``) as the rows the statement gives on its own: the same values, of the same
Python types, on SQLite and on PostgreSQL whatever its time zone."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import false, literal, select, text, union_all

from academy.auth.models import User
from academy.database import db, json_rows, rows_from_json
from academy.learning.enrolment import enrol_learner
from academy.learning.models import Enrollment, ModuleResult


def _carried(statement) -> list[tuple]:
    rows = statement.subquery()
    value = db.session.execute(select(json_rows(*rows.c)).select_from(rows)).scalar_one()
    return sorted(rows_from_json(value, statement.selected_columns))


def test_rows_read_back_from_json_are_the_rows_the_statement_gives(app, make_user, make_course):
    course = make_course(modules=2)
    learner = make_user(email="json@hvs.gov.vn")
    enrolment = enrol_learner(learner, course)
    enrolment.due_at = datetime(2026, 12, 31, 16, 59, 59, 123456, tzinfo=UTC)
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
    statement = union_all(
        select(
            literal("result").label("kind"),
            ModuleResult.module_id.label("item_id"),
            ModuleResult.best_score,
            ModuleResult.passed_at,
            User.is_active,
            User.full_name,
        )
        .join(User, User.id == ModuleResult.user_id)
        .where(ModuleResult.user_id == learner.id),
        select(
            literal("enrolment"),
            Enrollment.course_id,
            None,
            Enrollment.due_at,
            literal(False),
            Enrollment.source,
        ).where(Enrollment.user_id == learner.id),
    )

    plain = sorted(db.session.execute(statement).all())
    carried = _carried(statement)

    assert [tuple(row) for row in carried] == [tuple(row) for row in plain]
    assert [[type(v) for v in row] for row in carried] == [[type(v) for v in row] for row in plain]
    assert {row.kind for row in carried} == {"result", "enrolment"}  # named as the statement's
    enrolled = next(row for row in carried if row.kind == "enrolment")
    assert enrolled.passed_at == datetime(2026, 12, 31, 16, 59, 59, 123456, tzinfo=UTC)
    assert enrolled.passed_at.utcoffset().total_seconds() == 0


def test_no_rows_read_back_as_none(app):
    assert _carried(select(User.id, User.created_at).where(false())) == []
