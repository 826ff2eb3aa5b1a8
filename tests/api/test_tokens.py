"""Personal access tokens: created on the page (secret once), used, revoked, expired."""

from datetime import timedelta

from sqlalchemy import select

from academy.api.models import ApiToken
from academy.core.audit import AuditEvent
from academy.database import utcnow
from academy.extensions import db


def test_page_creates_a_token_shows_it_once_and_revokes_it(client, auth, wards):
    auth.login(wards["hr_a"])
    page = client.post(
        "/me/api-tokens", data={"name": "Hệ thống nhân sự", "scopes": ["reports:read"]}
    )
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    secret = html.split('id="new-secret">')[1].split("<")[0]
    assert secret.startswith("hvs_")
    row = db.session.scalar(select(ApiToken))
    assert row.token_hash != secret and secret not in row.token_hash
    assert secret not in client.get("/me/api-tokens").get_data(as_text=True)  # shown once

    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/units", headers=headers).status_code == 200
    assert db.session.get(ApiToken, row.id).last_used_at is not None

    client.post(f"/me/api-tokens/{row.id}/revoke")
    answer = client.get("/api/v1/units", headers=headers)
    assert answer.status_code == 401
    assert answer.mimetype == "application/problem+json"
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"api_token.create", "api_token.revoke"} <= actions


def test_a_scope_the_roles_do_not_allow_is_refused(client, auth, wards):
    auth.login(wards["learner_a"])
    page = client.post("/me/api-tokens", data={"name": "x", "scopes": ["people:write"]})
    assert page.status_code == 400
    assert db.session.scalar(select(ApiToken)) is None


def test_someone_else_cannot_revoke_my_token(client, auth, wards, make_token, bearer):
    secret = make_token(wards["hr_a"])
    token_id = db.session.scalar(select(ApiToken.id))
    auth.login(wards["hr_b"])
    client.post(f"/me/api-tokens/{token_id}/revoke")
    assert client.get("/api/v1/units", headers=bearer(secret)).status_code == 200


def test_expired_unknown_and_missing_tokens_get_401(client, wards, make_token, bearer):
    secret = make_token(wards["hr_a"], expires_at=utcnow() + timedelta(seconds=1))
    row = db.session.scalar(select(ApiToken))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    for headers in (bearer(secret), bearer("hvs_nothing"), {}):
        answer = client.get("/api/v1/units", headers=headers)
        assert answer.status_code == 401
        assert answer.json["status"] == 401 and answer.json["title"]


def test_a_session_cookie_does_not_authenticate_the_api(client, auth, wards):
    auth.login(wards["admin"])
    assert client.get("/api/v1/people").status_code == 401
    body = {"people": []}
    assert client.put("/api/v1/people/bulk", json=body).status_code == 401


def test_a_token_follows_its_owner_account_and_roles(client, wards, make_token, bearer):
    hr = wards["hr_a"]
    headers = bearer(make_token(hr, ("reports:read",)))
    hr.roles = ("learner",)  # no longer HR: the scope stops working
    db.session.commit()
    assert client.get("/api/v1/units", headers=headers).status_code == 403
    hr.roles, hr.is_active = ("hr",), False  # a deactivated account: no token of it works
    db.session.commit()
    assert client.get("/api/v1/units", headers=headers).status_code == 401
