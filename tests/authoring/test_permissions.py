"""Only a course's owner, its co-authors and admins may touch it; all others get 404 everywhere."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from academy.catalog.models import Course
from academy.core.audit import AuditEvent
from academy.database import db
from tests.authoring.helpers import login_client

VALUES = {}


def _urls(app, course):
    """Every authoring URL that names this course, with the methods it answers."""
    module = course.modules[0]
    ids = {
        "course_id": course.id,
        "module_id": module.id,
        "lesson_id": module.lessons[0].id,
        "question_id": module.active_questions[0].id,
        "number": 1,
        "user_id": course.owner_id,
    }
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("authoring.") and "course_id" in rule.arguments:
            path = rule.rule
            for name in rule.arguments:
                path = path.replace(f"<int:{name}>", str(ids[name]))
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, path


@pytest.fixture
def owned(make_user, make_course):
    owner = make_user(email="chu@hvs.gov.vn", roles=("instructor",))
    course = make_course(owner=owner, title="Khoá của người khác")
    return owner, course


def test_other_instructor_gets_404_on_every_authoring_route(app, owned, make_user):
    owner, course = owned
    stranger = login_client(app, make_user(roles=("instructor",)))
    urls = list(_urls(app, course))
    assert len(urls) >= 25
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    for method, path in urls:
        response = stranger.open(
            path,
            method=method,
            data={"title": "Chiếm quyền", "direction": "up", "body_md": "x", "email": "a@b.vn"},
        )
        assert response.status_code == 404, (method, path, response.status_code)
    db.session.expire_all()
    assert db.session.get(Course, course.id).title == "Khoá của người khác"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before
    index = stranger.get("/authoring/").get_data(as_text=True)
    assert "Khoá của người khác" not in index


def test_learner_cannot_open_authoring(app, make_user, owned):
    learner = login_client(app, make_user())
    assert learner.get("/authoring/").status_code == 403
    assert learner.post("/authoring/preview", data={"body_md": "x"}).status_code == 403
    assert learner.get(f"/authoring/courses/{owned[1].id}").status_code == 403


def test_coauthor_edits_but_cannot_manage_authors_and_admin_edits_all(app, owned, make_user):
    owner, course = owned
    helper = make_user(email="dongtacgia@hvs.gov.vn", roles=("instructor",))
    owner_browser = login_client(app, owner)
    owner_browser.post(
        f"/authoring/courses/{course.id}/authors", data={"email": "DongTacGia@hvs.gov.vn"}
    )
    coauthor = login_client(app, helper)
    draft = coauthor.post(f"/authoring/courses/{course.id}/draft")
    assert draft.status_code == 303
    draft_id = int(draft.headers["Location"].rstrip("/").split("/")[-1])
    assert (
        coauthor.post(
            f"/authoring/courses/{draft_id}/settings",
            data={
                "title": "Đã sửa bởi đồng tác giả",
                "track": "data",
                "level": "basic",
                "hours": "3",
                "pass_threshold": "0.7",
            },
        ).status_code
        == 303
    )
    assert (
        coauthor.post(
            f"/authoring/courses/{course.id}/authors", data={"email": "x@hvs.gov.vn"}
        ).status_code
        == 404
    )
    assert "Khoá của người khác" in coauthor.get("/authoring/").get_data(as_text=True)
    admin = login_client(app, make_user(roles=("admin",)))
    assert admin.get(f"/authoring/courses/{draft_id}").status_code == 200
    owner_browser.post(f"/authoring/courses/{course.id}/authors/{helper.id}/remove")
    assert coauthor.get(f"/authoring/courses/{draft_id}").status_code == 404
    actions = list(
        db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("authoring.%")))
    )
    assert {
        "authoring.coauthor.add",
        "authoring.coauthor.remove",
        "authoring.course.update",
        "authoring.draft.create",
    } <= set(actions)
