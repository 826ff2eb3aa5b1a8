"""Forgot password: the same answer whatever the address; a mail (read back from a real SMTP
server) only for an active account that may use a password; the link works once, soon expires,
ends every other session and signs the person in; asking too often is refused with a clear 429."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import func, select, update

from academy.auth.account_links import invite_people
from academy.auth.models import User
from academy.auth.tokens import AccountToken
from academy.auth.two_factor import confirm_enrolment, pending_secret
from academy.core.audit import AuditEvent
from academy.database import db, utcnow
from academy.mail import OutboxMessage
from tests.auth.smtp_inbox import Inbox, link_in, text_of
from tests.conftest import PASSWORD

NEW_PASSWORD = "Sông Hồng chảy qua ba mươi cây cầu"
SAME_ANSWER = "Nếu địa chỉ này có tài khoản, chúng tôi đã gửi hướng dẫn"


@pytest.fixture
def inbox(app):
    server = Inbox().start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
    yield server
    server.stop()


@pytest.fixture
def person(make_user):
    return make_user(full_name="Phạm Quốc Huy", email="huy@hvs.gov.vn")


def _forgot(client, email):
    return client.post("/account/forgot", data={"email": email})


def _page_without_tokens(response) -> str:
    """The page as a reader sees it (hidden per-request tokens left out)."""
    return re.sub(r'name="(csrf_token|once_token)" (type="hidden" )?value="[^"]*"', "", response)


def _set_password(client, path, password=NEW_PASSWORD):
    return client.post(path, data={"password": password, "confirm": password})


def test_the_mail_comes_and_the_link_sets_a_new_password(client, person, inbox):
    answer = _forgot(client, "  HUY@hvs.gov.vn ")
    assert answer.status_code == 302
    assert SAME_ANSWER in client.get(answer.location).get_data(as_text=True)
    [mail] = inbox.wait_for("huy@hvs.gov.vn")
    assert mail["Subject"] == "Đặt lại mật khẩu Học viện Số"
    assert "trong 60 phút" in text_of(mail)
    path = link_in(text_of(mail), "reset")

    assert client.get(path).status_code == 200
    assert _set_password(client, path, "1234567890").status_code == 400  # the rule applies
    done = _set_password(client, path)
    assert done.status_code == 302 and client.get("/").status_code == 200
    client.post("/logout")
    assert (
        client.post("/login", data={"email": person.email, "password": PASSWORD}).status_code == 401
    )
    assert (
        client.post("/login", data={"email": person.email, "password": NEW_PASSWORD}).status_code
        == 302
    )
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"auth.password.reset_requested", "auth.password.reset"} <= actions


def test_an_unknown_address_gets_nothing_and_the_same_page(client, app, person, inbox):
    known, unknown = _forgot(client, person.email), _forgot(client, "khong-co-ai@hvs.gov.vn")
    assert known.status_code == unknown.status_code == 302
    assert known.location == unknown.location
    pages = [client.get(r.location).get_data(as_text=True) for r in (known, unknown)]
    assert _page_without_tokens(pages[0]) == _page_without_tokens(pages[1])
    assert SAME_ANSWER in pages[1]
    inbox.wait_for(person.email)
    assert [m["To"] for m in inbox.messages] == [person.email]
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 1


def test_an_inactive_account_gets_nothing(client, person):
    person.is_active = False
    db.session.commit()
    assert _forgot(client, person.email).status_code == 302
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_a_person_who_signs_in_only_through_the_city_gets_nothing(client, app, person):
    app.config.update(
        SSO_ISSUER="https://id.example.gov.vn",
        SSO_CLIENT_ID="hvs",
        SSO_DISABLE_LOCAL_PASSWORDS=True,
    )
    person.sso_subject = "city-123"
    db.session.commit()
    assert _forgot(client, person.email).status_code == 302
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_one_mail_per_account_per_few_minutes(client, person):
    for _ in range(3):
        _forgot(client, person.email)
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 1
    db.session.execute(update(AccountToken).values(created_at=utcnow() - timedelta(minutes=6)))
    db.session.commit()
    _forgot(client, person.email)
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 2


def test_the_reset_ends_every_other_session(app, client, person):
    elsewhere = app.test_client()
    elsewhere.post("/login", data={"email": person.email, "password": PASSWORD})
    assert elsewhere.get("/account/password").status_code == 200
    _forgot(client, person.email)
    path = link_in(_outbox_text(person.email), "reset")
    assert _set_password(client, path).status_code == 302
    assert client.get("/account/password").status_code == 200  # this browser: signed in
    assert elsewhere.get("/account/password").status_code == 302  # the other: signed out


def test_a_reset_link_works_once_and_not_after_its_minutes(client, app, person):
    _forgot(client, person.email)
    path = link_in(_outbox_text(person.email), "reset")
    assert _set_password(client, path).status_code == 302
    client.post("/logout")
    assert client.get(path).status_code == 410

    db.session.execute(update(AccountToken).values(created_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    _forgot(client, person.email)
    late = link_in(_outbox_text(person.email), "reset")
    db.session.execute(
        update(AccountToken)
        .where(AccountToken.used_at.is_(None))
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    answer = _set_password(client, late, "ba-con-mèo-trèo-cây-cau-99")
    assert answer.status_code == 410 and "Liên kết đã được dùng hoặc đã hết hạn" in answer.get_data(
        as_text=True
    )


def test_setting_a_password_ends_an_open_invitation(client, make_user):
    newcomer = make_user(email="moi@hvs.gov.vn", password=None)
    invite_people([newcomer.id])
    db.session.commit()
    invitation = link_in(_outbox_text(newcomer.email), "activate")
    _forgot(client, newcomer.email)  # lost the invitation: "forgot password" works too
    assert _set_password(client, link_in(_outbox_text(newcomer.email), "reset")).status_code == 302
    client.post("/logout")
    assert client.get(invitation).status_code == 410
    assert db.session.get(User, newcomer.id).check_password(NEW_PASSWORD)


def test_a_reset_does_not_skip_the_second_factor(client, person):
    confirm_enrolment(person, pyotp.TOTP(pending_secret(person)).now())
    db.session.commit()
    _forgot(client, person.email)
    done = _set_password(client, link_in(_outbox_text(person.email), "reset"))
    assert done.status_code == 302 and "/login/code" in done.location
    assert client.get("/account/password").status_code == 302  # not signed in before the code


def test_asking_too_often_is_refused_with_a_clear_message(app, client, person):
    app.config["RESET_RATE_LIMIT"] = "3 per hour"
    for n in range(3):
        assert _forgot(client, f"ai-do-{n}@hvs.gov.vn").status_code == 302
    refused = _forgot(client, person.email)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "quá nhiều lần" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
    assert client.get("/account/forgot").status_code == 200  # the page itself stays open


def test_the_login_page_offers_forgot_password(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/account/forgot"' in page and "Quên mật khẩu?" in page


def _outbox_text(address: str) -> str:
    return db.session.scalar(
        select(OutboxMessage.text_body)
        .where(OutboxMessage.to_address == address)
        .order_by(OutboxMessage.id.desc())
    )


def test_changing_the_password_ends_a_reset_link_sent_before(client, auth, person):
    """Someone asked for a reset, then remembered the password and changed it: the mailed link
    must not work any more (whoever reads that mailbox later)."""
    _forgot(client, person.email)
    path = link_in(_outbox_text(person.email), "reset")
    auth.login(person)
    changed = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert changed.status_code in (302, 303)
    client.post("/logout")
    assert client.get(path).status_code == 410
