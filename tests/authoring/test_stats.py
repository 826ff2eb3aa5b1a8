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
    for n, (user, row) in enumerate(zip(users, pattern, strict=True)):
        attempt = QuizAttempt(
            user_id=user.id,
            module_id=module.id,
            token=f"t{module.id}-{n}",
            question_ids=[q.id for q in questions],
            score=sum(row) / len(row),
            passed=sum(row) / len(row) >= 0.7,
        )
        attempt.answers = [
            AttemptAnswer(question_id=q.id, choice_ids=[], is_correct=bool(ok))
            for q, ok in zip(questions, row, strict=True)
        ]
        db.session.add(attempt)
    db.session.commit()
    return questions


def test_worst_question_first_with_point_biserial(app, make_user, make_course):
    owner = make_user(roles=("instructor",))
    course = make_course(owner=owner, modules=1)
    learners = [make_user() for _ in range(8)]
    # Q1 and Q3 follow ability (good); Q2 is answered right by weak learners only (bad).
    pattern = [
        (1, 0, 1),
        (1, 0, 1),
        (1, 0, 1),
        (1, 0, 1),
        (0, 1, 0),
        (0, 1, 0),
        (0, 1, 0),
        (0, 0, 0),
    ]
    q1, q2, q3 = _attempts(course.modules[0], learners, pattern)
    rows = question_stats(course)
    assert [r.question.id for r in rows] == [q2.id, q1.id, q3.id]
    scores = np.array([sum(p) / 3 for p in pattern])
    expected = np.corrcoef(np.array([p[1] for p in pattern]), scores)[0, 1]
    assert abs(rows[0].discrimination - expected) < 1e-9 and rows[0].discrimination < 0
    assert rows[1].discrimination > 0.5 and rows[1].attempts == 8 and rows[1].share_correct == 4 / 8

    page = (
        login_client(app, owner).get(f"/authoring/courses/{course.id}/stats").get_data(as_text=True)
    )
    assert page.index("Câu hỏi 2 của mô-đun 1") < page.index("Câu hỏi 1 của mô-đun 1")
    assert "point-biserial" in page


def test_undefined_or_thin_figures_are_blank_and_retired_questions_left_out(
    app, make_user, make_course
):
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


def test_distractor_analysis_against_a_hand_computed_case(app, make_user, make_course):
    """Ten attempts; the third question is multiple choice (A and B right) and attempt 10 did not
    show it (a drawn quiz), so its shares are out of 9.

        attempt  Q1 (key A)  Q2 (key A)  Q3 (keys A, B)
        1        A           A           A B
        2        A           A           A B
        3        A           A           A C
        4        B           A           A C
        5        B           A           A C
        6        B           A           A
        7        B           B           A B C
        8        B           B           C
        9        C           B           B C
        10       C           (blank)     (not shown)

    Q1: A 3/10 = 30%, B 5/10 = 50%, C 2/10 = 20% -> wrong B beats the key A: flagged.
    Q2: A 6/10 = 60%, B 3/10 = 30%, C 0/10 = 0% -> not flagged.
    Q3: A 7/9 = 77.8% (78%), B 4/9 = 44.4% (44%), C 6/9 = 66.7% (67%) -> wrong C beats the
        least-picked key B (though not A): flagged.
    """
    owner = make_user(roles=("instructor",))
    course = make_course(owner=owner, modules=1)
    module = course.modules[0]
    q1, q2, q3 = sorted(module.active_questions, key=lambda q: q.position)
    q3.kind = "multiple"
    q3.choices[1].is_correct = True
    db.session.commit()
    a = {q: {c.text[-1]: c.id for c in q.choices} for q in (q1, q2, q3)}  # "Đáp án A" -> "A"
    table = [
        "A A AB",
        "A A AB",
        "A A AC",
        "B A AC",
        "B A AC",
        "B A A",
        "B B ABC",
        "B B C",
        "C B BC",
        "C - .",
    ]
    for n, line in enumerate(table):
        shown, answers = [], []
        for question, picked in zip((q1, q2, q3), line.split(), strict=True):
            if picked == ".":
                continue
            choice_ids = [a[question][letter] for letter in picked if letter != "-"]
            shown.append(question.id)
            answers.append(
                AttemptAnswer(
                    question_id=question.id,
                    choice_ids=choice_ids,
                    is_correct=set(choice_ids) == question.correct_choice_ids,
                )
            )
        score = sum(x.is_correct for x in answers) / len(answers)
        attempt = QuizAttempt(
            user_id=make_user().id,
            module_id=module.id,
            token=f"hand-{n}",
            question_ids=shown,
            score=score,
            passed=score >= 0.7,
        )
        attempt.answers = answers
        db.session.add(attempt)
    db.session.commit()

    rows = {r.question.id: r for r in question_stats(course)}
    shares = {
        q.id: {c.choice.text[-1]: (c.picks, round(c.share * 100, 1)) for c in rows[q.id].choices}
        for q in (q1, q2, q3)
    }
    assert shares[q1.id] == {"A": (3, 30.0), "B": (5, 50.0), "C": (2, 20.0)}
    assert shares[q2.id] == {"A": (6, 60.0), "B": (3, 30.0), "C": (0, 0.0)}
    assert shares[q3.id] == {"A": (7, 77.8), "B": (4, 44.4), "C": (6, 66.7)}
    assert [rows[q.id].strong_distractor for q in (q1, q2, q3)] == [True, False, True]
    assert [c.beats_key for c in rows[q1.id].choices] == [False, True, False]
    assert [c.beats_key for c in rows[q3.id].choices] == [False, False, True]

    client = login_client(app, owner)
    page = client.get(f"/authoring/courses/{course.id}/stats").get_data(as_text=True)

    def section(question):
        start = page.index(f'id="q-{question.id}"')
        return page[start : page.index("</section>", start)]

    flag = "Phương án nhiễu mạnh hơn đáp án đúng"
    assert flag in section(q1) and flag in section(q3) and flag not in section(q2)
    assert all(share in section(q1) for share in ("30%", "50%", "20%"))
    assert all(share in section(q3) for share in ("78%", "44%", "67%", "9 lượt trả lời"))
    assert section(q1).count("Đáp án đúng") == 1 and section(q3).count("Đáp án đúng") == 2
    assert "được chọn nhiều hơn đáp án đúng" in section(q1)
