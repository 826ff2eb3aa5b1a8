"""The dashboard: mandatory courses by default (every course on request), only counted people and
mandates, top and bottom ten units, a twelve-week trend, every figure a link to its people, local
time; KPIs from SQL with HR scope; snapshots; charts with table alternatives."""

from __future__ import annotations

import itertools
import re
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from academy.auth.models import User
from academy.certificates.models import Certificate
from academy.database import db
from academy.learning.models import Assignment, Enrollment, ModuleResult
from academy.reports import dashboard

# Monday 7 December 2026, 14:05 in Hà Nội (UTC+7): the local week began at 17:00 UTC on Sunday.
NOW = datetime(2026, 12, 7, 7, 5, tzinfo=UTC)
WEEK_START = datetime(2026, 12, 6, 17, 0, tzinfo=UTC)


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(dashboard, "utcnow", lambda: NOW)
    return NOW


@pytest.fixture
def fresh(app):
    app.config["DASHBOARD_CACHE_SECONDS"] = 0  # every request aggregates anew


_numbers = itertools.count(1)


def _person(unit, name="Cán bộ", active=True):
    n = next(_numbers)
    user = User(
        email=f"cb{n}@hvs.gov.vn",
        employee_code=f"T{n:05d}",
        full_name=name,
        unit_id=unit.id,
        is_active=active,
    )
    db.session.add(user)
    db.session.flush()
    return user


def _mandate(course, unit, due_at=None, cancelled=False):
    assignment = Assignment(
        course_id=course.id,
        unit_id=unit.id,
        due_at=due_at,
        cancelled_at=NOW - timedelta(days=1) if cancelled else None,
    )
    db.session.add(assignment)
    db.session.flush()
    return assignment


def _enrol(user, course, mandate=None, enrolled_at=None, completed_at=None, due_at=None):
    """An enrolment; bound to ``mandate`` (mandatory) unless it is None (voluntary)."""
    db.session.add(
        Enrollment(
            user_id=user.id,
            course_id=course.id,
            source="assigned" if mandate else "self",
            assignment_id=mandate.id if mandate else None,
            enrolled_at=enrolled_at or NOW - timedelta(days=30),
            due_at=due_at if due_at is not None else (mandate.due_at if mandate else None),
            completed_at=completed_at,
        )
    )


def _json(client, **args):
    response = client.get("/dashboard/data.json", query_string=args)
    assert response.status_code == 200
    return response.get_json()


def _links(page: str) -> dict[str, tuple[str, dict]]:
    """The KPI tiles' links: {figure: (path, query args)}."""
    links = {}
    for href, key in re.findall(r'<a [^>]*href="([^"]+)"[^>]*data-kpi-link="(\w+)"', page):
        parts = urlsplit(href.replace("&amp;", "&"))
        links[key] = (parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()})
    return links


@pytest.fixture
def ward(make_unit, make_user, make_course):
    """A city with two wards. In Bến Nghé: a mandate (due last week) taken by Ánh (completed),
    Bình (overdue) and Chi (deactivated, overdue); Dũng's mandate was cancelled; Bình also took a
    voluntary course. In Đa Kao: Cường, overdue."""
    root = make_unit("Thành phố", kind="city", code="CITY")
    ben_nghe = make_unit("Phường Bến Nghé", parent=root, kind="ward", code="BN")
    da_kao = make_unit("Phường Đa Kao", parent=root, kind="ward", code="DK")
    course = make_course(title="Chuyển đổi số")
    optional = make_course(title="Kỹ năng thuyết trình")
    cancelled_course = make_course(title="Khoá đã huỷ giao")
    due = NOW - timedelta(days=3)
    mandate = _mandate(course, root, due_at=due)
    cancelled = _mandate(cancelled_course, ben_nghe, due_at=due, cancelled=True)
    anh, binh = _person(ben_nghe, "Nguyễn Văn Ánh"), _person(ben_nghe, "Trần Thị Bình")
    chi = _person(ben_nghe, "Lê Thị Chi", active=False)
    dung, cuong = _person(ben_nghe, "Phạm Văn Dũng"), _person(da_kao, "Lê Văn Cường")
    _enrol(anh, course, mandate, completed_at=NOW - timedelta(days=10))
    _enrol(binh, course, mandate)
    _enrol(chi, course, mandate)
    _enrol(cuong, course, mandate)
    _enrol(binh, optional, completed_at=NOW - timedelta(days=2))
    # cancelling a mandate unbinds its enrolments and clears their due dates
    _enrol(dung, cancelled_course)
    assert cancelled.cancelled_at is not None
    db.session.commit()
    hr = make_user(full_name="Phạm Thu Hà", roles=("hr",), unit=ben_nghe, employee_code="HR-BN")
    admin = make_user(full_name="Quản trị viên", roles=("admin",), unit=root, employee_code="AD")
    return type("Ward", (), dict(root=root, ben_nghe=ben_nghe, da_kao=da_kao, hr=hr, admin=admin))


