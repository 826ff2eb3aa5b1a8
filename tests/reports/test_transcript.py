"""A person's transcript, as a page and a PDF: every course with its status, scores, certificate,
hours and due date as planted; for HR over the person's unit (404 elsewhere), admins, and the person
themselves; other people's transcripts seen by HR are audited.

Thành phố (TP)
├── Phường Bến Nghé (BN)      — HR Hà; mandate "An toàn thông tin" (due 09/03/2025 UTC 20:00)
│   └── Chi bộ 1 (BN-1)       — Đỗ Thị Ánh Dương (moved here from Đa Kao)
└── Phường Đa Kao (DK)        — HR Khoa; Dương's first unit
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import event, select, update

from academy.auth.models import UnitMembership, User
from academy.certificates.models import Certificate
from academy.core.audit import ACTION_LABELS, AuditEvent
from academy.database import db, utcnow
from academy.learning.models import Assignment, Enrollment, LessonProgress, ModuleResult
from academy.reports.transcript import build_transcript

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
NAME = "Đỗ Thị Ánh Dương"
PAST_DUE = datetime(2025, 3, 9, 20, 0, tzinfo=UTC)  # 10/03/2025 in Hà Nội
FUTURE_DUE = datetime(2031, 6, 30, 18, 30, tzinfo=UTC)  # 01/07/2031 in Hà Nội


def _local(moment: datetime) -> str:
    return moment.astimezone(ZONE).strftime("%d/%m/%Y")


@pytest.fixture
def plant(make_unit, make_user, make_course):
    now = utcnow()
    root = make_unit("Thành phố", kind="city", code="TP")
    ben_nghe = make_unit("Phường Bến Nghé", parent=root, kind="ward", code="BN")
    cell = make_unit("Chi bộ 1", parent=ben_nghe, kind="cell", code="BN-1")
    da_kao = make_unit("Phường Đa Kao", parent=root, kind="ward", code="DK")
    person = make_user(
        full_name=NAME, unit=da_kao, position="Chuyên viên chính", employee_code="CB-DUONG"
    )
    person.unit_id = cell.id  # a move: the membership history keeps Đa Kao
    db.session.commit()
    db.session.execute(
        update(UnitMembership)
        .where(UnitMembership.user_id == person.id, UnitMembership.unit_id == da_kao.id)
        .values(
            started_at=datetime(2023, 2, 1, 3, 0, tzinfo=UTC),
            ended_at=datetime(2024, 8, 15, 3, 0, tzinfo=UTC),
        )
    )
    db.session.execute(
        update(UnitMembership)
        .where(UnitMembership.user_id == person.id, UnitMembership.unit_id == cell.id)
        .values(started_at=datetime(2024, 8, 15, 3, 0, tzinfo=UTC))
    )
    hr_bn = make_user(full_name="Phạm Thu Hà", roles=("hr",), unit=ben_nghe)
    hr_dk = make_user(full_name="Vũ Minh Khoa", roles=("hr",), unit=da_kao)
    admin = make_user(full_name="Quản trị viên", roles=("admin",), unit=root)
    other = make_user(full_name="Lê Văn Cường", unit=cell)

    done = make_course(title="Chuyển đổi số cơ bản")
    old = make_course(title="Kỹ năng số nâng cao")
    late = make_course(title="An toàn thông tin")
    fresh = make_course(title="Dữ liệu mở")
    going = make_course(title="Chính quyền số")
    done.hours, old.hours, late.hours, fresh.hours, going.hours = 6, 8, 5, 3, 2
    late_mandate = Assignment(course_id=late.id, unit_id=ben_nghe.id, due_at=PAST_DUE)
    going_mandate = Assignment(course_id=going.id, unit_id=root.id, due_days=30)
    db.session.add_all([late_mandate, going_mandate])
    db.session.flush()
    completed_now = now - timedelta(seconds=1)
    completed_long_ago = now - timedelta(days=400)
    lessons = {c.id: [ls for m in c.modules for ls in m.lessons] for c in (late, going)}
    db.session.add_all(
        [
            Enrollment(
                user_id=person.id,
                course_id=done.id,
                enrolled_at=datetime(2025, 1, 5, 2, 0, tzinfo=UTC),
                completed_at=completed_now,
            ),
            Enrollment(
                user_id=person.id,
                course_id=old.id,
                enrolled_at=datetime(2024, 1, 2, 2, 0, tzinfo=UTC),
                completed_at=completed_long_ago,
            ),
            Enrollment(
                user_id=person.id,
                course_id=late.id,
                source="assigned",
                assignment_id=late_mandate.id,
                enrolled_at=datetime(2025, 2, 1, 2, 0, tzinfo=UTC),
                due_at=PAST_DUE,
            ),
            Enrollment(
                user_id=person.id,
                course_id=fresh.id,
                enrolled_at=datetime(2025, 4, 1, 2, 0, tzinfo=UTC),
            ),
            Enrollment(
                user_id=person.id,
                course_id=going.id,
                source="assigned",
                assignment_id=going_mandate.id,
                enrolled_at=datetime(2025, 5, 1, 2, 0, tzinfo=UTC),
                due_at=FUTURE_DUE,
            ),
            *[
                ModuleResult(
                    user_id=person.id, module_id=m.id, best_score=s, attempts_count=1, passed_at=now
                )
                for m, s in zip(done.modules, (1.0, 0.8), strict=True)
            ],
            ModuleResult(
                user_id=person.id, module_id=late.modules[0].id, best_score=0.5, attempts_count=3
            ),
            LessonProgress(user_id=person.id, lesson_id=lessons[late.id][0].id),
            *[LessonProgress(user_id=person.id, lesson_id=ls.id) for ls in lessons[going.id][:2]],
            Certificate(
                serial="HVS-2026-000101",
                verify_code="a" * 40,
                user_id=person.id,
                course_id=done.id,
                issued_at=completed_now,
            ),
            Certificate(
                serial="HVS-2025-000050",
                verify_code="b" * 40,
                user_id=person.id,
                course_id=old.id,
                issued_at=completed_long_ago,
                revoked_at=now - timedelta(days=3),
                revoke_reason="Cấp nhầm",
            ),
        ]
    )
    db.session.commit()
    return type(
        "Plant",
        (),
        dict(
            root=root,
            ben_nghe=ben_nghe,
            cell=cell,
            da_kao=da_kao,
            person=person,
            hr_bn=hr_bn,
            hr_dk=hr_dk,
            admin=admin,
            other=other,
            done=done,
            old=old,
            late=late,
            fresh=fresh,
            going=going,
            completed_now=completed_now,
            completed_long_ago=completed_long_ago,
        ),
    )


def _text(html: str) -> str:
    inline = re.sub(r"</?(code|span|a)\b[^>]*>", "", html)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", inline)).split())


def _row(page: str, course) -> str:
    """The visible text of the course's row on the transcript page."""
    found = re.search(rf'<tr data-course="{course.id}">(.*?)</tr>', page, re.S)
    assert found, f"no row for {course.title}"
    return _text(found.group(1))


