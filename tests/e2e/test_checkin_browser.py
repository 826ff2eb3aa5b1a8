"""QR attendance in Chromium: the organiser's projector screen on a desktop, a learner's phone
(360 px, a second browser context) opening the code's address, signing in, checking in; the
screen's live count goes to 1. axe clean on every page."""

from __future__ import annotations

import re
import secrets
import urllib.parse
from datetime import timedelta

import pytest
from sqlalchemy import select

from academy.auth.models import User
from academy.database import utcnow
from academy.training.models import Attendance, SessionInvite, TrainingSession
from tests.e2e.conftest import VIEWPORTS, Auditor
from tests.e2e.flows import sign_in
from tests.live_fixtures import database_independent
from tests.live_server import DEMO_PASSWORD, demo_email

pytestmark = [pytest.mark.browser, pytest.mark.slow, database_independent]


@pytest.fixture
def open_context(browser, site):
    """``open_context(device)``: a fresh browser (own cookies) on the live site."""
    contexts = []

    def make(device: str):
        context = browser.new_context(
            base_url=site.base_url,
            locale="vi-VN",
            bypass_csp=True,  # axe is injected as a script
            timezone_id="Asia/Ho_Chi_Minh",
            **VIEWPORTS[device],
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        return page

    yield make
    for context in contexts:
        context.close()


def _plant_session(site, learner_email: str) -> int:
    with site.db() as session:
        organiser = session.scalar(select(User).where(User.email == demo_email("giangvien")))
        learner = session.scalar(select(User).where(User.email == learner_email))
        starts = utcnow() + timedelta(minutes=10)
        training = TrainingSession(
            title="Quán triệt nghị quyết về chuyển đổi số",
            place="Hội trường tầng 3",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            hours=2,
            secret=secrets.token_hex(32),
            organiser_id=organiser.id,
        )
        session.add(training)
        session.flush()
        session.add(SessionInvite(session_id=training.id, user_id=learner.id))
        session.commit()
        return training.id


def test_a_learner_checks_in_from_a_phone_by_the_projected_code(site, open_context):
    learner_email = site.add_user(full_name="Đỗ Thị Điểm Danh")
    session_id = _plant_session(site, learner_email)
    desk, phone = Auditor("desktop"), Auditor("phone")

    screen = open_context("desktop")
    sign_in(screen, demo_email("giangvien"))
    screen.goto(f"/sessions/{session_id}/checkin")
    count = screen.locator("#checkin-count")
    assert count.inner_text() == "0 / 1 đã điểm danh"
    assert screen.locator("#checkin-qr").get_attribute("src").startswith("data:image/svg+xml")
    desk.check(screen, "check-in screen")
    address = screen.locator("#checkin-url").get_attribute("data-checkin-url")
    assert screen.locator("#checkin-url").inner_text() == address  # shown for who cannot scan
    path = urllib.parse.urlsplit(address).path
    assert re.fullmatch(rf"/attend/{session_id}/in/\d+-[A-Za-z0-9_-]{{10}}", path)

    learner = open_context("phone")
    learner.goto(path)  # the camera opens the address; not signed in yet on this phone
    learner.wait_for_url("**/login**")
    phone.check(learner, "sign-in from the code")
    learner.get_by_label("Email").fill(learner_email)
    learner.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    learner.get_by_role("button", name="Đăng nhập").click()
    learner.wait_for_url(f"**{path}")
    button = learner.get_by_role("button", name="Điểm danh")
    assert learner.get_by_role(
        "heading", name="Quán triệt nghị quyết về chuyển đổi số"
    ).is_visible()
    box = button.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360, box
    phone.check(learner, "attend page")
    button.click()
    learner.get_by_text(re.compile(r"Bạn đã điểm danh lúc \d\d:\d\d")).wait_for()
    phone.check(learner, "checked in")

    count.filter(has_text="1 / 1 đã điểm danh").wait_for()  # the screen's live refresh
    screen.locator("#checkin-latest").get_by_text("Đỗ Thị Điểm Danh").wait_for()
    with site.db() as db_session:
        rows = db_session.scalars(
            select(Attendance).where(Attendance.session_id == session_id)
        ).all()
        assert [(row.method, row.late) for row in rows] == [("qr", False)]

    screen.goto(f"/sessions/{session_id}/attendance")
    assert screen.get_by_role("cell", name="Đỗ Thị Điểm Danh").is_visible()
    desk.check(screen, "attendance list")
    assert screen.errors == [] and learner.errors == []
    desk.assert_clean()
    phone.assert_clean()
