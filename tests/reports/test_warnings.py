"""Early warning: planted at-risk and on-track learners, the reasons, the order, scope and exports.

Thành phố (CITY)
├── Phường Bến Thành (BT)   — Ánh (overdue, idle), Dũng (idle), Giang (predicted to fail module 3),
│   │                          Hải (on track), Khánh (completed), Lan (deactivated),
│   │                          Minh (mandate cancelled)
│   └── Chi bộ 1 (BT-1)     — Bình (behind pace)
└── Phường Tân Định (TD)    — Cường (overdue, idle)

One mandatory course of 3 modules × 2 lessons (9 steps), pass mark 70%.
"""

from __future__ import annotations

import csv
import io
import os
from datetime import timedelta

import numpy as np
import pytest
from openpyxl import load_workbook
from sqlalchemy import event

from academy.auth.models import User
from academy.core.audit import AuditEvent
from academy.database import db, utcnow
from academy.i18n import academy_zone
from academy.learning.models import (
    Assignment,
    Enrollment,
    LessonProgress,
    ModuleResult,
    QuizAttempt,
)
from academy.paths.models import RecommenderModel
from academy.paths.scorer import BlendScorer, Scorer
from academy.paths.store import models_dir
from academy.reports.warnings import BulkPredictor, _predictions, warning_list, warning_summary


@pytest.fixture(autouse=True)
def _no_model_cache(app):
    app.config.update(RECOMMENDER_RELOAD_SECONDS=0, WARNING_IDLE_DAYS=14)


def _enrol(person, course, assignment, *, enrolled, due, completed=None, visited=None):
    db.session.add(
        Enrollment(
            user_id=person.id,
            course_id=course.id,
            source="assigned",
            assignment_id=assignment.id,
            enrolled_at=enrolled,
            due_at=due,
            completed_at=completed,
            last_visited_at=visited,
        )
    )


def _read(person, lessons, at):
    db.session.add_all(
        LessonProgress(user_id=person.id, lesson_id=lesson.id, completed_at=at)
        for lesson in lessons
    )


def _passed(person, module, score, at):
    db.session.add(
        ModuleResult(
            user_id=person.id,
            module_id=module.id,
            best_score=score,
            attempts_count=1,
            passed_at=at,
            updated_at=at,
        )
    )
    db.session.add(
        QuizAttempt(
            user_id=person.id,
            module_id=module.id,
            token=f"t-{person.id}-{module.id}",
            started_at=at - timedelta(minutes=10),
            submitted_at=at,
            score=score,
            passed=True,
        )
    )


def _person(name, unit, code):
    """A learner who never signs in (no password: hashing would dominate the tests' time)."""
    person = User(email=f"{code.lower()}@hvs.gov.vn", full_name=name, unit=unit, employee_code=code)
    db.session.add(person)
    db.session.flush()
    return person


