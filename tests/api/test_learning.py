"""Mandates, completions and certificates through the API, as the pages count them."""

from datetime import date, timedelta

from academy.certificates.services import issue_certificate
from academy.extensions import db


def _assign(client, headers, unit, slug, **due):
    body = {"course_slug": slug, "unit_id": unit.id, **due}
    return client.post("/api/v1/assignments", json=body, headers=headers)


def test_hr_assigns_a_course_and_sees_it_in_completions(
    client, wards, make_course, make_token, bearer
):
    course = make_course()
    headers = bearer(make_token(wards["hr_a"], ("people:write", "reports:read")))
    due = (date.today() + timedelta(days=30)).isoformat()
    made = _assign(client, headers, wards["a"], course.slug, due_date=due)
    assert made.status_code == 201, made.json
    assert made.json["unit_code"] == wards["a"].code and made.json["is_active"]
    listed = client.get("/api/v1/assignments", headers=headers).json
    assert [a["id"] for a in listed["items"]] == [made.json["id"]]

    rows = client.get("/api/v1/completions", headers=headers).json
    people = {row["employee_code"] for row in rows["items"]}
    assert wards["learner_a"].employee_code in people
    assert wards["learner_b"].employee_code not in people
    row = next(r for r in rows["items"] if r["employee_code"] == wards["learner_a"].employee_code)
    assert row["status"] == "not_started" and row["overdue"] is False and row["due_at"]

    # someone new in the ward, through the bulk upsert, is bound to the mandate at once
    newcomer = {
        "employee_code": "MOI1",
        "email": "moi1@hvs.gov.vn",
        "full_name": "Trần Mới",
        "unit_code": wards["a"].code,
    }
    client.put("/api/v1/people/bulk", json={"people": [newcomer]}, headers=headers)
    again = client.get("/api/v1/completions", headers=headers).json
    assert "MOI1" in {row["employee_code"] for row in again["items"]}


def test_hr_cannot_assign_to_another_ward_or_an_unknown_course(
    client, wards, make_course, make_token, bearer
):
    course = make_course()
    headers = bearer(make_token(wards["hr_a"], ("people:write",)))
    assert _assign(client, headers, wards["b"], course.slug, due_days=10).status_code == 404
    unknown = _assign(client, headers, wards["a"], "khong-co", due_days=10)
    assert unknown.status_code == 422 and unknown.json["errors"][0]["field"] == "course_slug"
    both = _assign(client, headers, wards["a"], course.slug)
    assert both.status_code == 422


def test_certificates_filtered_by_unit_and_period(client, wards, make_course, make_token, bearer):
    course = make_course()
    issue_certificate(wards["learner_a"], course)
    issue_certificate(wards["learner_b"], course)
    db.session.commit()
    headers = bearer(make_token(wards["hr_a"]))
    listed = client.get("/api/v1/certificates", headers=headers).json
    assert [c["employee_code"] for c in listed["items"]] == [wards["learner_a"].employee_code]
    assert "/verify/" in listed["items"][0]["verify_url"]
    assert listed["items"][0]["revoked_at"] is None
    admin = bearer(make_token(wards["admin"]))
    assert client.get("/api/v1/certificates", headers=admin).json["total"] == 2
    narrowed = client.get(f"/api/v1/certificates?unit_id={wards['b'].id}", headers=admin).json
    assert narrowed["total"] == 1
    yesterday = (date.today() - timedelta(days=2)).isoformat()
    past = client.get(f"/api/v1/certificates?date_to={yesterday}", headers=admin).json
    assert past["total"] == 0


def test_period_the_wrong_way_round_is_a_422(client, wards, make_token, bearer):
    headers = bearer(make_token(wards["admin"]))
    answer = client.get(
        "/api/v1/completions?date_from=2026-05-01&date_to=2026-01-01", headers=headers
    )
    assert answer.status_code == 422 and answer.json["errors"][0]["field"] == "date_from"


def test_units_created_renamed_and_the_hr_root_stays(client, wards, make_token, bearer):
    headers = bearer(make_token(wards["hr_a"], ("people:write", "reports:read")))
    made = client.post(
        "/api/v1/units",
        json={"code": "TO-1", "name": "Tổ 1", "kind": "cell", "parent_id": wards["a"].id},
        headers=headers,
    )
    assert made.status_code == 201
    again = client.post(
        "/api/v1/units",
        json={"code": "TO-1", "name": "Tổ 1", "parent_id": wards["a"].id},
        headers=headers,
    )
    assert again.status_code == 409
    renamed = client.patch(
        f"/api/v1/units/{made.json['id']}", json={"name": "Tổ dân phố 1"}, headers=headers
    )
    assert renamed.json["name"] == "Tổ dân phố 1"
    moved = client.patch(
        f"/api/v1/units/{wards['a'].id}", json={"parent_id": wards["b"].id}, headers=headers
    )
    assert moved.status_code in (403, 422)


def test_description_and_docs_page_are_served(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.") and "/api/v1/people/bulk" in spec["paths"]
    page = client.get("/api/v1/docs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "/api/v1/people/bulk" in html
    assert "vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "script-src 'self';" in page.headers["Content-Security-Policy"]
    with client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js") as bundle:
        assert bundle.status_code == 200
