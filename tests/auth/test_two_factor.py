"""Two-factor sign-in with an authenticator app (issue 6)."""

import re
import time

import pyotp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from academy.auth.models import RecoveryCode, TotpCredential, User
from academy.auth.services import create_user
from academy.core.audit import AuditEvent
from academy.extensions import db
from tests.conftest import PASSWORD

SECRET_SHOWN = re.compile(r'translate="no">([A-Z2-7 ]{16,})</code>')


def _shown_secret(page: str) -> str:
    return SECRET_SHOWN.search(page).group(1).replace(" ", "")


def _code(secret, offset=0):
    return pyotp.TOTP(secret).at(time.time() + offset)


def _enrol(client) -> tuple[str, list[str]]:
    """Enrol the signed-in user from the account page: read the key, confirm a code."""
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page  # the QR to scan
    secret = _shown_secret(page)
    done = client.post("/account/two-factor/confirm", data={"code": _code(secret)})
    assert done.status_code == 200
    codes = re.findall(
        r"\b[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}\b", done.get_data(as_text=True)
    )
    assert len(codes) == 10
    return secret, codes


@pytest.fixture
def enrolled(app, client, auth, make_user):
    app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    user = make_user()
    auth.login(user)
    secret, codes = _enrol(client)
    auth.logout()
    return user, secret, codes


def test_enrolment_shows_the_secret_until_confirmed_and_never_after(client, auth, make_user):
    user = make_user()
    auth.login(user)
    first = client.get("/account/two-factor").get_data(as_text=True)
    assert _shown_secret(first) == _shown_secret(
        client.get("/account/two-factor").get_data(as_text=True)
    )
    secret, _ = _enrol(client)
    after = client.get("/account/two-factor").get_data(as_text=True)
    assert (
        "Đang bật" in after
        and secret not in after.replace(" ", "")
        and "data:image/svg" not in after
    )
    assert db.session.get(TotpCredential, user.id).secret == secret  # kept server-side
    codes = db.session.query(RecoveryCode).filter_by(user_id=user.id).all()
    assert len(codes) == 10 and all(len(c.code_hash) == 64 for c in codes)  # only hashes kept


def test_a_wrong_confirmation_code_leaves_two_factor_off(client, auth, make_user):
    auth.login(make_user())
    client.get("/account/two-factor")
    response = client.post("/account/two-factor/confirm", data={"code": "000000"})
    assert response.status_code == 400
    assert "Mã không đúng" in response.get_data(as_text=True)
    assert "Đang bật" not in client.get("/account/two-factor").get_data(as_text=True)


def test_sign_in_asks_for_the_code_after_the_password_and_only_then_signs_in(client, enrolled):
    user, secret, _ = enrolled
    step_one = client.post("/login?next=/courses", data={"email": user.email, "password": PASSWORD})
    assert step_one.status_code == 302 and "/login/code" in step_one.headers["Location"]
    assert client.get("/").status_code == 302  # the password alone signs nobody in
    page = client.get(step_one.headers["Location"])
    assert "Xác thực hai bước" in page.get_data(as_text=True)
    done = client.post(
        step_one.headers["Location"], data={"code": _code(secret, 30)}
    )  # one step of clock drift is fine
    assert done.status_code == 302 and done.headers["Location"].endswith("/courses")
    assert client.get("/").status_code == 200


def test_a_wrong_code_is_refused(client, enrolled):
    user, secret, _ = enrolled
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    wrong = client.post(
        "/login/code", data={"code": "123456" if _code(secret) != "123456" else "654321"}
    )
    assert wrong.status_code == 401 and "Mã không đúng" in wrong.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_a_used_code_cannot_be_replayed(app, enrolled):
    user, secret, _ = enrolled
    code = _code(secret, 30)
    first, thief = app.test_client(), app.test_client()
    for browser in (first, thief):
        browser.post("/login", data={"email": user.email, "password": PASSWORD})
    assert first.post("/login/code", data={"code": code}).status_code == 302
    assert thief.post("/login/code", data={"code": code}).status_code == 401
    assert (
        thief.post("/login/code", data={"code": _code(secret)}).status_code == 401
    )  # an older step neither


def test_a_recovery_code_works_once(app, enrolled):
    user, _, codes = enrolled
    browser = app.test_client()
    browser.post("/login", data={"email": user.email, "password": PASSWORD})
    used = browser.post("/login/code", data={"code": codes[0].lower().replace("-", " ")})
    assert used.status_code == 302
    assert "còn 9 mã" in browser.get("/").get_data(as_text=True)
    again = app.test_client()
    again.post("/login", data={"email": user.email, "password": PASSWORD})
    assert again.post("/login/code", data={"code": codes[0]}).status_code == 401


def test_the_code_step_expires_and_dies_with_a_password_change(app, client, enrolled, monkeypatch):
    user, secret, _ = enrolled
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    user.session_version += 1  # e.g. the password was changed meanwhile
    db.session.commit()
    gone = client.post("/login/code", data={"code": _code(secret)})
    assert gone.status_code == 302 and gone.headers["Location"].endswith("/login")
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    later = time.time() + 301
    monkeypatch.setattr("academy.auth.signin.time.time", lambda: later)
    assert (
        client.post("/login/code", data={"code": _code(secret)})
        .headers["Location"]
        .endswith("/login")
    )


def test_the_code_page_without_a_password_first_sends_to_sign_in(client):
    assert client.get("/login/code").headers["Location"].endswith("/login")


