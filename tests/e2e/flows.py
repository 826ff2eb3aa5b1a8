"""Steps shared by the journeys: signing in through the form, knowing a quiz's right answers,
passing quizzes over plain HTTP where the browser is not the point."""

from __future__ import annotations

import re

from sqlalchemy import select

from academy.catalog.models import Course
from tests.live_server import DEMO_PASSWORD, HttpSession, csrf_token_in

COURSE = "lanh-dao-bang-du-lieu"  # shipped in courses/: the journey's course


def sign_in(page, email: str, password: str = DEMO_PASSWORD, axe=None) -> None:
    page.goto("/login")
    if axe:
        axe.check(page, "login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(lambda url: "/login" not in url)


def open_menu(page) -> None:
    """On a phone the main navigation hides behind the toggler."""
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible() and toggler.get_attribute("aria-expanded") != "true":
        toggler.click()
        page.locator("#mainnav.show").wait_for()


def go_by_menu(page, name: str) -> None:
    """Follow the main navigation's link ``name``, opening the menu it sits in (HR's "Nhân sự")
    first if it is one of a menu's items."""
    open_menu(page)
    named = page.get_by_role("link", name=name, exact=True, include_hidden=True)
    nav = page.locator("#mainnav")
    link = nav.locator(named)
    if not link.is_visible():
        nav.locator(".dropdown").filter(has=named).locator("[data-bs-toggle=dropdown]").click()
    link.click()
    page.wait_for_load_state("load")


def course_answers(site, slug: str = COURSE) -> dict[str, dict[int, list[int]]]:
    """{module slug: {question id: [correct choice ids]}} of the published course."""
    with site.db() as session:
        course = session.scalar(
            select(Course).where(Course.slug == slug, Course.status == "published")
        )
        assert course is not None, f"course {slug} is not published on the live site"
        return {
            module.slug: {
                q.id: [c.id for c in q.choices if c.is_correct]
                for q in module.questions
                if getattr(q, "is_active", True)
            }
            for module in course.modules
        }


def wrong_answers(site, slug: str = COURSE) -> dict[str, dict[int, list[int]]]:
    """{module slug: {question id: [one wrong choice id]}}: an answer, but not the right one."""
    with site.db() as session:
        course = session.scalar(
            select(Course).where(Course.slug == slug, Course.status == "published")
        )
        return {
            module.slug: {
                q.id: [next(c.id for c in q.choices if not c.is_correct)]
                for q in module.questions
                if getattr(q, "is_active", True)
            }
            for module in course.modules
        }


def quiz_form(session: HttpSession, slug: str, module: str) -> tuple[str, str, list[int]]:
    """(csrf token, quiz token, question ids) of a freshly opened quiz page."""
    page = session.get(f"/courses/{slug}/{module}/quiz")
    assert page.status == 200, (page.status, page.text[:300])
    token = re.search(r'name="token"[^>]*value="([^"]+)"', page.text) or re.search(
        r'value="([^"]+)"[^>]*name="token"', page.text
    )
    assert token, "no quiz token in the quiz page"
    qids = sorted({int(q) for q in re.findall(r'name="q-(\d+)"', page.text)})
    return csrf_token_in(page.text), token.group(1), qids


def answer_fields(csrf: str, token: str, answers: dict[int, list[int]]) -> list[tuple[str, str]]:
    fields = [("csrf_token", csrf), ("token", token)]
    for qid, choices in answers.items():
        fields += [(f"q-{qid}", str(c)) for c in choices]
    return fields


def pass_quiz_http(session: HttpSession, slug: str, module: str, answers: dict[int, list[int]]):
    csrf, token, qids = quiz_form(session, slug, module)
    response = session.post(
        f"/courses/{slug}/{module}/quiz", answer_fields(csrf, token, {q: answers[q] for q in qids})
    )
    assert response.status == 302 and "/attempts/" in response.headers["Location"], response.status
    return response.headers["Location"]


def enrol_http(session: HttpSession, slug: str = COURSE) -> None:
    csrf = session.csrf_token(f"/courses/{slug}")
    response = session.post(f"/courses/{slug}/enrol", {"csrf_token": csrf})
    assert response.status in (302, 303), response.status
