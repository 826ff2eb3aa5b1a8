"""The compliance matrix, read as HR reads it: planted people with known standing in known units.

Thành phố (CITY)                    mandates: "An toàn thông tin" (city), "Kỹ năng số" (city,
├── Phường An Khánh (AK)                      cancelled), "Chuyển đổi số" (Phường An Khánh)
│   ├── Chi bộ 1 (AK-1)   Anh: ATTT done · Bảo: ATTT overdue, CĐS 3 of 6 steps · Cúc: deactivated
│   ├── Chi bộ 2 (AK-2)   Dung: ATTT done, CĐS done
│   └── (the ward itself) Em: ATTT overdue, CĐS not started · Hạnh: the ward's HR, no enrolment
└── Phường Bình Thạnh (BT)
    ├── Chi bộ 1 (BT-1)   Giang: ATTT done
    └── (the ward itself) Hoà: ATTT due later, not started
Everyone but Hạnh also had "Kỹ năng số", overdue: its mandate is cancelled, so it counts nowhere.
"""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook
from sqlalchemy import event

from academy.core.audit import AuditEvent
from academy.database import db
from academy.learning.models import Assignment, Enrollment, LessonProgress
from academy.reports.assignments import cancel_assignment


class _Table(HTMLParser):
    """The rows of the page's matrix table: per row, per cell, its text and its links."""

    def __init__(self):
        super().__init__()
        self.rows, self._in_table, self._cell = [], False, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id") == "matrix":
            self._in_table = True
        elif self._in_table and tag == "tr":
            self.rows.append([])
        elif self._in_table and tag in ("td", "th"):
            self._cell = {"text": "", "links": [], "class": attrs.get("class") or ""}
            self.rows[-1].append(self._cell)
        elif self._cell is not None and tag == "a":
            self._cell["links"].append(attrs["href"])

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_table = False
        elif tag in ("td", "th") and self._cell is not None:
            self._cell["text"] = " ".join(self._cell["text"].split())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"] += data


def matrix_rows(response) -> list[list[dict]]:
    assert response.status_code == 200, response.status_code
    parser = _Table()
    parser.feed(response.get_data(as_text=True))
    return parser.rows


def row_named(rows, text: str) -> list[dict]:
    found = [row for row in rows if row and text in row[0]["text"]]
    assert len(found) == 1, (text, [row[0]["text"] for row in rows])
    return found[0]


def column(rows, title: str) -> int:
    return [cell["text"] for cell in rows[0]].index(title)


ATTT, CDS, KNS = "An toàn thông tin", "Chuyển đổi số", "Kỹ năng số"


