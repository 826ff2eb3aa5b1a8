"""Through tokens, the same access rules as the pages: a ward's HR sees and writes its ward."""

from sqlalchemy import func, select

from academy.api.models import ApiToken
from academy.auth.models import User
from academy.extensions import db
from tests.conftest import PASSWORD, csrf_token_from


def test_ward_hr_sees_only_its_ward(client, wards, make_token, bearer):
    headers = bearer(make_token(wards["hr_a"]))
    people = client.get("/api/v1/people?per_page=500", headers=headers).json
    ids = {p["id"] for p in people["items"]}
    assert wards["learner_a"].id in ids and wards["learner_b"].id not in ids
    assert client.get(f"/api/v1/people/{wards['learner_b'].id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/units/{wards['b'].id}", headers=headers).status_code == 404
    other_ward = client.get(f"/api/v1/people?unit_id={wards['b'].id}", headers=headers)
    assert other_ward.status_code == 404


def test_admin_sees_everyone(client, wards, make_token, bearer):
    headers = bearer(make_token(wards["admin"]))
    body = client.get("/api/v1/people?per_page=2", headers=headers)
    assert body.json["total"] == 5 and len(body.json["items"]) == 2
    assert 'rel="next"' in body.headers["Link"]


def test_ward_hr_cannot_write_into_another_ward(client, wards, make_token, bearer):
    headers = bearer(make_token(wards["hr_a"], ("people:write", "reports:read")))
    person = {
        "employee_code": "X1",
        "email": "x1@hvs.gov.vn",
        "full_name": "Lê Văn Bình",
        "unit_code": wards["b"].code,
    }
    answer = client.post("/api/v1/people", json=person, headers=headers)
    assert answer.status_code == 422
    assert answer.json["errors"][0]["field"] == "unit_code"
    moved = client.patch(
        f"/api/v1/people/{wards['learner_a'].id}",
        json={"unit_code": wards["b"].code},
        headers=headers,
    )
    assert moved.status_code == 422
    assert db.session.get(User, wards["learner_a"].id).unit_id == wards["a"].id
    unit = {"code": "P-A-1", "name": "Tổ 1", "parent_id": wards["b"].id}
    assert client.post("/api/v1/units", json=unit, headers=headers).status_code == 422
    unit["parent_id"] = wards["a"].id
    assert client.post("/api/v1/units", json=unit, headers=headers).status_code == 201


def test_hr_creates_updates_and_deactivates_in_its_ward(client, wards, make_token, bearer):
    headers = bearer(make_token(wards["hr_a"], ("people:write", "reports:read")))
    person = {
        "employee_code": "X2",
        "email": "x2@hvs.gov.vn",
        "full_name": "Lê Văn Bình",
        "unit_code": wards["a"].code,
    }
    created = client.post("/api/v1/people", json=person, headers=headers)
    assert created.status_code == 201, created.json
    assert client.post("/api/v1/people", json=person, headers=headers).status_code == 409
    pid = created.json["id"]
    changed = client.patch(
        f"/api/v1/people/{pid}", json={"position": "Phó trưởng phòng"}, headers=headers
    )
    assert changed.json["position"] == "Phó trưởng phòng"
    assert client.delete(f"/api/v1/people/{pid}", headers=headers).json["is_active"] is False
    admin_role = client.patch(f"/api/v1/people/{pid}", json={"roles": ["admin"]}, headers=headers)
    assert admin_role.status_code == 422
    assert db.session.scalar(select(User).where(User.id == pid)).roles == {"learner"}


def test_wrong_scope_is_403(client, wards, make_token, bearer):
    headers = bearer(make_token(wards["hr_a"], ("reports:read",)))
    body = {
        "people": [
            {
                "employee_code": "X3",
                "email": "x3@hvs.gov.vn",
                "full_name": "A",
                "unit_code": wards["a"].code,
            }
        ]
    }
    answer = client.put("/api/v1/people/bulk", json=body, headers=headers)
    assert answer.status_code == 403
    assert answer.mimetype == "application/problem+json"


