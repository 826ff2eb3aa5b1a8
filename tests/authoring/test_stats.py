"""Question statistics: attempts, share correct and point-biserial discrimination, worst first."""
from __future__ import annotations

import numpy as np

from academy.authoring.stats import question_stats
from academy.database import db
from academy.learning.models import AttemptAnswer, QuizAttempt
from tests.authoring.helpers import login_client


def _attempts(module, users, pattern):
    """pattern[i] = correctness per question for learner i; score = share correct."""
    questions = sorted(module.active_questions, key=lambda q: q.position)
    for n, (user, row) in enumerate(zip(users, pattern)):
        attempt = QuizAttempt(user_id=user.id, module_id=module.id, token=f"t{module.id}-{n}",
                              question_ids=[q.id for q in questions], score=sum(row) / len(row),
                              passed=sum(row) / len(row) >= 0.7)
        attempt.answers = [AttemptAnswer(question_id=q.id, choice_ids=[], is_correct=bool(ok))
                           for q, ok in zip(questions, row)]
        db.session.add(attempt)
    db.session.commit()
    return questions


def test_worst_question_first_with_point_biserial(app, make_user, make_course):
    owner = make_user(roles=("instructor",))
    course = make_course(owner=owner, modules=1)
    learners = [make_user() for _ in range(8)]
    # Q1 and Q3 follow ability (good); Q2 is answered right by weak learners only (bad).
    pattern = [(1, 0, 1), (1, 0, 1), (1, 0, 1), (1, 0, 1), (0, 1, 0), (0, 1, 0), (0, 1, 0), (0, 0, 0)]
    q1, q2, q3 = _attempts(course.modules[0], learners, pattern)
    rows = question_stats(course)
    assert [r.question.id for r in rows] == [q2.id, q1.id, q3.id]
    scores = np.array([sum(p) / 3 for p in pattern])
    expected = np.corrcoef(np.array([p[1] for p in pattern]), scores)[0, 1]
    assert abs(rows[0].discrimination - expected) < 1e-9 and rows[0].discrimination < 0
    assert rows[1].discrimination > 0.5 and rows[1].attempts == 8 and rows[1].share_correct == 4 / 8

    page = login_client(app, owner).get(f"/authoring/courses/{course.id}/stats").get_data(as_text=True)
    assert page.index("Câu hỏi 2 của mô-đun 1") < page.index("Câu hỏi 1 của mô-đun 1")
    assert "point-biserial" in page


def test_undefined_or_thin_figures_are_blank_and_retired_questions_left_out(app, make_user, make_course):
    course = make_course(modules=1)
    learners = [make_user() for _ in range(6)]
    q1, q2, q3 = _attempts(course.modules[0], learners, [(1, 1, 0)] * 4 + [(1, 0, 0), (1, 1, 1)])
    q3.is_active = False
    db.session.commit()
    rows = {r.question.id: r for r in question_stats(course)}
    assert q3.id not in rows
    assert rows[q1.id].discrimination is None and rows[q1.id].share_correct == 1.0  # everyone right
    assert rows[q2.id].discrimination is not None
    few = make_course(modules=1)
    _attempts(few.modules[0], learners[:3], [(1, 0, 1), (0, 1, 0), (1, 1, 1)])
    assert all(r.discrimination is None for r in question_stats(few))  # under 5 answers: no figure
