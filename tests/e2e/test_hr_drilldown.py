"""The city's HR officer drills from the dashboard to one overdue person in a party cell and opens
their transcript, with a click at each level (city → ward → cell → person), on a desktop and on a
phone, axe on every page."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from academy.auth.models import Unit
from academy.auth.services import create_user
from academy.catalog.models import Course
from academy.database import utcnow
from academy.demo import data
from academy.learning.models import Assignment, Enrollment
from tests.e2e.flows import COURSE, sign_in
from tests.live_fixtures import database_independent

pytestmark = [pytest.mark.browser, pytest.mark.slow, database_independent]

WARD, CELL = "PX001", "PX001-CB1"


def _plant_overdue_person(site) -> tuple[str, str, str]:
    """A person in the cell, bound to the cell's mandate of the journey's course, five days late.
    Returns (person's name, ward's name, course title)."""
    name = f"Đỗ Quang Hạn {uuid.uuid4().hex[:4].upper()}"
    with site.db() as session:
        cell = session.scalar(select(Unit).where(Unit.code == CELL))
        ward = session.scalar(select(Unit).where(Unit.code == WARD))
        course = session.scalar(select(Course).where(Course.slug == COURSE))
        due = utcnow() - timedelta(days=5)
        mandate = session.scalar(
            select(Assignment).where(
                Assignment.unit_id == cell.id, Assignment.course_id == course.id
            )
        )
        if mandate is None:
            mandate = Assignment(course_id=course.id, unit_id=cell.id, due_at=due)
            session.add(mandate)
            session.flush()
        person = create_user(
            f"do.quang.{uuid.uuid4().hex[:8]}@hvs.gov.vn",
            name,
            "Mat-khau-khong-dung-den-2026",
            roles=("learner",),
            unit=cell,
            employee_code="DQH" + uuid.uuid4().hex[:8].upper(),
        )
        session.add(
            Enrollment(
                user_id=person.id,
                course_id=course.id,
                source="assigned",
                assignment_id=mandate.id,
                enrolled_at=due - timedelta(days=30),
                due_at=due,
            )
        )
        session.commit()
        return name, ward.name, course.title


def test_city_hr_drills_from_the_dashboard_to_an_overdue_person_and_their_transcript(
    site, new_page, axe
):
    person, ward, course = _plant_overdue_person(site)
    hr = site.add_user(roles=("hr",), unit_code=data.CITY_CODE, full_name="Trần Tổ Chức")
    page = new_page()
    sign_in(page, hr)

    page.goto("/dashboard")
    axe.check(page, "dashboard")
    page.get_by_role("link", name="Xem ma trận tuân thủ đầy đủ").click()
    page.wait_for_url("**/reports/matrix**")
    axe.check(page, "matrix: city")

    page.get_by_role("link", name=ward, exact=True).click()
    page.wait_for_url("**unit=*")
    assert ward in page.locator("main h1").inner_text()
    assert ward in page.get_by_role("navigation", name="Đường dẫn đơn vị").inner_text()
    axe.check(page, "matrix: ward")

    page.get_by_role("link", name="Chi bộ khu phố 1", exact=True).click()
    row = page.locator("tr", has_text=person)
    row.wait_for()
    assert "Quá hạn từ" in row.inner_text()
    axe.check(page, "matrix: cell")

    row.get_by_role("link", name=person).click()
    page.wait_for_url("**/transcript")
    assert person in page.locator("main h1").inner_text()
    courses = page.locator("#transcript-courses, #transcript-course-list").filter(has_text=course)
    assert courses.count() >= 1 and "Quá hạn" in courses.first.inner_text()
    axe.check(page, "transcript")
    axe.assert_clean()
