"""Signing in and out, roles, CSRF, rate limit."""

import pytest

from academy.auth.models import User
from academy.extensions import db
from tests.conftest import PASSWORD, csrf_token_from


def test_sign_in_and_out(client, auth, make_user):
    user = make_user(full_name="Trần Văn Bình")
    response = auth.login(user)
    assert response.status_code == 302
    home = client.get("/")
    assert "Trần Văn Bình" in home.get_data(as_text=True)
    auth.logout()
    assert client.get("/").status_code == 302  # back to the login page


def test_wrong_password_is_refused_with_a_message(client, auth, make_user):
    user = make_user()
    response = auth.login(user, "sai-mat-khau")
    assert response.status_code == 401
    assert "Email hoặc mật khẩu không đúng" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_inactive_user_cannot_sign_in(auth, make_user):
    user = make_user()
    user.is_active = False
    db.session.commit()
    assert auth.login(user).status_code == 401


def test_password_is_stored_hashed(make_user):
    user = make_user()
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_cookie_replayed_after_logout_is_refused(app, make_user):
    user = make_user()
    browser = app.test_client()
    browser.post("/login", data={"email": user.email, "password": PASSWORD})
    stolen = browser.get_cookie("session").value
    browser.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", stolen, domain="localhost")
    response = thief.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_password_change_ends_other_sessions(app, make_user):
    user = make_user()
    laptop, phone = app.test_client(), app.test_client()
    for browser in (laptop, phone):
        browser.post("/login", data={"email": user.email, "password": PASSWORD})
    response = laptop.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "mot-mat-khau-moi-dai",
            "confirm": "mot-mat-khau-moi-dai",
        },
    )
    assert response.status_code == 302
    assert laptop.get("/").status_code == 200  # the browser that changed it stays in
    assert phone.get("/").status_code == 302  # the other one is signed out


def test_password_change_rejects_a_wrong_current_password(client, auth, make_user):
    user = make_user()
    auth.login(user)
    page = client.post(
        "/account/password",
        data={
            "current_password": "khong-dung",
            "new_password": "mot-mat-khau-moi-dai",
            "confirm": "mot-mat-khau-moi-dai",
        },
    )
    assert "Mật khẩu hiện tại không đúng" in page.get_data(as_text=True)
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


def test_sixth_failed_login_in_a_minute_is_refused(client, make_user):
    user = make_user()
    for _ in range(5):
        assert (
            client.post("/login", data={"email": user.email, "password": "sai"}).status_code == 401
        )
    sixth = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert sixth.status_code == 429
    assert "Quá nhiều yêu cầu" in sixth.get_data(as_text=True)


def test_post_without_csrf_token_is_refused(csrf_app, make_user):
    user = make_user()
    browser = csrf_app.test_client()
    refused = browser.post("/login", data={"email": user.email, "password": PASSWORD})
    assert refused.status_code == 400
    assert browser.get("/").status_code == 302
    token = csrf_token_from(browser.get("/login").get_data(as_text=True))
    accepted = browser.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert accepted.status_code == 302
    assert browser.get("/").status_code == 200


def test_logout_needs_csrf_token(csrf_app, make_user):
    user = make_user()
    browser = csrf_app.test_client()
    token = csrf_token_from(browser.get("/login").get_data(as_text=True))
    browser.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert browser.post("/logout").status_code == 400
    assert browser.get("/").status_code == 200


def test_open_redirect_after_login_is_ignored(client, make_user):
    user = make_user()
    response = client.post(
        "/login?next=//evil.example/x", data={"email": user.email, "password": PASSWORD}
    )
    assert response.headers["Location"] in ("/", "http://localhost/")


@pytest.mark.parametrize(
    "roles,path,status",
    [
        (("learner",), "/admin/", 403),
        (("learner",), "/dashboard", 403),
        (("learner",), "/authoring/", 403),
    ],
)
def test_roles_guard_staff_pages(client, auth, make_user, roles, path, status):
    auth.login(make_user(roles=roles))
    assert client.get(path).status_code == status


def test_users_create_command(runner):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Moi@HVS.gov.vn",
            "--name",
            "Lê Thị Mới",
            "--password",
            "mat-khau-dai-du",
            "--role",
            "instructor",
        ]
    )
    assert result.exit_code == 0, result.output

    user = db.session.query(User).filter_by(email="moi@hvs.gov.vn").one()
    assert user.roles == {"instructor"} and user.check_password("mat-khau-dai-du")
    again = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "moi@hvs.gov.vn",
            "--name",
            "X",
            "--password",
            "mat-khau-dai-du",
        ]
    )
    assert again.exit_code != 0 and "đã được dùng" in again.output


def test_a_visitor_sent_to_sign_in_is_told_why_in_their_language(client):
    page = client.get("/me/path", follow_redirects=True).get_data(as_text=True)
    assert "Vui lòng đăng nhập để xem trang này." in page and "Please log in" not in page
    client.post("/locale", data={"locale": "en", "next": "/login"})
    page = client.get("/me/certificates", follow_redirects=True).get_data(as_text=True)
    assert "Please sign in to see this page." in page and "Vui lòng đăng nhập" not in page
