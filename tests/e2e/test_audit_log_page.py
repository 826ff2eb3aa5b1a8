"""The audit log in a browser: a failed sign-in shows, labelled in Vietnamese, at any width."""

from __future__ import annotations

from tests.e2e.flows import sign_in
from tests.live_fixtures import database_independent


@database_independent
def test_audit_log_shows_a_failed_sign_in(new_page, site, axe):
    admin = site.add_user(roles=("admin",), full_name="Quản Trị Kiểm Toán")
    page = new_page()
    page.goto("/login")
    page.fill("input[name=email]", "nguoi.la@vi-du.vn")
    page.fill("input[name=password]", "sai-mat-khau-0")
    page.click("form button[type=submit]")
    sign_in(page, admin)
    page.goto("/admin/audit?action=auth.signin.failed")
    row = page.locator("tbody tr", has_text="nguoi.la@vi-du.vn")
    assert "Đăng nhập thất bại" in row.first.inner_text()
    axe.check(page, "audit log")
    axe.assert_clean()
