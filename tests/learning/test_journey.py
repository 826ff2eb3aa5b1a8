"""The whole learner's journey through HTTP, as a learner would click through it."""

from sqlalchemy import func, select

from academy.database import db
from academy.learning.models import Enrollment, LessonProgress, ModuleResult, QuizAttempt
from academy.learning.services import VISIT_REFRESH
from tests.learning.conftest import answers_for, lesson_url, quiz_url, token_from


def test_from_catalogue_to_quiz_result_and_progress(client, auth, make_user, make_course, fresh):
    course = make_course(title="Lãnh đạo bằng dữ liệu", track="data")
    make_course(title="Tư tưởng Hồ Chí Minh", track="theory")
    user = make_user()
    assert auth.login(user).status_code == 302

    listing = client.get("/courses?track=data&q=LANH DAO bang du lieu").get_data(as_text=True)
    assert "Lãnh đạo bằng dữ liệu" in listing and "Tư tưởng Hồ Chí Minh" not in listing

    page = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert "Ghi danh" in page and "Mô-đun 1: Dữ liệu" in page
    enrol = client.post(f"/courses/{course.slug}/enrol", follow_redirects=True)
    assert "Bạn đã ghi danh" in enrol.get_data(as_text=True)

    first, second = course.modules
    lesson = client.get(lesson_url(course, first, first.lessons[0])).get_data(as_text=True)
    assert "Nội dung bài học về <strong>dữ liệu</strong> số 1" in lesson
    assert (
        "Đánh dấu đã học" in lesson
        and f'href="{lesson_url(course, first, first.lessons[1])}"' in lesson
    )
    done = client.post(lesson_url(course, first, first.lessons[0]) + "/done", follow_redirects=True)
    assert done.request.path == lesson_url(course, first, first.lessons[1])  # on to the next lesson
    assert "Đã ghi nhận bạn học xong bài “Bài 1 của mô-đun 1”" in done.get_data(as_text=True)

    last = client.get(lesson_url(course, first, first.lessons[1])).get_data(as_text=True)
    assert quiz_url(course, first) in last  # the module quiz follows its last lesson

    token = token_from(client.get(quiz_url(course, first)).get_data(as_text=True))
    submitted = client.post(quiz_url(course, first), data={"token": token, **answers_for(first)})
    assert submitted.status_code == 302 and "/attempts/" in submitted.location
    result = client.get(submitted.location).get_data(as_text=True)
    assert "100%" in result and "Đạt" in result and "Vì đáp án A đúng." in result

    course_page = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert "Bài đã học: 1/4" in course_page and "Mô-đun đã đạt: 1/2" in course_page
    assert "Điểm cao nhất: 100%" in course_page
    home = client.get("/").get_data(as_text=True)
    assert "Lãnh đạo bằng dữ liệu" in home and "Học tiếp" in home
    assert "33%" in home  # 1 lesson + 1 module of 4 lessons + 2 modules

    fresh()
    assert db.session.scalar(select(func.count()).select_from(QuizAttempt)) == 1
    assert db.session.get(ModuleResult, (user.id, first.id)).passed_at is not None
    assert db.session.scalar(select(func.count()).select_from(LessonProgress)) == 1
    assert second.id not in {r.module_id for r in db.session.scalars(select(ModuleResult))}


def test_lesson_without_enrolment_redirects_to_the_course_with_a_request_to_enrol(
    client, learner, make_course
):
    course = make_course()
    module = course.modules[0]
    response = client.get(lesson_url(course, module, module.lessons[0]))
    assert response.status_code == 302 and response.location.endswith(f"/courses/{course.slug}")
    page = client.get(response.location).get_data(as_text=True)
    assert "Vui lòng ghi danh khoá học" in page
    assert client.get(quiz_url(course, module)).status_code == 302


def test_draft_and_archived_courses_are_not_found_for_learners(client, learner, make_course):
    draft = make_course(status="draft")
    archived = make_course(status="archived")
    for course in (draft, archived):
        assert client.get(f"/courses/{course.slug}").status_code == 404
        assert client.post(f"/courses/{course.slug}/enrol").status_code == 404
        module = course.modules[0]
        assert client.get(lesson_url(course, module, module.lessons[0])).status_code == 404
    listing = client.get("/courses").get_data(as_text=True)
    assert draft.slug not in listing and archived.slug not in listing


def test_enrol_is_idempotent_and_follows_only_a_safe_next(client, learner, make_course):
    course = make_course()
    first = client.post(f"/courses/{course.slug}/enrol", data={"next": "/courses"})
    again = client.post(f"/courses/{course.slug}/enrol", data={"next": "//evil.example/x"})
    assert first.location.endswith("/courses")
    assert again.location.endswith(f"/courses/{course.slug}")
    assert db.session.scalar(select(func.count()).select_from(Enrollment)) == 1


def test_mark_done_twice_records_one_progress_row(client, enrolled):
    module = enrolled.modules[0]
    url = lesson_url(enrolled, module, module.lessons[0]) + "/done"
    assert client.post(url).status_code == 303
    assert client.post(url).status_code == 303
    assert db.session.scalar(select(func.count()).select_from(LessonProgress)) == 1


def test_lesson_page_remembers_where_to_continue(client, enrolled, fresh):
    second = enrolled.modules[1]
    client.get(lesson_url(enrolled, second, second.lessons[1]))
    home = client.get("/").get_data(as_text=True)
    assert lesson_url(enrolled, second, second.lessons[1]) in home
    fresh()
    enrollment = db.session.scalar(select(Enrollment))
    assert (
        enrollment.last_lesson_id == second.lessons[1].id and enrollment.last_visited_at is not None
    )


def test_rereading_a_lesson_within_minutes_writes_nothing_later_it_does(client, enrolled, fresh):
    first, second = enrolled.modules[0].lessons
    url = lesson_url(enrolled, enrolled.modules[0], first)
    assert client.get(url).status_code == 200
    fresh()
    enrollment = db.session.scalar(select(Enrollment))
    seen = enrollment.last_visited_at
    assert enrollment.last_lesson_id == first.id

    assert client.get(url).status_code == 200  # a reread at once: the same visit
    fresh()
    assert enrollment.last_visited_at == seen

    enrollment.last_visited_at = seen - VISIT_REFRESH  # as if read ten minutes ago
    db.session.commit()
    assert client.get(url).status_code == 200
    fresh()
    assert enrollment.last_visited_at > seen - VISIT_REFRESH

    assert client.get(lesson_url(enrolled, enrolled.modules[0], second)).status_code == 200
    fresh()
    assert enrollment.last_lesson_id == second.id  # another lesson: recorded at once
