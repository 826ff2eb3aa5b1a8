"""A new mandatory course and a certificate issued reach the bell and the inbox, once."""

from __future__ import annotations

from sqlalchemy import func, select

from academy.certificates.services import issue_certificate
from academy.database import db
from academy.learning.models import Assignment, Enrollment
from academy.mail import OutboxMessage
from academy.notify.models import Notification
from academy.reports.assignments import cancel_assignment


def _assign(client, unit, course, due="2030-06-30"):
    return client.post(
        "/reports/assignments",
        data={"unit": unit.id, "course": course.id, "due_date": due, "confirm": "Xác nhận giao"},
    )


def _notifications(user, kind):
    return list(
        db.session.scalars(
            select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
        )
    )


def _mails(user, kind):
    return list(
        db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.user_id == user.id, OutboxMessage.kind == kind
            )
        )
    )


def test_new_mandatory_course_notifies_everyone_it_binds(
    client, auth, make_unit, make_user, make_course
):
    ward = make_unit("Phường Bến Nghé", code="BN")
    cell = make_unit("Chi bộ 1", parent=ward, code="BN-1")
    elsewhere = make_unit("Phường Đa Kao", code="DK")
    course = make_course(title="Chuyển đổi số", slug="chuyen-doi-so")
    hang, minh = make_user(unit=ward), make_user(unit=cell, email="minh@hvs.gov.vn")
    minh.locale = "en"
    gone, other = make_user(unit=ward), make_user(unit=elsewhere)
    gone.is_active = False
    db.session.commit()
    auth.login(make_user(roles=("hr",), unit=ward))

    assert _assign(client, ward, course).status_code == 302

    [note] = _notifications(hang, "assignment")
    assert note.title == "Khoá học bắt buộc mới: “Chuyển đổi số”"
    assert note.body == "Hạn hoàn thành: hết ngày 30/06/2030."
    assert note.link == "/courses/chuyen-doi-so"
    [english] = _notifications(minh, "assignment")
    assert english.title == "New mandatory course: “Chuyển đổi số”"
    assert _notifications(gone, "assignment") == _notifications(other, "assignment") == []
    [mail] = _mails(hang, "assignment.created")  # queued by the background job after the commit
    assert "Chuyển đổi số" in mail.subject and "30/06/2030" in mail.text_body
    assert "http://localhost/courses/chuyen-doi-so" in mail.text_body
    [mail_en] = _mails(minh, "assignment.created")
    assert mail_en.locale == "en" and "New mandatory course" in mail_en.subject
    assert _mails(gone, "assignment.created") == _mails(other, "assignment.created") == []
    # the HR person sees the new course too if it binds them (they are in the ward)
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 3


def test_same_assignment_again_does_not_notify_twice_but_a_revived_one_does(
    client, auth, make_unit, make_user, make_course
):
    ward = make_unit(code="BN")
    course = make_course()
    hang = make_user(unit=ward)
    auth.login(make_user(roles=("hr",), unit=ward))
    _assign(client, ward, course)
    _assign(client, ward, course)  # the same again: unchanged, no new notice
    assert len(_notifications(hang, "assignment")) == 1
    assignment = db.session.scalar(select(Assignment))
    cancel_assignment(assignment)
    db.session.commit()
    _assign(client, ward, course, due="2030-07-31")
    notes = _notifications(hang, "assignment")
    assert len(notes) == 2 and len(_mails(hang, "assignment.created")) == 2
    assert {note.body for note in notes} == {
        "Hạn hoàn thành: hết ngày 30/06/2030.",
        "Hạn hoàn thành: hết ngày 31/07/2030.",
    }


def test_certificate_issued_appears_in_the_bell_and_the_inbox(client, auth, make_user, make_course):
    course = make_course(title="Lý luận chính trị")
    learner = make_user(email="hang@hvs.gov.vn")
    db.session.add(Enrollment(user_id=learner.id, course_id=course.id))
    certificate = issue_certificate(learner, course)
    db.session.commit()
    issue_certificate(learner, course)  # the same certificate: no second notice
    db.session.commit()

    [note] = _notifications(learner, "certificate")
    assert note.title == "Bạn được cấp giấy chứng nhận khoá học “Lý luận chính trị”"
    assert certificate.serial in note.body
    [mail] = _mails(learner, "certificate.issued")
    assert "Lý luận chính trị" in mail.subject
    assert certificate.serial in mail.text_body
    assert "http://localhost/me/certificates" in mail.text_body
    auth.login(learner)
    home = client.get("/").get_data(as_text=True)
    assert "1 thông báo chưa đọc" in home
    assert "Bạn được cấp giấy chứng nhận khoá học “Lý luận chính trị”" in home
