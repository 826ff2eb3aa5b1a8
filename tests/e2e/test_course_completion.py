"""A learner walks a whole course in the browser: lesson 1 to the last lesson with "Đánh dấu đã học"
(each moving on), every module's quiz where the last lesson leads, "Học tiếp mô-đun …" from each
result, the completion page, and the certificate downloaded from there — on a desktop and on a
360 px phone, with axe on the lesson, result and completion pages."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.certificates.conftest import nfc, pdf_text
from tests.e2e.flows import COURSE, course_answers, sign_in
from tests.live_fixtures import database_independent

pytestmark = [pytest.mark.browser, pytest.mark.slow, database_independent]

LEARNER = "Phạm Thị Hoàn Thành"
SHOTS = os.environ.get("ACADEMY_E2E_SHOTS")  # a folder: keep screenshots of the pages for review


def shoot(page, device: str, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{device}-{name}.png"), full_page=True)


def open_outline(page, device: str):
    """The course outline: a sidebar on a desktop; folded above the lesson on a phone (opened)."""
    outline = page.get_by_role("navigation", name="Nội dung khoá học")
    if device == "phone":
        assert not outline.is_visible()  # folded until asked for
        page.locator("details.course-outline > summary").click()
    outline.wait_for()
    return outline


def answer_quiz(page, answers: dict[int, list[int]]) -> None:
    """Tick the right choices of the questions shown (by choice id: the order may be shuffled)."""
    shown = {int(n) for n in re.findall(r'name="q-(\d+)"', page.content())}
    assert shown and shown <= set(answers), shown
    for question_id in shown:
        for choice_id in answers[question_id]:
            page.locator(f"input[name='q-{question_id}'][value='{choice_id}']").check()
    page.get_by_role("button", name="Nộp bài").click()
    page.wait_for_url("**/attempts/*")


def test_a_learner_walks_from_lesson_one_to_the_completion_page_and_its_certificate(
    site, new_page, axe, device
):
    email = site.add_user(full_name=LEARNER)
    answers = course_answers(site)
    modules = list(answers)
    page = new_page()
    sign_in(page, email)

    page.goto(f"/courses/{COURSE}")
    page.get_by_role("button", name="Ghi danh").click()
    page.get_by_role("link", name="Bắt đầu học").click()
    page.wait_for_url(f"**/courses/{COURSE}/{modules[0]}/*")
    shoot(page, device, "lesson-first")
    outline = open_outline(page, device)
    assert outline.locator("[aria-current=page]").count() == 1
    axe.check(page, "lesson")

    lessons_read, results = 0, 0
    while True:
        if page.url.endswith("/quiz"):
            module = page.url.rsplit("/", 2)[-2]
            answer_quiz(page, answers[module])
            page.get_by_text("Đạt", exact=True).wait_for()
            results += 1
            if results == 1:
                axe.check(page, "result")
                shoot(page, device, "result")
            follow = page.get_by_role(
                "link", name=re.compile(r"^(Học tiếp mô-đun|Nhận giấy chứng nhận)")
            )
            is_last = follow.inner_text().startswith("Nhận giấy chứng nhận")
            follow.click()
            if is_last:
                break
            continue
        page.get_by_role("button", name="Đánh dấu đã học").click()
        page.wait_for_load_state("load")
        lessons_read += 1
        if lessons_read == 3:  # a lesson whose outline shows read, current and not-yet entries
            open_outline(page, device)
            axe.check(page, "lesson with progress")
            shoot(page, device, "lesson-outline")
        assert lessons_read < 50, "mark as done never led to a quiz"

    assert results == len(modules) and lessons_read == 2 * len(modules)
    page.wait_for_url(f"**/courses/{COURSE}/complete")
    page.get_by_role("heading", level=1, name=f"Chúc mừng, {LEARNER}!").wait_for()
    axe.check(page, "completion")
    shoot(page, device, "complete")
    verify = page.get_by_role("link", name="Trang xác thực công khai")
    assert re.fullmatch(r"/verify/[A-Za-z0-9_-]{32}", verify.get_attribute("href"))

    with page.expect_download() as download:
        page.get_by_role("link", name="Tải giấy chứng nhận (PDF)").click()
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"%PDF")
    assert nfc(LEARNER) in pdf_text(data)
    serial = download.value.suggested_filename.removesuffix(".pdf")
    assert serial in page.locator("main").inner_text()

    page.goto(f"/courses/{COURSE}")  # "continue" on the completed course leads back to that page
    page.get_by_role("link", name="Xem kết quả và giấy chứng nhận").click()
    page.wait_for_url(f"**/courses/{COURSE}/complete")
    assert not page.errors, page.errors
    axe.assert_clean()
