"""A growing delay per account on sign-in, shared through Redis, failing closed when Redis is
gone (issue 15)."""

import logging
import uuid

import pytest
import redis

from academy.auth import throttle
from academy.core.audit import AuditEvent
from academy.extensions import db, limiter
from tests.conftest import PASSWORD

REDIS_URL = "redis://127.0.0.1:6379/5"
DEAD_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1: refused at once


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock, moved by hand."""

    class Clock:
        at = 1_900_000_000.0

        def advance(self, seconds):
            self.at += seconds

    fake = Clock()
    monkeypatch.setattr(throttle, "now", lambda: fake.at)
    return fake


@pytest.fixture
def per_account(app):
    """Only the per-account delay in play (the per-address limit raised out of the way)."""
    app.config.update(
        LOGIN_RATE_LIMIT="1000 per minute",
        LOGIN_ACCOUNT_FREE_ATTEMPTS=3,
        LOGIN_ACCOUNT_DELAY=10,
        LOGIN_ACCOUNT_MAX_DELAY=60,
        LOGIN_ACCOUNT_WINDOW=3600,
    )
    return app


def _try(client, email, password="sai-mat-khau-hoan-toan"):
    return client.post("/login", data={"email": email, "password": password})


def _fail(client, email, times):
    for _ in range(times):
        assert _try(client, email).status_code == 401


def test_after_the_free_attempts_the_account_waits_twice_as_long_each_time(
    per_account, client, make_user, clock
):
    user = make_user()
    _fail(client, user.email, 3)
    refused = _try(client, user.email, PASSWORD)  # even the right password waits
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 10
    assert "Vui lòng thử lại sau 10 giây" in refused.get_data(as_text=True)
    clock.advance(10)
    assert _try(client, user.email).status_code == 401  # one more guess after the wait …
    assert "thử lại sau 20 giây" in _try(client, user.email).get_data(
        as_text=True
    )  # … then twice the wait
    clock.advance(20)
    _fail(client, user.email, 1)
    assert "thử lại sau 40 giây" in _try(client, user.email).get_data(as_text=True)
    clock.advance(40)
    _fail(client, user.email, 1)
    assert "thử lại sau 60 giây" in _try(client, user.email).get_data(
        as_text=True
    )  # capped: no lasting lockout


def test_the_right_password_after_the_wait_signs_in_and_starts_afresh(
    per_account, client, auth, make_user, clock
):
    user = make_user()
    _fail(client, user.email, 3)
    clock.advance(10)
    assert auth.login(user).status_code == 302
    auth.logout()
    _fail(client, user.email, 3)  # three free attempts again
    assert _try(client, user.email).status_code == 429


def test_the_delay_is_per_account_not_per_browser(per_account, app, make_user, clock):
    victim, other = make_user(), make_user()
    _fail(app.test_client(), victim.email, 3)
    assert (
        _try(app.test_client(), victim.email.upper(), PASSWORD).status_code == 429
    )  # another browser, same account
    assert (
        _try(app.test_client(), other.email, PASSWORD).status_code == 302
    )  # other accounts unaffected


def test_unknown_addresses_are_delayed_alike(per_account, client, clock):
    _fail(client, "khong-ai-ca@hvs.gov.vn", 3)
    page = _try(client, "khong-ai-ca@hvs.gov.vn")
    assert page.status_code == 429 and "thử lại sau 10 giây" in page.get_data(as_text=True)


def test_the_wait_reads_in_english_too(per_account, client, make_user, clock):
    user = make_user()
    client.post("/locale", data={"locale": "en", "next": "/login"})
    _fail(client, user.email, 3)
    page = _try(client, user.email).get_data(as_text=True)
    assert "try again in 10 seconds" in page and "Vui lòng" not in page


@pytest.fixture
def shared_redis(per_account):
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    per_account.config["REDIS_URL"] = REDIS_URL
    yield per_account
    keys = redis.Redis.from_url(REDIS_URL)
    for key in keys.scan_iter(throttle.KEY_PREFIX + "*"):
        keys.delete(key)


def test_with_redis_every_worker_sees_the_same_counts(shared_redis, client, make_user, clock):
    user = make_user(email=f"chung.{uuid.uuid4().hex[:8]}@hvs.gov.vn")
    _fail(client, user.email, 3)
    shared_redis.extensions.pop(
        "academy.signin_counts"
    )  # as if the next request reached another worker
    assert _try(client, user.email, PASSWORD).status_code == 429
    clock.advance(10)
    assert _try(client, user.email, PASSWORD).status_code == 302


@pytest.fixture
def redis_gone(app):
    """Redis configured for the limiter and the sign-in counts, but not answering."""
    app.config.update(REDIS_URL=DEAD_REDIS_URL, RATELIMIT_STORAGE_URI=DEAD_REDIS_URL)
    limiter.init_app(app)
    yield app
    app.config["RATELIMIT_STORAGE_URI"] = "memory://"
    limiter.init_app(app)


def test_sign_in_fails_closed_and_loudly_when_redis_is_gone(redis_gone, client, make_user, caplog):
    user = make_user()
    with caplog.at_level(logging.WARNING):
        response = _try(client, user.email, PASSWORD)
    assert response.status_code == 503
    assert "Tạm thời không đăng nhập được" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not signed in
    errors = {r.name: r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR}
    assert "per worker" in errors.get("flask-limiter", ""), (
        errors
    )  # the per-address limit fell back
    assert "Redis unreachable" in errors.get("academy.auth.throttle", ""), errors  # sign-in refused
    db.session.refresh(user)
    assert user.last_login_at is None


def test_other_pages_keep_working_while_redis_is_gone(redis_gone, client):
    assert client.get("/login").status_code == 200
    assert (
        client.get("/verify/" + "a" * 32).status_code == 404
    )  # a rate-limited page, answered per worker


def test_a_refused_wait_is_audited_with_the_typed_address(per_account, client, make_user, clock):
    user = make_user()
    _fail(client, user.email, 3)
    assert _try(client, user.email.upper(), PASSWORD).status_code == 429
    refused = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "auth.signin.throttled")
    ).all()
    assert [(e.target, e.detail["reason"]) for e in refused] == [(user.email.upper(), "throttled")]
