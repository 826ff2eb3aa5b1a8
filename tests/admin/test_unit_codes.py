"""Unit codes end up in URLs, file names and headers: the unit form takes only a safe alphabet
([A-Za-z0-9._-], 1–32 characters) and says why in the reader's language."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from academy.auth.models import Unit
from academy.database import db

REFUSED = ['A"B', "A\r\nB", "BN\n1", "Hà-Nội", "P 1", "x" * 33, "../etc", "a;b", "a/b", "a\tb"]


def unit_count() -> int:
    return db.session.scalar(select(func.count(Unit.id)))


@pytest.fixture
def admin(client, auth, make_user):
    auth.login(make_user(roles=("admin",)))


@pytest.mark.parametrize("code", REFUSED)
def test_a_new_unit_with_an_unsafe_code_is_refused_in_vietnamese(client, admin, code):
    before = unit_count()
    response = client.post(
        "/admin/units", data={"code": code, "name": "Phường thử", "kind": "ward"}
    )
    assert response.status_code == 400
    assert "Mã đơn vị gồm 1–32 ký tự" in response.get_data(as_text=True)
    assert unit_count() == before


def test_the_refusal_is_in_english_for_an_english_reader(client, admin):
    client.post("/locale", data={"locale": "en", "next": "/admin/units"})
    response = client.post("/admin/units", data={"code": 'A"B', "name": "Ward", "kind": "ward"})
    assert response.status_code == 400
    assert "A unit code has 1–32 characters" in response.get_data(as_text=True)


def test_editing_a_unit_checks_the_code_too(client, admin, make_unit):
    unit = make_unit(code="OLD")
    response = client.post(
        f"/admin/units/{unit.id}", data={"code": "NEW\r\n", "name": "Đơn vị", "kind": "agency"}
    )
    assert response.status_code == 302  # surrounding whitespace is trimmed, not refused
    response = client.post(
        f"/admin/units/{unit.id}", data={"code": "N W", "name": "Đơn vị", "kind": "agency"}
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Unit, unit.id).code == "NEW"


@pytest.mark.parametrize("code", ["BN-1", "hcm.q1_p2", "X" * 32, "79"])
def test_safe_codes_are_accepted(client, admin, code):
    assert (
        client.post(
            "/admin/units", data={"code": code, "name": "Đơn vị", "kind": "agency"}
        ).status_code
        == 302
    )
    assert db.session.scalar(select(Unit).where(Unit.code == code)) is not None
