"""The bell in Chromium, desktop and phone (360 px): the badge, the menu within the screen, a
notification followed to its page, "mark all read"; axe clean."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from academy.auth.models import User
from academy.database import utcnow
from academy.notify.models import Notification
from tests.e2e.flows import open_menu, sign_in
from tests.live_fixtures import database_independent


def _plant(site, email: str, count: int) -> None:
    with site.db() as session:
        user = session.scalar(select(User).where(User.email == email))
        now = utcnow()
        session.add_all(
            Notification(
                user_id=user.id,
                kind="reminder.due7",
                title=f"Còn {n + 2} ngày để hoàn thành khoá học “Lãnh đạo bằng dữ liệu số {n}”",
                body="Hạn hoàn thành: hết ngày 30/06/2030.",
                link="/me/certificates",
                dedupe_key=f"browser:{user.id}:{n}",
                created_at=now - timedelta(minutes=n),
            )
            for n in range(count)
        )
        session.commit()


@database_independent
def test_bell_menu_and_notifications_page(new_page, site, axe, device):
    email = site.add_user(full_name="Trần Chuông Báo")
    _plant(site, email, 3)
    page = new_page()
    sign_in(page, email)
    open_menu(page)
    bell = page.locator("#bell-menu")
    assert bell.get_attribute("aria-label") == "3 thông báo chưa đọc"
    assert bell.locator(".badge").inner_text() == "3"
    bell.click()
    menu = page.locator("[aria-labelledby=bell-menu]")
    menu.wait_for(state="visible")
    box, width = menu.bounding_box(), page.viewport_size["width"]
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, (box, width)
    assert menu.get_by_role("link", name="Xem tất cả").is_visible()
    axe.check(page, "bell menu open")

    menu.locator("a.dropdown-item").first.click()
    page.wait_for_url("**/me/certificates")
    open_menu(page)
    assert page.locator("#bell-menu").get_attribute("aria-label") == "2 thông báo chưa đọc"

    page.goto("/notifications")
    axe.check(page, "notifications")
    page.get_by_role("button", name="Đánh dấu đã đọc tất cả").click()
    page.get_by_text("Đã đánh dấu đã đọc tất cả thông báo.").wait_for()
    open_menu(page)
    label = page.locator("#bell-menu").get_attribute("aria-label")
    assert label == "Thông báo, không có thông báo chưa đọc"
    page.goto("/account/notifications")
    axe.check(page, "preferences")
    assert page.errors == []
    axe.assert_clean()
