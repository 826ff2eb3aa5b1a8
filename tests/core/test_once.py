"""A creating form sent twice — double click, resent POST, two at once — creates one record."""

import re
import threading

from academy.catalog.models import Course
from academy.extensions import db
from tests.conftest import PASSWORD


def _token(html: str) -> str:
    return re.search(r'name="once_token" value="([^"]+)"', html).group(1)


def _course_form(token):
    return {
        "title": "Khoá học thử nghiệm",
        "summary": "Tóm tắt",
        "description_md": "Mô tả",
        "track": "data",
        "level": "basic",
        "hours": "4",
        "pass_threshold": "0.7",
        "once_token": token,
    }


def test_resent_create_form_makes_one_course(client, auth, make_user):
    auth.login(make_user(roles=("instructor",)))
    token = _token(client.get("/authoring/courses/new").get_data(as_text=True))
    first = client.post("/authoring/courses/new", data=_course_form(token))
    again = client.post("/authoring/courses/new", data=_course_form(token))
    assert first.status_code == 303
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    assert db.session.query(Course).count() == 1
    assert "đã được gửi" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_a_new_form_creates_a_second_course(client, auth, make_user):
    auth.login(make_user(roles=("instructor",)))
    for _ in range(2):
        token = _token(client.get("/authoring/courses/new").get_data(as_text=True))
        client.post("/authoring/courses/new", data=_course_form(token))
    assert db.session.query(Course).count() == 2


def test_concurrent_copies_of_one_form_make_one_course(app, make_user):
    user = make_user(roles=("instructor",))
    browser = app.test_client()
    browser.post("/login", data={"email": user.email, "password": PASSWORD})
    token = _token(browser.get("/authoring/courses/new").get_data(as_text=True))
    cookie = browser.get_cookie("session").value
    statuses = []

    def send():
        copy = app.test_client()
        copy.set_cookie("session", cookie, domain="localhost")
        statuses.append(copy.post("/authoring/courses/new", data=_course_form(token)).status_code)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.session.expire_all()
    assert statuses == [303] * 8
    assert db.session.query(Course).count() == 1
