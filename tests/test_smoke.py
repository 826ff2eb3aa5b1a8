def test_login_page_is_vietnamese(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert "Đăng nhập" in page.get_data(as_text=True)


def test_healthz(client):
    assert client.get("/healthz").json == {"status": "ok", "database": "ok"}
