"""Every sign-in path does the same hash work, so timing does not tell which accounts exist or are
deactivated (issue 14)."""

import pytest
from werkzeug import security

from academy.extensions import db
from tests.conftest import PASSWORD


@pytest.fixture
def hash_verifications(monkeypatch):
    """Count real password-hash computations, however the code reached them."""
    calls = []
    real = security._hash_internal

    def counting(method, salt, password):
        calls.append(method)
        return real(method, salt, password)

    monkeypatch.setattr(security, "_hash_internal", counting)
    return calls


def _sign_in(client, email, password):
    return client.post("/login", data={"email": email, "password": password})


@pytest.mark.parametrize(
    "path",
    [
        "unknown e-mail",
        "inactive, right password",
        "inactive, wrong password",
        "wrong password",
        "no password set",
        "right password",
    ],
)
def test_each_sign_in_path_verifies_exactly_one_hash(
    app, client, make_user, hash_verifications, path
):
    user = make_user()
    email, password = user.email, "sai-mat-khau-hoan-toan"
    if path == "unknown e-mail":
        email = "khong-ai-ca@hvs.gov.vn"
    if path.startswith("inactive"):
        user.is_active = False
    if path.endswith("right password"):
        password = PASSWORD
    if path == "no password set":
        user.password_hash = ""
    db.session.commit()
    _sign_in(
        app.test_client(), "khoi-dong@hvs.gov.vn", password
    )  # what a worker computes once (the dummy hash)
    hash_verifications.clear()
    response = _sign_in(client, email, password)
    assert response.status_code == (302 if path == "right password" else 401)
    assert len(hash_verifications) == 1, hash_verifications


def test_the_dummy_hash_uses_the_scheme_of_real_hashes(client, make_user, hash_verifications):
    user = make_user()
    _sign_in(client, "khong-ai-ca@hvs.gov.vn", PASSWORD)
    _sign_in(client, user.email, "sai-mat-khau-hoan-toan")
    dummy_method, real_method = hash_verifications[-2:]
    assert dummy_method == real_method == user.password_hash.split("$", 1)[0]
