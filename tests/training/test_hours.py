"""Yearly training hours: the three sources add up within the local year, the requirement per
position, the cadre's page and home card, HR's unit list (scope, order, CSV), external training
with its document, the requirements page and the early warning late in the year.

Thành phố (CITY) — city HR
├── Phường Bến Thành (BT) — ward HR, Ánh (the learner whose hours are planted), Bình
└── Phường Tân Định (TD)  — Cường
"""

from __future__ import annotations

import csv
import io
import os
from datetime import UTC, date, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import event, func, select

from academy.auth.models import User
from academy.core.audit import AuditEvent
from academy.database import db, utcnow
from academy.i18n import academy_zone
from academy.learning.models import Enrollment
from academy.reports.warnings import warning_list
from academy.training.hours import local_year, required_hours, year_hours, year_items
from academy.training.models import (
    Attendance,
    ExternalTraining,
    HoursRequirement,
    TrainingSession,
)

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return buffer.getvalue()


def local(year, month, day, hour=9, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=academy_zone()).astimezone(UTC)


@pytest.fixture
def town(make_unit, make_user):
    city = make_unit("Thành phố", kind="city", code="CITY")
    ward = make_unit("Phường Bến Thành", parent=city, kind="ward", code="BT")
    other = make_unit("Phường Tân Định", parent=city, kind="ward", code="TD")
    return {
        "city": city,
        "ward": ward,
        "other": other,
        "city_hr": make_user(email="hr@hvs.gov.vn", roles=("hr",), unit=city),
        "ward_hr": make_user(email="hr.bt@hvs.gov.vn", roles=("hr",), unit=ward),
        "anh": make_user(email="anh@hvs.gov.vn", full_name="Nguyễn Văn Ánh", unit=ward),
        "binh": make_user(email="binh@hvs.gov.vn", full_name="Trần Thị Bình", unit=ward),
        "cuong": make_user(email="cuong@hvs.gov.vn", full_name="Lê Văn Cường", unit=other),
    }


def session(title, starts_at, hours, *, sign_out=False, cancelled=False) -> TrainingSession:
    row = TrainingSession(
        title=title,
        place="Hội trường A",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        hours=hours,
        requires_sign_out=sign_out,
        secret="s" * 32,
        cancelled_at=starts_at if cancelled else None,
    )
    db.session.add(row)
    db.session.flush()
    return row


def attend(person, training, out=None) -> None:
    db.session.add(
        Attendance(
            session_id=training.id,
            user_id=person.id,
            checked_in_at=training.starts_at,
            checked_out_at=out,
        )
    )


def external(person, hours, on, title="Bồi dưỡng kiến thức quốc phòng") -> ExternalTraining:
    row = ExternalTraining(
        user_id=person.id, title=title, provider="Trường Chính trị", hours=hours, completed_on=on
    )
    db.session.add(row)
    return row


def enrol(person, course, completed_at=None) -> None:
    db.session.add(Enrollment(user_id=person.id, course_id=course.id, completed_at=completed_at))


@pytest.fixture
def planted(town, make_course):
    """Ánh's year Y: a course (4 h) completed at 00:30 on 1 January local time (still 31 December
    in UTC), a session (3 h), a sign-out session signed out (2 h), external training (5 h): 14 h.
    Left out: last year's course, session and training, a course not completed, a sign-out
    session not signed out, a cancelled session, and a session Ánh did not attend."""
    year, anh, binh = local_year(), town["anh"], town["binh"]
    done, last_year, open_course = make_course(), make_course(), make_course()
    enrol(anh, done, local(year, 1, 1, 0, 30))
    enrol(anh, last_year, local(year - 1, 12, 31, 23, 30))
    enrol(anh, open_course)
    attend(anh, session("Hội nghị chuyển đổi số", local(year, 3, 2), 3))
    long_one = session("Lớp bồi dưỡng dài ngày", local(year, 4, 2), 2, sign_out=True)
    attend(anh, long_one, out=long_one.ends_at)
    attend(anh, session("Lớp không điểm danh ra", local(year, 4, 9), 6, sign_out=True))
    attend(anh, session("Hội thảo bị huỷ", local(year, 5, 9), 8, cancelled=True))
    attend(anh, session("Buổi năm trước", local(year - 1, 5, 9), 8))
    attend(binh, session("Buổi Ánh không dự", local(year, 6, 9), 8))
    external(anh, 5, date(year, 1, 1))
    external(anh, 7, date(year - 1, 12, 31))
    db.session.commit()
    return year


def test_hours_add_up_from_the_three_sources_within_the_local_year(town, planted):
    anh = town["anh"]
    mine = year_hours([anh.id], planted)[anh.id]
    assert (mine.courses, mine.sessions, mine.external) == (4.0, 5.0, 5.0)
    assert (mine.total, mine.required, mine.met, mine.shortfall) == (14.0, 40.0, False, 26.0)
    last = year_hours([anh.id], planted - 1)[anh.id]
    assert (last.courses, last.sessions, last.external) == (4.0, 8.0, 7.0)
    items = year_items(anh.id, planted)
    assert [i.title for i in items["sessions"]] == [
        "Hội nghị chuyển đổi số",
        "Lớp bồi dưỡng dài ngày",
        "Lớp không điểm danh ra",  # listed, not counted: never signed out
    ]
    assert [i.counted for i in items["sessions"]] == [True, True, False]
    assert items["courses"][0].on == date(planted, 1, 1)
    assert [i.hours for i in items["external"]] == [5.0]