def _pdf_text(response) -> str:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.get_data()[:4] == b"%PDF"
    reader = PdfReader(io.BytesIO(response.get_data()))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def _url(person, pdf=False) -> str:
    return f"/reports/people/{person.id}/transcript" + (".pdf" if pdf else "")


def test_hr_page_lists_each_course_as_planted(client, auth, plant):
    auth.login(plant.hr_bn)
    response = client.get(_url(plant.person))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    head = _text(page.split('id="transcript-courses"')[0])
    assert NAME in head and "CB-DUONG" in head and "Chuyên viên chính" in head
    assert "BN-1" in head and "Thành phố › Phường Bến Nghé › Chi bộ 1" in head

    done = _row(page, plant.done)
    assert "Tự nguyện" in done and "Hoàn thành" in done and "100%" in done
    assert "Trung bình: 90%" in done and "Mô-đun 1: Dữ liệu: 100%" in done
    assert "Mô-đun 2: Dữ liệu: 80%" in done
    assert _local(plant.completed_now) in done and "05/01/2025" in done
    assert "HVS-2026-000101" in done and "Đã thu hồi" not in done and done.endswith(" 6")
    assert f'href="/verify/{"a" * 40}"' in page

    old = _row(page, plant.old)
    assert "HVS-2025-000050" in old and "Đã thu hồi" in old and old.endswith(" 8")
    assert "Cấp nhầm" not in page  # the revocation reason stays internal
    assert _local(plant.completed_long_ago) in old

    late = _row(page, plant.late)
    assert "Bắt buộc" in late and "Thành phố › Phường Bến Nghé (BN)" in late
    assert "Quá hạn" in late and "10/03/2025" in late  # local date of 09/03 20:00 UTC
    assert "16%" in late  # 1 lesson of 4, no quiz passed: 1 of 6 steps
    assert "Trung bình: 50%" in late and "Mô-đun 2: Dữ liệu: —" in late and late.endswith("—")

    fresh = _row(page, plant.fresh)
    assert "Tự nguyện" in fresh and "Chưa bắt đầu" in fresh and "0%" in fresh
    assert fresh.count("—") >= 4  # no due date, no score, no completion, no certificate, no hours

    going = _row(page, plant.going)
    assert "Đang học" in going and "33%" in going and "01/07/2031" in going
    assert "Thành phố (TP)" in going and "30 ngày kể từ khi tham gia" in going

    year = utcnow().astimezone(ZONE).year
    totals = _text(page.split("<tfoot>")[1].split("</tfoot>")[0])
    assert f"năm {year}: 6 giờ" in totals and totals.endswith("14")
    history = _text(page.split('id="transcript-units"')[1])
    assert "Phường Đa Kao (DK) 01/02/2023 15/08/2024" in history
    assert "Chi bộ 1 (BN-1) 15/08/2024 nay" in history
    assert history.index("Chi bộ 1") < history.index("Phường Đa Kao")  # current first


