"""In-person sessions: creating one (and its validation), who is invited and who sees it, answering
within the capacity (also when two answers arrive at once), and each person's calendar feed."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from academy.core.audit import AuditEvent
from academy.database import db, utcnow
from academy.i18n import academy_zone
from academy.notify.models import Notification
from academy.training import calendar
from academy.training.models import SessionResponse, TrainingSession
from academy.training.sessions import invited_user_ids, is_invited
from tests.conftest import PASSWORD


def local(moment) -> str:
    """A UTC time as a datetime-local input sends it."""
    return moment.astimezone(academy_zone()).strftime("%Y-%m-%dT%H:%M")


def session_form(**overrides) -> dict:
    start = utcnow() + timedelta(days=3)
    form = {
        "title": "Tập huấn chuyển đổi số; dữ liệu, AI",
        "topic": "Dữ liệu mở\nvà quản trị",
        "place": "Hội trường A, 59 Lý Tự Trọng",
        "starts_at": local(start),
        "ends_at": local(start + timedelta(hours=3)),
        "hours": "3,0",
        "capacity": "",
        "people": "",
        "course": "",
    }
    form.update(overrides)
    return form


@pytest.fixture
def city(make_unit, make_user):
    """A city with ward A (and a cell under it) and ward B; HR of the city; people in each."""
    top = make_unit("Thành phố", kind="city")
    ward_a = make_unit("Phường A", parent=top, kind="ward")
    cell = make_unit("Chi bộ 1", parent=ward_a, kind="cell")
    ward_b = make_unit("Phường B", parent=top, kind="ward")
    return {
        "top": top,
        "ward_a": ward_a,
        "ward_b": ward_b,
        "hr": make_user(roles=("hr",), unit=top, full_name="Tổ Chức Thành Phố"),
        "hr_b": make_user(roles=("hr",), unit=ward_b, full_name="Tổ Chức Phường B"),
        "in_cell": make_user(unit=cell, full_name="Người Trong Chi Bộ"),
        "in_b": make_user(unit=ward_b, full_name="Người Phường B"),
        "named": make_user(unit=ward_b, full_name="Người Được Mời Riêng"),
        "other": make_user(unit=ward_b, full_name="Người Ngoài"),
        "asleep": make_user(unit=cell, full_name="Người Nghỉ"),
    }


def login_client(app, user):
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def create(client, **overrides) -> TrainingSession:
    response = client.post("/sessions/new", data=session_form(**overrides))
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalars(select(TrainingSession).order_by(TrainingSession.id.desc())).first()


@pytest.fixture
def invited_session(app, city):
    """A session of the city's HR for ward A's subtree and one person of ward B by code."""
    city["asleep"].is_active = False
    db.session.commit()
    hr = login_client(app, city["hr"])
    session = create(hr, units=[city["ward_a"].id], people=city["named"].employee_code)
    return session, hr


def test_create_refuses_an_end_before_the_start_and_a_start_in_the_past(app, city):
    hr = login_client(app, city["hr"])
    start = utcnow() + timedelta(days=2)
    backwards = session_form(
        units=[city["ward_a"].id], starts_at=local(start), ends_at=local(start - timedelta(hours=1))
    )
    page = hr.post("/sessions/new", data=backwards)
    assert page.status_code == 400
    assert "Giờ kết thúc phải sau giờ bắt đầu." in page.get_data(as_text=True)
    past = utcnow() - timedelta(days=1)
    page = hr.post(
        "/sessions/new",
        data=session_form(
            units=[city["ward_a"].id],
            starts_at=local(past),
            ends_at=local(past + timedelta(hours=2)),
        ),
    )
    assert page.status_code == 400
    assert "Giờ bắt đầu đã qua" in page.get_data(as_text=True)
    nobody = hr.post("/sessions/new", data=session_form())
    assert nobody.status_code == 400
    assert "Hãy mời ít nhất một đơn vị hoặc một người." in nobody.get_data(as_text=True)
    unknown = hr.post("/sessions/new", data=session_form(people="khong-co@hvs.gov.vn"))
    assert "Không tìm thấy người được mời: khong-co@hvs.gov.vn" in unknown.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(TrainingSession)) == 0


def test_learners_cannot_create_and_ward_hr_invites_only_its_units(app, city, make_user):
    learner = login_client(app, city["in_cell"])
    assert learner.get("/sessions/new").status_code == 403
    ward_hr = login_client(app, city["hr_b"])
    page = ward_hr.post("/sessions/new", data=session_form(units=[city["ward_a"].id]))
    assert page.status_code == 400  # ward A is not among ward B's HR choices
    page = ward_hr.post("/sessions/new", data=session_form(people=city["in_cell"].email))
    assert "Không tìm thấy người được mời" in page.get_data(as_text=True)


def test_invitees_by_unit_subtree_and_by_person_see_it_others_get_404(app, city, invited_session):
    session, _hr = invited_session
    assert len(session.secret) == 64
    ids = set(db.session.scalars(invited_user_ids(session)))
    assert ids == {city["in_cell"].id, city["named"].id}  # not the inactive one, nor ward B
    assert is_invited(session, city["in_cell"]) and not is_invited(session, city["other"])
    for person in ("in_cell", "named"):
        client = login_client(app, city[person])
        home = client.get("/").get_data(as_text=True)
        assert "Buổi học trực tiếp sắp tới" in home and "Hội trường A" in home
        assert client.get(f"/sessions/{session.id}").status_code == 200
        assert session.title in client.get("/sessions").get_data(as_text=True)
    outsider = login_client(app, city["other"])
    assert "Hội trường A" not in outsider.get("/").get_data(as_text=True)
    assert outsider.get(f"/sessions/{session.id}").status_code == 404
    assert (
        outsider.post(f"/sessions/{session.id}/answer", data={"register": "1"}).status_code == 404
    )
    # HR of ward B sees it (a person of ward B is invited) but may not change it
    ward_hr = login_client(app, city["hr_b"])
    assert ward_hr.get(f"/sessions/{session.id}").status_code == 200
    assert ward_hr.get(f"/sessions/{session.id}/edit").status_code == 404
    notified = db.session.scalars(
        select(Notification.user_id).where(Notification.kind == "session.invited")
    )
    assert set(notified) == ids


def test_register_decline_and_change_until_the_start(app, city, invited_session):
    session, _hr = invited_session
    client = login_client(app, city["in_cell"])
    url = f"/sessions/{session.id}/answer"
    assert client.post(url, data={"register": "1"}).status_code == 302
    assert client.post(url, data={"register": "1"}).status_code == 302  # a double click: one row
    rows = db.session.scalars(
        select(SessionResponse).where(SessionResponse.session_id == session.id)
    )
    assert [r.status for r in rows] == ["registered"]
    client.post(url, data={"decline": "1"})
    db.session.expire_all()
    assert db.session.scalar(select(SessionResponse.status)) == "declined"
    home = client.get("/").get_data(as_text=True)
    assert "Hội trường A" not in home  # declined: no longer among the coming ones
    db.session.get(TrainingSession, session.id).starts_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    page = client.post(url, data={"register": "1"}, follow_redirects=True)
    assert "Buổi học đã bắt đầu" in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(SessionResponse.status)) == "declined"


def test_a_full_session_refuses_and_two_answers_at_once_take_one_seat(app, city, make_user):
    hr = login_client(app, city["hr"])
    session = create(hr, units=[city["ward_b"].id], capacity="1")
    people = [city["in_b"], city["named"], city["other"]]
    clients = [login_client(app, person) for person in people]
    url = f"/sessions/{session.id}/answer"
    barrier = threading.Barrier(2)
    statuses = []

    def answer(client):
        with app.app_context():
            barrier.wait()
            statuses.append(client.post(url, data={"register": "1"}).status_code)
            db.session.remove()

    threads = [threading.Thread(target=answer, args=(client,)) for client in clients[:2]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [302, 302]
    db.session.expire_all()
    registered = select(func.count()).where(SessionResponse.status == "registered")
    assert db.session.scalar(registered) == 1
    page = clients[2].post(url, data={"register": "1"}, follow_redirects=True)
    assert "Buổi học đã đủ 1 người đăng ký" in page.get_data(as_text=True)
    assert db.session.scalar(registered) == 1


def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def test_the_calendar_feed_lists_exactly_the_persons_sessions(app, city, invited_session):
    session, hr = invited_session
    other = create(hr, title="Hội nghị phường B " + "rất dài " * 12, units=[city["ward_b"].id])
    declined = create(hr, title="Buổi đã từ chối", units=[city["ward_a"].id])
    person = login_client(app, city["in_cell"])
    person.post(f"/sessions/{declined.id}/answer", data={"decline": "1"})
    page = person.get("/sessions").get_data(as_text=True)
    token = calendar.feed_token(city["in_cell"])
    assert f"/calendar/{token}.ics" in page and "Thêm vào lịch (iCal)" in page
    anonymous = app.test_client()
    feed = anonymous.get(f"/calendar/{token}.ics")
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    raw = feed.get_data()
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    lines = unfold(raw.decode("utf-8"))
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR" and lines[-1] == ""
    assert lines.count("BEGIN:VEVENT") == 1  # not ward B's session, not the declined one
    assert "SUMMARY:Tập huấn chuyển đổi số\\; dữ liệu\\, AI" in lines
    assert "LOCATION:Hội trường A\\, 59 Lý Tự Trọng" in lines
    assert f"UID:training-session-{session.id}@localhost" in lines
    start = session.starts_at.strftime("%Y%m%dT%H%M%SZ")
    assert f"DTSTART:{start}" in lines and "STATUS:CONFIRMED" in lines
    assert any(line.startswith("DESCRIPTION:Dữ liệu mở\\nvà quản trị") for line in lines)
    long_feed = anonymous.get(f"/calendar/{calendar.feed_token(city['in_b'])}.ics").get_data()
    assert b"\r\n " in long_feed  # the long title was folded
    assert ("rất dài " * 12).strip() in long_feed.decode().replace("\r\n ", "")
    assert other.id and anonymous.get(f"/calendar/{token}x.ics").status_code == 404
    assert anonymous.get("/calendar/1.ics").status_code == 404


def test_cancel_asks_first_then_the_feed_shows_it_cancelled(app, city, invited_session):
    session, hr = invited_session
    assert hr.get(f"/sessions/{session.id}/cancel").status_code == 200
    assert db.session.get(TrainingSession, session.id).cancelled_at is None
    learner = login_client(app, city["in_cell"])
    assert learner.post(f"/sessions/{session.id}/cancel").status_code == 404
    assert hr.post(f"/sessions/{session.id}/cancel").status_code == 400  # no button: nothing
    assert db.session.get(TrainingSession, session.id).cancelled_at is None
    assert hr.post(f"/sessions/{session.id}/cancel", data={"confirm": "1"}).status_code == 302
    assert hr.post(f"/sessions/{session.id}/cancel", data={"confirm": "1"}).status_code == 302
    token = calendar.feed_token(city["in_cell"])
    lines = unfold(app.test_client().get(f"/calendar/{token}.ics").get_data(as_text=True))
    assert "STATUS:CANCELLED" in lines
    page = learner.post(
        f"/sessions/{session.id}/answer", data={"register": "1"}, follow_redirects=True
    )
    assert "Buổi học này đã bị huỷ." in page.get_data(as_text=True)
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id))
    assert [a for a in actions if a.startswith("session.")] == ["session.create", "session.cancel"]
    cancelled = select(func.count()).where(Notification.kind == "session.cancelled")
    assert db.session.scalar(cancelled) == 2


def test_edit_keeps_a_passed_start_and_refuses_capacity_below_registrations(
    app, city, invited_session
):
    session, hr = invited_session
    for person in ("in_cell", "named"):
        login_client(app, city[person]).post(
            f"/sessions/{session.id}/answer", data={"register": "1"}
        )
    edit = f"/sessions/{session.id}/edit"
    assert "Hội trường A" in hr.get(edit).get_data(as_text=True)
    base = {
        "starts_at": local(session.starts_at),
        "ends_at": local(session.ends_at),
        "units": [city["ward_a"].id],
        "people": city["named"].employee_code,
    }
    page = hr.post(edit, data=session_form(**base, capacity="1"))
    assert page.status_code == 400 and "Đã có 2 người đăng ký" in page.get_data(as_text=True)
    assert hr.post(edit, data=session_form(**base, place="Phòng 204")).status_code == 302
    db.session.expire_all()
    assert db.session.get(TrainingSession, session.id).place == "Phòng 204"
    update = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "session.update"))
    assert update.detail["after"] == {"place": "Phòng 204"}