def test_mandatory_courses_only_by_default_every_course_with_the_toggle(
    client, auth, ward, frozen, fresh
):
    auth.login(ward.hr)
    kpis = _json(client)["kpis"]
    # Ánh (completed) and Bình (overdue); Chi is deactivated, Dũng's mandate was cancelled
    assert (kpis["enrolled"], kpis["completed"], kpis["overdue"]) == (2, 1, 1)
    assert kpis["completion_rate"] == 50.0
    everything = _json(client, courses="all")
    # plus Bình's voluntary course (completed) and Dũng's unbound enrolment (no longer overdue)
    assert everything["courses"] == "all"
    kpis = everything["kpis"]
    assert (kpis["enrolled"], kpis["completed"], kpis["overdue"]) == (4, 2, 1)

    page = client.get("/dashboard").get_data(as_text=True)
    assert "Đang xem: chỉ các khoá học bắt buộc" in page
    assert re.search(r'href="/dashboard\?courses=all"\s*>Tất cả khoá học \(kể cả tự chọn\)', page)
    assert 'data-url="/dashboard/data.json"' in page
    page = client.get("/dashboard?courses=all").get_data(as_text=True)
    assert "Đang xem: tất cả khoá học" in page
    assert re.search(r'href="/dashboard\?courses=all" aria-current="page"', page)
    assert 'data-url="/dashboard/data.json?courses=all"' in page


def test_deactivated_people_and_cancelled_mandates_do_not_count(client, auth, ward, frozen, fresh):
    auth.login(ward.admin)
    data = _json(client)
    units = {u["code"]: u for u in data["units"]}
    # Bến Nghé: four active people (Chi is not); Ánh done, Bình overdue; Dũng's course cancelled
    assert units["BN"]["learners"] == 4
    assert (units["BN"]["enrolled"], units["BN"]["overdue"]) == (2, 1)
    assert (units["DK"]["enrolled"], units["DK"]["overdue"]) == (1, 1)
    assert (data["kpis"]["overdue"], data["kpis"]["learners"]) == (2, 6)  # + Cường and admin
    # the trend counts the same enrolments: three mandatory ones, one completed
    assert (data["weekly"][-1]["enrolled"], data["weekly"][-1]["complete_share"]) == (3, 33.3)
    everything = _json(client, courses="all")
    assert [(u["code"], u["overdue"]) for u in everything["units"]][:2] == [("BN", 1), ("DK", 1)]
    assert everything["weekly"][-1]["enrolled"] == 5


def test_hr_sees_own_ward_only(client, auth, ward, frozen, fresh):
    auth.login(ward.hr)
    data = _json(client)
    assert data["scope"] == "Thành phố › Phường Bến Nghé" and data["focus_id"] == ward.ben_nghe.id
    assert data["kpis"]["enrolled"] == 2 and data["kpis"]["overdue"] == 1
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Đa Kao" not in page and "Cường" not in page