@pytest.fixture
def town(make_unit, make_user, make_course):
    now = utcnow()
    day = lambda n: now + timedelta(days=n)  # noqa: E731
    root = make_unit("Thành phố", kind="city", code="CITY")
    ward = make_unit("Phường Bến Thành", parent=root, kind="ward", code="BT")
    cell = make_unit("Chi bộ 1", parent=ward, kind="cell", code="BT-1")
    other = make_unit("Phường Tân Định", parent=root, kind="ward", code="TD")
    course = make_course(title="Chuyển đổi số", modules=3)
    spare = make_course(title="An toàn thông tin", modules=1)
    m1, m2, m3 = course.modules
    lessons = [lesson for module in course.modules for lesson in module.lessons]
    people = {}
    for key, name, unit in [
        ("anh", "Nguyễn Văn Ánh", ward),
        ("binh", "Trần Thị Bình", cell),
        ("cuong", "Lê Văn Cường", other),
        ("dung", "Phạm Văn Dũng", ward),
        ("giang", "Hoàng Thị Giang", ward),
        ("hai", "Vũ Văn Hải", ward),
        ("khanh", "Đỗ Thị Khánh", ward),
        ("lan", "Bùi Thị Lan", ward),
        ("minh", "Đặng Văn Minh", ward),
    ]:
        people[key] = _person(name, unit, f"CB-{key.upper()}")
    hr = make_user(full_name="Phạm Thu Hà", roles=("hr",), unit=ward, employee_code="HR-BT")
    admin = make_user(full_name="Quản trị viên", roles=("admin",), unit=root, employee_code="AD")
    mandate = Assignment(course_id=course.id, unit_id=root.id, due_at=day(30))
    cancelled = Assignment(
        course_id=spare.id, unit_id=ward.id, due_at=day(-3), cancelled_at=day(-1)
    )
    db.session.add_all([mandate, cancelled])
    db.session.flush()
    p = type("People", (), people)
    # overdue by 5 days, nothing done for 60 days
    _enrol(p.anh, course, mandate, enrolled=day(-60), due=day(-5))
    # behind pace: 1 of 9 steps in 30 days, 10 days left; active 2 days ago
    _enrol(p.binh, course, mandate, enrolled=day(-30), due=day(10), visited=day(-2))
    _read(p.binh, lessons[:1], day(-2))
    # another ward, overdue by 12 days
    _enrol(p.cuong, course, mandate, enrolled=day(-70), due=day(-12))
    # idle: 6 of 9 steps done, the last 20 days ago; on pace for a due date 30 days away
    _enrol(p.dung, course, mandate, enrolled=day(-40), due=day(30), visited=day(-21))
    _read(p.dung, lessons[:6], day(-20))
    # predicted to fail module 3: modules 1 and 2 read and passed, active yesterday, 60 days left
    _enrol(p.giang, course, mandate, enrolled=day(-20), due=day(60), visited=day(-1))
    _read(p.giang, lessons[:4], day(-3))
    _passed(p.giang, m1, 0.8, day(-3))
    _passed(p.giang, m2, 0.75, day(-2))
    # on track: module 1 done in 10 days, active yesterday, predicted to pass the rest
    _enrol(p.hai, course, mandate, enrolled=day(-10), due=day(50), visited=day(-1))
    _read(p.hai, lessons[:2], day(-4))
    _passed(p.hai, m1, 0.9, day(-3))
    # completed (after the due date): not on the list
    _enrol(p.khanh, course, mandate, enrolled=day(-60), due=day(-5), completed=day(-1))
    # deactivated, overdue and idle: left out of every figure
    _enrol(p.lan, course, mandate, enrolled=day(-60), due=day(-5))
    p.lan.is_active = False
    # bound to a mandate since cancelled (overdue by its old date): not on the list
    _enrol(p.minh, spare, cancelled, enrolled=day(-30), due=day(-3))
    db.session.commit()
    return type(
        "Town",
        (),
        dict(
            now=now,
            root=root,
            ward=ward,
            cell=cell,
            other=other,
            course=course,
            modules=(m1, m2, m3),
            p=p,
            hr=hr,
            admin=admin,
        ),
    )


def plant_model(town, trained_at=None):
    """A trained 'factors' model as the recommender stores one: the file under instance/models and
    its current row. Giang is predicted 25% on module 3, Hải 85%; module 2 is easy."""
    m1, m2, m3 = town.modules
    giang, hai = town.p.giang, town.p.hai
    scorer = Scorer(
        "factors",
        0.7,
        [giang.id, hai.id],
        [m1.id, m2.id, m3.id],
        [-0.1, 0.5],
        [0.0, 0.1, -0.35],
        pu=np.zeros((2, 1)),
        qi=np.zeros((3, 1)),
    )
    filename = "model-test-factors.npz"
    scorer.save(os.path.join(models_dir(), filename))
    db.session.add(
        RecommenderModel(
            algorithm="SVD",
            params={},
            filename=filename,
            n_ratings=3,
            n_users=2,
            n_items=3,
            trained_at=trained_at or utcnow(),
            is_current=True,
        )
    )
    db.session.commit()


def _names(result):
    return [e.full_name for e in result.entries]


def _kinds(result):
    return {e.full_name: [r.kind for r in e.reasons] for e in result.entries}


