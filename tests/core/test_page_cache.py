"""Whole pages kept for everyone in the same state (academy/core/page_cache.py): each reader still
gets their own name, bell and working form tokens; messages are never kept; a change of state
shows on the next view."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import template_rendered
from sqlalchemy import bindparam, event, select

from academy.auth.sessions import load_user, view_inputs, view_rows
from academy.catalog.models import Lesson
from academy.database import db, utcnow
from academy.learning.enrolment import enrol_learner
from academy.learning.models import Enrollment, ModuleResult
from academy.notify.models import Notification
from academy.paths.services import LEARNER_ROWS
from tests.conftest import PASSWORD


@pytest.fixture
def two_readers(csrf_app, make_user, make_course):
    course = make_course(title="Văn hoá công vụ số")
    an = make_user(email="an@hvs.gov.vn", full_name="Trần Văn An")
    binh = make_user(email="binh@hvs.gov.vn", full_name="Lê Thị Bình")
    for person in (an, binh):
        enrol_learner(person, course)
    db.session.add(Notification(user_id=binh.id, kind="test", title="Lịch họp của Bình"))
    db.session.commit()
    return course, an, binh


def _signed_in(app, person):
    client = app.test_client()
    login = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login",
        data={"email": person.email, "password": PASSWORD, "csrf_token": _token(login)},
    )
    assert response.status_code == 302
    return client


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def _lesson(course, lesson=0):
    module = course.modules[0]
    return f"/courses/{course.slug}/{module.slug}/{module.lessons[lesson].slug}"


@pytest.fixture
def renders(csrf_app):
    """The names of the templates rendered, as they happen."""
    seen: list[str] = []

    def record(_app, template, **_extra):
        seen.append(template.name)

    template_rendered.connect(record, csrf_app)
    yield seen
    template_rendered.disconnect(record, csrf_app)


def test_readers_in_the_same_state_share_the_page_but_not_their_own_parts(
    csrf_app, two_readers, renders
):
    course, an, binh = two_readers
    url = _lesson(course)
    an_client, binh_client = _signed_in(csrf_app, an), _signed_in(csrf_app, binh)

    an_page = an_client.get(url).get_data(as_text=True)
    assert "learning/lesson.html" in renders
    renders.clear()
    binh_page = binh_client.get(url).get_data(as_text=True)
    assert "learning/lesson.html" not in renders  # the page An's visit kept

    assert "Trần Văn An" in an_page and "Lê Thị Bình" not in an_page
    assert "Lê Thị Bình" in binh_page and "Trần Văn An" not in binh_page
    assert "Lịch họp của Bình" in binh_page and "Lịch họp của Bình" not in an_page
    assert "csrf-" not in an_page + binh_page and "part-bell" not in an_page + binh_page
    assert _token(an_page) != _token(binh_page)

    # Each reader's token works for them, and only for them.
    done = url + "/done"
    assert an_client.post(done, data={"csrf_token": _token(binh_page)}).status_code == 400
    assert binh_client.post(done, data={"csrf_token": _token(binh_page)}).status_code == 303
    # Bình's state changed: the next view of the lesson is a new page, with the lesson marked read.
    renders.clear()
    again = binh_client.get(url).get_data(as_text=True)
    assert "Bạn đã học xong bài này." in again
    assert "learning/lesson.html" in renders


def test_a_page_with_a_message_is_shown_with_it_and_not_kept(csrf_app, two_readers, renders):
    course, an, _binh = two_readers
    client = _signed_in(csrf_app, an)
    first = client.get(_lesson(course, 0)).get_data(as_text=True)
    response = client.post(_lesson(course, 0) + "/done", data={"csrf_token": _token(first)})
    following = response.headers["Location"]
    with_message = client.get(following).get_data(as_text=True)
    assert "Đã ghi nhận bạn học xong bài" in with_message
    renders.clear()
    later = client.get(following).get_data(as_text=True)
    assert "Đã ghi nhận bạn học xong bài" not in later
    assert "learning/lesson.html" in renders  # the page with the message was not the one kept
    renders.clear()
    third = client.get(following).get_data(as_text=True)
    assert "learning/lesson.html" not in renders  # now kept
    assert third.replace(_token(third), "") == later.replace(_token(later), "")


def test_the_catalogue_and_path_are_kept_per_state(csrf_app, two_readers, renders):
    course, an, binh = two_readers
    an_client, binh_client = _signed_in(csrf_app, an), _signed_in(csrf_app, binh)
    an_client.get("/courses")
    renders.clear()
    binh_catalogue = binh_client.get("/courses").get_data(as_text=True)
    assert "catalog/course_list.html" not in renders  # same cards, same (no) progress
    assert "Lê Thị Bình" in binh_catalogue and "Trần Văn An" not in binh_catalogue

    lesson = an_client.get(_lesson(course)).get_data(as_text=True)
    an_client.post(_lesson(course) + "/done", data={"csrf_token": _token(lesson)})
    renders.clear()
    an_catalogue = an_client.get("/courses").get_data(as_text=True)
    assert "catalog/course_list.html" in renders  # An's progress moved: a page of its own
    assert an_catalogue != binh_catalogue.replace("Lê Thị Bình", "Trần Văn An")

    an_client.get("/me/path")
    renders.clear()
    binh_path = binh_client.get("/me/path").get_data(as_text=True)
    assert "paths/my_path.html" in renders  # a path is its learner's own
    assert "Lê Thị Bình" in binh_path and "Trần Văn An" not in binh_path


def test_a_kept_lesson_costs_one_statement_with_the_readers_own_inputs(csrf_app, two_readers):
    """The lesson's inputs come in the signed-in user's statement (auth.sessions.read_with_user),
    and they are each request's own: another lesson, another reader, a lesson that is not there."""
    course, an, binh = two_readers
    an_client, binh_client = _signed_in(csrf_app, an), _signed_in(csrf_app, binh)
    first, second = _lesson(course, 0), _lesson(course, 1)
    an_client.get(first)  # kept from now on, visit recorded
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        again = an_client.get(first)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert again.status_code == 200 and "Bài 1 của mô-đun 1" in again.get_data(as_text=True)
    assert len(statements) == 1, statements

    other = an_client.get(second).get_data(as_text=True)
    assert "Bài 2 của mô-đun 1" in other and "Trần Văn An" in other
    assert an_client.get(first + "-khong-co").status_code == 404
    binh_page = binh_client.get(first).get_data(as_text=True)
    assert "Lê Thị Bình" in binh_page and "Lịch họp của Bình" in binh_page