@pytest.fixture
def wards(make_unit, make_user, make_course):
    """23 wards: W01 … W22 have 22 mandatory enrolments each, W<i> with i of them completed; W00
    has only a voluntary one (no mandatory enrolments, so it is in neither list)."""
    root = make_unit("Thành phố", kind="city", code="CITY")
    courses = [make_course(title=f"Khoá {n}", modules=1) for n in range(2)]
    mandates = [_mandate(course, root, due_at=NOW + timedelta(days=30)) for course in courses]
    units = {}
    for i in range(23):
        unit = make_unit(f"Phường số {i}", parent=root, kind="ward", code=f"W{i:02d}")
        units[i] = unit
        if i == 0:
            _enrol(_person(unit), courses[0])
            continue
        people = [_person(unit) for _ in range(11)]  # each takes both courses
        for n in range(22):
            done = NOW - timedelta(days=1) if n < i else None
            _enrol(people[n // 2], courses[n % 2], mandates[n % 2], completed_at=done)
    db.session.commit()
    admin = make_user(full_name="Quản trị viên", roles=("admin",), unit=root, employee_code="AD")
    return type("Wards", (), dict(root=root, units=units, admin=admin))


def test_top_and_bottom_ten_units_link_to_the_matrix(client, auth, wards, frozen, fresh):
    auth.login(wards.admin)
    data = _json(client)
    assert [u["code"] for u in data["top"]] == [f"W{i:02d}" for i in range(22, 12, -1)]
    assert [u["code"] for u in data["bottom"]] == [f"W{i:02d}" for i in range(1, 11)]
    assert (
        data["top"][0]["completion_rate"] == 100.0 and data["bottom"][0]["completion_rate"] == 4.5
    )
    assert data["ranked_units"] == 22
    page = client.get("/dashboard").get_data(as_text=True)
    ranking = page[page.index('id="ranking-title"') : page.index('id="chart-trend-title"')]
    for i in (22, 13, 10, 1):
        unit = wards.units[i]
        assert f'<a href="/reports/matrix?unit={unit.id}">Phường số {i} (W{i:02d})</a>' in ranking
    for i in (0, 11, 12):  # no mandatory enrolment; between the two lists
        assert f"(W{i:02d})" not in ranking
    top, bottom = ranking.index('data-ranking="top"'), ranking.index('data-ranking="bottom"')
    assert top < ranking.index("(W22)") < ranking.index("(W13)") < bottom
    assert bottom < ranking.index("(W01)") < ranking.index("(W10)")
    assert re.search(r"\(W01\)</a>\s*<span[^>]*>4,5%</span>", ranking)  # Vietnamese decimals
    assert f'href="/reports/matrix?unit={wards.root.id}">Xem ma trận tuân thủ đầy đủ' in ranking


def test_few_units_make_one_list(client, auth, ward, frozen, fresh):
    auth.login(ward.admin)
    data = _json(client)
    # Bến Nghé 1 of 2, Đa Kao 0 of 1; the city itself (only the admin) is not a child unit
    assert [u["code"] for u in data["top"]] == ["BN", "DK"] and data["bottom"] == []
    page = client.get("/dashboard").get_data(as_text=True)
    assert re.search(r'data-ranking-section="bottom"\s+hidden', page)


def test_trend_counts_completions_by_local_week(
    client, auth, make_unit, make_user, make_course, frozen, fresh
):
    root = make_unit("Thành phố", kind="city", code="CITY")
    course, optional = make_course(title="Bắt buộc"), make_course(title="Tự chọn")
    mandate = _mandate(course, root, due_at=NOW + timedelta(days=30))
    three_weeks_ago = WEEK_START - timedelta(weeks=3) + timedelta(hours=1)
    before, after, late = _person(root), _person(root), _person(root)
    # completed one minute before last week ended (local Sunday 23:59) and one minute after
    _enrol(before, course, mandate, three_weeks_ago, WEEK_START - timedelta(minutes=1))
    _enrol(after, course, mandate, three_weeks_ago, WEEK_START + timedelta(minutes=1))
    _enrol(late, course, mandate, enrolled_at=WEEK_START + timedelta(hours=2))  # joined this week
    _enrol(before, optional, None, three_weeks_ago, WEEK_START - timedelta(days=2))  # voluntary
    db.session.commit()
    auth.login(make_user(roles=("admin",), unit=root))
    weekly = _json(client)["weekly"]
    assert len(weekly) == 12
    assert [w["label"] for w in weekly[-3:]] == ["23/11", "30/11", "07/12"]
    assert weekly[-2]["range"] == "30/11–06/12"
    assert [w["completed"] for w in weekly] == [0] * 10 + [1, 1]
    # as at the end of each week: enrolments existing then, the share of them completed by then
    assert [(w["enrolled"], w["complete_share"]) for w in weekly[-5:]] == [
        (0, None),  # the two were enrolled during the week of 16/11
        (2, 0.0),
        (2, 0.0),
        (2, 50.0),
        (3, 66.7),
    ]
    everything = _json(client, courses="all")["weekly"]
    assert [w["completed"] for w in everything[-2:]] == [2, 1]
    page = client.get("/dashboard").get_data(as_text=True)
    assert re.search(r"<td[^>]*>30/11–06/12</td><td[^>]*>1</td><td[^>]*>50%</td>", page)
    assert re.search(r"<td[^>]*>07/12–13/12</td><td[^>]*>1</td><td[^>]*>66,7%</td>", page)


def test_kpi_links_carry_the_right_filters(client, auth, ward, frozen, fresh):
    unit = str(ward.ben_nghe.id)
    auth.login(ward.hr)
    links = _links(client.get("/dashboard").get_data(as_text=True))
    mandatory = {"kind": "mandatory"}
    assert links["overdue"] == (
        "/reports/completion",
        {"status": "overdue", "unit": unit, **mandatory},
    )
    assert links["completed"] == (
        "/reports/completion",
        {"status": "completed", "unit": unit, **mandatory},
    )
    assert links["enrolled"] == ("/reports/completion", {"unit": unit, **mandatory})
    assert links["learners"] == ("/reports/people", {})
    assert links["completion_rate"] == ("/reports/matrix", {"unit": unit})
    assert links["average_score"] == (
        "/reports/completion",
        {"sort": "score", "unit": unit, **mandatory},
    )
    # HR cannot open the certificate list: the people who completed a course this (local) month
    assert links["certificates"] == (
        "/reports/completion",
        {"status": "completed", "date_from": "2026-12-01", "unit": unit, **mandatory},
    )
    auth.logout()
    auth.login(ward.admin)
    page = client.get("/dashboard").get_data(as_text=True)
    links = _links(page)
    assert links["certificates"] == ("/admin/certificates", {})
    assert links["overdue"] == (
        "/reports/completion",
        {"status": "overdue", "unit": str(ward.root.id), **mandatory},
    )
    assert f'href="/reports/warnings?unit={ward.root.id}"' in page
    assert client.get(links["overdue"][0], query_string=links["overdue"][1]).status_code == 200


def test_each_figure_opens_a_list_of_the_same_size(client, auth, ward, frozen, fresh):
    """The figure on the dashboard and the report it links to count the same rows: the report
    keeps mandatory courses too (a voluntary enrolment is planted in the ward)."""
    auth.login(ward.hr)
    page = client.get("/dashboard").get_data(as_text=True)
    links, figures = _links(page), _json(client)["kpis"]
    for name in ("enrolled", "completed", "overdue"):
        path, query = links[name]
        report = client.get(path, query_string=query).get_data(as_text=True)
        assert _report_rows(report) == figures[name], name


def _report_rows(page: str) -> int:
    found = re.search(r'data-total="rows">([\d.]+)<', page)
    assert found, "the report states its row count"
    return int(found.group(1).replace(".", ""))


def test_early_warning_card_names_the_overdue_people(client, auth, ward, fresh):
    auth.login(ward.hr)
    data = _json(client)
    assert data["warnings"]["people_overdue"] == 1  # Bình; not Chi (deactivated), not Đa Kao
    page = client.get("/dashboard").get_data(as_text=True)
    binh = db.session.scalar(db.select(User).where(User.full_name == "Trần Thị Bình"))
    assert f'href="/reports/people/{binh.id}/transcript">Trần Thị Bình</a>' in page
    assert "Phường Bến Nghé (BN)" in page and "Chuyển đổi số · hạn" in page
    unit = ward.ben_nghe.id
    assert f'href="/reports/warnings?band=overdue&amp;unit={unit}"' in page
    assert f'href="/reports/warnings?band=at_risk&amp;unit={unit}"' in page
    assert "Lê Thị Chi" not in page


def test_time_and_month_are_local(client, auth, ward, frozen, fresh):
    mandatory = db.select(Enrollment).where(Enrollment.assignment_id.is_not(None))
    anh, binh = db.session.scalars(mandatory.order_by(Enrollment.id).limit(2)).all()
    # 1 December 01:00 in Hà Nội is this month; 30 November 23:00 is not
    for enrolment, issued_at, code in (
        (anh, datetime(2026, 11, 30, 18, 0, tzinfo=UTC), "a"),
        (binh, datetime(2026, 11, 30, 16, 0, tzinfo=UTC), "b"),
    ):
        db.session.add(
            Certificate(
                serial=f"HVS-2026-0000{1 if code == 'a' else 2:02d}",
                verify_code=code * 40,
                user_id=enrolment.user_id,
                course_id=enrolment.course_id,
                issued_at=issued_at,
            )
        )
    db.session.commit()
    auth.login(ward.admin)
    data = _json(client)
    assert data["updated"] == "14:05 07/12/2026" and data["month_start"] == "2026-12-01"
    assert data["kpis"]["certificates"] == 1
    page = client.get("/dashboard").get_data(as_text=True)
    assert re.search(r"Cập nhật lúc <span data-updated>14:05 07/12/2026</span>", page)
    assert "UTC" not in page


def test_scores_count_mandatory_courses_unless_asked(client, auth, ward, frozen, fresh):
    anh = db.session.scalar(db.select(User).where(User.full_name == "Nguyễn Văn Ánh"))
    binh = db.session.scalar(db.select(User).where(User.full_name == "Trần Thị Bình"))
    mandatory, voluntary = (
        db.session.scalars(
            db.select(Enrollment).where(Enrollment.user_id == binh.id).order_by(Enrollment.id)
        )
    ).all()
    for user, enrolment, score in ((anh, mandatory, 0.8), (binh, voluntary, 0.4)):
        module = enrolment.course.modules[0]
        db.session.add(
            ModuleResult(user_id=user.id, module_id=module.id, best_score=score, attempts_count=1)
        )
    db.session.commit()
    auth.login(ward.hr)
    assert _json(client)["kpis"]["average_score"] == 80.0
    assert [s["count"] for s in _json(client)["scores"]][4:] == [0, 0, 0, 0, 1, 0]
    assert _json(client, courses="all")["kpis"]["average_score"] == 60.0


def test_page_reads_without_javascript_and_has_no_inline_script(client, auth, ward, frozen):
    auth.login(ward.admin)
    page = client.get("/dashboard").get_data(as_text=True)
    assert page.count("<canvas") == 2 and page.count("<details open data-chart-table>") == 2
    assert page.count("data-chart-box hidden") == 2  # charts appear only once drawn
    assert 'data-table="weekly"' in page and 'data-table="scores"' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "CSP: scripts come from files only"
    assert ' style="' not in page
    assert "js/dashboard.js" in page and "chart.umd.min.js" in page


def test_polls_get_the_last_figures_at_once_while_new_ones_are_made(app, client, auth, ward):
    auth.login(ward.admin)
    assert _json(client)["kpis"]["enrolled"] == 3
    _add_mandatory_enrolment(ward)
    app.config["DASHBOARD_CACHE_SECONDS"] = 1e-9  # every snapshot is now out of date
    snapshots = app.extensions["reports.dashboard"]
    try:
        # the poll that finds the snapshot out of date is answered from it; a refresh starts behind
        assert _json(client)["kpis"]["enrolled"] == 3
        snapshots.wait()
        assert _json(client)["kpis"]["enrolled"] == 4
    finally:
        snapshots.wait()


def _add_mandatory_enrolment(ward):
    mandate = db.session.scalar(db.select(Assignment).where(Assignment.cancelled_at.is_(None)))
    _enrol(_person(ward.da_kao, "Võ Văn Mới"), mandate.course, mandate)
    db.session.commit()


def test_without_snapshots_every_poll_is_fresh(app, client, auth, ward, fresh):
    auth.login(ward.admin)
    assert _json(client)["kpis"]["enrolled"] == 3
    _add_mandatory_enrolment(ward)
    assert _json(client)["kpis"]["enrolled"] == 4


def test_snapshots_are_kept_per_scope_and_choice_of_courses(client, auth, ward):
    auth.login(ward.admin)
    assert _json(client)["kpis"]["enrolled"] == 3
    assert _json(client, courses="all")["kpis"]["enrolled"] == 5
    auth.logout()
    auth.login(ward.hr)
    data = _json(client)
    assert data["kpis"]["enrolled"] == 2 and "DK" not in {u["code"] for u in data["units"]}


def test_the_warning_card_reads_in_each_readers_language_with_snapshots_on(app, client, auth, ward):
    app.config["DASHBOARD_CACHE_SECONDS"] = 3600
    auth.login(ward.hr)
    assert "Đã quá hạn" in " ".join(_settled_warnings(app, client)["top"][0]["reasons"])
    ward.hr.locale = "en"
    db.session.commit()
    reasons = " ".join(_settled_warnings(app, client)["top"][0]["reasons"])
    assert "days overdue" in reasons and "Đã quá hạn" not in reasons


def _settled_warnings(app, client) -> dict:
    """The warning card once its snapshot is made (the first poll of a scope does not wait)."""
    _json(client)
    app.extensions["reports.dashboard"].wait()
    return _json(client)["warnings"]


def test_the_first_reader_does_not_wait_for_the_early_warning_list(
    app, client, auth, ward, monkeypatch
):
    """A city's list takes seconds: the page comes at once with the card "being prepared", and
    the figures are there on the next poll."""
    app.config["DASHBOARD_CACHE_SECONDS"] = 3600
    release = threading.Event()
    slow = dashboard.warning_summary

    def held_back(scope, limit=10):
        release.wait(10)
        return slow(scope, limit=limit)

    monkeypatch.setattr(dashboard, "warning_summary", held_back)
    auth.login(ward.hr)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Danh sách cảnh báo đang được tính" in page
    assert _json(client)["warnings"] is None
    release.set()
    app.extensions["reports.dashboard"].wait()
    assert _json(client)["warnings"]["people_overdue"] == 1
    assert "đang được tính" not in client.get("/dashboard").get_data(as_text=True)
