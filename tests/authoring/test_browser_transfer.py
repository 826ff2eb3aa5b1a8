"""ZIP round trip from the browser: export then import reproduces the course; a malformed upload
is rejected with file and line and changes nothing."""

from __future__ import annotations

import io
import os
import zipfile

import pytest
from sqlalchemy import func, select

from academy.catalog.models import Course, Lesson
from academy.coursefiles.importer import import_courses
from academy.coursefiles.sync import course_to_data
from academy.database import db
from tests.authoring.helpers import PNG_1PX, login_client
from tests.coursefiles.helpers import MINI_COURSE


@pytest.fixture
def owner_and_course(app, make_user, make_course):
    owner = make_user(roles=("instructor",))
    course = make_course(owner=owner, slug="du-lieu-phuong")
    return login_client(app, owner), course


def _upload(browser, blob, name="khoa-hoc.zip", follow=False):
    return browser.post(
        "/authoring/import",
        data={"file": (io.BytesIO(blob), name)},
        content_type="multipart/form-data",
        follow_redirects=follow,
    )


def _comparable(course):
    data = course_to_data(course)
    data.status = None
    return data


def test_export_then_import_reproduces_the_course(owner_and_course):
    browser, course = owner_and_course
    response = browser.get(f"/authoring/courses/{course.id}/export.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    blob = response.data
    names = zipfile.ZipFile(io.BytesIO(blob)).namelist()
    assert "du-lieu-phuong/course.md" in names and "du-lieu-phuong/01-mo-dun-1/quiz.md" in names
    before = _comparable(course)
    db.session.delete(course)
    db.session.commit()

    imported = _upload(browser, blob, follow=True)
    assert imported.status_code == 200 and "du-lieu-phuong" in imported.get_data(as_text=True)
    again = db.session.scalar(select(Course).where(Course.slug == "du-lieu-phuong"))
    assert again.status == "draft"  # a course arriving from the browser waits to be published
    assert _comparable(again) == before
    assert _files(browser.get(f"/authoring/courses/{again.id}/export.zip").data) == _files(blob)


def _edited(blob: bytes, suffix: str, old: str, new: str) -> bytes:
    """The ZIP with ``old`` replaced by ``new`` in the member ending with ``suffix``."""
    changed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(blob)) as source, zipfile.ZipFile(changed, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith(suffix):
                data = data.replace(old.encode(), new.encode())
            target.writestr(info, data)
    return changed.getvalue()


def _files(blob: bytes) -> dict[str, str]:
    """Every file of a course ZIP; the status line differs only because the copy is a draft."""
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        return {
            name: archive.read(name).decode().replace("status: draft\n", "")
            for name in archive.namelist()
        }


def test_import_into_published_course_lands_in_its_draft(owner_and_course):
    browser, course = owner_and_course
    blob = browser.get(f"/authoring/courses/{course.id}/export.zip").data
    changed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(blob)) as source, zipfile.ZipFile(changed, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith("01-bai-1.md"):
                data = data.replace("Nội dung bài học".encode(), "Nội dung đã sửa qua ZIP".encode())
            target.writestr(info, data)
    assert _upload(browser, changed.getvalue()).status_code == 303
    db.session.expire_all()
    live = db.session.get(Course, course.id)
    assert "đã sửa qua ZIP" not in live.modules[0].lessons[0].body_md
    assert "đã sửa qua ZIP" in live.draft.modules[0].lessons[0].body_md
    assert browser.post(f"/authoring/courses/{live.draft.id}/publish").status_code == 303
    db.session.expire_all()
    assert "đã sửa qua ZIP" in db.session.get(Course, course.id).modules[0].lessons[0].body_html


def test_a_prerequisite_inside_the_course_survives_a_zip_into_the_draft_and_publishing(
    app, make_user
):
    import_courses(MINI_COURSE)  # thuc-hanh requires nhap-mon
    db.session.commit()
    browser = login_client(app, make_user(roles=("admin",)))
    live = db.session.scalar(select(Course).where(Course.slug == "mini-course"))
    blob = browser.get(f"/authoring/courses/{live.id}/export.zip").data
    # something changes (an unchanged ZIP makes no draft at all, see test_quiz_settings.py)
    assert (
        _upload(
            browser, _edited(blob, "course.md", "Nội dung ngắn gọn", "Nội dung rất ngắn gọn")
        ).status_code
        == 303
    )
    db.session.expire_all()
    draft = db.session.get(Course, live.id).draft
    assert [(m.course_id, m.slug) for m in draft.modules[1].prerequisites] == [
        (draft.id, "nhap-mon")
    ]
    assert browser.post(f"/authoring/courses/{draft.id}/publish").status_code == 303
    db.session.expire_all()
    live = db.session.get(Course, live.id)
    assert live.draft is None
    assert [(m.course_id, m.slug) for m in live.modules[1].prerequisites] == [(live.id, "nhap-mon")]


@pytest.mark.parametrize(
    "mutate,where",
    [
        (
            lambda text: text.replace("- [x] Đáp án A", "- [x Đáp án A", 1),
            "du-lieu-phuong/01-mo-dun-1/quiz.md:",
        ),
        (
            lambda text: text.replace("title:", "title: [không đóng", 1),
            "du-lieu-phuong/01-mo-dun-1/01-bai-1.md:",
        ),
    ],
)
def test_malformed_zip_is_rejected_with_file_and_line_and_changes_nothing(
    owner_and_course, mutate, where
):
    browser, course = owner_and_course
    blob = browser.get(f"/authoring/courses/{course.id}/export.zip").data
    target_file = where.rstrip(":")
    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(blob)) as source, zipfile.ZipFile(broken, "w") as target:
        for info in source.infolist():
            text = source.read(info).decode()
            target.writestr(
                info,
                mutate(text)
                if info.filename == target_file
                else text.replace("Nội dung bài học", "Không được lưu"),
            )
    counts = (
        db.session.scalar(select(func.count()).select_from(Course)),
        db.session.scalar(select(func.count()).select_from(Lesson)),
    )
    response = _upload(browser, broken.getvalue())
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"<code>{where}" in page  # file:line shown to the author
    db.session.expire_all()
    assert counts == (
        db.session.scalar(select(func.count()).select_from(Course)),
        db.session.scalar(select(func.count()).select_from(Lesson)),
    )
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Lesson)
            .where(Lesson.body_md.contains("Không được lưu"))
        )
        == 0
    )