@pytest.fixture
def town(make_unit, make_user, make_course, days):
    city = make_unit("Thành phố", kind="city", code="CITY")
    ak = make_unit("Phường An Khánh", parent=city, kind="ward", code="AK")
    ak1 = make_unit("Chi bộ 1", parent=ak, kind="cell", code="AK-1")
    ak2 = make_unit("Chi bộ 2", parent=ak, kind="cell", code="AK-2")
    bt = make_unit("Phường Bình Thạnh", parent=city, kind="ward", code="BT")
    bt1 = make_unit("Chi bộ 1", parent=bt, kind="cell", code="BT-1")
    people = {
        name: make_user(full_name=full, unit=unit, employee_code=code)
        for name, full, unit, code in [
            ("anh", "Nguyễn Văn Anh", ak1, "NV-ANH"),
            ("bao", "Trần Bảo", ak1, "NV-BAO"),
            ("cuc", "Lê Thị Cúc", ak1, "NV-CUC"),
            ("dung", "Phạm Dung", ak2, "NV-DUNG"),
            ("em", "Đỗ Em", ak, "NV-EM"),
            ("giang", "Võ Giang", bt1, "NV-GIANG"),
            ("hoa", "Bùi Hoà", bt, "NV-HOA"),
        ]
    }
    hr_ak = make_user(full_name="Hạnh Nhân Sự", roles=("hr",), unit=ak, employee_code="HR-AK")
    admin = make_user(full_name="Quản trị", roles=("admin",), employee_code="AD-1")
    attt, cds, kns = (make_course(title=t) for t in (ATTT, CDS, KNS))
    mandates = {
        "attt": Assignment(course_id=attt.id, unit_id=city.id, due_at=days(10)),
        "cds": Assignment(course_id=cds.id, unit_id=ak.id, due_at=days(20)),
        "kns": Assignment(course_id=kns.id, unit_id=city.id, due_at=days(-3)),
    }
    db.session.add_all(mandates.values())
    db.session.flush()

    def enrol(person, mandate, due, done=None):
        db.session.add(
            Enrollment(
                user_id=people[person].id,
                course_id=mandates[mandate].course_id,
                source="assigned",
                assignment_id=mandates[mandate].id,
                enrolled_at=days(-40),
                due_at=due,
                completed_at=done,
            )
        )

    enrol("anh", "attt", days(-5), done=days(-8))
    enrol("bao", "attt", days(-5))
    enrol("cuc", "attt", days(-5))
    enrol("dung", "attt", days(-5), done=days(-6))
    enrol("em", "attt", days(-2))
    enrol("giang", "attt", days(-5), done=days(-9))
    enrol("hoa", "attt", days(10))
    enrol("bao", "cds", days(20))
    enrol("dung", "cds", days(20), done=days(-1))
    enrol("em", "cds", days(20))
    for person in people:
        enrol(person, "kns", days(-3))
    lessons = [lesson for module in cds.modules for lesson in module.lessons]
    db.session.add_all(
        LessonProgress(user_id=people["bao"].id, lesson_id=lesson.id) for lesson in lessons[:3]
    )
    people["cuc"].is_active = False
    db.session.commit()
    cancel_assignment(mandates["kns"])
    db.session.commit()
    units = dict(city=city, ak=ak, ak1=ak1, ak2=ak2, bt=bt, bt1=bt1)
    return type("Town", (), dict(**units, **people, hr_ak=hr_ak, admin=admin, attt=attt, cds=cds))


def test_city_rows_roll_up_wards_and_cells(client, auth, town):
    auth.login(town.admin)
    rows = matrix_rows(client.get("/reports/matrix"))
    attt, cds = column(rows, ATTT), column(rows, CDS)
    assert [cell["text"] for cell in rows[0]] == ["Đơn vị", "Số cán bộ", ATTT, CDS]
    ak, bt = row_named(rows, "Phường An Khánh"), row_named(rows, "Phường Bình Thạnh")
    assert "AK" in ak[0]["text"]
    # An Khánh: Anh, Bảo, Dung, Em (Cúc deactivated): 2 of 4 complete, Bảo and Em overdue.
    assert ak[1]["text"] == "5"  # four learners and the ward's HR; Cúc does not count
    assert "50% (2/4)" in ak[attt]["text"] and "2 quá hạn" in ak[attt]["text"]
    assert "33,3% (1/3)" in ak[cds]["text"] and "0 quá hạn" in ak[cds]["text"]
    assert "50% (1/2)" in bt[attt]["text"] and "0 quá hạn" in bt[attt]["text"]
    assert "—" in bt[cds]["text"]
    total = row_named(rows, "Tổng cộng")
    assert total[1]["text"] == "7"
    assert "50% (3/6)" in total[attt]["text"] and "2 quá hạn" in total[attt]["text"]


def test_ward_and_cell_rows_and_the_wards_own_people(client, auth, town):
    auth.login(town.admin)
    rows = matrix_rows(client.get(f"/reports/matrix?unit={town.ak.id}"))
    attt, cds = column(rows, ATTT), column(rows, CDS)
    own, cell1, cell2 = (row_named(rows, t) for t in ("trực thuộc", "AK-1", "AK-2"))
    assert "50% (1/2)" in cell1[attt]["text"] and "1 quá hạn" in cell1[attt]["text"]
    assert "0% (0/1)" in cell1[cds]["text"]
    assert "100% (1/1)" in cell2[attt]["text"] and "100% (1/1)" in cell2[cds]["text"]
    assert "0% (0/1)" in own[attt]["text"] and "1 quá hạn" in own[attt]["text"]
    assert "50% (2/4)" in row_named(rows, "Tổng cộng")[attt]["text"]


