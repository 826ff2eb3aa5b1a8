"""An invitation from the admin's click to the learner's home: the admin finds a newly imported
person (no password) on the invitations page and invites them; the mail lands in the live site's
outbox folder (no SMTP server configured); its link opens the activation page, the person sets a
password and arrives home signed in; the link then refuses a second use. "Quên mật khẩu?" from
the sign-in page answers too. Desktop and phone, axe on every page."""

from __future__ import annotations

import email
import re
import time
import uuid
from email.policy import default as default_policy
from pathlib import Path

import pytest

from academy.auth.models import Unit
from academy.auth.services import create_user
from tests.e2e.flows import go_by_menu, sign_in
from tests.live_fixtures import database_independent

pytestmark = [pytest.mark.browser, pytest.mark.slow, database_independent]

PASSWORD = "mây-trắng-bay-qua-đồi-chè-47"


def _plant_newcomer(site) -> tuple[str, str, str]:
    """An account as the staff import makes it: active, in a ward, no password, never signed in.
    Returns (name, email, search tag)."""
    tag = uuid.uuid4().hex[:6]
    name, address = f"Vương Thị Mời {tag.upper()}", f"vuong.moi.{tag}@hvs.gov.vn"
    with site.db() as session:
        ward = session.query(Unit).filter(Unit.kind == "ward").order_by(Unit.id).first()
        create_user(address, name, None, unit=ward, employee_code="VM" + tag.upper())
        session.commit()
    return name, address, tag


def _mail_to(site, address: str, timeout: float = 20) -> email.message.EmailMessage:
    """The message the live site wrote for ``address`` into instance/outbox/*.eml."""
    folder = Path(site.env["ACADEMY_INSTANCE_PATH"]) / "outbox"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(folder.glob("*.eml")) if folder.exists() else ():
            message = email.message_from_bytes(path.read_bytes(), policy=default_policy)
            if message["To"] == address:
                return message
        time.sleep(0.2)
    raise AssertionError(f"no mail to {address} in {folder} after {timeout} s")


def _activation_path(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    found = re.search(r"https?://[^/\s]+(/account/activate/[A-Za-z0-9_\-]+)", text)
    assert found, text
    return found.group(1)


def test_an_invitation_from_the_mail_to_the_learners_home(site, new_page, axe):
    name, address, tag = _plant_newcomer(site)

    admin = new_page()
    sign_in(admin, "quantri@hvs.gov.vn", axe=axe)
    go_by_menu(admin, "Quản trị")
    admin.get_by_role("link", name="Lời mời", exact=True).click()
    admin.wait_for_load_state("load")
    axe.check(admin, "invitations")
    admin.get_by_label("Họ tên, email hoặc mã cán bộ").fill(tag)
    admin.get_by_role("button", name="Lọc").click()
    admin.wait_for_load_state("load")
    admin.get_by_role("button", name=f"Gửi lời mời cho {name}").click()
    admin.wait_for_load_state("load")
    assert f"Đã gửi lời mời tới {address}" in admin.locator("main").inner_text()
    axe.check(admin, "invitation sent")

    mail = _mail_to(site, address)
    assert mail["Subject"] == "Lời mời tham gia Học viện Số"
    path = _activation_path(mail)

    person = new_page()
    person.goto(path)
    axe.check(person, "activate")
    assert address in person.locator("main").inner_text()
    person.get_by_label("Mật khẩu mới", exact=True).fill(PASSWORD)
    person.get_by_label("Nhập lại mật khẩu mới").fill(PASSWORD)
    person.get_by_role("button", name="Đặt mật khẩu và vào học").click()
    person.wait_for_url(lambda url: "/account/" not in url)
    assert person.url.rstrip("/") == site.base_url
    assert "Chào mừng bạn đến với Học viện Số" in person.locator("main").inner_text()
    axe.check(person, "learner home")

    again = person.goto(path)
    assert again.status == 410
    assert "Liên kết đã được dùng hoặc đã hết hạn" in person.locator("main").inner_text()
    axe.check(person, "link used")
    assert not admin.errors and not person.errors, admin.errors + person.errors
    axe.assert_clean()


def test_forgot_password_from_the_sign_in_page(site, new_page, axe):
    page = new_page()
    page.goto("/login")
    page.get_by_role("link", name="Quên mật khẩu?").click()
    page.wait_for_load_state("load")
    axe.check(page, "forgot")
    page.get_by_label("Email").fill(f"khong-co-ai-{uuid.uuid4().hex[:6]}@hvs.gov.vn")
    page.get_by_role("button", name="Gửi liên kết đặt lại mật khẩu").click()
    page.wait_for_load_state("load")
    assert "Nếu địa chỉ này có tài khoản" in page.locator("main").inner_text()
    axe.check(page, "forgot sent")
    assert not page.errors, page.errors
    axe.assert_clean()
