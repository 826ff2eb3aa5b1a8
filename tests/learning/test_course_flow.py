"""The way through a course over HTTP: the outline beside each lesson, "mark as done" moving on,
the end of a module leading to its quiz and then to the next module, and the completion page."""

import re

from sqlalchemy import event, select

from academy.certificates.models import Certificate
from academy.database import db
from academy.learning.lesson_nav import course_map
from tests.learning.conftest import answers_for, lesson_url, quiz_url


def done_url(course, module, lesson):
    return lesson_url(course, module, lesson) + "/done"


def pass_quiz(client, course, module, open_quiz) -> str:
    """Pass ``module``'s quiz by the right choices (by id, whatever the order); the result URL."""
    response = client.post(
        quiz_url(course, module), data={"token": open_quiz(course, module), **answers_for(module)}
    )
    assert response.status_code in (302, 303), response.status_code
    assert "/attempts/" in response.location
    return response.location


def complete(client, course, open_quiz) -> str:
    for module in course.modules:
        last = pass_quiz(client, course, module, open_quiz)
    return last


def outline_items(html: str) -> list[tuple[str, str, str]]:
    """(state class, href, whether aria-current) of each outline entry, in page order."""
    return re.findall(
        r'<li class="outline-item ([^"]*)">\s*<a class="outline-link" '
        r'href="([^"]+)"( aria-current="page")?',
        html,
    )


def test_mark_as_done_moves_to_the_next_lesson(client, enrolled):
    module = enrolled.modules[0]
    response = client.post(done_url(enrolled, module, module.lessons[0]))
    assert response.status_code == 303
    assert response.location.endswith(lesson_url(enrolled, module, module.lessons[1]))
    page = client.get(response.location).get_data(as_text=True)
    assert "Đã ghi nhận bạn học xong bài “Bài 1 của mô-đun 1”" in page


def test_the_last_lesson_of_a_module_leads_to_its_quiz(client, enrolled):
    module = enrolled.modules[0]
    response = client.post(done_url(enrolled, module, module.lessons[-1]))
    assert response.status_code == 303 and response.location.endswith(quiz_url(enrolled, module))
    quiz = client.get(response.location).get_data(as_text=True)
    assert "mời bạn làm bài kiểm tra của mô-đun" in quiz and "Nộp bài" in quiz


def test_once_its_quiz_is_passed_a_module_leads_on_to_the_next_one(client, enrolled, open_quiz):
    first, second = enrolled.modules
    result = client.get(pass_quiz(client, enrolled, first, open_quiz)).get_data(as_text=True)
    next_lesson = lesson_url(enrolled, second, second.lessons[0])
    assert "Học tiếp mô-đun “Mô-đun 2: Dữ liệu”" in result and f'href="{next_lesson}"' in result
    response = client.post(done_url(enrolled, first, first.lessons[-1]))
    assert response.status_code == 303 and response.location.endswith(next_lesson)


def test_the_outline_marks_lessons_done_and_current_and_says_when_the_quiz_is_due(client, enrolled):
    first, second = enrolled.modules
    client.post(done_url(enrolled, first, first.lessons[0]))
    html = client.get(lesson_url(enrolled, first, first.lessons[1])).get_data(as_text=True)
    items = outline_items(html)
    # The outline is written twice (folded above the lesson on a phone, a sidebar on a desktop).
    assert len(items) == 2 * (4 + 2)
    expected = [
        ("is-done", lesson_url(enrolled, first, first.lessons[0]), ""),
        ("is-current", lesson_url(enrolled, first, first.lessons[1]), ' aria-current="page"'),
        ("outline-quiz is-todo", quiz_url(enrolled, first), ""),
        ("is-todo", lesson_url(enrolled, second, second.lessons[0]), ""),
        ("is-todo", lesson_url(enrolled, second, second.lessons[1]), ""),
        ("outline-quiz is-todo", quiz_url(enrolled, second), ""),
    ]
    assert items[:6] == expected and items[6:] == expected
    assert "<details" in html and "Nội dung khoá học · đã học 1/4 bài" in html
    assert "(đã học)" in html and "(đang xem, chưa học)" in html
    assert "chưa đến lượt: còn 1 bài chưa học" in html  # this module's quiz…
    assert "chưa đến lượt: còn 2 bài chưa học" in html  # …and the next one's
    client.post(done_url(enrolled, first, first.lessons[1]))
    html = client.get(lesson_url(enrolled, first, first.lessons[1])).get_data(as_text=True)
    assert "sẵn sàng: 3 câu" in html and "(đang xem, đã học)" in html