def test_statuses_follow_the_counting_rules_at_a_moment(plant):
    before_due = PAST_DUE - timedelta(days=1)
    statuses = {c.title: c.status for c in build_transcript(plant.person, before_due).courses}
    assert statuses["An toàn thông tin"] == "in_progress"  # not yet due then
    assert statuses["Chuyển đổi số cơ bản"] == "in_progress"  # completed after that moment
    now = build_transcript(plant.person)
    assert {c.title: c.status for c in now.courses} == {
        "Chuyển đổi số cơ bản": "completed",
        "Kỹ năng số nâng cao": "completed",
        "An toàn thông tin": "overdue",
        "Dữ liệu mở": "not_started",
        "Chính quyền số": "in_progress",
    }
    assert (now.hours_total, now.hours_this_year) == (14, 6)


def test_fixed_number_of_queries_whatever_the_courses(plant, make_user):
    newcomer = make_user(full_name="Người mới", unit=plant.cell)
    db.session.add(Enrollment(user_id=newcomer.id, course_id=plant.fresh.id))
    db.session.commit()
    people = [db.session.get(User, p.id) for p in (newcomer, plant.person)]
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement.split("\n")[0][:100])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        build_transcript(people[0])
        one_course = len(statements)
        statements.clear()
        build_transcript(people[1])
        five_courses = len(statements)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    # units, enrolments, modules, lessons read, module results, certificates, unit history
    assert one_course == five_courses == 7, statements


def test_ward_hr_gets_404_outside_its_ward(client, auth, plant):
    auth.login(plant.hr_dk)  # the person was in Đa Kao once; they are in Bến Nghé now
    assert client.get(_url(plant.person)).status_code == 404
    assert client.get(_url(plant.person, pdf=True)).status_code == 404
    assert client.get("/reports/people/999999/transcript").status_code == 404
    assert NAME not in client.get(_url(plant.person)).get_data(as_text=True)


