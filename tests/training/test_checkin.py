"""QR attendance: rotating codes a photo cannot reuse, checking in once as a signed-in invitee,
late arrivals, checking in by hand (audited), signing out, the projector's live count and the
attendance rate targets are judged by."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from flask_babel import format_datetime
from sqlalchemy import func, select

from academy.auth.models import User
from academy.core.audit import AuditEvent
from academy.database import db, utcnow
from academy.training import checkin
from academy.training.models import Attendance, SessionInvite, TrainingSession


@pytest.fixture(autouse=True)
def _many_sign_ins(app):
    app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"  # the tests sign several people in


@pytest.fixture
def organiser(make_user):
    return make_user(full_name="Lê Tổ Chức", roles=("instructor",))


@pytest.fixture
def make_session(app, organiser):
    def make(start_in=timedelta(minutes=5), length=timedelta(hours=2), invite=(), units=(), **kw):
        starts = utcnow() + start_in
        session = TrainingSession(
            title=kw.pop("title", "Chuyển đổi số trong cơ quan nhà nước"),
            place="Hội trường A",
            starts_at=starts,
            ends_at=starts + length,
            hours=kw.pop("hours", 3),
            secret=secrets.token_hex(32),
            organiser_id=kw.pop("organiser_id", organiser.id),
            **kw,
        )
        db.session.add(session)
        db.session.flush()
        db.session.add_all(SessionInvite(session_id=session.id, user_id=u.id) for u in invite)
        db.session.add_all(SessionInvite(session_id=session.id, unit_id=u.id) for u in units)
        db.session.commit()
        return session

    return make


def _path(session, direction="in", window=None):
    window = checkin.current_window() if window is None else window
    return f"/attend/{session.id}/{direction}/{checkin.window_token(session, window, direction)}"


def _rows(session) -> int:
    return db.session.scalar(
        select(func.count(Attendance.id)).where(Attendance.session_id == session.id)
    )


# ---- codes ------------------------------------------------------------------------------------


def test_a_code_works_in_its_window_and_the_next_then_stops(app, make_session):
    session = make_session()
    window = 60_000_000
    token = checkin.window_token(session, window)
    start = window * 30
    assert checkin.token_is_valid(session, "in", token, at=start + 1)
    assert checkin.token_is_valid(session, "in", token, at=start + 59)  # the previous window
    assert not checkin.token_is_valid(session, "in", token, at=start + 61)  # the photo is stale
    assert not checkin.token_is_valid(session, "in", token, at=start - 1)  # not yet shown


def test_a_code_is_bound_to_its_session_its_direction_and_its_secret(app, make_session):
    one, other = make_session(), make_session()
    window = checkin.current_window()
    token = checkin.window_token(one, window)
    assert checkin.token_is_valid(one, "in", token)
    assert not checkin.token_is_valid(other, "in", token)
    assert not checkin.token_is_valid(one, "out", token)
    assert not checkin.token_is_valid(one, "in", f"{window}-AAAAAAAAAA")
    for junk in ("", "-", "abc", f"{window}", "9" * 40 + "-x", f"-{window}-x"):
        assert not checkin.token_is_valid(one, "in", junk)
    url = checkin.attend_url(one, window=window)
    assert url == f"http://localhost/attend/{one.id}/in/{token}"


def test_the_current_and_previous_codes_check_in_a_photographed_older_one_is_refused(
    client, auth, make_user, make_session
):
    late_comer, friend, absent = make_user(), make_user(), make_user()
    session = make_session(invite=[late_comer, friend, absent])
    now = checkin.current_window()
    auth.login(absent)
    photo = _path(session, window=now - 2)  # taken a minute ago
    page = client.get(photo)
    assert page.status_code == 410
    assert "Mã đã hết hạn, hãy quét mã đang hiển thị" in page.get_data(as_text=True)
    assert "Điểm danh</button>" not in page.get_data(as_text=True).replace("\n", "")
    assert client.post(photo).status_code == 410
    assert _rows(session) == 0
    auth.logout()
    for person, age in ((late_comer, 0), (friend, 1)):  # the code on screen, the one before
        auth.login(person)
        path = _path(session, window=checkin.current_window() - age)
        assert client.post(path).status_code == 302
        auth.logout()
    assert _rows(session) == 2


def test_a_slow_phone_gets_grace_a_photo_posted_straight_does_not(
    client, auth, make_user, make_session, monkeypatch
):
    slow, photo_taker = make_user(), make_user()
    session = make_session(invite=[slow, photo_taker])
    window = checkin.current_window()
    now = [window * 30 + 25]  # 25 s into a window; the code shown is the previous one
    monkeypatch.setattr(checkin, "clock", lambda: now[0])
    path = _path(session, window=window - 1)
    auth.login(slow)
    assert client.get(path).status_code == 200  # the page opens while the code is valid
    now[0] += 10  # the next window: the code itself has expired...
    assert client.get(path).status_code == 410
    assert client.post(path).status_code == 302  # ...but the button pressed in time counts
    assert _rows(session) == 1
    auth.logout()
    auth.login(photo_taker)
    assert client.post(path).status_code == 410  # never opened in time: no grace
    assert _rows(session) == 1


def test_the_grace_lasts_thirty_seconds_from_the_page(
    client, auth, make_user, make_session, monkeypatch
):
    learner = make_user()
    session = make_session(invite=[learner])
    window = checkin.current_window()
    now = [window * 30 + 25]
    monkeypatch.setattr(checkin, "clock", lambda: now[0])
    path = _path(session, window=window - 1)
    auth.login(learner)
    assert client.get(path).status_code == 200
    now[0] += 31  # the page opened 31 s ago and its code is gone
    assert client.post(path).status_code == 410
    assert _rows(session) == 0


# ---- the attendee -----------------------------------------------------------------------------


def test_checking_in_needs_a_signed_in_invitee_and_returns_there_after_sign_in(
    client, auth, make_user, make_session
):
    learner = make_user()
    session = make_session(invite=[learner])
    path = _path(session)
    answer = client.get(path)
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    assert client.post(path).status_code == 302 and _rows(session) == 0
    signed_in = client.post(
        "/login?next=" + path, data={"email": learner.email, "password": "mat-khau-thu-nghiem-1"}
    )
    assert signed_in.headers["Location"].endswith(path)
    page = client.get(path).get_data(as_text=True)
    assert "Chuyển đổi số trong cơ quan nhà nước" in page and "Điểm danh" in page


def test_one_check_in_however_often_it_is_sent(client, auth, make_user, make_session):
    learner = make_user()
    session = make_session(invite=[learner])
    auth.login(learner)
    path = _path(session)
    assert client.post(path).status_code == 302
    assert client.post(path).status_code == 302
    assert _rows(session) == 1
    row = db.session.scalar(select(Attendance).where(Attendance.session_id == session.id))
    assert row.method == "qr" and row.late is False and row.user_id == learner.id
    page = client.get(path).get_data(as_text=True)
    local = checkin_time(app=client.application, at=row.checked_in_at)
    assert f"Bạn đã điểm danh lúc {local}" in page
    assert "muộn" not in page


def checkin_time(app, at):
    with app.test_request_context():
        return format_datetime(at, "HH:mm")


def test_someone_not_invited_is_refused_clearly(client, auth, make_user, make_session):
    invited, stranger = make_user(), make_user()
    session = make_session(invite=[invited])
    auth.login(stranger)
    page = client.get(_path(session))
    assert page.status_code == 403
    assert "không có tên trong danh sách mời" in page.get_data(as_text=True)
    assert client.post(_path(session)).status_code == 403
    assert _rows(session) == 0


def test_people_invited_through_their_unit_check_in(
    client, auth, make_unit, make_user, make_session
):
    ward = make_unit(kind="ward")
    cell = make_unit(parent=ward, kind="cell")
    member = make_user(unit=cell)
    session = make_session(units=[ward])
    auth.login(member)
    assert client.post(_path(session)).status_code == 302
    assert _rows(session) == 1


def test_arrivals_after_the_grace_minutes_are_marked_late(client, auth, make_user, make_session):
    on_time, late = make_user(), make_user()
    early_session = make_session(start_in=timedelta(minutes=-9), invite=[on_time])
    late_session = make_session(start_in=timedelta(minutes=-11), invite=[late])
    auth.login(on_time)
    client.post(_path(early_session))
    auth.logout()
    auth.login(late)
    client.post(_path(late_session))
    page = client.get(_path(late_session)).get_data(as_text=True)
    assert "muộn" in page
    flags = dict(db.session.execute(select(Attendance.user_id, Attendance.late)).all())
    assert flags == {on_time.id: False, late.id: True}


def test_check_in_opens_half_an_hour_before_and_closes_at_the_end(
    client, auth, make_user, make_session
):
    learner = make_user()
    soon = make_session(start_in=timedelta(minutes=29), invite=[learner])
    later = make_session(start_in=timedelta(minutes=31), invite=[learner])
    over = make_session(start_in=timedelta(hours=-3), invite=[learner])
    cancelled = make_session(invite=[learner], cancelled_at=utcnow())
    auth.login(learner)
    assert client.post(_path(soon)).status_code == 302
    page = client.get(_path(later))
    assert page.status_code == 200 and "Chưa đến giờ điểm danh" in page.get_data(as_text=True)
    assert client.post(_path(later)).status_code == 400
    assert "đã kết thúc" in client.get(_path(over)).get_data(as_text=True)
    assert client.post(_path(over)).status_code == 400
    assert client.post(_path(cancelled)).status_code == 400
    assert db.session.scalar(select(func.count(Attendance.id))) == 1


# ---- signing out ------------------------------------------------------------------------------


def test_sign_out_once_after_checking_in(client, auth, make_user, make_session, organiser):
    learner = make_user()
    session = make_session(start_in=timedelta(minutes=-5), invite=[learner], requires_sign_out=True)
    auth.login(learner)
    out = _path(session, "out")
    assert "chưa điểm danh vào" in client.get(out).get_data(as_text=True)
    assert client.post(out).status_code == 400
    assert client.post(_path(session, "out", window=checkin.current_window())).status_code == 400
    # an "in" code does not sign out, nor an "out" code check in
    assert client.post(out.replace("/out/", "/in/")).status_code == 410
    client.post(_path(session))
    assert client.post(out).status_code == 302
    row = db.session.scalar(select(Attendance))
    first = row.checked_out_at
    assert first is not None
    assert client.post(out).status_code == 302
    db.session.refresh(row)
    assert row.checked_out_at == first
    assert "Bạn đã điểm danh ra lúc" in client.get(out).get_data(as_text=True)
    auth.logout()
    auth.login(organiser)
    screen = client.get(f"/sessions/{session.id}/checkin?mode=out").get_data(as_text=True)
    assert f"/attend/{session.id}/out/" in screen
    data = client.get(f"/sessions/{session.id}/checkin.json?mode=out").get_json()
    assert (data["present"], data["signed_out"]) == (1, 1) and "/out/" in data["url"]
    listing = client.get(f"/sessions/{session.id}/attendance").get_data(as_text=True)
    assert "Giờ ra" in listing and "đã điểm danh ra: 1" in listing


def test_no_sign_out_code_where_none_is_asked(client, auth, make_user, make_session, organiser):
    learner = make_user()
    session = make_session(invite=[learner])
    auth.login(learner)
    assert client.post(_path(session, "out")).status_code == 404
    auth.logout()
    auth.login(organiser)
    assert client.get(f"/sessions/{session.id}/checkin?mode=out").status_code == 404


# ---- the organiser ----------------------------------------------------------------------------


def test_the_screen_shows_the_code_its_address_and_the_live_count(
    client, auth, make_user, make_session, organiser
):
    people = [make_user(full_name=f"Người Dự {n}") for n in range(3)]
    session = make_session(invite=people)
    auth.login(organiser)
    page = client.get(f"/sessions/{session.id}/checkin").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    assert f"http://localhost/attend/{session.id}/in/" in page
    assert "0 / 3 đã điểm danh" in page
    auth.logout()
    auth.login(people[1])
    client.post(_path(session))
    auth.logout()
    auth.login(organiser)
    data = client.get(f"/sessions/{session.id}/checkin.json").get_json()
    assert (data["present"], data["invited"], data["label"]) == (1, 3, "1 / 3 đã điểm danh")
    assert [row["name"] for row in data["latest"]] == ["Người Dự 1"]
    assert data["url"].startswith(f"http://localhost/attend/{session.id}/in/")
    assert checkin.token_is_valid(session, "in", data["url"].rsplit("/", 1)[1])


def test_only_those_who_manage_the_session_see_its_screen_and_list(
    client, auth, make_unit, make_user, make_session
):
    city = make_unit(name="Thành phố")
    ward = make_unit(parent=city, kind="ward")
    other_ward = make_unit(parent=city, kind="ward")
    organiser = make_user(roles=("instructor",), unit=ward)
    learner = make_user(unit=ward)
    session = make_session(invite=[learner], organiser_id=organiser.id)
    allowed = [organiser, make_user(roles=("hr",), unit=city), make_user(roles=("admin",))]
    refused = [learner, make_user(roles=("hr",), unit=other_ward), make_user(roles=("instructor",))]
    for person, status in [(p, 200) for p in allowed] + [(p, 404) for p in refused]:
        auth.login(person)
        for suffix in ("checkin", "checkin.json", "attendance"):
            assert client.get(f"/sessions/{session.id}/{suffix}").status_code == status, (
                person.roles,
                suffix,
            )
        auth.logout()


def test_a_hand_check_in_needs_a_reason_and_is_audited(
    client, auth, make_user, make_session, organiser
):
    forgot_phone, stranger = make_user(full_name="Phạm Quên Điện Thoại"), make_user()
    session = make_session(start_in=timedelta(minutes=-20), invite=[forgot_phone])
    auth.login(organiser)
    manual = f"/sessions/{session.id}/attendance/manual"
    page = client.post(manual, data={"user_id": forgot_phone.id, "reason": "  "})
    assert page.status_code == 400 and "Hãy ghi lý do điểm danh hộ" in page.get_data(as_text=True)
    assert client.post(manual, data={"user_id": stranger.id, "reason": "x"}).status_code == 400
    assert _rows(session) == 0
    done = client.post(
        manual, data={"user_id": forgot_phone.id, "reason": "Điện thoại hết pin", "late": "y"}
    )
    assert done.status_code == 302
    again = client.post(manual, data={"user_id": forgot_phone.id, "reason": "Lần nữa"})
    assert again.status_code == 400
    row = db.session.scalar(select(Attendance))
    assert (row.method, row.reason, row.late, row.recorded_by_id) == (
        "manual",
        "Điện thoại hết pin",
        True,
        organiser.id,
    )
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "attendance.manual")
    ).all()
    assert len(events) == 1
    assert events[0].actor_id == organiser.id
    assert events[0].detail["reason"] == "Điện thoại hết pin"
    assert events[0].detail["user_id"] == forgot_phone.id
    assert events[0].label == "Điểm danh hộ (có lý do)"
    listing = client.get(f"/sessions/{session.id}/attendance").get_data(as_text=True)
    assert "Phạm Quên Điện Thoại" in listing and "Điện thoại hết pin" in listing


def test_the_list_shows_present_late_and_absent(client, auth, make_user, make_session, organiser):
    here, late, away = (
        make_user(full_name="An Có Mặt"),
        make_user(full_name="Bình Đến Muộn"),
        make_user(full_name="Chi Vắng"),
    )
    session = make_session(start_in=timedelta(minutes=-15), invite=[here, late, away])
    db.session.add_all(
        [
            Attendance(session_id=session.id, user_id=here.id, late=False),
            Attendance(session_id=session.id, user_id=late.id, late=True),
        ]
    )
    db.session.commit()
    auth.login(organiser)
    page = client.get(f"/sessions/{session.id}/attendance").get_data(as_text=True)
    assert "2 / 3 đã điểm danh" in page
    for text in ("Có mặt", "Muộn", "Vắng", "Quét mã QR"):
        assert text in page
    # only the absent one can be checked in by hand
    assert page.count("<option") == 2 and "Chi Vắng (" in page


# ---- the attendance rate ----------------------------------------------------------------------


def test_attendance_rate_counts_attended_over_invited_in_the_window(
    app, make_unit, make_user, make_session
):
    ward = make_unit(kind="ward")
    a, b = make_user(unit=ward), make_user(unit=ward)
    outsider = make_user()
    past = timedelta(days=-3)
    first = make_session(start_in=past, units=[ward], invite=[a])  # a twice: one pair
    second = make_session(start_in=past, invite=[a, b, outsider])
    long_one = make_session(start_in=past, invite=[a], requires_sign_out=True)
    make_session(start_in=past, invite=[b], cancelled_at=utcnow())  # cancelled: not counted
    make_session(start_in=timedelta(days=-40), invite=[b])  # ended before the window
    make_session(start_in=timedelta(hours=1), invite=[b])  # not over yet
    now = utcnow()
    db.session.add_all(
        [
            Attendance(session_id=first.id, user_id=a.id),
            Attendance(session_id=second.id, user_id=a.id),
            Attendance(session_id=second.id, user_id=outsider.id),
            Attendance(session_id=long_one.id, user_id=a.id),  # never signed out
        ]
    )
    db.session.commit()
    people = select(User.id).where(User.unit_id == ward.id)
    window = (now - timedelta(days=30), now)
    # invited pairs: first×{a, b}, second×{a, b}, long_one×{a}; attended: first×a, second×a
    assert checkin.attendance_counts(people, *window) == (2, 5)
    assert checkin.attendance_rate(people, *window) == pytest.approx(0.4)
    assert checkin.attendance_rate([a.id], *window) == pytest.approx(2 / 3)
    assert checkin.attendance_rate([outsider.id], *window) == 1.0
    assert (
        checkin.attendance_rate([a.id], now - timedelta(days=100), now - timedelta(days=50)) is None
    )
    db.session.execute(
        Attendance.__table__.update()
        .where(Attendance.session_id == long_one.id)
        .values(checked_out_at=now)
    )
    assert checkin.attendance_counts([a.id], *window) == (3, 3)
    local_days = (window[0].date(), window[1].date() + timedelta(days=1))
    assert checkin.attendance_counts([a.id], *local_days) == (3, 3)