def test_year_hours_reads_everyone_in_a_fixed_number_of_queries(app, town, planted):
    everyone = select(User.id)
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        result = year_hours(everyone, planted)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) <= 4
    assert len(result) == db.session.scalar(select(func.count(User.id)))
    assert result[town["cuong"].id].total == 0 and result[town["binh"].id].total == 8
    assert result[town["anh"].id].total == 14


def test_requirement_by_position_ignoring_case_and_marks_else_the_default(app, town):
    db.session.add(HoursRequirement(position="Trưởng phòng", hours=60))
    town["binh"].position = "TRUONG PHÒNG"
    db.session.commit()
    assert required_hours("trưởng  phòng") == 60
    assert required_hours("Chuyên viên") == 40
    app.config["TRAINING_HOURS_REQUIRED"] = 32
    assert required_hours("Chuyên viên") == 32
    found = year_hours([town["anh"].id, town["binh"].id], local_year())
    assert found[town["binh"].id].required == 60 and found[town["anh"].id].required == 32


def test_the_cadre_sees_each_item_and_the_total_and_the_home_card(client, auth, town, planted):
    auth.login(town["anh"])
    page = client.get("/me/hours").get_data(as_text=True)
    assert "14 / 40" in page and "Hội nghị chuyển đổi số" in page
    assert "Bồi dưỡng kiến thức quốc phòng" in page and "Còn thiếu 26 giờ" in page
    assert "Hội thảo bị huỷ" not in page and "Buổi năm trước" not in page
    home = client.get("/").get_data(as_text=True)
    assert f"Bạn đã có 14 / 40 giờ học năm {planted}" in home
    assert client.get(f"/me/hours?year={planted - 1}").status_code == 200
    assert client.get("/me/hours?year=1900").status_code == 404


def test_hr_sees_its_units_people_sorted_by_shortfall_and_nobody_elses(client, auth, town, planted):
    external(town["binh"], 50, date(planted, 2, 1))
    db.session.commit()
    auth.login(town["ward_hr"])
    page = client.get("/hours?sort=shortfall").get_data(as_text=True)
    assert "Lê Văn Cường" not in page  # another ward
    assert page.index("Nguyễn Văn Ánh") < page.index("Trần Thị Bình")  # 26 h short first
    assert 'data-summary="met">1' in page
    assert client.get(f"/hours?unit={town['other'].id}").status_code == 404
    assert client.get(f"/hours/people/{town['cuong'].id}").status_code == 404
    assert client.get(f"/hours/people/{town['cuong'].id}/external").status_code == 404
    assert client.get(f"/hours/people/{town['anh'].id}").status_code == 200
    auth.logout()
    auth.login(town["anh"])
    assert client.get("/hours").status_code == 403


def test_the_csv_neutralises_formulas_and_is_audited(client, auth, town, planted):
    town["binh"].full_name = '=HYPERLINK("http://x")'
    db.session.commit()
    auth.login(town["ward_hr"])
    response = client.get(f"/hours.csv?unit={town['ward'].id}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    names = {row[3]: row for row in rows[1:]}
    assert '\'=HYPERLINK("http://x")' in names
    assert names["Nguyễn Văn Ánh"][8:11] == ["14.0", "40.0", "Không"]
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.target == "training-hours.csv"))


def external_form(**overrides) -> dict:
    data = {
        "title": "Bồi dưỡng kỹ năng lãnh đạo",
        "provider": "Học viện Chính trị khu vực",
        "hours": "16",
        "completed_on": (utcnow().astimezone(academy_zone()).date()).isoformat(),
        "document": (io.BytesIO(PDF), "Giấy chứng nhận.pdf"),
    }
    data.update(overrides)
    return data


