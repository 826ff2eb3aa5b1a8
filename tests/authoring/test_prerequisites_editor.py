"""Module prerequisites chosen in the browser: offered from this course and published courses,
saved and carried into the course folder; a loop is refused and nothing is saved."""

from __future__ import annotations

import io
import zipfile

import pytest

from academy.catalog.models import Module
from academy.database import db
from tests.authoring.helpers import add_module, create_course, login_client


@pytest.fixture
def setup(app, make_user, make_course):
    owner = make_user(roles=("instructor",))
    basics = make_course(title="Dữ liệu cơ bản", slug="du-lieu-co-ban", modules=2)
    hidden = make_course(title="Khoá chưa xuất bản", slug="khoa-nhap", status="draft", modules=1)
    browser = login_client(app, owner)
    course = create_course(browser, title="Lãnh đạo AI")
    first = add_module(browser, course, title="Học phần mở đầu")
    return browser, course, first, basics, hidden


def _edit(browser, course, module, prerequisites):
    return browser.post(
        f"/authoring/courses/{course.id}/modules/{module.id}",
        data={
            "title": module.title,
            "summary": "Tóm tắt",
            "intro_md": "Giới thiệu",
            "minutes": "30",
            "prerequisites": [str(i) for i in prerequisites],
        },
    )


def test_a_new_module_requires_published_modules_and_the_course_folder_says_so(setup):
    browser, course, first, basics, hidden = setup
    page = browser.get(f"/authoring/courses/{course.id}/modules/new").get_data(as_text=True)
    assert "Học phần tiên quyết" in page and "Dữ liệu cơ bản" in page and "Học phần mở đầu" in page
    assert "Khoá chưa xuất bản" not in page  # learners could never pass it
    required = basics.modules[0]
    second = add_module(
        browser, course, title="Rủi ro của AI", prerequisites=[str(required.id), str(first.id)]
    )
    assert {m.id for m in second.prerequisites} == {required.id, first.id}

    edit = browser.get(f"/authoring/courses/{course.id}/modules/{second.id}").get_data(as_text=True)
    assert f'value="{required.id}" id="prerequisite-{required.id}" checked' in edit

    blob = browser.get(f"/authoring/courses/{course.id}/export.zip").data
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        module_md = archive.read(f"{course.slug}/02-{second.slug}/module.md").decode()
    assert (
        f"du-lieu-co-ban/{required.slug}" in module_md
        and f"{course.slug}/{first.slug}" in module_md
    )


def test_clearing_every_box_removes_the_prerequisites(setup):
    browser, course, first, basics, _hidden = setup
    assert _edit(browser, course, first, [basics.modules[0].id]).status_code == 303
    assert _edit(browser, course, first, []).status_code == 303
    db.session.expire_all()
    assert db.session.get(Module, first.id).prerequisites == []


def test_a_loop_is_refused_with_a_clear_message_and_nothing_is_saved(setup):
    browser, course, first, _basics, _hidden = setup
    second = add_module(browser, course, title="Học phần tiếp theo", prerequisites=[str(first.id)])
    response = _edit(browser, course, first, [second.id])
    assert response.status_code == 400
    assert "vòng lặp" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Module, first.id).prerequisites == []
    assert [m.id for m in db.session.get(Module, second.id).prerequisites] == [first.id]


def test_a_module_outside_the_offer_is_refused(setup):
    browser, course, first, _basics, hidden = setup
    response = _edit(browser, course, first, [hidden.modules[0].id])
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Module, first.id).prerequisites == []