def test_not_a_zip_and_foreign_course_are_refused(owner_and_course, app, make_user, make_course):
    browser, _course = owner_and_course
    response = _upload(browser, b"khong phai zip", "x.zip")
    assert response.status_code == 400 and "x.zip" in response.get_data(as_text=True)
    other = make_course(owner=make_user(roles=("instructor",)), slug="cua-nguoi-khac")
    admin = login_client(app, make_user(roles=("admin",)))
    blob = admin.get(f"/authoring/courses/{other.id}/export.zip").data
    refused = _upload(browser, blob)
    assert refused.status_code == 400 and "cua-nguoi-khac/course.md" in refused.get_data(
        as_text=True
    )
    db.session.expire_all()
    assert db.session.get(Course, other.id).draft is None


def test_images_a_lesson_shows_travel_with_the_exported_course(owner_and_course, app):
    browser, course = owner_and_course
    uploaded = browser.post(
        f"/authoring/courses/{course.id}/media",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(PNG_1PX), "so-do.png"), "alt": "Sơ đồ"},
    )
    url, name = uploaded.json["url"], uploaded.json["url"].rsplit("/", 1)[1]
    lesson = course.modules[0].lessons[0]
    lesson.body_md += f"\n\n{uploaded.json['markdown']}\n"
    db.session.commit()

    blob = browser.get(f"/authoring/courses/{course.id}/export.zip").data
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        assert archive.read(f"du-lieu-phuong/media/{name}") == PNG_1PX
        assert [n for n in archive.namelist() if "/media/" in n] == [f"du-lieu-phuong/media/{name}"]

    # On another installation (no such image yet), importing the ZIP brings the image along.
    os.remove(os.path.join(app.instance_path, "media", name))
    assert browser.get(url).status_code == 404
    db.session.delete(course)
    db.session.commit()
    assert _upload(browser, blob, follow=True).status_code == 200
    served = browser.get(url)
    assert served.status_code == 200 and served.data == PNG_1PX and served.mimetype == "image/png"


@pytest.mark.parametrize(
    "member,content",
    [
        (
            "media/0123456789abcdef0123456789abcdef.png",
            b"<script>alert(1)</script>",
        ),  # not a PNG inside
        ("media/so-do.png", None),  # a name the platform never gives
    ],
)
def test_an_unusable_image_in_a_zip_is_named_and_changes_nothing(
    owner_and_course, app, member, content
):
    browser, course = owner_and_course
    blob = browser.get(f"/authoring/courses/{course.id}/export.zip").data
    with zipfile.ZipFile(io.BytesIO(blob)) as source:
        files = {n: source.read(n) for n in source.namelist()}
    files[f"du-lieu-phuong/{member}"] = content if content is not None else PNG_1PX
    files["du-lieu-phuong/01-mo-dun-1/01-bai-1.md"] += "\nMột câu mới.\n".encode()
    changed = io.BytesIO()
    with zipfile.ZipFile(changed, "w") as target:
        for name, data in files.items():
            target.writestr(name, data)
    lessons_before = [lesson.body_md for module in course.modules for lesson in module.lessons]

    page = _upload(browser, changed.getvalue(), follow=True)
    assert page.status_code in (200, 400)
    assert f"du-lieu-phuong/{member}" in page.get_data(as_text=True)
    db.session.expire_all()
    assert [
        lesson.body_md for module in course.modules for lesson in module.lessons
    ] == lessons_before
    media = os.path.join(app.instance_path, "media")
    assert not os.path.isdir(media) or os.listdir(media) == []
