"""The session cookie is Secure wherever the site is served over https (issue 16a)."""

import logging

import pytest
from flask import session

from academy import create_app


@pytest.fixture
def production():
    """create_app for a production configuration (no database touched: create_app does no I/O)."""

    def build(**settings):
        return create_app({"ENV_NAME": "production", "SECRET_KEY": "s" * 40, **settings})

    return build


def test_https_base_url_makes_the_session_cookie_secure(production):
    app = production(PUBLIC_BASE_URL="https://hocvien.example.gov.vn")
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_a_plain_http_base_url_leaves_it_off(production):
    assert (
        production(PUBLIC_BASE_URL="http://127.0.0.1:5000").config["SESSION_COOKIE_SECURE"] is False
    )


def test_an_explicit_setting_wins(production):
    app = production(PUBLIC_BASE_URL="https://hocvien.example.gov.vn", SESSION_COOKIE_SECURE=False)
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_production_without_a_secure_cookie_warns_at_start_up(production, caplog):
    with caplog.at_level(logging.WARNING):
        production(PUBLIC_BASE_URL="http://hocvien.example.gov.vn")
    assert any(
        r.levelno == logging.WARNING and "SESSION_COOKIE_SECURE" in r.getMessage()
        for r in caplog.records
    )


def test_a_secure_production_or_a_development_setup_starts_quietly(production, caplog):
    with caplog.at_level(logging.WARNING):
        production(PUBLIC_BASE_URL="https://hocvien.example.gov.vn")
        create_app({"ENV_NAME": "development"})
    assert not [r for r in caplog.records if "SESSION_COOKIE_SECURE" in r.getMessage()]


def test_the_secure_cookie_is_sent_with_the_secure_flag(production):
    app = production(
        PUBLIC_BASE_URL="https://hocvien.example.gov.vn", SQLALCHEMY_DATABASE_URI="sqlite://"
    )

    @app.get("/_set")
    def _set():
        session["x"] = 1
        return "ok"

    response = app.test_client().get("/_set", base_url="https://hocvien.example.gov.vn")
    assert "Secure" in response.headers["Set-Cookie"]