def test_colour_follows_the_stated_rule_and_is_never_alone(client, auth, town):
    auth.login(town.admin)
    page = client.get(f"/reports/matrix?unit={town.ak.id}")
    rows = matrix_rows(page)
    attt = column(rows, ATTT)
    assert "mx-alert" in row_named(rows, "AK-1")[attt]["class"]  # 1 of 2 overdue
    assert "Cần xử lý" in row_named(rows, "AK-1")[attt]["text"]
    assert "mx-good" in row_named(rows, "AK-2")[attt]["class"]  # all done, nobody overdue
    assert "Đạt" in row_named(rows, "AK-2")[attt]["text"]
    assert "mx-watch" in row_named(rows, "AK-1")[column(rows, CDS)]["class"]
    html = page.get_data(as_text=True)
    assert "hoàn thành từ 90% trở lên và không ai quá hạn" in html
    assert "từ 10% số lượt bắt buộc trở lên đã quá hạn" in html


def test_deactivated_people_and_cancelled_mandates_are_not_counted(client, auth, town):
    auth.login(town.admin)
    rows = matrix_rows(client.get(f"/reports/matrix?unit={town.ak1.id}"))
    assert KNS not in [cell["text"] for cell in rows[0]]
    names = [row[0]["text"] for row in rows[1:-1]]
    assert names == ["Nguyễn Văn Anh", "Trần Bảo"]  # Cúc is deactivated
    assert "50% (1/2)" in row_named(rows, "Tổng cộng")[column(rows, ATTT)]["text"]


def test_drill_links_go_one_level_down(client, auth, town):
    auth.login(town.admin)
    city = matrix_rows(client.get("/reports/matrix"))
    assert row_named(city, "Phường An Khánh")[0]["links"] == [f"/reports/matrix?unit={town.ak.id}"]
    ward = matrix_rows(client.get(f"/reports/matrix?unit={town.ak.id}"))
    assert row_named(ward, "AK-1")[0]["links"] == [f"/reports/matrix?unit={town.ak1.id}"]
    assert row_named(ward, "trực thuộc")[0]["links"] == [
        f"/reports/matrix?unit={town.ak.id}&people=1"
    ]
    cell = matrix_rows(client.get(f"/reports/matrix?unit={town.ak1.id}"))
    assert [cell["text"] for cell in cell[0]][:2] == ["Họ và tên", "Mã cán bộ"]
    own = matrix_rows(client.get(f"/reports/matrix?unit={town.ak.id}&people=1"))
    assert [row[0]["text"] for row in own[1:-1]] == ["Đỗ Em", "Hạnh Nhân Sự"]


def test_breadcrumbs_name_the_path_and_each_step_opens(client, auth, town):
    auth.login(town.admin)
    html = client.get(f"/reports/matrix?unit={town.ak1.id}").get_data(as_text=True)
    for unit in (town.city, town.ak, town.ak1):
        assert f'href="/reports/matrix?unit={unit.id}"' in html


def test_overdue_figure_opens_the_completion_report_of_those_people(client, auth, town):
    auth.login(town.admin)
    rows = matrix_rows(client.get("/reports/matrix"))
    links = row_named(rows, "Phường An Khánh")[column(rows, ATTT)]["links"]
    assert links == [f"/reports/completion?unit={town.ak.id}&course={town.attt.id}&status=overdue"]


def test_people_rows_show_status_and_link_to_the_transcript(client, auth, town):
    auth.login(town.admin)
    rows = matrix_rows(client.get(f"/reports/matrix?unit={town.ak1.id}"))
    attt, cds = column(rows, ATTT), column(rows, CDS)
    anh, bao = row_named(rows, "Nguyễn Văn Anh"), row_named(rows, "Trần Bảo")
    assert anh[0]["links"] == [f"/reports/people/{town.anh.id}/transcript"]
    assert anh[1]["text"] == "NV-ANH"
    assert anh[attt]["text"].startswith("✓ Hoàn thành")
    assert "Quá hạn từ" in bao[attt]["text"]
    assert "Đang học 50%" in bao[cds]["text"]  # 3 lessons of 4 lessons + 2 module quizzes
    assert "Không bắt buộc" in anh[cds]["text"]


