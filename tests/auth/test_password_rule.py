"""Guessable passwords are refused wherever a password is set, with the reason (issue 6)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from academy.auth.models import User
from academy.extensions import db
from tests.conftest import PASSWORD

STRONG = "nui-xanh-may-trang-bay"


def _change(client, new, confirm=None):
    return client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": new,
            "confirm": new if confirm is None else confirm,
        },
    )


@pytest.fixture
def signed_in(client, auth, make_user):
    user = make_user(
        email="tran.binh@hvs.gov.vn", full_name="Trần Văn Bình", employee_code="CB004217"
    )
    auth.login(user)
    return user


@pytest.mark.parametrize(
    "weak,reason",
    [
        ("1234567890", "mật khẩu phổ biến"),
        ("password12", "mật khẩu phổ biến"),
        ("aaaaaaaaaa", "lặp lại"),
        ("qwertyuiop", "mật khẩu phổ biến"),
        ("abcdefghij1", "liên tiếp"),
        ("HocVienSo@2026", "tên Học viện Số"),
        ("tranbinh2024!", "email, họ tên"),
        ("Tran.Van.Binh.99", "email, họ tên"),
        ("cb004217-matkhau", "mã cán bộ"),
        ("ngắn-quá", "từ 10 đến 200 ký tự"),
    ],
)
def test_a_guessable_new_password_is_refused_with_its_reason(client, signed_in, weak, reason):
    page = _change(client, weak)
    assert page.status_code == 400
    assert reason in page.get_data(as_text=True)
    db.session.refresh(signed_in)
    assert signed_in.check_password(PASSWORD) and not signed_in.check_password(weak)


def test_a_strong_password_is_accepted(client, signed_in):
    assert _change(client, STRONG).status_code == 302
    db.session.refresh(signed_in)
    assert signed_in.check_password(STRONG)


def test_the_form_states_the_rule(client, signed_in):
    page = client.get("/account/password").get_data(as_text=True)
    assert "Ít nhất 10 ký tự và khó đoán" in page


def test_the_rule_and_the_reason_read_in_english(client, signed_in):
    client.post("/locale", data={"locale": "en", "next": "/"})
    assert "At least 10 characters and hard to guess" in client.get("/account/password").get_data(
        as_text=True
    )
    page = _change(client, "1234567890").get_data(as_text=True)
    assert "very common password" in page and "mật khẩu phổ biến" not in page


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=260))
def test_any_new_password_is_answered_without_a_server_error(client, signed_in, candidate):
    before = db.session.get(User, signed_in.id).password_hash
    response = _change(client, candidate)
    assert response.status_code in (302, 400)
    db.session.expire_all()
    user = db.session.get(User, signed_in.id)
    if response.status_code == 400:
        assert user.password_hash == before  # nothing half-written
    else:
        user.set_password(PASSWORD)  # back to the fixture's password for the next example
        db.session.commit()


def test_users_create_refuses_a_weak_password_and_states_the_rule(runner):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "le.moi@hvs.gov.vn",
            "--name",
            "Lê Thị Mới",
            "--password",
            "password12",
        ]
    )
    assert result.exit_code != 0
    assert "mật khẩu phổ biến" in result.output and "Ít nhất 10 ký tự" in result.output
    assert db.session.query(User).filter_by(email="le.moi@hvs.gov.vn").count() == 0


def test_users_create_refuses_a_password_made_of_the_person(runner):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "le.moi@hvs.gov.vn",
            "--name",
            "Lê Thị Mới",
            "--password",
            "lethimoi-2026",
        ]
    )
    assert result.exit_code != 0 and "họ tên" in result.output


def test_users_create_help_states_the_rule(runner):
    help_text = " ".join(runner.invoke(args=["users", "create", "--help"]).output.split())
    assert "ít nhất 10 ký tự" in help_text and "không chứa email, họ tên" in help_text
