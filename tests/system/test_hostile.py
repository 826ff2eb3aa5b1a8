"""Hostile input against the real server: missing CSRF tokens on every POST route, security
headers on every response, the login rate limit across workers, formula payloads in exports."""

from __future__ import annotations

import csv
import io
import re
import threading

import pytest
from openpyxl import load_workbook

from tests.live_fixtures import database_independent
from tests.live_server import HttpSession, LiveServer, live_env, prepare_database, sqlite_url
from tests.payloads import FORMULA_PAYLOADS, is_formula
from tests.system.routes import all_routes

pytestmark = pytest.mark.slow
CSRF_MESSAGE = "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ"


@pytest.fixture(scope="module")
def routes(site):
    return all_routes(site)


@pytest.fixture(scope="module")
def admin(site):
    return site.http("quantri")


@database_independent
def test_every_post_route_refuses_a_request_without_csrf_token(site, routes, admin):
    posts = [r for r in routes if "POST" in r.methods]
    assert len(posts) >= 30, "the URL map should have all features' forms by now"
    anonymous = HttpSession(site.base_url)
    accepted = []
    for route in posts:
        for who, http in (("admin", admin), ("anonymous", anonymous)):
            response = http.post(
                route.path,
                {
                    "title": "Tiêu đề",
                    "reason": "lý do",
                    "locale": "en",
                    "body_md": "nội dung",
                    "email": "a@hvs.gov.vn",
                },
            )
            if route.path.startswith("/api/"):
                # the API takes no cookies at all (a bearer token only), so there is no CSRF to
                # check: a signed-in browser's post is refused as unauthenticated
                if response.status != 401 or "problem+json" not in response.headers.get(
                    "Content-Type", ""
                ):
                    accepted.append(f"{who} POST {route.path}: {response.status}")
            elif response.status != 400 or CSRF_MESSAGE not in response.text:
                accepted.append(f"{who} POST {route.path}: {response.status}")
    assert accepted == []
    assert admin.get("/admin/").status == 200, "a refused logout must not have signed the admin out"


SECURITY_HEADERS = {
    "Content-Security-Policy": re.compile(r"default-src 'self'.*frame-ancestors 'none'"),
    "X-Content-Type-Options": re.compile(r"^nosniff$"),
    "Referrer-Policy": re.compile(r"."),
    "X-Frame-Options": re.compile(r"^DENY$"),
}


def _header_problems(label: str, response) -> list[str]:
    problems = [
        f"{label}: {name} is {response.headers.get(name)!r}"
        for name, pattern in SECURITY_HEADERS.items()
        if not pattern.search(response.headers.get(name) or "")
    ]
    if response.status >= 500:
        problems.append(f"{label}: {response.status}")
    return problems


@database_independent
def test_every_response_carries_the_security_headers_and_none_is_a_500(site, routes, admin):
    sessions = {
        "anonymous": HttpSession(site.base_url),
        "learner": site.http("hocvien"),
        "hr": site.http("nhansu"),
        "admin": admin,
    }
    problems = []
    for route in (r for r in routes if "GET" in r.methods):
        for who, http in sessions.items():
            problems += _header_problems(f"{who} GET {route.path}", http.get(route.path))
    extra = ["/static/css/app.css", "/khong-co-trang-nay", "/courses/khong-co-khoa-nay", "/healthz"]
    for path in extra:
        problems += _header_problems(f"GET {path}", sessions["anonymous"].get(path))
    problems += _header_problems("DELETE /courses", sessions["admin"].request("DELETE", "/courses"))
    assert problems == []


@database_independent
def test_login_rate_limit_holds_across_workers_with_redis(tmp_path):
    """Two gunicorn servers on one database and one Redis, half the burst to each: the limit is
    counted in Redis, so no process can grant attempts of its own (and the burst surely reaches
    several processes, whatever the kernel's choice of worker)."""
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/9"
    try:
        redis.Redis.from_url(url).flushdb()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    env = live_env(tmp_path, sqlite_url(tmp_path), RATELIMIT_ENABLED=True, REDIS_URL=url)
    prepare_database(env, courses=False, demo_learners=None)
    with LiveServer(env, workers=2) as one, LiveServer(env, workers=2) as two:
        clients = [HttpSession((one, two)[i % 2].base_url) for i in range(8)]
        tokens = [c.csrf_token("/login") for c in clients]
        barrier = threading.Barrier(len(clients))
        statuses = [None] * len(clients)

        def attempt(i):
            barrier.wait(timeout=30)
            statuses[i] = (
                clients[i]
                .post(
                    "/login",
                    {"email": "ai.do@hvs.gov.vn", "password": "doan-mo", "csrf_token": tokens[i]},
                )
                .status
            )

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(clients))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(statuses) == [401] * 5 + [429] * 3, statuses
        for server in (one, two):
            assert re.search(r'"POST /login HTTP/1.1" \d+ \d+ pid=<\d+>', server.log()), (
                "each server had its share"
            )
            late = HttpSession(server.base_url)
            assert (
                late.post(
                    "/login",
                    {
                        "email": "ai.do@hvs.gov.vn",
                        "password": "x",
                        "csrf_token": late.csrf_token("/login"),
                    },
                ).status
                == 429
            )
    redis.Redis.from_url(url).flushdb()


def test_formula_payloads_are_neutralised_in_csv_and_xlsx(site, admin):
    for payload in FORMULA_PAYLOADS:
        email = site.add_user(full_name=payload, position=payload)
        learner = site.http(email)
        token = learner.csrf_token("/courses/lanh-dao-bang-du-lieu")
        learner.post("/courses/lanh-dao-bang-du-lieu/enrol", {"csrf_token": token})

    response = admin.get("/reports/completion.csv")
    assert response.status == 200
    text = response.body.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    cells = [cell for row in rows for cell in row]
    assert any("Nguyễn Văn" in cell for cell in cells), (
        "the payload learners should be in the report"
    )
    assert [cell for cell in cells if is_formula(cell)] == []

    response = admin.get("/reports/completion.xlsx")
    assert response.status == 200
    book = load_workbook(io.BytesIO(response.body))
    bad = [
        (sheet.title, cell.coordinate, cell.value)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f" or is_formula(cell.value)
    ]
    assert bad == []
