"""Image upload: the content decides the type, the size is capped, serving cannot run anything."""

from __future__ import annotations

import io
import os

import pytest

from academy.catalog.models import Course
from tests.authoring.helpers import PNG_1PX, login_client

SAMPLES = {
    "png": PNG_1PX,
    "jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32,
    "gif": b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
    "webp": b"RIFF\x1a\x00\x00\x00WEBPVP8 " + b"\x00" * 16,
}


@pytest.fixture
def setup(app, make_user, make_course):
    owner = make_user(roles=("instructor",))
    course = make_course(owner=owner)
    return login_client(app, owner), course


def upload(browser, course: Course, data: bytes, name: str):
    return browser.post(
        f"/authoring/courses/{course.id}/media",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize("ext", sorted(SAMPLES))
def test_each_image_type_is_stored_and_served_safely(setup, ext):
    browser, course = setup
    response = upload(browser, course, SAMPLES[ext], f"anh.{'jpeg' if ext == 'jpg' else ext}")
    assert response.status_code == 201
    url = response.json["url"]
    assert url.endswith("." + ext)
    served = browser.get(url)
    assert served.status_code == 200 and served.data == SAMPLES[ext]
    assert served.mimetype == {"jpg": "image/jpeg"}.get(ext, f"image/{ext}")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Disposition"] == "inline"
    assert served.headers["Content-Security-Policy"].startswith("default-src 'none'")


@pytest.mark.parametrize(
    "data,name",
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "anh.svg"),
        (b"<html><script>alert(1)</script></html>", "anh.png"),
        (b"%PDF-1.4 fake", "anh.jpg"),
        (b"GIF8", "cut.gif"),
    ],
)
def test_non_images_are_refused_whatever_their_name(setup, app, data, name):
    browser, course = setup
    response = upload(browser, course, data, name)
    assert response.status_code == 400 and "PNG, JPEG, GIF" in response.json["error"]
    assert not os.path.isdir(os.path.join(app.instance_path, "media")) or not [
        f for f in os.listdir(os.path.join(app.instance_path, "media")) if not f.startswith(".")
    ]


def test_oversized_image_is_refused(setup, app):
    browser, course = setup
    app.config["UPLOAD_MAX_BYTES"] = 1000
    response = upload(browser, course, PNG_1PX + b"\x00" * 2000, "lon.png")
    assert response.status_code == 400 and "dung lượng" in response.json["error"]


def test_only_stored_names_are_served(setup):
    browser, course = setup
    for name in ("../config.py", "..%2Fconfig.py", "abc.png", "0" * 32 + ".svg", "0" * 32 + ".png"):
        assert browser.get(f"/media/{name}").status_code == 404


def test_other_instructor_cannot_upload_to_a_course(setup, app, make_user):
    _browser, course = setup
    stranger = login_client(app, make_user(roles=("instructor",)))
    assert upload(stranger, course, PNG_1PX, "x.png").status_code == 404
