"""What pages keep between requests (academy/cache.py) never shows one person's page to another,
and a publish is seen on the very next page, with the in-process cache and with Redis."""

from __future__ import annotations

import re

import pytest

from academy.cache import init_cache
from academy.catalog.models import Course
from academy.database import db
from academy.learning.enrolment import enrol_learner
from academy.notify.models import Notification
from tests.authoring.helpers import location_id, save_lesson
from tests.conftest import PASSWORD


@pytest.fixture(params=["in-process", "redis"])
def cache_backend(request, app):
    """The shared cache in this process, or in the machine's Redis (as several workers share it)."""
    if request.param == "redis":
        app.config["REDIS_URL"] = "redis://127.0.0.1:6379/0"
        init_cache(app)
    return request.param


@pytest.fixture
def people(make_user, make_course):
    course = make_course(title="Quản trị dữ liệu phường")
    an = make_user(email="an@hvs.gov.vn", full_name="Trần Văn An")
    binh = make_user(email="binh@hvs.gov.vn", full_name="Lê Thị Bình")
    hr = make_user(email="nhansu@hvs.gov.vn", full_name="Phạm Nhân Sự", roles=("learner", "hr"))
    for person in (an, binh, hr):
        enrol_learner(person, course)
    db.session.add(Notification(user_id=an.id, kind="test", title="Thông báo riêng của An"))
    db.session.commit()
    return course, an, binh, hr


def _signed_in(app, person):
    client = app.test_client()
    assert (
        client.post("/login", data={"email": person.email, "password": PASSWORD}).status_code == 302
    )
    return client


def _lesson_url(course, module=0, lesson=0):
    m = course.modules[module]
    return f"/courses/{course.slug}/{m.slug}/{m.lessons[lesson].slug}"


def _outline_marks(page: str) -> list[str]:
    return [part.split(")", 1)[0] for part in page.split('<span class="visually-hidden">(')[1:]]


def test_two_people_never_see_each_others_pages(app, cache_backend, people):
    course, an, binh, hr = people
    first, second = _lesson_url(course, 0, 0), _lesson_url(course, 0, 1)
    an_client, binh_client, hr_client = (_signed_in(app, p) for p in (an, binh, hr))
    assert an_client.post(first + "/done").status_code == 303

    for round_ in range(2):  # the second round is served from what the first one kept
        pages = {
            who: {
                path: c.get(path).get_data(as_text=True)
                for path in (second, "/courses", "/me/path")
            }
            for who, c in (("an", an_client), ("binh", binh_client), ("hr", hr_client))
        }
        for path in (second, "/courses", "/me/path"):
            assert "Trần Văn An" in pages["an"][path], (round_, path)
            assert "Trần Văn An" not in pages["binh"][path], (round_, path)
            assert "Lê Thị Bình" in pages["binh"][path] and "Lê Thị Bình" not in pages["an"][path]
            assert "Thông báo riêng của An" in pages["an"][path]
            assert "Thông báo riêng của An" not in pages["binh"][path]
            # the HR menu follows the reader's roles, not the first reader of the page
            assert "Ma trận tuân thủ" in pages["hr"][path]
            assert "Ma trận tuân thủ" not in pages["an"][path] + pages["binh"][path]
        # An read the first lesson; Bình did not: each outline says so
        assert _outline_marks(pages["an"][second])[0] == "đã học"
        assert _outline_marks(pages["binh"][second])[0] == "chưa học"
        assert "đã học 1/4 bài" in pages["an"][second]
        assert "đã học 0/4 bài" in pages["binh"][second]


def test_a_reader_in_english_does_not_change_anothers_language(app, cache_backend, people):
    course, an, binh, _hr = people
    an_client, binh_client = _signed_in(app, an), _signed_in(app, binh)
    an_client.post("/locale", data={"locale": "en", "next": "/courses"})
    for _ in range(2):
        english = an_client.get(_lesson_url(course)).get_data(as_text=True)
        vietnamese = binh_client.get(_lesson_url(course)).get_data(as_text=True)
        assert "My learning path" in english and "Lộ trình của tôi" not in english
        assert "Lộ trình của tôi" in vietnamese and "My learning path" not in vietnamese


def test_a_publish_is_seen_on_the_next_page(app, cache_backend, people, make_user):
    course, an, _binh, _hr = people
    owner = make_user(email="giangvien@hvs.gov.vn", roles=("instructor",))
    course.owner_id = owner.id
    db.session.commit()
    learner = _signed_in(app, an)
    lesson = _lesson_url(course)
    assert "Bài 1 của mô-đun 1" in learner.get(lesson).get_data(as_text=True)
    learner.get("/courses")
    learner.get("/me/path")

    author = _signed_in(app, owner)
    draft_id = location_id(author.post(f"/authoring/courses/{course.id}/draft"))
    draft = db.session.get(Course, draft_id)
    renamed = save_lesson(
        author, draft_id, draft.modules[0].lessons[1].id, "Bài mới: dữ liệu mở", "Nội dung mới."
    )
    assert renamed.status_code == 303
    assert author.post(f"/authoring/courses/{draft_id}/publish").status_code == 303

    page = learner.get(lesson).get_data(as_text=True)
    assert "Bài mới: dữ liệu mở" in page  # the outline beside the first lesson

    # A new course, published: in the catalogue and on the path at once.
    db.session.add(
        Course(
            slug="an-toan-thong-tin",
            title="An toàn thông tin cơ sở",
            status="draft",
            owner_id=owner.id,
        )
    )
    db.session.commit()
    assert "An toàn thông tin cơ sở" not in learner.get("/courses").get_data(as_text=True)
    new = db.session.query(Course).filter_by(slug="an-toan-thong-tin").one()
    new.status = "published"
    db.session.commit()
    assert "An toàn thông tin cơ sở" in learner.get("/courses").get_data(as_text=True)


def test_a_quiz_result_changes_the_path_at_once(app, cache_backend, people):
    course, an, _binh, _hr = people
    learner = _signed_in(app, an)
    before = learner.get("/me/path").get_data(as_text=True)
    module = course.modules[0]
    quiz = learner.get(f"/courses/{course.slug}/{module.slug}/quiz").get_data(as_text=True)
    token = re.search(r'name="token"[^>]*value="([^"]+)"', quiz).group(1)
    answers = {
        f"q-{q.id}": str(next(c.id for c in q.choices if c.is_correct)) for q in module.questions
    }
    result = learner.post(
        f"/courses/{course.slug}/{module.slug}/quiz", data={"token": token, **answers}
    )
    assert result.status_code in (302, 303)
    after = learner.get("/me/path").get_data(as_text=True)
    assert module.title in before and module.title not in after  # passed: off the path