def test_learner_token_reads_only_its_own_learning(client, wards, make_token, bearer):
    headers = bearer(make_token(wards["learner_a"], ("learning:read",)))
    assert client.get("/api/v1/me/path", headers=headers).status_code == 200
    own = client.get(f"/api/v1/people/{wards['learner_a'].id}/progress", headers=headers)
    assert own.status_code == 200 and own.json["person_id"] == wards["learner_a"].id
    other = client.get(f"/api/v1/people/{wards['learner_b'].id}/progress", headers=headers)
    assert other.status_code == 403
    for path in ("/api/v1/people", "/api/v1/completions", "/api/v1/certificates"):
        assert client.get(path, headers=headers).status_code == 403


def test_unknown_api_urls_and_bad_input_answer_problems(client, wards, make_token, bearer):
    headers = bearer(make_token(wards["admin"], ("reports:read", "people:write")))
    missing = client.get("/api/v1/nothing-here", headers=headers)
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    bad = client.get("/api/v1/people?per_page=0", headers=headers)
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "per_page"
    assert client.get("/nothing-here").mimetype == "text/html"


def test_rate_limit_answers_429_problem(app, client, wards, make_token, bearer):
    app.config["API_RATE_LIMIT"] = "3/minute"
    headers = bearer(make_token(wards["hr_a"]))
    answers = [client.get("/api/v1/units", headers=headers).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = client.get("/api/v1/units", headers=headers)
    assert refused.mimetype == "application/problem+json" and refused.json["status"] == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert client.get("/api/v1/people", headers=headers).status_code == 429  # one count per token
    other = bearer(make_token(wards["hr_b"]))
    assert client.get("/api/v1/units", headers=other).status_code == 200


def test_ward_hr_cannot_change_staff_accounts_in_its_ward(
    client, wards, make_user, make_token, bearer
):
    colleague = make_user(roles=("hr",), unit=wards["a"])
    headers = bearer(make_token(wards["hr_a"], ("people:write",)))
    answer = client.delete(f"/api/v1/people/{colleague.id}", headers=headers)
    assert answer.status_code == 422
    assert db.session.get(User, colleague.id).is_active
    row = {
        "employee_code": colleague.employee_code,
        "email": colleague.email,
        "full_name": "Đổi tên",
        "unit_code": wards["a"].code,
    }
    bulk = client.put("/api/v1/people/bulk", json={"people": [row]}, headers=headers)
    assert bulk.status_code == 422 and bulk.json["errors"][0]["field"] == "people.0.employee_code"


def test_token_calls_need_no_csrf_token_and_cookies_still_do(
    csrf_app, client, wards, make_token, bearer
):
    headers = bearer(make_token(wards["admin"], ("people:write",)))
    unit = {"code": "MOI-2", "name": "Phòng mới", "parent_id": wards["city"].id}
    assert client.post("/api/v1/units", json=unit, headers=headers).status_code == 201
    unknown = client.post("/api/v1/khong-co", json={}, headers=headers)
    assert unknown.status_code == 404 and unknown.mimetype == "application/problem+json"
    wrong_method = client.put("/api/v1/units", json={}, headers=headers)
    assert wrong_method.status_code == 405 and wrong_method.mimetype == "application/problem+json"
    # the token page is a cookie-authenticated form: without its CSRF token nothing is made
    login = client.get("/login").get_data(as_text=True)
    client.post(
        "/login",
        data={
            "email": wards["admin"].email,
            "password": PASSWORD,
            "csrf_token": csrf_token_from(login),
        },
    )
    before = db.session.scalar(select(func.count(ApiToken.id)))
    refused = client.post("/me/api-tokens", data={"name": "x", "scopes": ["reports:read"]})
    assert refused.status_code == 400
    assert db.session.scalar(select(func.count(ApiToken.id))) == before
    form = client.get("/me/api-tokens").get_data(as_text=True)
    made = client.post(
        "/me/api-tokens",
        data={"name": "x", "scopes": ["reports:read"], "csrf_token": csrf_token_from(form)},
    )
    assert made.status_code == 200 and "hvs_" in made.get_data(as_text=True)
