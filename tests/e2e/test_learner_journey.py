"""A cadre signs in, reads their path, enrols, reads a lesson, passes a quiz and downloads the
certificate — in Vietnamese, on a desktop and on a 360 × 740 phone, with axe on every page."""

from __future__ import annotations

import pytest

from tests.e2e.flows import COURSE, course_answers, go_by_menu, pass_quiz_http, sign_in
from tests.live_fixtures import database_independent

pytestmark = [pytest.mark.browser, pytest.mark.slow, database_independent]


def test_learner_reaches_a_certificate(site, new_page, axe, device):
    email = site.add_user(full_name="Trần Thị Ngọc Ánh")
    answers = course_answers(site)
    first_module = next(iter(answers))
    page = new_page()

    sign_in(page, email, axe=axe)
    axe.check(page, "home")
    assert page.locator("html").get_attribute("lang") == "vi"

    go_by_menu(page, "Lộ trình của tôi")
    page.get_by_role("heading", level=1, name="Lộ trình học của tôi").wait_for()
    axe.check(page, "path")

    go_by_menu(page, "Khoá học")
    axe.check(page, "catalogue")
    page.locator(f'a[href="/courses/{COURSE}"]').first.click()
    page.wait_for_url(f"**/courses/{COURSE}")
    axe.check(page, "course")
    page.get_by_role("button", name="Ghi danh").click()
    page.get_by_role("link", name="Bắt đầu học").click()
    page.wait_for_url(f"**/courses/{COURSE}/{first_module}/*")
    axe.check(page, "lesson")
    page.get_by_role("button", name="Đánh dấu đã học").click()
    page.get_by_text("Đã ghi nhận bạn học xong bài").wait_for()  # and moved on to the next lesson

    page.goto(f"/courses/{COURSE}/{first_module}/quiz")
    axe.check(page, "quiz")
    for question_id, choice_ids in answers[first_module].items():
        for choice_id in choice_ids:
            page.locator(f"label[for='q{question_id}-c{choice_id}']").click()
    page.get_by_role("button", name="Nộp bài").click()
    page.wait_for_url("**/attempts/*")
    page.get_by_text("Đạt", exact=True).wait_for()
    assert "100" in page.locator("main").inner_text()
    axe.check(page, "result")

    # The other modules over plain HTTP (enrolled above, in the browser): the browser was the
    # point for the first one.
    http = site.http(email)
    for module, module_answers in list(answers.items())[1:]:
        pass_quiz_http(http, COURSE, module, module_answers)

    go_by_menu(page, "Chứng chỉ")
    axe.check(page, "certificates")
    link = page.get_by_role("link", name="Tải PDF").first
    pdf = page.request.get(link.get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"].startswith("application/pdf")
    assert pdf.body().startswith(b"%PDF")
    assert not page.errors, page.errors
    axe.assert_clean()
