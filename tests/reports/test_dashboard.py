"""The dashboard: KPIs and per-unit figures from SQL, HR scope, charts with table alternatives."""

from __future__ import annotations

import re

from academy.database import db
from academy.learning.models import Enrollment


def test_city_figures_for_admin(client, auth, city):
    auth.login(city.admin)
    data = client.get("/dashboard/data.json").get_json()
    kpis = data["kpis"]
    assert (kpis["enrolled"], kpis["completed"], kpis["overdue"], kpis["certificates"]) == (
        3,
        1,
        1,
        1,
    )
    assert kpis["completion_rate"] == 33.3
    assert kpis["average_score"] == 80.0  # (0.8 + 1.0 + 0.6) / 3 module results
    units = {u["name"]: u for u in data["units"]}
    # the city's children with their subtrees rolled up (plus the city itself: the admin sits there)
    assert set(units) == {"Phường Bến Nghé", "Phường Đa Kao", "Thành phố"}
    assert "Chi bộ 1" not in units and units["Thành phố"]["enrolled"] == 0
    assert (units["Phường Bến Nghé"]["enrolled"], units["Phường Bến Nghé"]["completed"]) == (2, 1)
    assert units["Phường Bến Nghé"]["completion_rate"] == 50.0
    assert units["Phường Đa Kao"]["average_score"] is None
    assert sum(w["completed"] for w in data["weekly"]) == 1 and len(data["weekly"]) == 12
    assert [s["count"] for s in data["scores"]][6:] == [1, 0, 1, 1]  # 0.6, 0.8, 1.0


def test_hr_sees_own_ward_only(client, auth, city):
    auth.login(city.hr_bn)
    data = client.get("/dashboard/data.json").get_json()
    assert data["kpis"]["enrolled"] == 2 and data["kpis"]["overdue"] == 1
    names = {u["name"] for u in data["units"]}
    assert "Phường Đa Kao" not in names and "Chi bộ 1" in names
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Đa Kao" not in page


def test_page_has_tables_for_every_chart_and_no_inline_script(client, auth, city):
    auth.login(city.admin)
    response = client.get("/dashboard")
    page = response.get_data(as_text=True)
    assert page.count("<canvas") == 3 and page.count("<details>") == 3
    assert (
        'data-table="rate"' in page
        and 'data-table="weekly"' in page
        and 'data-table="scores"' in page
    )
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "CSP: scripts come from files only"
    assert ' style="' not in page
    assert "js/dashboard.js" in page and "chart.umd.min.js" in page


def test_polls_get_the_last_figures_at_once_while_new_ones_are_made(app, client, auth, city):
    auth.login(city.admin)
    assert client.get("/dashboard/data.json").get_json()["kpis"]["enrolled"] == 3
    db.session.add(Enrollment(user_id=city.admin.id, course_id=city.course.id, source="self"))
    db.session.commit()
    app.config["DASHBOARD_CACHE_SECONDS"] = 1e-9  # every snapshot is now out of date
    snapshots = app.extensions["reports.dashboard"]
    try:
        # the poll that finds the snapshot out of date is answered from it; a refresh starts behind
        assert client.get("/dashboard/data.json").get_json()["kpis"]["enrolled"] == 3
        snapshots.wait()
        assert client.get("/dashboard/data.json").get_json()["kpis"]["enrolled"] == 4
    finally:
        snapshots.wait()


def test_without_snapshots_every_poll_is_fresh(app, client, auth, city):
    app.config["DASHBOARD_CACHE_SECONDS"] = 0
    auth.login(city.admin)
    assert client.get("/dashboard/data.json").get_json()["kpis"]["enrolled"] == 3
    db.session.add(Enrollment(user_id=city.admin.id, course_id=city.course.id, source="self"))
    db.session.commit()
    assert client.get("/dashboard/data.json").get_json()["kpis"]["enrolled"] == 4


def test_snapshots_are_kept_per_scope(client, auth, city):
    auth.login(city.admin)
    assert client.get("/dashboard/data.json").get_json()["kpis"]["enrolled"] == 3
    auth.logout()
    auth.login(city.hr_bn)
    data = client.get("/dashboard/data.json").get_json()
    assert data["kpis"]["enrolled"] == 2 and "Phường Đa Kao" not in {
        u["name"] for u in data["units"]
    }
