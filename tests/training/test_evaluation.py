"""The year-end evaluation export: per cadre, the year's hours from each source with the items they
came from, met or not; per unit, its targets against results; XLSX and PDF; HR scope; audited."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import event, select

from academy.auth.models import User
from academy.catalog.models import Module
from academy.certificates.models import Certificate
from academy.core.audit import AuditEvent
from academy.database import db
from academy.jobs import Job
from academy.learning.models import Enrollment, ModuleResult
from academy.training.evaluation import build_evaluation
from academy.training.hours import year_hours
from academy.training.models import (
    Attendance,
    ExternalTraining,
    TrainingSession,
    UnitTarget,
)

YEAR = 2025
FORMULA = '=HYPERLINK("http://evil.example","bấm")'


def _at(month, day, hour=3):
    return datetime(YEAR, month, day, hour, 0, tzinfo=UTC)


@pytest.fixture
def plant(make_unit, make_user, make_course):
    city = make_unit("Thành phố", kind="city", code="TP")
    ward = make_unit("Phường Bến Nghé", parent=city, kind="ward", code="BN")
    cell = make_unit("Chi bộ Khu phố 1", parent=ward, kind="cell", code="BN-1")
    other = make_unit("Phường Đa Kao", parent=city, kind="ward", code="DK")
    dat = make_user(full_name="Trần Văn Đạt", unit=cell, employee_code="CB-DAT")
    anh = make_user(full_name="Lê Thị Ngọc Ánh", unit=ward, employee_code="CB-ANH")
    gone = make_user(full_name="Người Đã Nghỉ", unit=ward)
    gone.is_active = False
    outsider = make_user(full_name="Người Ngoài Phường", unit=other)
    hr = make_user(full_name="Phạm Thu Hà", roles=("hr",), unit=ward)
    admin = make_user(full_name="Quản trị viên", roles=("admin",), unit=city)
    learner = make_user(full_name="Học viên", unit=ward)

    done = make_course(title="Chuyển đổi số cơ bản")
    old = make_course(title="Kỹ năng số năm trước")
    done.hours, old.hours = 30, 12
    db.session.add_all(
        [
            Enrollment(user_id=dat.id, course_id=done.id, completed_at=_at(6, 1)),
            # completed on 31/12/2024 at 20:00 local time: last year, not counted
            Enrollment(
                user_id=dat.id,
                course_id=old.id,
                completed_at=datetime(YEAR - 1, 12, 31, 13, 0, tzinfo=UTC),
            ),
            Enrollment(user_id=outsider.id, course_id=done.id, completed_at=_at(6, 1)),
        ]
    )
    for module, score in zip(done.modules, (0.8, 0.9), strict=True):
        db.session.add(ModuleResult(user_id=dat.id, module_id=module.id, best_score=score))
    old_module = db.session.scalars(select(Module).where(Module.course_id == old.id)).first()
    db.session.add(ModuleResult(user_id=dat.id, module_id=old_module.id, best_score=0.1))
    db.session.add(
        Certificate(
            serial="HVS-2025-000007",
            verify_code="v" * 40,
            user_id=dat.id,
            course_id=done.id,
            issued_at=_at(6, 1),
        )
    )
    session = TrainingSession(
        title="Hội nghị quán triệt nghị quyết",
        place="Hội trường A",
        starts_at=_at(9, 10, 1),
        ends_at=_at(9, 10, 5),
        hours=8,
        secret="s" * 64,
    )
    db.session.add(session)
    db.session.flush()
    db.session.add(Attendance(session_id=session.id, user_id=dat.id, checked_in_at=_at(9, 10, 1)))
    db.session.add_all(
        [
            ExternalTraining(
                user_id=dat.id,
                title="Bồi dưỡng lý luận chính trị",
                provider="Trường Chính trị thành phố",
                hours=6,
                completed_on=date(YEAR, 3, 15),
            ),
            ExternalTraining(
                user_id=anh.id, title=FORMULA, hours=2.5, completed_on=date(YEAR, 11, 20)
            ),
            UnitTarget(
                unit_id=ward.id,
                year=YEAR,
                kind="average_hours",
                target=20,
                due_on=date(YEAR, 12, 31),
            ),
        ]
    )
    db.session.commit()
    return SimpleNamespace(**locals())


def _xlsx(client, **args):
    with client.get("/evaluation.xlsx", query_string=args) as response:  # closed: so is its file
        assert response.status_code == 200, response.status_code
        return load_workbook(io.BytesIO(response.get_data()))


def _rows(sheet):
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def _pdf_text(response) -> str:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.get_data()))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_xlsx_lists_each_cadres_hours_and_what_they_came_from(client, auth, plant):
    auth.login(plant.hr)
    book = _xlsx(client, unit=plant.ward.id, year=YEAR)
    assert book.sheetnames == ["Thông tin", "Cán bộ", "Chi tiết giờ học", "Chỉ tiêu đơn vị"]

    people = _rows(book["Cán bộ"])
    # the ward before its cell (unit path), active people only, nobody from another ward
    assert [p["Họ và tên"] for p in people] == [
        "Học viên",
        "Lê Thị Ngọc Ánh",
        "Phạm Thu Hà",
        "Trần Văn Đạt",
    ]
    dat = people[3]
    assert dat["Mã cán bộ"] == "CB-DAT" and dat["Mã đơn vị"] == "BN-1"
    assert dat["Đơn vị (đầy đủ)"] == "Thành phố › Phường Bến Nghé › Chi bộ Khu phố 1"
    assert (dat["Giờ khoá học trực tuyến"], dat["Giờ buổi học tập trung"]) == (30, 8)
    assert (dat["Giờ đào tạo bên ngoài"], dat["Tổng số giờ"], dat["Số giờ yêu cầu"]) == (6, 44, 40)
    assert dat["Kết quả"] == "Đạt"
    assert dat["Số khoá học hoàn thành"] == 1
    assert dat["Các khoá học hoàn thành"] == "Chuyển đổi số cơ bản"  # not last year's course
    assert dat["Điểm trung bình (%)"] == 85
    assert dat["Chứng chỉ cấp trong năm"] == "HVS-2025-000007"
    assert dat["Số buổi học tập trung đã dự"] == 1
    assert dat["Các buổi học tập trung"] == "Hội nghị quán triệt nghị quyết (10/09/2025)"
    assert dat["Đào tạo bên ngoài"] == "Bồi dưỡng lý luận chính trị (6 giờ, 15/03/2025)"
    anh = people[1]
    assert (anh["Tổng số giờ"], anh["Kết quả"], anh["Số khoá học hoàn thành"]) == (
        2.5,
        "Chưa đạt",
        0,
    )

    items = [r for r in _rows(book["Chi tiết giờ học"]) if r["Mã cán bộ"] == "CB-DAT"]
    assert [(r["Nguồn giờ học"], r["Nội dung"], r["Số giờ"]) for r in items] == [
        ("Khoá học trực tuyến", "Chuyển đổi số cơ bản", 30),
        ("Buổi học tập trung", "Hội nghị quán triệt nghị quyết", 8),
        ("Đào tạo bên ngoài", "Bồi dưỡng lý luận chính trị", 6),
    ]
    assert items[0]["Ngày"].date() == date(YEAR, 6, 1)
    assert sum(r["Số giờ"] for r in items) == dat["Tổng số giờ"]

    info = {row[0]: row[1] for row in book["Thông tin"].iter_rows(values_only=True) if row}
    assert info["Đánh giá kết quả đào tạo, bồi dưỡng năm"] == YEAR
    assert info["Đơn vị (gồm đơn vị cấp dưới)"] == "BN · Thành phố › Phường Bến Nghé"
    assert info["Số cán bộ"] == 4 and info["Số cán bộ đạt yêu cầu"] == 1


def test_items_agree_with_the_hours_rules(plant):
    """What the export lists per person adds up to the hours ``year_hours`` credits."""
    evaluation = build_evaluation(plant.ward, YEAR)
    credited = year_hours([p.user_id for p in evaluation.people], YEAR)
    for person in evaluation.people:
        for source, attribute in (("course", "courses"), ("session", "sessions")):
            listed = sum(item.hours for item in person.of(source))
            assert listed == getattr(credited[person.user_id], attribute)
        assert sum(item.hours for item in person.items) == credited[person.user_id].total


def test_targets_sheet_states_each_target_against_its_result(client, auth, plant):
    auth.login(plant.hr)
    [target] = _rows(_xlsx(client, unit=plant.ward.id, year=YEAR)["Chỉ tiêu đơn vị"])
    assert target["Mã đơn vị"] == "BN"
    assert target["Loại chỉ tiêu"] == "Số giờ học bình quân mỗi người"
    # (44 + 2.5 + 0 + 0) / 4 people = 11.625 hours against 20: the year is over
    assert (target["Chỉ tiêu"], target["Đơn vị đo"]) == (20, "giờ")
    assert target["Kết quả"] == pytest.approx(11.625, abs=0.01)
    assert target["Trạng thái"] == "Quá hạn, chưa đạt"


def test_text_cells_never_run_as_formulas(client, auth, plant):
    auth.login(plant.hr)
    book = _xlsx(client, unit=plant.ward.id, year=YEAR)
    [item] = [r for r in _rows(book["Chi tiết giờ học"]) if r["Mã cán bộ"] == "CB-ANH"]
    assert item["Nội dung"] == "'" + FORMULA
    anh = [p for p in _rows(book["Cán bộ"]) if p["Mã cán bộ"] == "CB-ANH"][0]
    assert anh["Đào tạo bên ngoài"].startswith("'=HYPERLINK")
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row)


def test_hr_sees_only_its_units(client, auth, plant):
    auth.login(plant.hr)
    for url in ("/evaluation", "/evaluation.xlsx", "/evaluation.pdf"):
        assert client.get(url, query_string={"unit": plant.other.id}).status_code == 404
        assert client.get(url, query_string={"unit": plant.city.id}).status_code == 404
        assert client.get(url, query_string={"unit": 999999}).status_code == 404
        assert client.get(url, query_string={"year": "nam-ngoai"}).status_code == 400
    # without a unit: the whole of the reader's own unit
    names = [p["Họ và tên"] for p in _rows(_xlsx(client, year=YEAR)["Cán bộ"])]
    assert names == ["Học viên", "Lê Thị Ngọc Ánh", "Phạm Thu Hà", "Trần Văn Đạt"]
    auth.logout()
    auth.login(plant.learner)
    assert client.get("/evaluation").status_code == 403
    assert client.get("/evaluation.xlsx").status_code == 403
    auth.logout()
    auth.login(plant.admin)
    names = [p["Họ và tên"] for p in _rows(_xlsx(client, year=YEAR)["Cán bộ"])]
    assert "Người Ngoài Phường" in names and "Người Đã Nghỉ" not in names


def test_page_shows_the_figures_and_the_download_links(client, auth, plant):
    auth.login(plant.hr)
    page = client.get("/evaluation", query_string={"unit": plant.ward.id, "year": YEAR})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-figure="people">4<' in html and 'data-figure="met">1<' in html
    assert f"/evaluation.xlsx?unit={plant.ward.id}&amp;year={YEAR}" in html
    assert f"/evaluation.pdf?unit={plant.ward.id}&amp;year={YEAR}" in html
    assert client.get("/evaluation").status_code == 200


def test_downloads_are_audited(client, auth, plant):
    auth.login(plant.hr)
    _xlsx(client, unit=plant.ward.id, year=YEAR)
    client.get("/evaluation.pdf", query_string={"unit": plant.ward.id, "year": YEAR})
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "report.download").order_by(AuditEvent.id)
    ).all()
    assert [e.target for e in events] == ["evaluation.xlsx", "evaluation.pdf"]
    assert events[0].actor_id == plant.hr.id
    assert events[0].detail == {"unit": "BN", "year": YEAR, "people": 4, "via": "web"}


def test_pdf_holds_the_names_and_totals(client, auth, plant):
    auth.login(plant.hr)
    response = client.get("/evaluation.pdf", query_string={"unit": plant.ward.id, "year": YEAR})
    assert "danh-gia-dao-tao-BN-2025.pdf" in response.headers["Content-Disposition"]
    text = _pdf_text(response)
    for name in ("Trần Văn Đạt", "Lê Thị Ngọc Ánh", "Phường Bến Nghé", "Chuyển đổi số cơ bản"):
        assert name in text
    assert "= 44 / 40 giờ yêu cầu" in text and "Đạt" in text and "Chưa đạt" in text
    assert "HVS-2025-000007" in text and "Hội nghị quán triệt nghị quyết" in text
    assert "Kỹ năng số năm trước" not in text


def test_large_pdf_is_a_background_job(app, client, auth, plant, make_user):
    app.config.update(EVALUATION_PDF_SYNC_MAX_PEOPLE=2)
    auth.login(plant.hr)
    response = client.get("/evaluation.pdf", query_string={"unit": plant.ward.id, "year": YEAR})
    assert response.status_code == 302
    job = db.session.get(Job, response.location.rsplit("/", 1)[-1])
    assert job.kind == "training.evaluation" and job.status == "finished"
    assert "Tải tệp PDF" in client.get(response.location).get_data(as_text=True)
    with client.get(response.location + "/download") as download:  # closed: so is its file
        assert "Trần Văn Đạt" in _pdf_text(download)
    targets = db.session.scalars(
        select(AuditEvent.detail).where(AuditEvent.target == "evaluation.pdf")
    ).all()
    assert [t["via"] for t in targets] == ["job", "job file"]
    mine = client.get("/reports/jobs").get_data(as_text=True)  # "my report jobs" lists it
    assert "Đánh giá đào tạo cuối năm (PDF)" in mine and f"/evaluation/jobs/{job.id}" in mine
    auth.logout()
    auth.login(make_user(roles=("hr",), unit=plant.ward))  # same unit, not the one who asked
    assert client.get(response.location).status_code == 404
    assert client.get(response.location + "/download").status_code == 404


def test_fixed_number_of_queries_whatever_the_people(plant, make_user):
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement.split("\n")[0][:100])

    def queries() -> int:
        statements.clear()
        db.session.expire_all()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            build_evaluation(plant.ward, YEAR)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    few = queries()
    for n in range(6):
        person = make_user(full_name=f"Cán bộ số {n}", unit=plant.cell)
        db.session.add(
            ExternalTraining(user_id=person.id, title="Lớp", hours=1, completed_on=date(YEAR, 5, 1))
        )
    db.session.commit()
    assert db.session.scalar(select(User).where(User.full_name == "Cán bộ số 5")) is not None
    assert queries() == few, statements