def test_the_list_holds_exactly_the_at_risk_with_their_reasons_most_urgent_first(app, town):
    plant_model(town)
    result = warning_list(None)
    assert _names(result) == [
        "Lê Văn Cường",  # overdue 12 days
        "Nguyễn Văn Ánh",  # overdue 5 days
        "Trần Thị Bình",  # 10 days left
        "Phạm Văn Dũng",  # 30 days left
        "Hoàng Thị Giang",  # 60 days left
    ]
    assert _kinds(result) == {
        "Lê Văn Cường": ["overdue", "idle"],
        "Nguyễn Văn Ánh": ["overdue", "idle"],
        "Trần Thị Bình": ["pace"],
        "Phạm Văn Dũng": ["idle"],
        "Hoàng Thị Giang": ["predicted"],
    }
    by_name = {e.full_name: e for e in result.entries}
    assert by_name["Nguyễn Văn Ánh"].reason_texts == [
        "Đã quá hạn 5 ngày",
        "Không hoạt động 60 ngày (chưa học lần nào)",
    ]
    binh = by_name["Trần Thị Bình"]
    assert (binh.days_left, binh.progress, binh.band) == (10, 11, "at_risk")
    assert binh.reason_texts == [
        "Chậm tiến độ: còn 89% trong 10 ngày (theo nhịp hiện tại cần thêm khoảng 240 ngày)"
    ]
    assert (binh.unit_code, binh.unit_path) == ("BT-1", "Thành phố › Phường Bến Thành › Chi bộ 1")
    assert by_name["Phạm Văn Dũng"].reason_texts == ["Không hoạt động 20 ngày"]
    assert by_name["Phạm Văn Dũng"].progress == 66
    giang = by_name["Hoàng Thị Giang"]
    assert giang.reason_texts == [
        "Dự đoán chưa đạt bài kiểm tra mô-đun “Mô-đun 3: Dữ liệu” (dự đoán 25%, cần 70%)"
    ]
    assert result.count_overdue == 2 and result.count_at_risk == 3 and result.uses_model


def test_last_activity_is_the_latest_visit_lesson_or_quiz(app, town):
    result = warning_list(None)
    zone_day = lambda n: (town.now + timedelta(days=n)).astimezone(academy_zone()).date()  # noqa: E731
    by_name = {e.full_name: e for e in result.entries}
    assert by_name["Phạm Văn Dũng"].last_activity_date == zone_day(-20)  # lesson after visit
    assert by_name["Trần Thị Bình"].last_activity_date == zone_day(-2)
    assert by_name["Nguyễn Văn Ánh"].last_activity_date is None


def test_without_a_trained_model_the_prediction_is_left_out_and_the_page_says_so(
    client, auth, town
):
    result = warning_list(None)
    assert not result.uses_model
    assert "Hoàng Thị Giang" not in _names(result)
    auth.login(town.admin)
    page = client.get("/reports/warnings").get_data(as_text=True)
    assert 'id="no-model-note"' in page and "Chưa có mô hình gợi ý đã huấn luyện" in page
    plant_model(town)
    page = client.get("/reports/warnings").get_data(as_text=True)
    assert 'id="no-model-note"' not in page and "Hoàng Thị Giang" in page


def test_results_newer_than_the_model_are_folded_in(app, town):
    """Hải was predicted to pass; after training he fails modules 2 and 3: his predictions are
    made from his results now (as his learning path does), and he joins the list."""
    plant_model(town, trained_at=utcnow() - timedelta(days=1))
    assert "Vũ Văn Hải" not in _names(warning_list(None))
    _m1, m2, m3 = town.modules
    db.session.add_all(
        ModuleResult(user_id=town.p.hai.id, module_id=m.id, best_score=0.0, attempts_count=1)
        for m in (m2, m3)
    )
    db.session.commit()
    hai = next(e for e in warning_list(None).entries if e.full_name == "Vũ Văn Hải")
    assert [r.kind for r in hai.reasons] == ["predicted", "predicted"]
    assert "Mô-đun 2" in hai.reasons[0].text and "Mô-đun 3" in hai.reasons[1].text


def test_ward_hr_sees_only_their_ward_and_may_narrow_to_a_cell(client, auth, town):
    plant_model(town)
    auth.login(town.hr)
    page = client.get("/reports/warnings").get_data(as_text=True)
    assert "Lê Văn Cường" not in page
    for name in ("Nguyễn Văn Ánh", "Trần Thị Bình", "Phạm Văn Dũng", "Hoàng Thị Giang"):
        assert name in page
    for name in ("Vũ Văn Hải", "Đỗ Thị Khánh", "Bùi Thị Lan", "Đặng Văn Minh"):
        assert name not in page
    assert page.index("Nguyễn Văn Ánh") < page.index("Trần Thị Bình") < page.index("Phạm Văn Dũng")
    assert "Thành phố › Phường Bến Thành › Chi bộ 1" in page
    cell = client.get(f"/reports/warnings?unit={town.cell.id}").get_data(as_text=True)
    assert "Trần Thị Bình" in cell and "Nguyễn Văn Ánh" not in cell
    assert client.get(f"/reports/warnings?unit={town.other.id}").status_code == 404
    assert client.get(f"/reports/warnings.csv?unit={town.other.id}").status_code == 404
    only_overdue = client.get("/reports/warnings?band=overdue").get_data(as_text=True)
    assert "Nguyễn Văn Ánh" in only_overdue and "Trần Thị Bình" not in only_overdue