def test_ward_hr_sees_their_ward_only(client, auth, town):
    auth.login(town.hr_ak)
    page = client.get("/reports/matrix")
    rows = matrix_rows(page)
    assert [row[0]["text"] for row in rows[1:-1]][1:] == ["Chi bộ 1 AK-1", "Chi bộ 2 AK-2"]
    assert "Phường Bình Thạnh" not in page.get_data(as_text=True)
    assert f'href="/reports/matrix?unit={town.city.id}"' not in page.get_data(as_text=True)
    for unit in (town.bt, town.bt1, town.city):
        assert client.get(f"/reports/matrix?unit={unit.id}").status_code == 404
        assert client.get(f"/reports/matrix.xlsx?unit={unit.id}").status_code == 404


def test_learners_cannot_open_the_matrix(client, auth, town):
    auth.login(town.anh)
    assert client.get("/reports/matrix").status_code == 403


def _sheet(client, url):
    with client.get(url) as response:
        assert response.status_code == 200
        assert response.mimetype.endswith("spreadsheetml.sheet")
        data = response.get_data()
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    header = next(i for i, row in enumerate(rows) if row[0] in ("Mã đơn vị", "Mã cán bộ"))
    return rows[:header], rows[header], rows[header + 1 :]


def test_xlsx_has_the_same_figures_codes_paths_and_legend(client, auth, town):
    auth.login(town.admin)
    preamble, header, body = _sheet(client, f"/reports/matrix.xlsx?unit={town.city.id}")
    assert any(
        "Số liệu tính đến" in (row[0] or "") and "giờ Việt Nam" in row[0] for row in preamble
    )
    assert header[:5] == (
        "Mã đơn vị",
        "Đơn vị (đường dẫn đầy đủ)",
        "Số cán bộ",
        f"{ATTT} — hoàn thành (%)",
        f"{ATTT} — quá hạn",
    )
    by_code = {row[0]: row for row in body if row[0]}
    assert by_code["AK"][1:7] == ("Thành phố › Phường An Khánh", 5, 50.0, 2, 33.3, 0)
    assert by_code["BT"][3:7] == (50.0, 0, None, None)
    total = next(row for row in body if row[1] == "Tổng cộng")
    assert total[2:5] == (7, 50.0, 2)
    texts = " ".join(str(row[0]) for row in body if row[0])
    assert "Chú giải" in texts and "Cần xử lý: từ 10%" in texts


def test_xlsx_of_a_cell_lists_its_people(client, auth, town):
    auth.login(town.admin)
    _preamble, header, body = _sheet(client, f"/reports/matrix.xlsx?unit={town.ak1.id}")
    assert header[:4] == ("Mã cán bộ", "Họ và tên", "Mã đơn vị", "Đơn vị (đường dẫn đầy đủ)")
    bao = next(row for row in body if row[0] == "NV-BAO")
    assert bao[2:4] == ("AK-1", "Thành phố › Phường An Khánh › Chi bộ 1")
    assert bao[header.index(ATTT)].startswith("Quá hạn từ")


def test_xlsx_neutralises_formulas_in_codes_and_names(client, auth, town, make_unit):
    make_unit("Phường X", parent=town.city, kind="ward", code="=1+2")
    auth.login(town.admin)
    _preamble, _header, body = _sheet(client, "/reports/matrix.xlsx")
    assert "'=1+2" in [row[0] for row in body]


def test_xlsx_neutralises_formulas_in_people_names(client, auth, town, make_user):
    make_user(full_name="@SUM(1+1)", unit=town.ak1, employee_code="-5")
    auth.login(town.admin)
    _preamble, _header, body = _sheet(client, f"/reports/matrix.xlsx?unit={town.ak1.id}")
    assert ("'-5", "'@SUM(1+1)") in [row[:2] for row in body]


