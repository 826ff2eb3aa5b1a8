"""PUT /api/v1/people/bulk: idempotent by employee code, all rows or none."""

from sqlalchemy import func, select

from academy.auth.models import UnitMembership, User
from academy.extensions import db


def _rows(unit, n, start=0):
    return [
        {
            "employee_code": f"NV{i:05d}",
            "email": f"nv{i}@hvs.gov.vn",
            "full_name": f"Nguyễn Văn {i}",
            "unit_code": unit.code,
            "position": "Chuyên viên",
        }
        for i in range(start, start + n)
    ]


def test_same_body_twice_changes_nothing_the_second_time(client, wards, make_token, bearer):
    headers = bearer(make_token(wards["hr_a"], ("people:write",)))
    body = {"people": _rows(wards["a"], 30)}
    first = client.put("/api/v1/people/bulk", json=body, headers=headers)
    assert first.status_code == 200, first.json
    assert first.json == {"rows": 30, "created": 30, "updated": 0, "unchanged": 0}
    made = db.session.scalar(select(User).where(User.employee_code == "NV00007"))
    assert made.roles == {"learner"} and made.unit_id == wards["a"].id and made.is_active
    assert made.search_name == "nguyen van 7 nv7@hvs.gov.vn nv00007"
    stays = db.session.scalars(select(UnitMembership).where(UnitMembership.user_id == made.id))
    assert [(s.unit_id, s.ended_at) for s in stays] == [(wards["a"].id, None)]
    second = client.put("/api/v1/people/bulk", json=body, headers=headers)
    assert second.json == {"rows": 30, "created": 0, "updated": 0, "unchanged": 30}
    body["people"][3]["position"] = "Trưởng phòng"
    third = client.put("/api/v1/people/bulk", json=body, headers=headers)
    assert third.json["updated"] == 1 and third.json["unchanged"] == 29


def test_a_bad_row_rejects_the_whole_batch(client, wards, make_token, bearer):
    headers = bearer(make_token(wards["admin"], ("people:write",)))
    before = db.session.scalar(select(func.count(User.id)))
    rows = _rows(wards["a"], 5)
    rows[2]["email"] = "not-an-email"
    answer = client.put("/api/v1/people/bulk", json={"people": rows}, headers=headers)
    assert answer.status_code == 422
    assert {"field": "people.2.email"}.items() <= answer.json["errors"][0].items()
    rows[2]["email"] = "ok@hvs.gov.vn"
    rows[4]["unit_code"] = "KHONG-CO"
    answer = client.put("/api/v1/people/bulk", json={"people": rows}, headers=headers)
    assert answer.status_code == 422
    assert answer.json["errors"][0]["field"] == "people.4.unit_code"
    assert db.session.scalar(select(func.count(User.id))) == before


def test_duplicate_codes_in_one_batch_name_the_row(client, wards, make_token, bearer):
    headers = bearer(make_token(wards["admin"], ("people:write",)))
    rows = _rows(wards["a"], 3)
    rows[2]["employee_code"] = rows[0]["employee_code"]
    answer = client.put("/api/v1/people/bulk", json={"people": rows}, headers=headers)
    assert answer.status_code == 422
    assert answer.json["errors"][0]["field"] == "people.2.employee_code"


def test_ward_hr_cannot_take_over_a_person_of_another_ward(client, wards, make_token, bearer):
    headers = bearer(make_token(wards["hr_a"], ("people:write",)))
    other = wards["learner_b"]
    row = {
        "employee_code": other.employee_code,
        "email": other.email,
        "full_name": "Đổi tên",
        "unit_code": wards["a"].code,
    }
    answer = client.put("/api/v1/people/bulk", json={"people": [row]}, headers=headers)
    assert answer.status_code == 422
    assert db.session.get(User, other.id).unit_id == wards["b"].id


def test_text_a_database_cannot_hold_is_a_422(client, wards, make_token, bearer):
    headers = bearer(make_token(wards["admin"], ("people:write",)))
    rows = _rows(wards["a"], 2)
    rows[1]["employee_code"] = "AB\u0000C"
    rows[1]["full_name"] = "X\ud800"
    answer = client.put("/api/v1/people/bulk", json={"people": rows}, headers=headers)
    assert answer.status_code == 422
    fields = {e["field"] for e in answer.json["errors"]}
    assert fields == {"people.1.employee_code", "people.1.full_name"}
