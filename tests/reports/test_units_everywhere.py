"""Units everywhere: two party cells of one name in different wards are told apart by their code and
full path (city › ward › cell) on the report page, in CSV, XLSX and PDF, in the bulk certificate
ZIP's list and on the certificate itself; and every unit has a code."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import event, func, select

from academy.auth.models import Unit
from academy.certificates.models import Certificate
from academy.certificates.services import issue_certificate
from academy.database import db, utcnow
from academy.jobs import Job
from academy.learning.models import Enrollment

PATH_BN = "Thành phố › Phường Bến Nghé › Chi bộ 1"
PATH_DK = "Thành phố › Phường Đa Kao › Chi bộ 1"


@pytest.fixture
def twins(make_unit, make_user, make_course):
    """Two cells called "Chi bộ 1", one per ward, each with a learner who completed the course."""
    city = make_unit("Thành phố", kind="city", code="TP")
    cells = []
    for ward_name, code in (("Phường Bến Nghé", "BN"), ("Phường Đa Kao", "DK")):
        ward = make_unit(ward_name, parent=city, kind="ward", code=code)
        cells.append(make_unit("Chi bộ 1", parent=ward, kind="cell", code=f"{code}-CB1"))
    course = make_course(title="Chuyển đổi số")
    learners = []
    for name, code, cell in (("Ngô Thị An", "CB-AN", cells[0]), ("Ngô Thị An", "CB-AN2", cells[1])):
        learner = make_user(full_name=name, unit=cell, employee_code=code)
        db.session.add(Enrollment(user_id=learner.id, course_id=course.id, completed_at=utcnow()))
        db.session.commit()
        issue_certificate(learner, course)
        db.session.commit()
        learners.append(learner)
    hr = make_user(full_name="Cán bộ Tổ chức", roles=("hr",), unit=city, employee_code="HR")
    return type("Twins", (), dict(city=city, cells=cells, course=course, learners=learners, hr=hr))


def _download(client, url) -> bytes:
    with client.get(url) as response:
        assert response.status_code == 200, url
        return response.get_data()


def _by_employee(header, rows) -> dict[str, dict]:
    return {row[header.index("Mã cán bộ")]: dict(zip(header, row, strict=True)) for row in rows}


def test_csv_tells_the_two_cells_apart(client, auth, twins):
    auth.login(twins.hr)
    rows = list(
        csv.reader(io.StringIO(_download(client, "/reports/completion.csv").decode("utf-8-sig")))
    )
    people = _by_employee(rows[0], rows[1:])
    an, an2 = people["CB-AN"], people["CB-AN2"]
    assert an["Đơn vị"] == an2["Đơn vị"] == "Chi bộ 1"
    assert (an["Mã đơn vị"], an["Đơn vị (đầy đủ)"]) == ("BN-CB1", PATH_BN)
    assert (an2["Mã đơn vị"], an2["Đơn vị (đầy đủ)"]) == ("DK-CB1", PATH_DK)


def test_xlsx_tells_the_two_cells_apart(client, auth, twins):
    auth.login(twins.hr)
    book = load_workbook(io.BytesIO(_download(client, "/reports/completion.xlsx")))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    people = _by_employee(header, list(sheet.iter_rows(min_row=2, values_only=True)))
    assert (people["CB-AN"]["Mã đơn vị"], people["CB-AN"]["Đơn vị (đầy đủ)"]) == ("BN-CB1", PATH_BN)
    assert (people["CB-AN2"]["Mã đơn vị"], people["CB-AN2"]["Đơn vị (đầy đủ)"]) == (
        "DK-CB1",
        PATH_DK,
    )
    book.close()


def _pdf_text(data: bytes) -> str:
    """The PDF's words in one line (a table cell may wrap a path over two lines)."""
    return " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages
    )


def test_pdf_summary_and_detail_tell_the_two_cells_apart(client, auth, twins):
    auth.login(twins.hr)
    text = _pdf_text(_download(client, "/reports/completion.pdf"))
    assert text.count("BN-CB1") == 2 and text.count("DK-CB1") == 2  # the summary and the detail
    for path in (PATH_BN, PATH_DK):
        assert text.count(path) == 2, path


def test_report_page_shows_code_and_path(client, auth, twins):
    auth.login(twins.hr)
    page = client.get("/reports/completion").get_data(as_text=True)
    for code, path in (("BN-CB1", PATH_BN), ("DK-CB1", PATH_DK)):
        assert f"({code})" in page and path in page


def _queries_for(client, url) -> int:
    seen = []

    def count(*_args, **_kwargs):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        _download(client, url)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_unit_paths_cost_no_query_per_row(client, auth, twins, make_unit, make_user):
    auth.login(twins.hr)
    urls = ("/reports/completion.csv", "/reports/completion.xlsx", "/reports/completion.pdf")
    before = [_queries_for(client, url) for url in urls]
    ward = db.session.get(Unit, twins.cells[0].parent_id)
    for k in range(6):  # six more cells of the same name, in the same ward, a learner in each
        cell = make_unit("Chi bộ 1", parent=ward, kind="cell", code=f"BN-CB1-{k}")
        learner = make_user(full_name=f"Học viên {k}", unit=cell)
        db.session.add(Enrollment(user_id=learner.id, course_id=twins.course.id))
    db.session.commit()
    assert [_queries_for(client, url) for url in urls] == before


def test_certificate_pdf_names_the_unit_by_path_and_code(twins):
    pdf = db.session.scalar(
        select(Certificate.pdf).where(Certificate.user_id == twins.learners[1].id)
    )
    text = _pdf_text(pdf)
    assert PATH_DK in text and "(mã đơn vị: DK-CB1)" in text


def test_bulk_zip_list_tells_the_two_cells_apart(client, auth, twins):
    auth.login(twins.hr)
    response = client.post("/certificates/bulk", data={"unit_id": twins.city.id, "course_id": 0})
    assert response.status_code == 302
    job = db.session.scalars(select(Job)).one()
    progress = client.get(f"/certificates/bulk/{job.id}.json").json
    archive = zipfile.ZipFile(io.BytesIO(_download(client, progress["download_url"])))
    listing = archive.read("danh-sach.csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(listing)))
    people = _by_employee(rows[0], rows[1:])
    assert (people["CB-AN"]["Mã đơn vị"], people["CB-AN"]["Đơn vị (đầy đủ)"]) == ("BN-CB1", PATH_BN)
    assert (people["CB-AN2"]["Mã đơn vị"], people["CB-AN2"]["Đơn vị (đầy đủ)"]) == (
        "DK-CB1",
        PATH_DK,
    )
    assert {row["Tệp"] for row in people.values()} <= set(archive.namelist())


def test_every_unit_has_a_code(client, auth, twins, make_user):
    """Codes are required where units are made (the admin form; the database refuses none)."""
    auth.login(make_user(roles=("admin",), unit=twins.city))
    count = db.session.scalar(select(func.count()).select_from(Unit))
    response = client.post("/admin/units", data={"code": "", "name": "Chi bộ 2", "kind": "cell"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Unit)) == count
    assert db.session.scalar(select(func.count()).select_from(Unit).where(Unit.code == "")) == 0
