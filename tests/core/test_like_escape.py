"""What is typed into a search box is searched for as typed: ``%``, ``_`` and ``\\`` are letters,
not LIKE wildcards (admin user search, certificate search, the catalogue)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from academy.auth.models import User
from academy.certificates.services import issue_certificate
from academy.database import contains_text, db, utcnow
from academy.learning.models import Enrollment

NAMES = {
    "percent": "Lê Giảm 100% Thủ tục",
    "underscore": "Trần Văn_Hai",
    "backslash": "Mai Anh\\Tú",
    "plain": "Phạm Thị Lan",
}


@pytest.fixture
def people(make_user):
    return {
        key: make_user(full_name=name, email=f"{key}@hvs.gov.vn") for key, name in NAMES.items()
    }


def names_on(page: str) -> set[str]:
    return {key for key, name in NAMES.items() if name in page}


@pytest.mark.parametrize(
    "term,found",
    [
        ("%", {"percent"}),
        ("_", {"underscore"}),
        ("\\", {"backslash"}),
        ("0%", {"percent"}),
        ("n_h", {"underscore"}),
        ("%%", set()),
    ],
)
def test_admin_user_search_takes_wildcards_literally(client, auth, make_user, people, term, found):
    auth.login(make_user(roles=("admin",), full_name="Quản trị viên"))
    response = client.get("/admin/users", query_string={"q": term})
    assert response.status_code == 200
    assert names_on(response.get_data(as_text=True)) == found


@pytest.mark.parametrize(
    "term,found", [("%", {"percent"}), ("_", {"underscore"}), ("\\", {"backslash"})]
)
def test_certificate_search_takes_wildcards_literally(
    client, auth, make_user, make_course, people, term, found
):
    course = make_course()
    for person in people.values():
        db.session.add(Enrollment(user_id=person.id, course_id=course.id, completed_at=utcnow()))
        issue_certificate(person, course)
    db.session.commit()
    auth.login(make_user(roles=("admin",), full_name="Quản trị viên"))
    response = client.get("/admin/certificates", query_string={"q": term})
    assert response.status_code == 200
    assert names_on(response.get_data(as_text=True)) == found


def test_catalogue_search_takes_wildcards_literally(client, auth, make_user, make_course):
    make_course(title="Giảm 50% giấy tờ hành chính")
    make_course(title="Dữ_liệu mở")
    make_course(title="Lãnh đạo số")
    auth.login(make_user())
    for term, expected in (("%", "Giảm 50% giấy tờ"), ("_", "Dữ_liệu mở")):
        page = client.get("/courses", query_string={"q": term}).get_data(as_text=True)
        assert "Tìm thấy 1 khoá học" in page and expected in page


WORDS = ["a%b", "a_b", "a\\b", "aXb", "%", "_", "\\", "ab", "a\\%b", "A%B"]


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(term=st.text(alphabet="aAbX%_\\", min_size=1, max_size=4))
def test_contains_text_is_a_literal_case_insensitive_substring(make_user, term):
    if not db.session.scalar(select(User.id).limit(1)):
        for n, word in enumerate(WORDS):
            make_user(full_name=word, email=f"w{n}@hvs.gov.vn")
    found = set(
        db.session.scalars(select(User.full_name).where(contains_text(User.full_name, term)))
    )
    assert found == {word for word in WORDS if term.lower() in word.lower()}
