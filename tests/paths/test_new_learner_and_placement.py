"""A brand-new learner: placement prompt, a path from difficulty and colleagues; placement quiz."""

import re

from academy.database import db
from academy.learning.models import ModuleResult, QuizAttempt
from academy.learning.services import enrol_learner
from tests.paths.conftest import item_ids


def test_brand_new_learner_gets_placement_and_colleagues_courses(
    client, auth, make_user, make_unit, make_course
):
    unit = make_unit()
    popular = make_course(track="ai", title="AI cho lãnh đạo")
    make_course(track="theory")  # a course of another track that no colleague took
    for _ in range(2):
        colleague = make_user(unit=unit, position="Phó phòng")
        enrol_learner(colleague, popular)
    db.session.commit()
    learner = make_user(unit=unit, position="Phó phòng")
    auth.login(learner)
    html = client.get("/me/path").get_data(as_text=True)
    assert "/me/placement/ai" in html
    assert set(item_ids(html)) == {m.id for m in popular.modules}
    assert "2 đồng nghiệp cùng đơn vị và vị trí đã học khoá này." in html
    assert "Bạn chưa có kết quả bài kiểm tra nào" in html
    assert "Ghi danh khoá học" in html  # not enrolled yet: offered the enrolment


def test_learner_with_nothing_at_all_still_gets_a_path(client, auth, make_user, make_course):
    course = make_course(track="theory", level="basic")
    learner = make_user()
    auth.login(learner)
    response = client.get("/")
    assert response.status_code == 200
    assert set(item_ids(response.get_data(as_text=True))) == {m.id for m in course.modules}


def _answer_all(html: str, correct_ids: set[int]) -> dict:
    data = {"ticket": re.search(r'name="ticket" type="hidden" value="([^"]+)"', html).group(1)}
    for name in set(re.findall(r'name="(q-\d+)"', html)):
        choices = re.findall(rf'name="{name}"\s+id="c\d+" value="(\d+)"', html)
        data[name] = next(c for c in choices if int(c) in correct_ids)
    return data


def test_placement_quiz_counts_for_each_module_once(client, auth, make_user, make_course):
    course = make_course(track="data", modules=3)
    other = make_course(track="theory")  # another track: not in this quiz
    learner = make_user()
    auth.login(learner)
    html = client.get("/me/placement/data").get_data(as_text=True)
    assert (
        len(set(re.findall(r'name="(q-\d+)"', html))) == 6
    )  # two questions from each of three modules
    correct = {c.id for m in course.modules for q in m.questions for c in q.choices if c.is_correct}
    form = _answer_all(html, correct)
    response = client.post("/me/placement/data", data=form)
    assert response.status_code == 303 and response.headers["Location"].endswith("/me/path")
    client.post("/me/placement/data", data=form)  # sent twice: stored once
    attempts = db.session.query(QuizAttempt).filter_by(user_id=learner.id).all()
    assert len(attempts) == 3 and {a.kind for a in attempts} == {"placement"}
    results = db.session.query(ModuleResult).filter_by(user_id=learner.id).all()
    assert sorted(r.best_score for r in results) == [1.0, 1.0, 1.0]
    page = client.get("/me/path").get_data(as_text=True)
    # the data track is done; the theory track stays on the path, its placement quiz still on offer
    assert "/me/placement/data" not in page and "/me/placement/theory" in page
    assert item_ids(page) == [m.id for m in other.modules]


def test_placement_rejects_unknown_track_and_forged_ticket(client, auth, make_user, make_course):
    make_course(track="data")
    auth.login(make_user())
    assert client.get("/me/placement/cooking").status_code == 404
    response = client.post("/me/placement/data", data={"ticket": "forged"})
    assert response.status_code == 303 and "/me/placement/data" in response.headers["Location"]
    assert db.session.query(QuizAttempt).count() == 0