def test_learners_are_refused(client, auth, town, make_user):
    auth.login(make_user(unit=town.ward))
    assert client.get("/reports/warnings").status_code == 403
    assert client.get("/reports/warnings.csv").status_code == 403


def _csv(response):
    assert response.status_code == 200
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_exports_hold_the_same_rows_in_the_same_order_and_are_audited(client, auth, town):
    plant_model(town)
    auth.login(town.hr)
    expected = warning_list(town.ward)
    rows = _csv(client.get("/reports/warnings.csv"))
    assert rows[0] == [
        "Nhóm",
        "Mã đơn vị",
        "Đơn vị",
        "Mã cán bộ",
        "Họ và tên",
        "Khoá học",
        "Hạn hoàn thành",
        "Số ngày còn lại",
        "Tiến độ (%)",
        "Hoạt động gần nhất",
        "Lý do",
    ]
    assert [r[4] for r in rows[1:]] == _names(expected)
    anh = rows[1]
    assert anh[:6] == [
        "Đã quá hạn",
        "BT",
        "Thành phố › Phường Bến Thành",
        "CB-ANH",
        "Nguyễn Văn Ánh",
        "Chuyển đổi số",
    ]
    assert anh[7] == "-5" and anh[9] == ""
    assert anh[10] == "Đã quá hạn 5 ngày; Không hoạt động 60 ngày (chưa học lần nào)"
    semicolon = client.get("/reports/warnings.csv?sep=semicolon").get_data().decode("utf-8-sig")
    assert semicolon.splitlines()[0].startswith('"Nhóm";"Mã đơn vị"')
    with client.get("/reports/warnings.xlsx") as response:
        assert response.status_code == 200
        assert "canh-bao-som-toan-pham-vi" in response.headers["Content-Disposition"]
        sheet = load_workbook(io.BytesIO(response.get_data())).active
    cells = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [r[4] for r in cells] == _names(expected)
    assert cells[0][6] is not None and cells[0][6].date() == expected.entries[0].due_date
    assert cells[0][7] == -5 and cells[1][8] == 11
    assert sheet.freeze_panes == "A2"
    events = db.session.query(AuditEvent).filter_by(action="report.download").all()
    assert sorted(e.target for e in events) == ["warnings.csv", "warnings.csv", "warnings.xlsx"]
    assert all(e.actor_id == town.hr.id for e in events)