def test_required_roles_enrol_right_after_the_password(app, client, make_user):
    app.config["TOTP_REQUIRED_ROLES"] = ["admin", "hr"]
    admin = make_user(roles=("admin",))
    step_one = client.post("/login", data={"email": admin.email, "password": PASSWORD})
    assert step_one.headers["Location"].endswith("/login/code")
    enrol = client.get("/login/code")
    assert enrol.headers["Location"].endswith("/login/enrol")
    page = client.get("/login/enrol").get_data(as_text=True)
    assert "bắt buộc" in page
    assert client.get("/admin/").status_code == 302  # nothing else before enrolling
    done = client.post("/login/enrol", data={"code": _code(_shown_secret(page))})
    assert done.status_code == 200 and "Mã khôi phục" in done.get_data(as_text=True)
    assert client.get("/admin/").status_code == 200


def test_a_required_second_factor_cannot_be_turned_off(app, client, auth, make_user):
    app.config["TOTP_REQUIRED_ROLES"] = ["hr"]
    user = make_user(roles=("hr",))
    auth.login(user)
    client.post(
        "/login/enrol",
        data={"code": _code(_shown_secret(client.get("/login/enrol").get_data(as_text=True)))},
    )
    refused = client.post("/account/two-factor/disable", data={"password": PASSWORD})
    assert refused.status_code == 400 and "không thể tắt" in refused.get_data(as_text=True)


def test_not_required_users_sign_in_with_the_password_alone(app, auth, make_user):
    app.config["TOTP_REQUIRED_ROLES"] = ["admin"]
    assert auth.login(make_user(roles=("learner",))).headers["Location"] in (
        "/",
        "http://localhost/",
    )


def test_turning_it_off_needs_the_password(client, auth, enrolled):
    user, secret, _ = enrolled
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    client.post(
        "/login/code", data={"code": _code(secret, 30)}
    )  # the enrolment used the current step
    assert client.post("/account/two-factor/disable", data={"password": "sai"}).status_code == 400
    assert (
        client.post("/account/two-factor/disable", data={"password": PASSWORD}).status_code == 302
    )
    auth.logout()
    assert auth.login(user).headers["Location"] in ("/", "http://localhost/")


def test_new_recovery_codes_replace_the_old(client, enrolled):
    user, secret, old = enrolled
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    client.post("/login/code", data={"code": old[1]})
    fresh = client.post("/account/two-factor/recovery-codes", data={"code": _code(secret, 30)})
    assert fresh.status_code == 200
    new = re.findall(r"\b[A-Z2-9]{4}(?:-[A-Z2-9]{4}){3}\b", fresh.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)


def test_wrong_codes_count_towards_the_account_delay(app, client, enrolled):
    user, secret, _ = enrolled
    app.config["LOGIN_ACCOUNT_FREE_ATTEMPTS"] = 3
    client.post("/login", data={"email": user.email, "password": PASSWORD})  # attempt 1
    for _ in range(2):
        assert client.post("/login/code", data={"code": "000000"}).status_code == 401
    assert client.post("/login/code", data={"code": _code(secret)}).status_code == 429


def test_reset_command_turns_it_off(runner, enrolled):
    user, _, _ = enrolled
    result = runner.invoke(args=["users", "reset-2fa", "--email", user.email])
    assert result.exit_code == 0, result.output
    assert db.session.get(TotpCredential, user.id) is None
    assert db.session.query(RecoveryCode).filter_by(user_id=user.id).count() == 0
    assert db.session.get(User, user.id) is not None


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    code=st.text(max_size=60)
    | st.text(alphabet="0123456789٠١٢٣٤٥٦٧٨٩０１２３ -", min_size=6, max_size=8)
)
def test_any_typed_code_is_answered_without_a_server_error(app, enrolled, code):
    user, _, _ = enrolled
    app.config["LOGIN_ACCOUNT_FREE_ATTEMPTS"] = 10**6
    browser = app.test_client()
    browser.post("/login", data={"email": user.email, "password": PASSWORD})
    assert browser.post("/login/code", data={"code": code}).status_code in (400, 401)
    assert browser.get("/").status_code == 302


def test_a_session_from_before_the_requirement_must_sign_in_again_and_enrol(
    app, client, auth, make_user
):
    admin = make_user(roles=("admin",))
    auth.login(admin)
    assert client.get("/admin/").status_code == 200
    app.config["TOTP_REQUIRED_ROLES"] = ["admin"]  # switched on while the admin was signed in
    assert client.get("/admin/").headers["Location"].startswith("/login")
    auth.login(admin)
    assert client.get("/login/code").headers["Location"].endswith("/login/enrol")


def _audited(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_wrong_codes_and_the_wait_they_cause_reach_the_audit_log(app, client, enrolled):
    user, secret, _ = enrolled
    app.config["LOGIN_ACCOUNT_FREE_ATTEMPTS"] = 3
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    for _ in range(2):
        assert client.post("/login/code", data={"code": "000000"}).status_code == 401
    assert client.post("/login/code", data={"code": _code(secret)}).status_code == 429
    wrong = _audited("auth.signin.code_failed")
    assert [event.target for event in wrong] == [f"user:{user.id}"] * 2
    assert all(event.actor_id is None for event in wrong)  # nobody was signed in yet
    throttled = _audited("auth.signin.throttled")
    assert [(e.target, e.detail["reason"]) for e in throttled] == [(f"user:{user.id}", "throttled")]
    page = _admin_audit_page(app, client, "auth.signin.code_failed")
    assert "Nhập sai mã xác thực hai bước" in page


def _admin_audit_page(app, client, action: str) -> str:
    admin = create_user("kiem.toan@hvs.gov.vn", "Quản Trị", PASSWORD, roles=("admin",))
    db.session.commit()
    client.post("/logout")
    client.post("/login", data={"email": admin.email, "password": PASSWORD})
    return client.get(f"/admin/audit?action={action}").get_data(as_text=True)
