"""The bell: unread count and latest eight on every page (one query), /notifications, following
one marks it read, mark all read (POST + CSRF), nobody sees another's, the preferences page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from academy.database import db, utcnow
from academy.notify.models import Notification
from tests.conftest import csrf_token_from


def _notify(user, count, *, link="/courses/chuyen-doi-so", start=0):
    now = utcnow()
    notes = [
        Notification(
            user_id=user.id,
            kind="reminder.due7",
            title=f"Thông báo số {n}",
            body="Hạn hoàn thành: hết ngày 30/06/2030.",
            link=link,
            dedupe_key=f"test:{user.id}:{n}",
            created_at=now - timedelta(minutes=100 - n),
        )
        for n in range(start, start + count)
    ]
    db.session.add_all(notes)
    db.session.commit()
    return notes


@pytest.fixture
def learner(make_user):
    return make_user(email="hang@hvs.gov.vn")


def _bell_html(page: str) -> str:
    start = page.index('id="bell-menu"')
    return page[start : page.index("</div>", page.index('aria-labelledby="bell-menu"'))]


def test_bell_shows_unread_count_and_latest_eight(client, auth, learner):
    _notify(learner, 10)
    notes = db.session.scalars(select(Notification).order_by(Notification.id)).all()
    for note in notes[:7]:
        note.read_at = utcnow()
    db.session.commit()
    auth.login(learner)
    bell = _bell_html(client.get("/").get_data(as_text=True))
    assert 'aria-label="3 thông báo chưa đọc"' in bell
    assert re.search(r'badge[^>]*aria-hidden="true">3<', bell)
    assert 'href="/notifications"' in bell  # without JavaScript the bell opens the list
    titles = re.findall(r"Thông báo số (\d+)", bell)
    assert titles == [str(n) for n in range(9, 1, -1)]  # the newest eight, newest first
    assert "Xem tất cả" in bell


def test_no_unread_no_badge(client, auth, learner):
    auth.login(learner)
    bell = _bell_html(client.get("/").get_data(as_text=True))
    assert 'aria-label="Thông báo, không có thông báo chưa đọc"' in bell
    assert "badge" not in bell and "Chưa có thông báo." in bell


def test_the_bell_costs_one_query_a_page(app, client, auth, learner):
    _notify(learner, 3)
    auth.login(learner)
    statements = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        assert client.get("/me/certificates").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    bell_queries = [
        s for s in statements if "notifications" in s and not s.startswith("SELECT users.id")
    ]
    assert len(bell_queries) == 1, bell_queries  # the count and the latest eight together


def test_a_kept_page_reads_the_bell_with_the_user(app, client, auth, learner):
    """On a kept page (the path) the bell costs no statement of its own once its HTML is kept;
    a new notification still shows on the next view."""
    _notify(learner, 3)
    auth.login(learner)
    client.get("/me/path")
    statements = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        page = client.get("/me/path").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert not [s for s in statements if s.lstrip().startswith("SELECT notifications")]
    assert re.search(r'badge[^>]*aria-hidden="true">3<', _bell_html(page))
    _notify(learner, 1, start=50)
    bell = _bell_html(client.get("/me/path").get_data(as_text=True))
    assert re.search(r'badge[^>]*aria-hidden="true">4<', bell)
    assert "Thông báo số 50" in bell


def test_notifications_page_paginates_and_following_one_marks_it_read(client, auth, learner):
    notes = _notify(learner, 25)
    auth.login(learner)
    first = client.get("/notifications").get_data(as_text=True)
    assert first.count('href="/notifications/') >= 20
    assert "Thông báo số 24" in first and "Thông báo số 4" not in first.split("</header>")[1]
    second = client.get("/notifications?page=2").get_data(as_text=True)
    assert "Thông báo số 4" in second and "Thông báo số 0" in second

    response = client.get(f"/notifications/{notes[0].id}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/courses/chuyen-doi-so"
    db.session.expire_all()
    assert db.session.get(Notification, notes[0].id).read_at is not None
    assert 'aria-label="24 thông báo chưa đọc"' in client.get("/").get_data(as_text=True)


def test_a_link_leaving_the_site_is_not_followed(client, auth, learner):
    [note] = _notify(learner, 1, link="https://evil.example/x")
    auth.login(learner)
    response = client.get(f"/notifications/{note.id}")
    assert response.headers["Location"] == "/notifications"


def test_mark_all_read_is_a_post_with_csrf(csrf_app, client, auth, learner):
    _notify(learner, 3)
    login_page = client.get("/login").get_data(as_text=True)
    client.post(
        "/login",
        data={
            "email": learner.email,
            "password": "mat-khau-thu-nghiem-1",
            "csrf_token": csrf_token_from(login_page),
        },
    )
    page = client.get("/notifications").get_data(as_text=True)
    assert "Đánh dấu đã đọc tất cả" in page
    assert client.post("/notifications/read-all").status_code == 400  # no token: refused
    assert client.get("/notifications/read-all").status_code == 405
    response = client.post("/notifications/read-all", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 302
    after = client.get("/notifications").get_data(as_text=True)
    assert "Đã đánh dấu đã đọc tất cả thông báo." in after
    assert "Đánh dấu đã đọc tất cả" not in after.replace("Đã đánh dấu đã đọc tất cả", "")
    unread = db.session.scalars(select(Notification).where(Notification.read_at.is_(None)))
    assert list(unread) == []


def test_nobody_sees_anothers_notifications(client, auth, learner, make_user):
    [note] = _notify(learner, 1)
    for intruder in (make_user(), make_user(roles=("admin",))):
        auth.login(intruder)
        assert client.get(f"/notifications/{note.id}").status_code == 404
        assert "Thông báo số 0" not in client.get("/notifications").get_data(as_text=True)
        auth.logout()
    db.session.expire_all()
    assert db.session.get(Notification, note.id).read_at is None


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get("/notifications").status_code == 302
    assert "/login" in client.get("/notifications").headers["Location"]
    assert "/login" in client.get("/account/notifications").headers["Location"]


def test_preferences_turn_optional_reminders_off_and_choose_the_language(client, auth, learner):
    auth.login(learner)
    home = client.get("/").get_data(as_text=True)
    assert 'href="/account/notifications"' in home  # in the account menu
    page = client.get("/account/notifications").get_data(as_text=True)
    assert re.search(r'name="wants_reminders"[^>]*checked|checked[^>]*name="wants_reminders"', page)
    response = client.post("/account/notifications", data={"locale": "en"})
    assert response.status_code == 302
    db.session.expire_all()
    assert learner.wants_reminders is False and learner.locale == "en"
    page = client.get("/account/notifications").get_data(as_text=True)
    assert "Notification preferences" in page or "Tuỳ chọn thông báo" in page
    client.post("/account/notifications", data={"wants_reminders": "y", "locale": "vi"})
    db.session.expire_all()
    assert learner.wants_reminders is True and learner.locale == "vi"


def test_preferences_refuse_an_unknown_language(client, auth, learner):
    auth.login(learner)
    response = client.post("/account/notifications", data={"locale": "xx"})
    assert response.status_code == 400
    db.session.expire_all()
    assert learner.locale == "vi" and learner.wants_reminders is True
