"""Periods stated: a report for November keeps the rows due or completed in November (local days,
Asia/Ho_Chi_Minh), takes status as at the end of November, counts active people only, and says so
in its header in every format."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from academy.certificates.models import Certificate
from academy.database import db
from academy.learning.models import Assignment, Enrollment, LessonProgress

NOVEMBER = "date_from=2025-11-01&date_to=2025-11-30"
DECEMBER = "date_from=2025-12-01&date_to=2025-12-31"
RULE = (
    "Kỳ: 01/11/2025 – 30/11/2025 · lọc theo hạn hoàn thành (khoá bắt buộc) hoặc ngày hoàn "
    "thành; trạng thái tính đến hết 30/11/2025"
)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# due dates are the end of a local day: 23:59:59 in Hanoi is 16:59:59 UTC
DUE_20_NOV = utc(2025, 11, 20, 16, 59, 59)
DUE_30_NOV = utc(2025, 11, 30, 16, 59, 59)


@pytest.fixture
def november(make_unit, make_user, make_course):
    """People of one ward, each planted to test one rule (employee code = what they test)."""
    city = make_unit("Thành phố", kind="city", code="TP")
    ward = make_unit("Phường Bến Nghé", parent=city, kind="ward", code="BN")
    course = make_course(title="Chuyển đổi số", modules=1)
    first_lesson = course.modules[0].lessons[0]
    hr = make_user(full_name="Cán bộ Tổ chức", roles=("hr", "admin"), unit=city, employee_code="HR")
    mandate = Assignment(course_id=course.id, unit_id=ward.id, due_at=DUE_20_NOV)
    db.session.add(mandate)
    db.session.flush()
    people = {}

    def person(code, name, *, due=None, completed=None, certificate=None, lesson_at=None):
        user = make_user(full_name=name, unit=ward, employee_code=code)
        db.session.add(
            Enrollment(
                user_id=user.id,
                course_id=course.id,
                source="assigned" if due else "self",
                assignment_id=mandate.id if due else None,
                enrolled_at=utc(2025, 10, 1),
                due_at=due,
                completed_at=completed,
            )
        )
        if certificate:
            db.session.add(
                Certificate(
                    serial=certificate,
                    verify_code=certificate.lower().ljust(40, "x"),
                    user_id=user.id,
                    course_id=course.id,
                    issued_at=completed,
                )
            )
        if lesson_at:
            db.session.add(
                LessonProgress(user_id=user.id, lesson_id=first_lesson.id, completed_at=lesson_at)
            )
        people[code] = user

    # due 20/11, completed 15/11: completed in November
    person("NOV", "Nguyễn Văn Tháng Mười Một", due=DUE_20_NOV, completed=utc(2025, 11, 15, 3))
    # due 20/11, completed 3/12 (lesson read in December too): overdue as at the end of November
    person(
        "DEC",
        "Trần Thị Tháng Mười Hai",
        due=DUE_20_NOV,
        completed=utc(2025, 12, 3, 3),
        certificate="HVS-2025-000002",
        lesson_at=utc(2025, 12, 2, 3),
    )
    # voluntary, completed 23:30 local on 30/11 (16:30 UTC): in November
    person("LATE-NOV", "Lê Văn Cuối Tháng", completed=utc(2025, 11, 30, 16, 30))
    # voluntary, completed 00:30 local on 1/12 (17:30 UTC on 30/11): not in November
    person("EARLY-DEC", "Phạm Thị Đầu Tháng", completed=utc(2025, 11, 30, 17, 30))
    # due 30/11, completed 00:30 local on 1/12: due in November, overdue as at its end
    person(
        "JUST-LATE", "Hoàng Văn Trễ Nửa Giờ", due=DUE_30_NOV, completed=utc(2025, 11, 30, 17, 30)
    )
    # voluntary, completed 00:30 local on 1/11 (17:30 UTC on 31/10): in November
    person("EARLY-NOV", "Vũ Thị Đầu Kỳ", completed=utc(2025, 10, 31, 17, 30))
    # voluntary, never completed, no due date: in no period, and never overdue
    person("NO-DUE", "Đặng Văn Không Hạn")
    db.session.commit()
    return type("November", (), dict(ward=ward, course=course, hr=hr, people=people))


def _csv(client, query="") -> dict[str, dict]:
    response = client.get(f"/reports/completion.csv?{query}")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    header = rows[0]
    return {row[1]: dict(zip(header, row, strict=True)) for row in rows[1:]}


def _totals(page: str) -> dict[str, str]:
    totals = {}
    for key in ("rows", "completed", "overdue"):
        marker = f'data-total="{key}">'
        start = page.index(marker) + len(marker)
        totals[key] = page[start : page.index("<", start)]
    return totals


def test_november_keeps_what_was_due_or_completed_in_november_as_at_its_end(client, auth, november):
    auth.login(november.hr)
    rows = _csv(client, NOVEMBER)
    assert set(rows) == {"NOV", "DEC", "LATE-NOV", "JUST-LATE", "EARLY-NOV"}
    nov, dec = rows["NOV"], rows["DEC"]
    assert (nov["Trạng thái"], nov["Ngày hoàn thành"]) == ("Hoàn thành", "2025-11-15")
    # completed on 3/12: in November they had not, and their certificate did not exist
    assert (dec["Trạng thái"], dec["Ngày hoàn thành"], dec["Số chứng chỉ"]) == ("Quá hạn", "", "")
    assert dec["Tiến độ (%)"] == "0", "the lesson read in December does not count either"
    # local days: 23:30 on 30/11 is November, 00:30 on 1/11 too
    assert rows["LATE-NOV"]["Trạng thái"] == "Hoàn thành"
    assert rows["LATE-NOV"]["Ngày hoàn thành"] == "2025-11-30"
    assert rows["EARLY-NOV"]["Ngày hoàn thành"] == "2025-11-01"
    # due 30/11 and completed at 00:30 on 1/12: overdue as November ends
    assert (rows["JUST-LATE"]["Trạng thái"], rows["JUST-LATE"]["Ngày hoàn thành"]) == (
        "Quá hạn",
        "",
    )

    page = client.get(f"/reports/completion?{NOVEMBER}").get_data(as_text=True)
    assert _totals(page) == {"rows": "5", "completed": "3", "overdue": "2"}


def test_december_counts_the_december_completions(client, auth, november):
    auth.login(november.hr)
    rows = _csv(client, DECEMBER)
    assert set(rows) == {"DEC", "EARLY-DEC", "JUST-LATE"}
    assert rows["DEC"]["Trạng thái"] == "Hoàn thành"
    assert rows["DEC"]["Ngày hoàn thành"] == "2025-12-03"
    assert rows["DEC"]["Số chứng chỉ"] == "HVS-2025-000002"
    assert rows["EARLY-DEC"]["Ngày hoàn thành"] == "2025-12-01"


def test_the_status_filter_reads_the_status_as_at_the_period_end(client, auth, november):
    auth.login(november.hr)
    completed = _csv(client, f"{NOVEMBER}&status=completed")
    assert set(completed) == {"NOV", "LATE-NOV", "EARLY-NOV"}
    assert set(_csv(client, f"{NOVEMBER}&status=overdue")) == {"DEC", "JUST-LATE"}


def test_without_a_period_every_row_as_at_now(client, auth, november):
    auth.login(november.hr)
    rows = _csv(client)
    assert set(rows) == set(november.people)
    assert rows["DEC"]["Trạng thái"] == "Hoàn thành"
    assert rows["DEC"]["Số chứng chỉ"] == "HVS-2025-000002"
    assert rows["NO-DUE"]["Trạng thái"] == "Chưa bắt đầu", "no due date: never overdue"
    page = client.get("/reports/completion").get_data(as_text=True)
    assert "Không lọc theo kỳ: mọi dòng; trạng thái tính đến" in page
    assert _totals(page)["overdue"] == "0"


def test_a_deactivated_person_leaves_the_report_and_its_totals(client, auth, november):
    auth.login(november.hr)
    before = _totals(client.get(f"/reports/completion?{NOVEMBER}").get_data(as_text=True))
    november.people["DEC"].is_active = False
    db.session.commit()
    page = client.get(f"/reports/completion?{NOVEMBER}").get_data(as_text=True)
    assert "Trần Thị Tháng Mười Hai" not in page
    assert _totals(page) == {"rows": "4", "completed": before["completed"], "overdue": "1"}
    assert "DEC" not in _csv(client, NOVEMBER) and "DEC" not in _csv(client)


def test_every_format_states_the_period_rule(client, auth, november):
    auth.login(november.hr)
    page = client.get(f"/reports/completion?{NOVEMBER}").get_data(as_text=True)
    assert RULE in page

    raw = client.get(f"/reports/completion.csv?{NOVEMBER}").get_data().decode("utf-8-sig")
    header, first = list(csv.reader(io.StringIO(raw)))[:2]
    assert header[0] == "Đơn vị", "the CSV's first line is still its header"
    period = "Kỳ báo cáo (lọc theo hạn hoàn thành của khoá bắt buộc hoặc ngày hoàn thành)"
    row = dict(zip(header, first, strict=True))
    assert row[period] == "2025-11-01 – 2025-11-30"
    assert row["Trạng thái và ngày hoàn thành tính đến"] == "2025-11-30 23:59:59"

    with client.get(f"/reports/completion.xlsx?{NOVEMBER}") as response:
        book = load_workbook(io.BytesIO(response.data))
    sheet, about = book.worksheets
    header = [cell.value for cell in sheet[1]]
    values = dict(zip(header, next(sheet.iter_rows(min_row=2, values_only=True)), strict=True))
    assert values[period] == "01/11/2025 – 30/11/2025"
    assert values["Trạng thái và ngày hoàn thành tính đến"] == datetime(2025, 11, 30, 23, 59, 59)
    assert about.title == "Thông tin báo cáo"
    assert RULE in [row[0] for row in about.iter_rows(values_only=True)]

    pdf = client.get(f"/reports/completion.pdf?{NOVEMBER}").data
    text = " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages
    )
    assert RULE in text


def test_a_period_still_running_is_as_at_now(client, auth, november):
    auth.login(november.hr)
    page = client.get("/reports/completion?date_from=2025-11-01&date_to=2099-12-31").get_data(
        as_text=True
    )
    assert "Kỳ: 01/11/2025 – 31/12/2099" in page and "tính đến hết 31/12/2099" not in page
    rows = _csv(client, "date_from=2025-11-01")
    assert rows["DEC"]["Trạng thái"] == "Hoàn thành"  # as at now: completed in December
    assert set(_csv(client, "date_to=2025-11-30")) == {
        "NOV",
        "DEC",
        "LATE-NOV",
        "JUST-LATE",
        "EARLY-NOV",
    }


def test_cli_period_states_the_rule(runner, november, tmp_path):
    out = tmp_path / "thang-11.csv"
    result = runner.invoke(
        args=[
            "reports",
            "completion",
            "--out",
            str(out),
            "--from",
            "2025-11-01",
            "--to",
            "2025-11-30",
        ]
    )
    assert result.exit_code == 0, result.output
    assert RULE in result.output
    content = out.read_bytes().decode("utf-8-sig")
    assert "Trần Thị Tháng Mười Hai" in content and "Phạm Thị Đầu Tháng" not in content
