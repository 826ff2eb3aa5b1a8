"""Stored XSS through any authoring field is impossible: every payload, in every field an author
fills, comes out inert on the authoring pages and on the learner pages."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from academy.catalog.models import Course
from academy.database import db
from tests.authoring.helpers import (
    add_lesson,
    add_module,
    add_question,
    create_course,
    login_client,
)
from tests.payloads import XSS_PAYLOADS, dangerous_fragments

ALL = "\n\n".join(XSS_PAYLOADS)


def assert_inert(html: str, where: str) -> None:
    """No executable element or attribute in the page body but the layout's scripts and forms."""
    html = html[html.index("<body") :]
    found = Counter(dangerous_fragments(html))
    found["<script>"] -= len(re.findall(r'<script src="/static/', html))
    found["<form>"] -= len(re.findall(r'<form method="(?:post|get)"', html))
    leftover = {k: v for k, v in found.items() if v > 0}
    assert not leftover, (where, leftover)
    assert "window.__xss=1" not in re.sub(
        r"&[a-z#0-9]+;", "", "".join(re.findall(r"<script[^>]*>(.*?)</script>", html, re.S))
    )


@pytest.fixture
def hostile_course(app, client, make_user, auth):
    author = make_user(roles=("instructor",), full_name='<img src=x onerror="window.__xss=1">')
    auth.login(author)
    course = create_course(
        client, title=XSS_PAYLOADS[6][:300], summary=ALL[:2000], description_md=ALL
    )
    module = add_module(
        client, course, title=XSS_PAYLOADS[26][:300], summary=XSS_PAYLOADS[0], intro_md=ALL
    )
    lesson_ids = []
    for payload in XSS_PAYLOADS:
        lesson_ids.append(
            add_lesson(
                client, course, module, title=payload[:300], body=payload + "\n\n" + ALL[:3000]
            )
        )
    for i, payload in enumerate(XSS_PAYLOADS):
        one_line = " ".join(payload.split()) or "x"
        response = add_question(
            client,
            course,
            module,
            prompt=payload if not payload.startswith(("##", "- [", ">")) else "Câu " + payload,
            choices=[(one_line, True), ("Sai rõ ràng", False)],
            explanation=ALL[:4000],
        )
        assert response.status_code in (303, 400), i
    assert client.post(f"/authoring/courses/{course.id}/publish").status_code == 303
    db.session.expire_all()
    return db.session.get(Course, course.id), lesson_ids


@pytest.mark.slow
def test_payloads_are_inert_on_authoring_pages(client, hostile_course):
    course, lesson_ids = hostile_course
    module = course.modules[0]
    assert len(module.active_questions) >= 40
    pages = [
        "/authoring/",
        f"/authoring/courses/{course.id}",
        f"/authoring/courses/{course.id}/stats",
        f"/authoring/courses/{course.id}/modules/{module.id}/quiz",
    ]
    for lesson_id in lesson_ids:
        pages += [
            f"/authoring/courses/{course.id}/lessons/{lesson_id}/preview",
            f"/authoring/courses/{course.id}/lessons/{lesson_id}/history",
        ]
    draft_id = int(
        client.post(f"/authoring/courses/{course.id}/draft").headers["Location"].split("/")[-1]
    )
    draft = db.session.get(Course, draft_id)
    d_module, d_lesson = draft.modules[0], draft.modules[0].lessons[0]
    client.post(
        f"/authoring/courses/{draft_id}/lessons/{d_lesson.id}",
        data={"title": "T", "body_md": ALL[::-1]},
    )
    pages += [
        f"/authoring/courses/{draft_id}",
        f"/authoring/courses/{draft_id}/settings",
        f"/authoring/courses/{draft_id}/modules/{d_module.id}",
        f"/authoring/courses/{draft_id}/lessons/{d_lesson.id}",
        f"/authoring/courses/{draft_id}/lessons/{d_lesson.id}/history",
        f"/authoring/courses/{draft_id}/modules/{d_module.id}/quiz/text",
        f"/authoring/courses/{draft_id}/modules/{d_module.id}/quiz/{d_module.active_questions[0].id}",
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert_inert(response.get_data(as_text=True), page)


def test_preview_endpoint_returns_inert_html_for_each_payload(client, make_user, auth):
    auth.login(make_user(roles=("instructor",)))
    for payload in XSS_PAYLOADS:
        html = client.post("/authoring/preview", data={"body_md": payload}).json["html"]
        assert not dangerous_fragments(html), payload


@pytest.mark.slow
def test_payloads_are_inert_on_learner_pages(app, hostile_course, make_user):
    course, _ = hostile_course
    learner = login_client(app, make_user())
    learner.post(f"/courses/{course.slug}/enrol")
    module = course.modules[0]
    pages = ["/courses", f"/courses/{course.slug}"] + [
        f"/courses/{course.slug}/{module.slug}/{lesson.slug}" for lesson in module.lessons
    ]
    for page in pages:
        response = learner.get(page)
        assert response.status_code == 200, page
        assert_inert(response.get_data(as_text=True), page)
    quiz = learner.get(f"/courses/{course.slug}/{module.slug}/quiz").get_data(as_text=True)
    assert_inert(quiz, "quiz")
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', quiz).group(1)
    # Every question answered (a blank one is refused), the key shown: explanations render too.
    course.review_policy = "always"
    db.session.commit()
    answers = dict(re.findall(r'name="(q-\d+)" id="[^"]+" value="(\d+)"', quiz))
    result = learner.post(
        f"/courses/{course.slug}/{module.slug}/quiz",
        data={"token": token, **answers},
        follow_redirects=True,
    )
    assert result.status_code == 200
    assert_inert(result.get_data(as_text=True), "attempt result")