class _Statements(list):
    """The SQL statements run while in the ``with`` block."""

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc):
        event.remove(db.engine, "before_cursor_execute", self._count)

    def _count(self, _conn, _cursor, statement, *_args):
        self.append(statement)


def _progress_on_card(page: str, course) -> int:
    label = f'aria-label="Tiến độ của tôi: {course.title}" aria-valuenow="'
    return int(re.search(re.escape(label) + r'(\d+)"', page).group(1))


def test_a_kept_catalogue_and_path_cost_one_statement_with_the_readers_own_marks(
    csrf_app, two_readers
):
    """The cards' marks and the path's inputs (several rows each) come in the signed-in user's
    statement too, and they are each reader's own."""
    course, an, binh = two_readers
    late = db.session.scalars(select(Enrollment).filter_by(user_id=binh.id)).one()
    late.due_at = utcnow() - timedelta(days=2)
    db.session.commit()
    an_client, binh_client = _signed_in(csrf_app, an), _signed_in(csrf_app, binh)
    lesson = an_client.get(_lesson(course)).get_data(as_text=True)
    an_client.post(_lesson(course) + "/done", data={"csrf_token": _token(lesson)})
    for page in ("/courses", "/me/path"):
        an_client.get(page)  # kept from now on

    with _Statements() as statements:
        an_catalogue = an_client.get("/courses").get_data(as_text=True)
    assert len(statements) == 1, statements
    with _Statements() as statements:
        an_path = an_client.get("/me/path")
    assert an_path.status_code == 200 and len(statements) == 1, statements

    binh_catalogue = binh_client.get("/courses").get_data(as_text=True)
    assert _progress_on_card(an_catalogue, course) > 0 and "Quá hạn" not in an_catalogue
    assert _progress_on_card(binh_catalogue, course) == 0 and "Quá hạn" in binh_catalogue


def test_rows_read_with_one_user_are_not_given_for_another(csrf_app, two_readers):
    """``view_rows`` takes what came with the user only for the same parameters: asked for
    another learner in the same request, it reads theirs."""
    course, an, binh = two_readers
    db.session.add(ModuleResult(user_id=binh.id, module_id=course.modules[0].id, best_score=40.0))
    db.session.commit()
    an_id, an_session, binh_id = an.id, an.get_id(), binh.id
    expected = {("enrolment", course.id), ("result", course.modules[0].id)}
    with csrf_app.test_request_context("/me/path"):
        assert load_user(an_session).id == an_id
        with _Statements() as statements:
            an_rows = view_rows(LEARNER_ROWS, {"user_id": an_id})
        assert statements == []  # read with An
        with _Statements() as statements:
            binh_rows = view_rows(LEARNER_ROWS, {"user_id": binh_id})
        assert len(statements) == 1
    assert [(row.kind, row.item_id) for row in an_rows] == [("enrolment", course.id)]
    assert {(row.kind, row.item_id) for row in binh_rows} == expected


def test_a_views_inputs_are_read_on_their_own_when_no_user_was_loaded_with_them(
    csrf_app, two_readers
):
    """``view_inputs`` outside a signed-in request (no user statement carried them): the same
    statement runs alone, and a row that is not there reads as all None."""
    course, _an, _binh = two_readers
    first = course.modules[0].lessons[0]
    inputs = select(Lesson.id.label("lesson_id"), Lesson.title).where(
        Lesson.slug == bindparam("lesson_slug")
    )
    with csrf_app.test_request_context(_lesson(course)):
        found = view_inputs(inputs, {"lesson_slug": first.slug})
        missing = view_inputs(inputs, {"lesson_slug": "khong-co"})
    assert (found.lesson_id, found.title) == (first.id, first.title)
    assert (missing.lesson_id, missing.title) == (None, None)