def stored_documents(app) -> list[str]:
    folder = os.path.join(app.instance_path, "external")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_hr_records_external_training_with_its_document(app, client, auth, town):
    auth.login(town["ward_hr"])
    url = f"/hours/people/{town['anh'].id}/external"
    assert "Văn bản chứng minh" in client.get(url).get_data(as_text=True)
    response = client.post(url, data=external_form(), content_type="multipart/form-data")
    assert response.status_code == 303
    record = db.session.scalar(select(ExternalTraining))
    assert (record.hours, record.document_name, record.recorded_by_id) == (
        16.0,
        "Giấy chứng nhận.pdf",
        town["ward_hr"].id,
    )
    assert stored_documents(app) == [record.document_path.split("/")[1]]
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "training.external.record")
    )
    assert year_hours([town["anh"].id], local_year())[town["anh"].id].external == 16
    png = external_form(document=(io.BytesIO(png_bytes()), "anh.png"), title="Lớp B")
    assert client.post(url, data=png, content_type="multipart/form-data").status_code == 303


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("completed_on", "tomorrow", "Ngày hoàn thành không thể ở tương lai."),
        ("hours", "0.25", "Số giờ phải từ"),
        ("hours", "201", "Số giờ phải từ"),
        ("document", "text", "Chỉ nhận tệp PDF, ảnh JPEG hoặc PNG hợp lệ."),
        ("document", "fake-png", "Chỉ nhận tệp PDF, ảnh JPEG hoặc PNG hợp lệ."),
        ("document", "too-big", "Tệp vượt quá dung lượng"),
    ],
)
def test_a_refused_record_writes_nothing(app, client, auth, town, field, value, message):
    app.config["UPLOAD_MAX_BYTES"] = 1024
    tomorrow = utcnow().astimezone(academy_zone()).date() + timedelta(days=1)
    values = {
        "tomorrow": tomorrow.isoformat(),
        "text": (io.BytesIO(b"=cmd|' /C calc'!A0"), "bang.pdf"),
        "fake-png": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\0" * 64), "anh.png"),
        "too-big": (io.BytesIO(PDF + b"0" * 2048), "lon.pdf"),
    }
    auth.login(town["ward_hr"])
    response = client.post(
        f"/hours/people/{town['anh'].id}/external",
        data=external_form(**{field: values.get(value, value)}),
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(ExternalTraining.id))) == 0
    assert stored_documents(app) == []


def test_the_document_is_for_the_person_and_hr_in_scope(client, auth, town):
    auth.login(town["ward_hr"])
    client.post(
        f"/hours/people/{town['anh'].id}/external",
        data=external_form(),
        content_type="multipart/form-data",
    )
    auth.logout()
    record = db.session.scalar(select(ExternalTraining))
    url = f"/hours/external/{record.id}/document"
    for person, status in [
        (town["binh"], 404),
        (town["anh"], 200),
        (town["city_hr"], 200),
    ]:
        auth.login(person)
        response = client.get(url)
        assert response.status_code == status, person.email
        if status == 200:
            assert response.get_data() == PDF and response.mimetype == "application/pdf"
            assert "attachment" in response.headers["Content-Disposition"]
        auth.logout()
    assert client.get(url).status_code in (302, 401)  # signed out: to the sign-in page


def test_hr_of_another_ward_cannot_fetch_the_document(client, auth, town, make_user):
    record = external(town["anh"], 3, date(2026, 1, 5))
    record.document_path = "external/" + "a" * 32 + ".pdf"
    db.session.commit()
    auth.login(make_user(roles=("hr",), unit=town["other"]))
    assert client.get(f"/hours/external/{record.id}/document").status_code == 404


def test_requirements_are_set_by_city_hr_not_by_a_ward(client, auth, town):
    auth.login(town["ward_hr"])
    assert client.get("/hours/requirements").status_code == 403
    auth.logout()
    auth.login(town["city_hr"])
    assert "Nghị định 101/2017/NĐ-CP" in client.get("/hours/requirements").get_data(as_text=True)
    response = client.post("/hours/requirements", data={"position": "Bí thư", "hours": "60"})
    assert response.status_code == 303
    clash = client.post("/hours/requirements", data={"position": "bi thu", "hours": "50"})
    assert "đã có số giờ yêu cầu" in clash.get_data(as_text=True)
    row = db.session.scalar(select(HoursRequirement))
    client.post(f"/hours/requirements/{row.id}", data={"position": "Bí thư", "hours": "48"})
    db.session.refresh(row)
    assert (row.position, row.hours) == ("Bí thư", 48.0)
    assert required_hours("BÍ THƯ") == 48


def test_the_early_warning_lists_people_short_of_hours_from_october(app, town):
    app.config["HOURS_WARNING_FROM_MONTH"] = 10
    external(town["anh"], 12, date(2026, 5, 1))
    external(town["binh"], 40, date(2026, 5, 1))
    db.session.commit()
    late = warning_list(town["ward"], now=local(2026, 11, 24, 10))
    hours_entries = [e for e in late.entries if e.kind == "hours"]
    # Bình has met the requirement; the ward's HR officer is a cadre too (no hours at all)
    assert [e.full_name for e in hours_entries] == ["Nguyễn Thị Hằng", "Nguyễn Văn Ánh"]
    entry = hours_entries[1]
    assert entry.reason_texts == ["Mới có 12/40 giờ học năm 2026; còn 37 ngày"]
    assert hours_entries[0].reason_texts == ["Mới có 0/40 giờ học năm 2026; còn 37 ngày"]
    assert (entry.course_id, entry.due_date, entry.band) == (None, date(2026, 12, 31), "at_risk")
    assert entry.as_dict()["kind"] == "hours"
    assert not [e for e in warning_list(town["ward"], now=local(2026, 9, 30, 10)).entries]
    app.config["HOURS_WARNING_FROM_MONTH"] = 0
    assert not warning_list(town["ward"], now=local(2026, 11, 24, 10)).entries
