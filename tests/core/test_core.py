"""Health, errors, security headers, language."""

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from academy import create_app
from academy.extensions import db


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json["database"] == "ok"


def test_healthz_503_when_database_unreachable(client, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json["database"] == "unreachable"


def test_security_headers_on_every_response(client):
    for path in ("/login", "/healthz", "/nope", "/static/css/app.css"):
        with client.get(path) as response:
            headers = response.headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_friendly_404_in_vietnamese_then_english(client):
    page = client.get("/khong-co-trang-nay")
    assert page.status_code == 404
    assert "Không tìm thấy trang" in page.get_data(as_text=True)
    client.post("/locale", data={"locale": "en", "next": "/login"})
    page = client.get("/khong-co-trang-nay")
    assert "Page not found" in page.get_data(as_text=True)


def test_language_switch_changes_the_login_page(client):
    assert "Đăng nhập" in client.get("/login").get_data(as_text=True)
    response = client.post("/locale", data={"locale": "en", "next": "/login"})
    assert response.headers["Location"].endswith("/login")
    html = client.get("/login").get_data(as_text=True)
    assert "Sign in" in html and 'lang="en"' in html


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example/"])
def test_language_switch_ignores_outside_redirects(client, target):
    response = client.post("/locale", data={"locale": "en", "next": target})
    assert "evil.example" not in response.headers["Location"]


def test_unexpected_error_is_a_friendly_500(app, client):
    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("boom")

    page = client.get("/boom-for-test")
    assert page.status_code == 500
    assert "Lỗi hệ thống" in page.get_data(as_text=True)


def test_ids_beyond_the_database_range_are_not_found(client, auth, make_user):
    auth.login(make_user())
    assert client.get("/attempts/99999999999999999999").status_code == 404


def test_nul_byte_in_a_slug_is_not_found(client, auth, make_user):
    auth.login(make_user())
    assert client.get("/courses/a%00b").status_code == 404


def test_database_down_gives_the_friendly_503_page(app, client, auth, make_user, monkeypatch):
    auth.login(make_user())

    def refuse(*args, **kwargs):
        raise OperationalError("SELECT", {}, Exception("could not connect to server"))

    monkeypatch.setattr(Session, "execute", refuse)
    monkeypatch.setattr(Session, "get", refuse)
    page = client.get("/courses")
    assert page.status_code == 503
    assert "Hệ thống tạm thời gián đoạn" in page.get_data(as_text=True)


def _odd_failure(app):
    @app.get("/odd-failure-for-test")
    def odd_failure():
        raise IndexError("pop from an empty deque")  # a driver failing in its own way


def test_an_odd_failure_while_the_database_answers_is_a_500(app, client):
    _odd_failure(app)
    page = client.get("/odd-failure-for-test")
    assert page.status_code == 500 and "Lỗi hệ thống" in page.get_data(as_text=True)


def test_an_odd_failure_while_the_database_is_away_is_the_friendly_503(tmp_path):
    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": "postgresql://postgres@127.0.0.1:9/academy",
            "REDIS_URL": None,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    app.instance_path = str(tmp_path)
    _odd_failure(app)
    page = app.test_client().get("/odd-failure-for-test")
    assert page.status_code == 503
    assert "Hệ thống tạm thời gián đoạn" in page.get_data(as_text=True)
