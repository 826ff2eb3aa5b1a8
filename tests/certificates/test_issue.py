"""Issuing: once per (learner, course), gapless serials under concurrency, strong verify codes."""

from __future__ import annotations

import hashlib
import re
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from academy.auth.models import User
from academy.catalog.models import Course
from academy.certificates.models import Certificate
from academy.certificates.services import issue_certificate, next_serial
from academy.database import db
from academy.learning.services import enrol_learner, submit_attempt


def _live_count(user_id=None):
    stmt = select(func.count()).select_from(Certificate).where(Certificate.revoked_at.is_(None))
    if user_id is not None:
        stmt = stmt.where(Certificate.user_id == user_id)
    return db.session.scalar(stmt)


def test_passing_every_module_issues_one_certificate(app, learner, course):
    enrol_learner(learner, course)
    db.session.commit()
    for n, module in enumerate(course.modules):
        questions = module.active_questions
        answers = {q.id: sorted(q.correct_choice_ids) for q in questions}
        submit_attempt(
            learner, module, f"token-{n}", answers, question_ids=[q.id for q in questions]
        )
        db.session.commit()
    certificates = db.session.scalars(
        select(Certificate).where(Certificate.user_id == learner.id)
    ).all()
    assert len(certificates) == 1
    year = datetime.now(UTC).year
    assert re.fullmatch(rf"HVS-{year}-000001", certificates[0].serial)
    assert certificates[0].pdf_sha256 == hashlib.sha256(certificates[0].pdf).hexdigest()


def test_verify_code_has_at_least_128_random_bits(certificate, issue, make_user, course):
    other = issue(make_user(), course)
    for code in (certificate.verify_code, other.verify_code):
        assert re.fullmatch(r"[A-Za-z0-9_-]{32,}", code)  # 32 base64 chars = 192 bits
    assert certificate.verify_code != other.verify_code


def test_issuing_again_returns_the_same_certificate(certificate, learner, course):
    again = issue_certificate(learner, course)
    db.session.commit()
    assert again.id == certificate.id
    assert _live_count() == 1


def test_issue_flushes_but_leaves_the_commit_to_the_caller(app, learner, course, complete):
    complete(learner, course)
    issue_certificate(learner, course)
    db.session.rollback()
    assert _live_count() == 0


def _run_concurrently(app, pairs):
    """Issue each (user_id, course_id) on its own thread and session, all released at once."""
    barrier, errors = threading.Barrier(len(pairs)), []

    def work(user_id, course_id):
        with app.app_context():
            try:
                barrier.wait()
                issue_certificate(db.session.get(User, user_id), db.session.get(Course, course_id))
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=pair) for pair in pairs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors


@pytest.mark.slow
def test_ten_concurrent_completions_issue_one_certificate(
    app, learner, course, complete, make_user
):
    complete(learner, course)
    _run_concurrently(app, [(learner.id, course.id)] * 10)
    db.session.expire_all()
    assert _live_count(learner.id) == 1
    # the nine losers gave their serial numbers back: the next one follows without a gap
    later = make_user()
    complete(later, course)
    serials = sorted(db.session.scalars(select(Certificate.serial)))
    assert serials[0].endswith("-000001")
    assert issue_certificate(later, course).serial.endswith("-000002")


@pytest.mark.slow
def test_concurrent_issuance_gives_gapless_unique_serials(app, course, make_user, complete):
    users = [make_user() for _ in range(10)]
    for user in users:
        complete(user, course)
    _run_concurrently(app, [(u.id, course.id) for u in users])
    numbers = sorted(
        int(s.rsplit("-", 1)[1]) for s in db.session.scalars(select(Certificate.serial))
    )
    assert numbers == list(range(1, 11))


def test_serials_count_per_year(app):
    first_2026 = next_serial(datetime(2026, 6, 1, tzinfo=UTC))
    first_2027 = next_serial(datetime(2027, 1, 1, 5, tzinfo=UTC))
    second_2026 = next_serial(datetime(2026, 7, 1, tzinfo=UTC))
    db.session.rollback()
    assert (first_2026, first_2027, second_2026) == (
        "HVS-2026-000001",
        "HVS-2027-000001",
        "HVS-2026-000002",
    )


def test_serial_year_is_the_local_year(app):
    # 31 Dec 20:00 UTC is already New Year's Day in Hồ Chí Minh City
    assert next_serial(datetime(2026, 12, 31, 20, tzinfo=UTC)).startswith("HVS-2027-")
    db.session.rollback()


def test_backfill_command_issues_missing_certificates_once(
    runner, make_user, make_unit, course, make_course, complete, ward, learner
):
    other_unit = make_unit(name="Sở Nội vụ")
    outsider = make_user(unit=other_unit)
    other_course = make_course(slug="khoa-khac")
    complete(learner, course)
    complete(learner, other_course)
    complete(outsider, course)
    result = runner.invoke(
        args=["certificates", "issue", "--course", course.slug, "--unit", ward.code]
    )
    assert result.exit_code == 0, result.output
    assert "Đã cấp 1 giấy chứng nhận" in result.output
    result = runner.invoke(args=["certificates", "issue"])
    assert "Đã cấp 2 giấy chứng nhận" in result.output
    assert "Đã cấp 0" in runner.invoke(args=["certificates", "issue"]).output
    assert _live_count() == 3


def test_backfill_rejects_an_unknown_course(runner):
    result = runner.invoke(args=["certificates", "issue", "--course", "khong-co"])
    assert result.exit_code != 0
    assert "Không có khoá học khong-co" in result.output
