"""API access tokens in a browser: an HR officer makes a token on "Khoá truy cập API", reads it
once, calls the API with it, revokes it; the API's docs page lists the operations (Swagger UI)."""

from __future__ import annotations

import pytest

from tests.e2e.flows import sign_in
from tests.live_fixtures import database_independent

pytestmark = pytest.mark.browser


@database_independent
def test_hr_makes_uses_and_revokes_a_token(new_page, site, axe):
    hr = site.add_user(roles=("hr",), full_name="Cán Bộ Tổ Chức API")
    page = new_page()
    sign_in(page, hr)
    page.goto("/me/api-tokens")
    axe.check(page, "api tokens")
    page.get_by_label("Tên khoá").fill("Hệ thống nhân sự")
    page.get_by_label("Đọc báo cáo (đơn vị, cán bộ, kết quả học, chứng chỉ)").check()
    page.get_by_role("button", name="Tạo khoá").click()
    secret = page.locator("#new-secret").inner_text().strip()
    assert secret.startswith("hvs_")
    answer = page.request.get("/api/v1/units", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status == 200 and answer.json()["total"] >= 1

    page.goto("/me/api-tokens")
    assert page.locator("#new-secret").count() == 0  # shown once
    page.get_by_role("button", name="Thu hồi").click()
    assert page.get_by_text("Đã thu hồi", exact=True).first.is_visible()
    answer = page.request.get("/api/v1/units", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status == 401
    assert answer.headers["content-type"].startswith("application/problem+json")
    axe.assert_clean()
    assert page.errors == []


@database_independent
def test_docs_page_shows_the_operations(new_page):
    page = new_page()
    page.goto("/api/v1/docs")
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() >= 14
    assert "/api/v1/people/bulk" in page.locator("#swagger-ui").inner_text()
    assert page.errors == []
