"""Reminders: the right people, the right kinds, each once; opt-out; weekly overdue; HR's digest;
mails in the reader's language."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from academy.database import db
from academy.mail import OutboxMessage
from academy.notify.models import Notification
from academy.notify.reminders import send_reminders
from tests.notify.conftest import TODAY, local_moment, notification_keys, outbox_count, outbox_keys


def expected_keys(planted, week="2030-W10"):
    e = planted.enrolment_id
    return {
        f"reminder:due7:{e('due7')}",
        f"reminder:due7:{e('due3')}",
        f"reminder:due1:{e('due1')}",
        f"reminder:overdue:{e('over1')}:0",
        f"reminder:overdue:{e('over8')}:1",
        f"reminder:overdue:{e('khac')}:0",
        f"digest:{planted.hr.id}:{week}",
    }


def mails_to(address):
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.to_address == address).order_by("id")
        )
    )


def test_exactly_the_right_reminders_each_once_across_two_runs(planted):
    first = send_reminders(planted.now)
    assert first == {"due7": 2, "due1": 1, "overdue": 3, "digest": 1}
    assert notification_keys() == expected_keys(planted)
    assert outbox_keys() == expected_keys(planted)
    for name in ("today", "done", "voluntary", "cancelled", "gone", "due8"):
        assert mails_to(f"{name}@hvs.gov.vn") == [], name

    second = send_reminders(planted.now + timedelta(hours=3))
    assert second == {"due7": 0, "due1": 0, "overdue": 0, "digest": 0}
    assert outbox_count() == len(expected_keys(planted))


def test_reminder_mail_names_course_due_date_and_links_to_it(planted):
    send_reminders(planted.now)
    [mail] = mails_to("due3@hvs.gov.vn")
    assert mail.locale == "vi" and mail.kind == "reminder.due7"
    assert "còn 3 ngày" in mail.subject and "Chuyển đổi số" in mail.subject
    assert "07/03/2030" in mail.text_body
    assert "http://localhost/courses/chuyen-doi-so" in mail.text_body
    assert 'href="http://localhost/courses/chuyen-doi-so"' in mail.html_body
    assert "http://localhost/account/notifications" in mail.text_body  # where to turn them off
    [tomorrow] = mails_to("due1@hvs.gov.vn")
    assert "ngày mai" in tomorrow.subject
    [overdue] = mails_to("over8@hvs.gov.vn")
    assert overdue.subject.startswith("Quá hạn")
    assert "quá hạn 8 ngày" in overdue.text_body and "mỗi tuần" in overdue.text_body


def test_opting_out_stops_the_optional_mails_but_not_overdue(planted):
    for name in ("due7", "due1", "over1"):
        planted.people[name].wants_reminders = False
    planted.hr.wants_reminders = False
    db.session.commit()
    send_reminders(planted.now)
    assert mails_to("due7@hvs.gov.vn") == []
    assert mails_to("due1@hvs.gov.vn") == []
    assert mails_to(planted.hr.email) == []
    assert [m.kind for m in mails_to("over1@hvs.gov.vn")] == ["reminder.overdue"]
    assert len(mails_to("due3@hvs.gov.vn")) == 1  # who did not opt out still gets theirs
    # the bell still shows the optional ones
    assert notification_keys() == expected_keys(planted)


def test_overdue_notice_repeats_weekly_while_open(planted):
    e = planted.enrolment_id
    send_reminders(planted.now)
    for days in range(1, 7):  # the rest of the week: nothing new for the overdue ones
        send_reminders(planted.now + timedelta(days=days))
    over1 = [m.dedupe_key for m in mails_to("over1@hvs.gov.vn")]
    assert over1 == [f"reminder:overdue:{e('over1')}:0"]
    planted.enrolments["over8"].completed_at = planted.now + timedelta(days=2)
    db.session.commit()
    send_reminders(planted.now + timedelta(days=7))
    over1 = [m.dedupe_key for m in mails_to("over1@hvs.gov.vn")]
    assert over1 == [f"reminder:overdue:{e('over1')}:0", f"reminder:overdue:{e('over1')}:1"]
    assert len(mails_to("over8@hvs.gov.vn")) == 1  # completed in between: no more notices
    # due on Thursday: "in 3 days" on Monday, "tomorrow" on Wednesday, overdue from Friday
    due3 = [m.kind for m in mails_to("due3@hvs.gov.vn")]
    assert due3 == ["reminder.due7", "reminder.due1", "reminder.overdue"]


def test_due_in_seven_days_goes_once_not_again_each_day(planted):
    send_reminders(planted.now)
    send_reminders(planted.now + timedelta(days=1))  # due7's date is now 6 days away
    assert [m.kind for m in mails_to("due7@hvs.gov.vn")] == ["reminder.due7"]
    send_reminders(planted.now + timedelta(days=6))  # and now tomorrow
    assert [m.kind for m in mails_to("due7@hvs.gov.vn")] == ["reminder.due7", "reminder.due1"]


def test_hr_digest_lists_their_units_overdue_people_only(planted):
    send_reminders(planted.now)
    [digest] = mails_to(planted.hr.email)
    assert digest.kind == "reminder.digest"
    assert "2 người" in digest.subject
    text = digest.text_body
    assert "Cán bộ over8" in text and "Cán bộ over1" in text
    assert text.index("Cán bộ over8") < text.index("Cán bộ over1")  # longest overdue first
    assert "BN-1 (Phường Bến Nghé › Chi bộ 1)" in text
    assert "Cán bộ khac" not in text  # Đa Kao is not theirs
    assert "Cán bộ due1" not in text
    assert "http://localhost/reports/warnings?band=overdue" in text
    # once per ISO week: Tuesday brings nothing, next Monday a new one
    send_reminders(local_moment(TODAY + timedelta(days=1)))
    assert len(mails_to(planted.hr.email)) == 1
    send_reminders(local_moment(TODAY + timedelta(days=7)))
    assert [m.dedupe_key for m in mails_to(planted.hr.email)] == [
        f"digest:{planted.hr.id}:2030-W10",
        f"digest:{planted.hr.id}:2030-W11",
    ]


def test_digest_lists_at_most_fifty_and_counts_the_rest(planted, make_user, monkeypatch):
    monkeypatch.setattr("academy.notify.digest.DIGEST_ROWS", 1)
    send_reminders(planted.now)
    [digest] = mails_to(planted.hr.email)
    assert "Số người quá hạn: 2" in digest.text_body
    assert "và 1 khoá học quá hạn khác" in digest.text_body
    assert "Cán bộ over1" not in digest.text_body


def test_mails_and_notifications_in_english_for_an_english_reader(planted):
    for name in ("due3", "over8"):
        planted.people[name].locale = "en"
    planted.hr.locale = "en"
    db.session.commit()
    send_reminders(planted.now)
    [soon] = mails_to("due3@hvs.gov.vn")
    assert soon.locale == "en"
    assert "3 days" in soon.subject and "Chuyển đổi số" in soon.subject
    assert "is due by the end of 07/03/2030, 3 days from now" in soon.text_body
    [overdue] = mails_to("over8@hvs.gov.vn")
    assert "overdue" in overdue.subject.lower()
    [digest] = mails_to(planted.hr.email)
    assert "overdue" in digest.subject.lower()
    note = db.session.scalar(
        select(Notification).where(Notification.user_id == planted.people["due3"].id)
    )
    assert "3 days" in note.title


def test_an_admin_with_the_hr_role_gets_the_whole_city_and_a_plain_admin_none(planted, make_user):
    city_hr = make_user(roles=("hr", "admin"), email="city.hr@hvs.gov.vn")
    make_user(roles=("admin",), email="admin@hvs.gov.vn")
    make_user(roles=("hr",), email="hr.no.unit@hvs.gov.vn")  # HR without a unit: nobody
    send_reminders(planted.now)
    [digest] = mails_to("city.hr@hvs.gov.vn")
    assert "3 người" in digest.subject and "Cán bộ khac" in digest.text_body
    assert mails_to("admin@hvs.gov.vn") == mails_to("hr.no.unit@hvs.gov.vn") == []
    assert city_hr.wants_reminders