def test_xlsx_download_is_audited(client, auth, town):
    auth.login(town.admin)
    _sheet(client, "/reports/matrix.xlsx")
    assert db.session.query(AuditEvent).filter_by(target="matrix.xlsx").count() == 1


def test_people_rows_are_paginated(client, auth, town, make_user, monkeypatch):
    monkeypatch.setattr("academy.reports.matrix.PEOPLE_PER_PAGE", 1)
    auth.login(town.admin)
    first = matrix_rows(client.get(f"/reports/matrix?unit={town.ak1.id}"))
    second = matrix_rows(client.get(f"/reports/matrix?unit={town.ak1.id}&page=2"))
    assert [row[0]["text"] for row in first[1:-1]] == ["Nguyễn Văn Anh"]
    assert [row[0]["text"] for row in second[1:-1]] == ["Trần Bảo"]
    assert "50% (1/2)" in row_named(second, "Tổng cộng")[column(second, ATTT)]["text"]


def test_a_fixed_number_of_queries_whatever_the_people(client, auth, town, make_user):
    auth.login(town.admin)
    statements = []

    def count(*_args, **_kwargs):
        statements.append(1)

    def queries(url):
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    before = (queries("/reports/matrix"), queries(f"/reports/matrix?unit={town.ak1.id}"))
    for n in range(15):
        make_user(full_name=f"Người mới {n}", unit=town.ak1 if n % 2 else town.bt1)
    after = (queries("/reports/matrix"), queries(f"/reports/matrix?unit={town.ak1.id}"))
    assert after == before


def test_columns_are_the_mandates_reaching_the_unit(client, auth, town):
    auth.login(town.admin)
    rows = matrix_rows(client.get(f"/reports/matrix?unit={town.bt.id}"))
    assert [cell["text"] for cell in rows[0]] == ["Đơn vị", "Số cán bộ", ATTT]  # CĐS: An Khánh's


def test_unit_rows_are_paginated_with_the_totals_of_all(client, auth, town, monkeypatch):
    monkeypatch.setattr("academy.reports.matrix.UNITS_PER_PAGE", 1)
    auth.login(town.admin)
    second = matrix_rows(client.get("/reports/matrix?page=2"))
    assert [row[0]["text"] for row in second[1:-1]] == ["Phường Bình Thạnh BT"]
    assert "50% (3/6)" in row_named(second, "Tổng cộng")[column(second, ATTT)]["text"]


@pytest.mark.parametrize("unit", ["99999999999999999999", "-1", "abc"])
def test_odd_unit_numbers_answer_calmly(client, auth, town, unit):
    auth.login(town.admin)
    assert client.get(f"/reports/matrix?unit={unit}").status_code in (200, 404)
    with client.get(f"/reports/matrix.xlsx?unit={unit}") as response:
        assert response.status_code in (200, 404)


def test_the_overdue_link_lists_as_many_people_as_the_cell_says(client, auth, town):
    auth.login(town.admin)
    rows = matrix_rows(client.get("/reports/matrix"))
    cell = row_named(rows, "Phường An Khánh")[column(rows, ATTT)]
    report = client.get(cell["links"][0]).get_data(as_text=True)
    assert re.search(r'data-total="rows">\s*2\s*<', report)  # Bảo and Em; not Cúc (deactivated)
    assert "Trần Bảo" in report and "Đỗ Em" in report and "Lê Thị Cúc" not in report


def test_pages_of_a_wards_own_people_stay_on_its_people(client, auth, town, monkeypatch):
    monkeypatch.setattr("academy.reports.matrix.PEOPLE_PER_PAGE", 1)
    auth.login(town.admin)
    html = client.get(f"/reports/matrix?unit={town.ak.id}&people=1").get_data(as_text=True)
    link = re.search(r'href="(/reports/matrix\?[^"]*page=2[^"]*)"', html).group(1)
    second = matrix_rows(client.get(link.replace("&amp;", "&")))
    assert [row[0]["text"] for row in second[1:-1]] == ["Hạnh Nhân Sự"]