def test_exports_neutralise_formulas(client, auth, town):
    town.p.anh.full_name = '=HYPERLINK("http://x")'
    town.course.title = "+Chuyển đổi số"
    db.session.commit()
    auth.login(town.admin)
    rows = _csv(client.get("/reports/warnings.csv"))
    anh = next(r for r in rows if r[3] == "CB-ANH")
    assert anh[4].startswith("'=") and anh[5] == "'+Chuyển đổi số"
    with client.get("/reports/warnings.xlsx") as response:
        sheet = load_workbook(io.BytesIO(response.get_data())).active
    names = [r[4] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("http://x")' in names


def test_summary_for_the_dashboard(app, town):
    plant_model(town)
    summary = warning_summary(town.ward, limit=2)
    assert (summary["count_overdue"], summary["count_at_risk"]) == (1, 3)
    assert (summary["people_overdue"], summary["people_at_risk"]) == (1, 3)
    assert [t["full_name"] for t in summary["top"]] == ["Nguyễn Văn Ánh", "Trần Thị Bình"]
    assert [t["full_name"] for t in summary["top_at_risk"]] == ["Trần Thị Bình", "Phạm Văn Dũng"]
    first = summary["top"][0]
    assert first["unit_code"] == "BT" and first["overdue"] and first["days_left"] == -5
    assert first["reasons"][0] == "Đã quá hạn 5 ngày"


def _count_queries(fn):
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def test_a_fixed_number_of_queries_whatever_the_number_of_people(app, town, make_user):
    plant_model(town)
    warning_list(None)  # the model file is loaded once per process
    before = _count_queries(lambda: warning_list(None))
    mandate = db.session.query(Assignment).filter_by(course_id=town.course.id).one()
    now = utcnow()
    for n in range(15):
        person = _person(f"Người {n}", town.cell, f"X-{n}")
        _enrol(
            person,
            town.course,
            mandate,
            enrolled=now - timedelta(days=40),
            due=now + timedelta(days=5),
        )
        _read(person, town.course.modules[0].lessons, now - timedelta(days=1))
        _passed(person, town.course.modules[0], 0.7, now - timedelta(days=1))
    db.session.commit()
    result = warning_list(None)
    assert result.count_at_risk == 3 + 15
    assert _count_queries(lambda: warning_list(None)) == before


def test_page_is_paginated_fifty_at_a_time(client, auth, town, make_user):
    mandate = db.session.query(Assignment).filter_by(course_id=town.course.id).one()
    now = utcnow()
    for n in range(55):
        person = _person(f"Người {n:02d}", town.cell, f"P-{n}")
        _enrol(person, town.course, mandate, enrolled=now - timedelta(days=30), due=now)
    db.session.commit()
    auth.login(town.admin)
    first = client.get("/reports/warnings").get_data(as_text=True)
    assert first.count("data-enrollment=") == 50
    second = client.get("/reports/warnings?page=2").get_data(as_text=True)
    assert second.count("data-enrollment=") == 55 + 4 - 50  # the town's four, without a model


# ---- the bulk prediction is the recommender's own ------------------------------------------------


def _random_parts(rng, users, items):
    n_u, n_i = len(users), len(items)
    sim = rng.uniform(-0.5, 1.0, (n_i, n_i))
    sim = (sim + sim.T) / 2
    np.fill_diagonal(sim, 1.0)
    factors = Scorer(
        "factors",
        0.6,
        users,
        items,
        rng.normal(0, 0.1, n_u),
        rng.normal(0, 0.1, n_i),
        pu=rng.normal(0, 0.3, (n_u, 3)),
        qi=rng.normal(0, 0.3, (n_i, 3)),
    )
    logit_sim = sim.copy()
    np.fill_diagonal(logit_sim, 0.0)
    logit = Scorer(
        "logit",
        0.4,
        users,
        items,
        rng.normal(0, 0.5, n_u),
        rng.normal(0, 0.5, n_i),
        pu=rng.normal(0, 0.5, (n_u, 2)),
        qi=rng.normal(0, 0.5, (n_i, 2)),
        sim=logit_sim,
        alpha=0.5,
        damp=1.0,
    )
    neighbours = Scorer(
        "neighbours",
        0.6,
        users,
        items,
        rng.normal(0, 0.1, n_u),
        rng.normal(0, 0.1, n_i),
        sim=sim,
        k=4,
    )
    return [factors, logit, neighbours]


def test_bulk_predictions_equal_the_recommenders_own(app):
    rng = np.random.default_rng(5)
    users, items = list(range(1, 41)), list(range(100, 108))
    parts = _random_parts(rng, users, items)
    blend = BlendScorer(parts, [0.3, 0.5, 0.4], -0.05)
    results = {
        u: {int(i): float(rng.uniform()) for i in rng.choice(items, rng.integers(0, 7), False)}
        for u in users + [999]  # 999: unknown to the model, folded in
    }
    wanted = {u: set(items) - set(results[u]) | {items[0]} for u in results}
    for scorer in [*parts, blend]:
        got = _predictions(wanted, results, stale={users[0]}, scorer=scorer)
        for user, modules in wanted.items():
            if not results[user]:
                continue
            expect = scorer.predict(user, results[user], modules, fold_in=user == users[0])
            for module, value in expect.items():
                assert got[(user, module)] == pytest.approx(value, abs=1e-9), (scorer, user)
    # more rated modules than a neighbour model's k: left to Scorer.predict
    assert not BulkPredictor(parts[2]).can_bulk(users[1], 5)
    assert BulkPredictor(parts[0]).can_bulk(users[1], 5)


def test_the_list_is_reused_for_a_while_and_worded_in_each_readers_language(
    app, client, auth, town
):
    """With the cache on, a second reader gets the list made for the first (paging and downloads
    cost nothing); the reasons are worded per language, never one reader's for another."""
    app.config["WARNING_CACHE_SECONDS"] = 3600
    plant_model(town)
    auth.login(town.hr)
    first = client.get("/reports/warnings").get_data(as_text=True)
    assert "Không hoạt động" in first and "Trần Thị Bình" in first
    binh = db.session.scalar(db.select(User).where(User.full_name == "Trần Thị Bình"))
    for enrollment in db.session.scalars(
        db.select(Enrollment).where(Enrollment.user_id == binh.id)
    ):
        enrollment.completed_at = utcnow()  # completed after the list was made
    db.session.commit()
    assert "Trần Thị Bình" in client.get("/reports/warnings").get_data(as_text=True)
    town.hr.locale = "en"
    db.session.commit()
    english = client.get("/reports/warnings").get_data(as_text=True)
    assert "No activity" in english and "Không hoạt động" not in english
    assert "Trần Thị Bình" not in english  # made afresh for this language