def test_the_outline_shows_a_passed_quiz_with_its_score(client, enrolled, open_quiz):
    first = enrolled.modules[0]
    pass_quiz(client, enrolled, first, open_quiz)
    html = client.get(lesson_url(enrolled, first, first.lessons[0])).get_data(as_text=True)
    assert ("outline-quiz is-done", quiz_url(enrolled, first), "") in outline_items(html)
    assert "đã đạt 100%" in html


def test_the_outline_is_read_in_two_queries_once_its_shape_is_kept(app, learner, enrolled):
    assert learner.id and enrolled.id  # loaded before counting
    counts = []
    for _ in range(2):
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731, B023
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            outline = course_map(learner, enrolled)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        counts.append(len(statements))
        assert [len(m.lessons) for m in outline.modules] == [2, 2]
        assert outline.modules[0].question_count == 3
    # the course's shape (two queries) once per course version; the learner's state (one) each time
    assert counts == [3, 1]


def test_passing_the_last_quiz_leads_to_the_completion_page_with_the_certificate(
    client, learner, enrolled, open_quiz, fresh
):
    result = client.get(complete(client, enrolled, open_quiz)).get_data(as_text=True)
    page_url = f"/courses/{enrolled.slug}/complete"
    assert f'href="{page_url}"' in result and "Bạn đã hoàn thành khoá học" in result
    fresh()
    certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == learner.id))
    page = client.get(page_url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Chúc mừng, Trần Văn Học!" in html and "Chuyển đổi số trong cơ quan nhà nước" in html
    assert certificate.serial in html and f'href="/certificates/{certificate.serial}.pdf"' in html
    assert f'href="/verify/{certificate.verify_code}"' in html
    assert f"/verify/{certificate.verify_code}</code>" in html  # the public address, to share
    assert "4 giờ" in html and "Học tiếp theo lộ trình của bạn" in html
    pdf = client.get(f"/certificates/{certificate.serial}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_the_completion_page_is_404_for_a_learner_who_has_not_completed(
    client, auth, make_user, enrolled, open_quiz
):
    url = f"/courses/{enrolled.slug}/complete"
    assert client.get(url).status_code == 404  # enrolled, nothing passed
    pass_quiz(client, enrolled, enrolled.modules[0], open_quiz)
    assert client.get(url).status_code == 404  # half way
    assert client.get("/courses/khong-co-khoa-nay/complete").status_code == 404
    complete(client, enrolled, open_quiz)
    assert client.get(url).status_code == 200
    auth.logout()
    auth.login(make_user(full_name="Lê Thị Khác"))
    assert client.get(url).status_code == 404  # someone else's completion is not theirs


def test_continue_on_a_completed_course_opens_the_completion_page(client, enrolled, open_quiz):
    module = enrolled.modules[0]
    for lesson in module.lessons:
        client.post(done_url(enrolled, module, lesson))
    complete(client, enrolled, open_quiz)
    page = client.get(f"/courses/{enrolled.slug}").get_data(as_text=True)
    complete_url = f"/courses/{enrolled.slug}/complete"
    assert f'href="{complete_url}"' in page and "Xem kết quả và giấy chứng nhận" in page
    aside = page.split('id="my-progress-heading"')[1].split("</aside>")[0]
    assert "/mo-dun-" not in aside  # not back to lesson 1
    home = client.get("/").get_data(as_text=True)
    assert f'href="{complete_url}"' in home


def test_continue_once_every_lesson_is_read_leads_to_the_quiz_still_to_pass(
    client, enrolled, open_quiz
):
    first, second = enrolled.modules
    for module in enrolled.modules:
        for lesson in module.lessons:
            client.post(done_url(enrolled, module, lesson))
    pass_quiz(client, enrolled, first, open_quiz)
    page = client.get(f"/courses/{enrolled.slug}").get_data(as_text=True)
    aside = page.split('id="my-progress-heading"')[1].split("</aside>")[0]
    assert f'href="{quiz_url(enrolled, second)}"' in aside and "Tiếp tục: bài kiểm tra" in aside


def test_the_pass_mark_is_shown_as_the_exact_percentage(client, learner, make_course):
    course = make_course(pass_threshold=0.675)
    page = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert "Điểm đạt: 67,5%" in page


def test_a_timed_quiz_is_offered_at_the_module_end_not_started_by_mark_as_done(client, enrolled):
    module = enrolled.modules[0]
    module.quiz_time_limit = 15
    db.session.commit()
    response = client.post(done_url(enrolled, module, module.lessons[-1]))
    last = lesson_url(enrolled, module, module.lessons[-1])
    assert response.status_code == 303 and response.location.endswith(last + "#module-end")
    page = client.get(last).get_data(as_text=True)
    assert 'id="module-end"' in page and "giới hạn 15 phút, tính từ lúc bạn mở bài" in page
    assert f'href="{quiz_url(enrolled, module)}"' in page
