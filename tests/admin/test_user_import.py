"""Bulk user import: dry run lists every bad row, all-or-nothing, idempotent, moves keep history."""

from __future__ import annotations

import io

from openpyxl import Workbook
from sqlalchemy import func, select

from academy.auth.models import User
from academy.core.audit import AuditEvent
from academy.database import db
from academy.learning.models import Enrollment, LessonProgress

HEADER = "Mã cán bộ,Họ và tên,Email,Mã đơn vị,Chức vụ,Vai trò\n"


def _csv(*lines) -> bytes:
    return ("\ufeff" + HEADER + "".join(line + "\n" for line in lines)).encode("utf-8")


def _upload(client, data: bytes, name="nhan-su.csv", apply=False):
    button = {"apply": "Nhập"} if apply else {"dry_run": "Kiểm tra"}
    return client.post(
        "/admin/users/import",
        data={"file": (io.BytesIO(data), name), **button},
        content_type="multipart/form-data",
    )


def _user_count() -> int:
    return db.session.scalar(select(func.count(User.id)))


def test_dry_run_reports_every_bad_row_and_writes_nothing(client, auth, make_user, make_unit):
    ward = make_unit("Phường Bến Thành", code="BT")
    auth.login(make_user(roles=("admin",)))
    before = _user_count()
    data = _csv(
        "CB1,Nguyễn Văn An,an@hvs.gov.vn,BT,Chuyên viên,learner",
        "CB2,,binh@hvs.gov.vn,BT,,",  # line 3: no name
        "CB3,Lê Chí,khong-phai-email,BT,,",  # line 4: bad email
        "CB4,Phạm Dũng,dung@hvs.gov.vn,XX,,",  # line 5: unknown unit
        "CB5,Võ Em,em@hvs.gov.vn,BT,,boss",  # line 6: unknown role
        "CB1,Trùng Mã,trung@hvs.gov.vn,BT,,",
    )  # line 7: duplicate code
    page = _upload(client, data, apply=True)
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    for line, text in (
        (3, "họ và tên"),
        (4, "Email không hợp lệ"),
        (5, "XX"),
        (6, "boss"),
        (7, "trùng với dòng 2"),
    ):
        assert f"<td>{line}</td><td>" in html and text in html
    assert "<td>2</td><td>" not in html  # the good row is not reported
    assert _user_count() == before, "a file with errors changes nothing"
    assert ward.id  # unit untouched


def test_import_applies_then_reimport_changes_nothing(client, auth, make_user, make_unit):
    make_unit("Phường Bến Thành", code="BT")
    auth.login(make_user(roles=("admin",)))
    data = _csv(
        "CB1,Nguyễn Văn An,an@hvs.gov.vn,BT,Chuyên viên,learner",
        'CB2,Trần Thị Bình,binh@hvs.gov.vn,BT,Phó phòng,"learner,hr"',
    )
    dry = _upload(client, data)
    assert dry.status_code == 200 and "2 tạo mới" in dry.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.employee_code == "CB1")) is None
    assert _upload(client, data, apply=True).status_code == 302
    binh = db.session.scalar(select(User).where(User.employee_code == "CB2"))
    assert (
        binh.roles == {"learner", "hr"} and binh.unit.code == "BT" and binh.position == "Phó phòng"
    )
    again = _upload(client, data)
    assert "0 tạo mới, 0 cập nhật (0 chuyển đơn vị), 2 không đổi" in again.get_data(as_text=True)
    _upload(client, data, apply=True)
    assert _user_count() == 3
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "users.import")).all()
    assert [e.detail["created"] for e in events] == [2, 0]


def test_xlsx_import_and_move_keeps_history(client, auth, make_user, make_unit, make_course):
    old, new = make_unit("Phường Cũ", code="OLD"), make_unit("Phường Mới", code="NEW")
    person = make_user(full_name="Đỗ Minh", unit=old, employee_code="CB9", email="minh@hvs.gov.vn")
    course = make_course()
    lesson = course.modules[0].lessons[0]
    db.session.add_all(
        [
            Enrollment(user_id=person.id, course_id=course.id),
            LessonProgress(user_id=person.id, lesson_id=lesson.id),
        ]
    )
    db.session.commit()
    auth.login(make_user(roles=("admin",)))
    book = Workbook()
    book.active.append(["employee_code", "full_name", "email", "unit_code", "position", "roles"])
    book.active.append(["CB9", "Đỗ Minh", "minh@hvs.gov.vn", "NEW", "Trưởng phòng", None])
    buffer = io.BytesIO()
    book.save(buffer)
    assert _upload(client, buffer.getvalue(), name="nhan-su.xlsx", apply=True).status_code == 302
    db.session.expire_all()
    moved = db.session.get(User, person.id)
    assert (
        moved.unit_id == new.id and moved.position == "Trưởng phòng" and moved.roles == {"learner"}
    )
    assert (
        db.session.scalar(
            select(func.count()).select_from(Enrollment).where(Enrollment.user_id == person.id)
        )
        == 1
    )
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(LessonProgress)
            .where(LessonProgress.user_id == person.id)
        )
        == 1
    )


def test_unreadable_file_is_a_400_not_a_500(client, auth, make_user):
    auth.login(make_user(roles=("admin",)))
    assert _upload(client, b"Ten,Tuoi\nA,1\n").status_code == 400  # required columns missing
    assert _upload(client, b"\xff\xfe garbage", name="x.xlsx").status_code == 400


def test_cli_import_dry_run_and_apply(runner, make_unit, tmp_path):
    make_unit("Phường Bến Thành", code="BT")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_csv("CB1,Nguyễn Văn An,an@hvs.gov.vn,BT,,", "CB2,Bình,binh@x,ZZ,,"))
    result = runner.invoke(args=["users", "import", str(bad)])
    assert result.exit_code != 0 and "Dòng 3" in result.output
    assert db.session.scalar(select(User).where(User.employee_code == "CB1")) is None
    good = tmp_path / "good.csv"
    good.write_bytes(_csv("CB1,Nguyễn Văn An,an@hvs.gov.vn,BT,,"))
    assert "1 tạo mới" in runner.invoke(args=["users", "import", str(good), "--dry-run"]).output
    assert db.session.scalar(select(User).where(User.employee_code == "CB1")) is None
    result = runner.invoke(args=["users", "import", str(good)])
    assert result.exit_code == 0 and "1 tạo mới" in result.output
    assert "1 không đổi" in runner.invoke(args=["users", "import", str(good)]).output