def test_a_learner_cannot_use_the_hr_address(client, auth, plant):
    auth.login(plant.other)  # a learner, same cell: HR pages answer 403 to non-HR, as all do
    assert client.get(_url(plant.person)).status_code == 403
    assert client.get(_url(plant.person, pdf=True)).status_code == 403
    auth.logout()
    auth.login(plant.person)
    assert client.get(_url(plant.person)).status_code == 403  # their own is at /me/transcript


def test_admin_sees_everyone(client, auth, plant):
    auth.login(plant.admin)
    assert NAME in client.get(_url(plant.person)).get_data(as_text=True)


def test_own_transcript_page_and_pdf(client, auth, plant):
    assert client.get("/me/transcript").status_code == 302  # sign in first
    auth.login(plant.person)
    response = client.get("/me/transcript")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert NAME in page and "HVS-2026-000101" in page and 'href="/me/transcript.pdf"' in page
    text = _pdf_text(client.get("/me/transcript.pdf"))
    assert NAME in text
    auth.logout()
    auth.login(plant.other)
    mine = client.get("/me/transcript").get_data(as_text=True)
    assert "Lê Văn Cường" in mine and NAME not in mine and "Chưa ghi danh khoá học nào." in mine


def test_pdf_holds_the_person_courses_and_hours(client, auth, plant):
    auth.login(plant.hr_bn)
    response = client.get(_url(plant.person, pdf=True))
    disposition = response.headers["Content-Disposition"]
    assert 'filename="ho-so-hoc-tap-CB-DUONG-Do-Thi-Anh-Duong-' in disposition
    text = _pdf_text(response)
    year = utcnow().astimezone(ZONE).year
    assert "Học viện Số" in text and NAME in text and "CB-DUONG" in text
    for title in ("Chuyển đổi số cơ bản", "Kỹ năng số nâng cao", "An toàn thông tin"):
        assert title in text
    assert "Dữ liệu mở" in text and "Chính quyền số" in text
    assert f"Tổng số giờ học: 14 giờ (năm {year}: 6 giờ)" in text
    assert "HVS-2026-000101" in text and "Đã thu hồi" in text and "Quá hạn" in text
    assert "10/03/2025" in text and "1 / " in text  # local due date; page numbers
    assert "Phường Đa Kao" in text


def test_deactivated_people_stay_viewable_by_hr(client, auth, plant):
    plant.person.is_active = False
    db.session.commit()
    auth.login(plant.hr_bn)
    response = client.get(_url(plant.person))
    assert response.status_code == 200
    page = _text(response.get_data(as_text=True))
    assert NAME in page and "đã ngừng hoạt động" in page and "HVS-2026-000101" in page
    assert client.get(_url(plant.person, pdf=True)).status_code == 200


def test_views_of_other_peoples_transcripts_are_audited(client, auth, plant):
    auth.login(plant.hr_bn)
    client.get(_url(plant.person))
    client.get(_url(plant.person, pdf=True))
    auth.logout()
    auth.login(plant.person)
    client.get("/me/transcript")
    client.get("/me/transcript.pdf")
    db.session.expire_all()
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("transcript.%")).order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.actor_id, e.target) for e in events] == [
        ("transcript.view", plant.hr_bn.id, f"user:{plant.person.id}"),
        ("transcript.download", plant.hr_bn.id, f"user:{plant.person.id}"),
    ]  # one's own transcript is not an access to anyone's data
    assert events[0].detail == {"employee_code": "CB-DUONG", "unit": "BN-1"}
    assert {"transcript.view", "transcript.download"} <= set(ACTION_LABELS)
    assert events[0].label == "Xem hồ sơ học tập"


def test_people_list_links_to_each_transcript(client, auth, plant):
    auth.login(plant.hr_bn)
    page = client.get("/reports/people").get_data(as_text=True)
    assert f'href="{_url(plant.person)}"' in page
