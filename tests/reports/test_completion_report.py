"""The completion report: rows and totals by hand, every format, HR scope, audit."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import event, select

from academy.core.audit import AuditEvent
from academy.database import db
from academy.learning.models import Enrollment


def _csv_rows(response):
    assert response.status_code == 200
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_admin_csv_rows_match_hand_computation(client, auth, city):
    auth.login(city.admin)
    rows = _csv_rows(client.get("/reports/completion.csv"))
    assert rows[0][:5] == ["Đơn vị", "Mã cán bộ", "Họ và tên", "Chức vụ", "Khoá học"]
    by_code = {r[1]: r for r in rows[1:]}
    assert set(by_code) == {"CB-ANH", "CB-BINH", "CB-CUONG"}
    anh, binh, cuong = by_code["CB-ANH"], by_code["CB-BINH"], by_code["CB-CUONG"]
    # unit, name, position (formula neutralised), progress, score, status, certificate
    assert anh[0] == "Phường Bến Nghé" and anh[2] == "Nguyễn Văn Ánh" and anh[3] == "'=1+2"
    assert (anh[8], anh[9], anh[11], anh[12]) == ("50", "80.0", "Quá hạn", "")
    assert (binh[0], binh[8], binh[9], binh[11], binh[12]) == (
        "Chi bộ 1",
        "100",
        "80.0",
        "Hoàn thành",
        "HVS-2026-000001",
    )
    assert binh[10] != "" and anh[10] == ""
    assert (cuong[0], cuong[8], cuong[9], cuong[11]) == ("Phường Đa Kao", "0", "", "Chưa bắt đầu")
    assert anh[5] == "Được giao" and binh[5] == "Tự đăng ký"


def test_browser_view_totals_and_sorting(client, auth, city):
    auth.login(city.admin)
    page = client.get("/reports/completion").get_data(as_text=True)
    assert 'data-total="rows">3<' in page and 'data-total="completed">1<' in page
    assert 'data-total="overdue">1<' in page
    assert "Nguyễn Văn Ánh" in page and "Lê Văn Cường" in page
    by_name = client.get("/reports/completion?sort=name&dir=desc").get_data(as_text=True)
    assert (
        by_name.index("Trần Thị Bình")
        < by_name.index("Nguyễn Văn Ánh")
        < by_name.index("Lê Văn Cường")
    )
    overdue = client.get("/reports/completion?status=overdue").get_data(as_text=True)
    assert "Nguyễn Văn Ánh" in overdue and "Trần Thị Bình" not in overdue


def test_status_and_unit_filters(client, auth, city):
    auth.login(city.admin)
    rows = _csv_rows(client.get(f"/reports/completion.csv?unit={city.ben_nghe.id}"))
    assert {r[1] for r in rows[1:]} == {"CB-ANH", "CB-BINH"}  # the ward and its cell
    rows = _csv_rows(client.get("/reports/completion.csv?status=completed"))
    assert [r[1] for r in rows[1:]] == ["CB-BINH"]
    rows = _csv_rows(client.get("/reports/completion.csv?status=not_started"))
    assert [r[1] for r in rows[1:]] == ["CB-CUONG"]


def test_hr_sees_only_own_subtree_in_every_format(client, auth, city):
    auth.login(city.hr_bn)
    page = client.get("/reports/completion").get_data(as_text=True)
    assert "Nguyễn Văn Ánh" in page and "Lê Văn Cường" not in page
    rows = _csv_rows(client.get("/reports/completion.csv"))
    assert {r[1] for r in rows[1:]} == {"CB-ANH", "CB-BINH"}
    book = load_workbook(io.BytesIO(_download(client, "/reports/completion.xlsx")))
    codes = {row[1] for row in book.active.iter_rows(min_row=2, values_only=True)}
    assert codes == {"CB-ANH", "CB-BINH"}
    text = _pdf_text(client.get("/reports/completion.pdf"))
    assert "Phường Bến Nghé" in text and "Đa Kao" not in text and "Cường" not in text
    # asking for the other ward is refused (not a choice this reader has), never widened
    for path in (
        "/reports/completion",
        "/reports/completion.csv",
        "/reports/completion.xlsx",
        "/reports/completion.pdf",
    ):
        response = client.get(f"{path}?unit={city.da_kao.id}")
        assert response.status_code == 400 and b"CB-CUONG" not in response.get_data()


def test_learner_cannot_open_reports(client, auth, city):
    auth.login(city.anh)
    assert client.get("/reports/completion.csv").status_code == 403
    assert client.get("/dashboard").status_code == 403


def test_xlsx_typed_frozen_filtered_and_formula_safe(client, auth, city):
    auth.login(city.admin)
    book = load_workbook(io.BytesIO(_download(client, "/reports/completion.xlsx")))
    sheet = book.active
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:Q4"  # 13 columns, unit code and path, period, as at
    header = [c.value for c in sheet[1]]
    assert header[2] == "Họ và tên"
    rows = {r[1]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    anh, binh = rows["CB-ANH"], rows["CB-BINH"]
    assert anh[3] == "'=1+2"
    assert (
        isinstance(anh[8], int)
        and anh[8] == 50
        and isinstance(anh[9], (int, float))
        and anh[9] == 80
    )
    assert hasattr(binh[10], "year"), "completion date is a date cell"
    assert hasattr(anh[6], "year") and hasattr(anh[7], "year")
    formula_cells = [c for row in sheet.iter_rows(min_row=2) for c in row if c.data_type == "f"]
    assert formula_cells == []


def test_pdf_has_unit_summary_and_detail(client, auth, city):
    auth.login(city.admin)
    text = _pdf_text(client.get("/reports/completion.pdf"))
    for name in (
        "Phường Bến Nghé",
        "Chi bộ 1",
        "Phường Đa Kao",
        "Nguyễn Văn Ánh",
        "HVS-2026-000001",
    ):
        assert name in text


def test_pdf_detail_is_capped_with_a_note(app, client, auth, city):
    app.config["REPORT_PDF_MAX_ROWS"] = 1
    auth.login(city.admin)
    text = _pdf_text(client.get("/reports/completion.pdf"))
    assert "CSV hoặc XLSX" in text
    assert "Tổng số dòng: 3" in text and "1 dòng đầu trong tổng số 3 dòng" in text


def test_every_download_is_audited(client, auth, city):
    auth.login(city.hr_bn)
    for fmt in ("csv", "xlsx", "pdf"):
        assert _download(client, f"/reports/completion.{fmt}?status=overdue")
    db.session.expire_all()
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "report.download").order_by(AuditEvent.id)
    ).all()
    assert [e.target for e in events] == ["completion.csv", "completion.xlsx", "completion.pdf"]
    assert all(e.actor_id == city.hr_bn.id and e.detail["unit"] == "BN" for e in events)
    assert events[0].detail["status"] == "overdue"


def test_cli_writes_each_format_and_audits(runner, city, tmp_path):
    for fmt in ("csv", "xlsx", "pdf"):
        out = tmp_path / f"report.{fmt}"
        result = runner.invoke(
            args=["reports", "completion", "--format", fmt, "--out", str(out), "--unit", "BN"]
        )
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 0
        if fmt != "pdf":
            assert "Đang xuất báo cáo" in result.output  # the progress bar over units
    content = (tmp_path / "report.csv").read_bytes().decode("utf-8-sig")
    assert "Trần Thị Bình" in content and "Lê Văn Cường" not in content
    assert (
        db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.detail.is_not(None), AuditEvent.target == "completion.pdf"
            )
        )
        is not None
    )
    bad = runner.invoke(
        args=["reports", "completion", "--out", str(tmp_path / "x.csv"), "--unit", "NOPE"]
    )
    assert bad.exit_code != 0 and "NOPE" in bad.output


def _pdf_text(response) -> str:
    assert response.status_code == 200 and response.get_data()[:4] == b"%PDF"
    reader = PdfReader(io.BytesIO(response.get_data()))
    return " ".join(
        " ".join(page.extract_text().split()) for page in reader.pages
    )  # table cells wrap


def _download(client, url) -> bytes:
    with client.get(url) as response:
        assert response.status_code == 200
        return response.get_data()


def test_large_xlsx_runs_as_a_job_for_its_owner_only(app, client, auth, city, make_user):
    app.config["REPORT_XLSX_SYNC_MAX_ROWS"] = 1
    auth.login(city.hr_bn)
    response = client.get("/reports/completion.xlsx")
    assert response.status_code == 302 and "/reports/jobs/" in response.location
    job_page = client.get(response.location).get_data(as_text=True)
    assert "Tải tệp XLSX" in job_page
    data = _download(client, response.location + "/download")
    codes = {
        row[1]
        for row in load_workbook(io.BytesIO(data)).active.iter_rows(min_row=2, values_only=True)
    }
    assert codes == {"CB-ANH", "CB-BINH"}
    targets = db.session.scalars(
        select(AuditEvent.target).where(AuditEvent.action == "report.download")
    ).all()
    assert targets == ["completion.xlsx", "completion.xlsx"]  # the request and the file
    auth.logout()
    auth.login(make_user(roles=("hr",), unit=city.ben_nghe))
    assert client.get(response.location + "/download").status_code == 404


def _queries_for_csv(client) -> int:
    seen = []

    def count(*_args, **_kwargs):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        _csv_rows(client.get("/reports/completion.csv"))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_report_queries_do_not_grow_with_the_number_of_learners(client, auth, city, make_user):
    auth.login(city.admin)
    few = _queries_for_csv(client)
    for k in range(10):
        learner = make_user(
            full_name=f"Học viên {k}", unit=city.da_kao, employee_code=f"CB-THEM-{k}"
        )
        db.session.add(Enrollment(user_id=learner.id, course_id=city.course.id, source="self"))
    db.session.commit()
    assert _queries_for_csv(client) == few


def test_csv_rows_in_unit_then_learner_order_across_units_of_one_name(
    client, auth, city, make_unit, make_user
):
    # a cell under each ward, both called "Chi bộ 1": their learners sort together, by name
    cell_dk = make_unit("Chi bộ 1", parent=city.da_kao, kind="cell", code="DK-1")
    for name, unit in (
        ("Võ Thị Yến", city.cell),
        ("Lê Văn Dũng", cell_dk),
        ("Hồ Thị Mai", city.cell),
    ):
        learner = make_user(full_name=name, unit=unit)
        db.session.add(Enrollment(user_id=learner.id, course_id=city.course.id, source="self"))
    db.session.commit()
    auth.login(city.admin)
    rows = _csv_rows(client.get("/reports/completion.csv"))[1:]
    assert [(r[0], r[2]) for r in rows] == [
        ("Chi bộ 1", "Hồ Thị Mai"),
        ("Chi bộ 1", "Lê Văn Dũng"),
        ("Chi bộ 1", "Trần Thị Bình"),
        ("Chi bộ 1", "Võ Thị Yến"),
        ("Phường Bến Nghé", "Nguyễn Văn Ánh"),
        ("Phường Đa Kao", "Lê Văn Cường"),
    ]
    page = client.get("/reports/completion?sort=unit").get_data(as_text=True)
    positions = [page.index(r[2]) for r in rows]
    assert positions == sorted(positions), "the CSV keeps the order of the report page"
