"""Invitations: an admin or HR invites a person with no password; the mail reaches a real SMTP
server; its link sets a password once, signs the person in and lands on their home; a used, an
expired or a replaced link is refused with a page that says so; bulk invitations stay in the
inviter's units and skip whoever is waiting on an open invitation."""

from __future__ import annotations

import io
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from academy.auth.account_links import invite_people
from academy.auth.models import User
from academy.auth.tokens import AccountToken, LinkUnusable, consume_token, issue_token
from academy.core.audit import AuditEvent
from academy.database import db, utcnow
from academy.mail import OutboxMessage
from tests.auth.smtp_inbox import Inbox, html_of, link_in, text_of

NEW_PASSWORD = "mây-trắng-bay-qua-đồi-chè-47"
USED = "Liên kết đã được dùng hoặc đã hết hạn"


@pytest.fixture
def inbox(app):
    server = Inbox().start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
    yield server
    server.stop()


@pytest.fixture
def newcomer(make_user, make_unit):
    """An imported person: active, no password, never signed in."""
    return make_user(
        full_name="Lê Thị Mai", email="mai@hvs.gov.vn", password=None, unit=make_unit()
    )


def _invite(client, person, **data):
    return client.post(f"/invitations/{person.id}", data=data)


def _set_password(client, path, password=NEW_PASSWORD, confirm=None):
    return client.post(path, data={"password": password, "confirm": confirm or password})


def test_an_invited_person_gets_the_mail_sets_a_password_and_lands_home(
    client, auth, make_user, newcomer, inbox
):
    admin = make_user(roles=("admin",))
    auth.login(admin)
    users_page = client.get("/admin/users").get_data(as_text=True)
    assert f'action="/invitations/{newcomer.id}"' in users_page
    assert f'action="/invitations/{admin.id}"' not in users_page
    answer = _invite(client, newcomer, next="/admin/users")
    assert answer.status_code == 302 and answer.location.endswith("/admin/users")

    [mail] = inbox.wait_for("mai@hvs.gov.vn")
    assert mail["Subject"] == "Lời mời tham gia Học viện Số"
    text = text_of(mail)
    assert "Xin chào Lê Thị Mai," in text and "trong 7 ngày" in text
    path = link_in(text, "activate")
    assert path in html_of(mail) and text.count(path) == 1
    assert "http://localhost/account/activate/" in text  # PUBLIC_BASE_URL names the site

    auth.logout()
    page = client.get(path)
    assert page.status_code == 200 and "mai@hvs.gov.vn" in page.get_data(as_text=True)
    mismatch = _set_password(client, path, confirm=NEW_PASSWORD + "x")
    assert mismatch.status_code == 400 and "Hai mật khẩu không khớp" in mismatch.get_data(True)
    weak = _set_password(client, path, password="1234567890")
    assert weak.status_code == 400 and "mật khẩu phổ biến" in weak.get_data(as_text=True)

    done = _set_password(client, path)  # the refused tries left the link usable
    assert done.status_code == 302 and done.location.endswith("/")
    home = client.get("/")
    assert home.status_code == 200 and "Chào mừng bạn đến với Học viện Số" in home.get_data(True)
    auth.logout()
    assert auth.login("mai@hvs.gov.vn", NEW_PASSWORD).status_code == 302
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "auth.invitation.send" in actions and "auth.invitation.accept" in actions


def test_a_link_works_once(client, newcomer, make_user):
    invite_people([newcomer.id], inviter=make_user(roles=("admin",)))
    db.session.commit()
    path = link_in(_outbox_text("mai@hvs.gov.vn"), "activate")
    assert _set_password(client, path).status_code == 302
    client.post("/logout")
    for answer in (client.get(path), _set_password(client, path, password="khác-hẳn-" + "x" * 12)):
        assert answer.status_code == 410 and USED in answer.get_data(as_text=True)
    assert db.session.get(User, newcomer.id).check_password(NEW_PASSWORD)


def test_an_expired_link_is_refused(client, app, newcomer):
    invite_people([newcomer.id])
    db.session.commit()
    path = link_in(_outbox_text("mai@hvs.gov.vn"), "activate")
    db.session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert client.get(path).status_code == 410
    answer = _set_password(client, path)
    assert answer.status_code == 410 and USED in answer.get_data(as_text=True)
    assert not db.session.get(User, newcomer.id).password_hash


def test_the_invitation_lives_invitation_days(app, newcomer):
    app.config["INVITATION_DAYS"] = 3
    issue_token(newcomer, "invitation")
    row = db.session.scalar(select(AccountToken))
    assert timedelta(days=3) - (row.expires_at - row.created_at) < timedelta(seconds=1)


def test_resending_makes_the_earlier_link_worthless(client, auth, make_user, newcomer, inbox):
    auth.login(make_user(roles=("admin",)))
    _invite(client, newcomer)
    _invite(client, newcomer)
    first, second = inbox.wait_for("mai@hvs.gov.vn", count=2)
    old, new = link_in(text_of(first), "activate"), link_in(text_of(second), "activate")
    auth.logout()
    assert old != new
    assert client.get(old).status_code == 410
    assert client.get(new).status_code == 200
    assert _set_password(client, old).status_code == 410
    assert _set_password(client, new).status_code == 302


def test_each_person_of_a_bulk_invitation_gets_their_own_mail(make_user):
    people = [
        make_user(full_name="Trần <Thị> & Bình", password=None),
        make_user(full_name="Đỗ Văn Cường", password=None),
        make_user(full_name="Anna Nguyen", password=None),
    ]
    people[2].locale = "en"
    db.session.commit()
    assert invite_people([p.id for p in people]) == 3
    db.session.commit()
    mails = {m.to_address: m for m in db.session.scalars(select(OutboxMessage))}
    links = set()
    for person in people:
        mail = mails[person.email]
        assert mail.user_id == person.id and mail.kind == "invitation"
        assert mail.locale == person.locale and mail.status == "sent"  # delivered on commit
        assert f"Xin chào {person.full_name}," in mail.text_body or person.locale == "en"
        assert person.email in mail.text_body and person.email in mail.html_body
        links.add(link_in(mail.text_body, "activate"))
        assert link_in(mail.text_body, "activate") in mail.html_body
    assert len(links) == 3
    html = mails[people[0].email].html_body
    assert "Trần &lt;Thị&gt; &amp; Bình" in html and "<Thị>" not in html


def test_only_the_digest_of_a_link_is_stored(newcomer):
    token = issue_token(newcomer, "invitation")
    stored = db.session.scalar(select(AccountToken.token_hash))
    assert len(token) >= 43 and token not in stored and len(stored) == 64


def test_two_uses_at_once_let_exactly_one_through(app, newcomer):
    token = issue_token(newcomer, "invitation")
    db.session.commit()
    outcomes, barrier = [], threading.Barrier(2)

    def use():
        with app.app_context():
            barrier.wait()
            try:
                consume_token(token, "invitation")
                db.session.commit()
                outcomes.append("used")
            except LinkUnusable:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=use) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["refused", "used"]


def test_hr_invites_only_people_of_their_units(client, auth, make_user, make_unit):
    ward, other = make_unit("Phường Một", kind="ward"), make_unit("Phường Hai", kind="ward")
    cell = make_unit("Tổ 1", parent=ward, kind="cell")
    hr = make_user(roles=("hr",), unit=ward)
    mine = [make_user(password=None, unit=unit) for unit in (ward, cell)]
    signed_in = make_user(password=None, unit=ward)
    signed_in.last_login_at = utcnow()
    has_password = make_user(unit=ward)  # an account with a password, never signed in
    outsider = make_user(password=None, unit=other)
    db.session.commit()
    auth.login(hr)

    assert _invite(client, outsider).status_code == 404
    people_page = client.get("/reports/people").get_data(as_text=True)
    assert f'action="/invitations/{mine[0].id}"' in people_page  # a button beside the person
    assert f'action="/invitations/{hr.id}"' not in people_page  # HR has signed in
    page = client.get("/invitations")
    assert page.status_code == 200 and outsider.email not in page.get_data(as_text=True)
    answer = client.post("/invitations", follow_redirects=True)
    assert "Đã gửi lời mời cho 2 người" in answer.get_data(as_text=True)
    invited = set(db.session.scalars(select(OutboxMessage.to_address)))
    assert invited == {person.email for person in mine}
    assert signed_in.email not in invited and has_password.email not in invited

    again = client.post("/invitations", follow_redirects=True)  # everyone is waiting already
    assert "Không có ai cần mời" in again.get_data(as_text=True)
    client.post("/invitations", data={"again": "1"})
    assert _mail_count() == 4
    audit = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "auth.invitation.send")
    ).all()
    assert [event.detail["count"] for event in audit] == [2, 0, 2]


def test_a_signed_in_person_is_not_invited(client, auth, make_user):
    auth.login(make_user(roles=("admin",)))
    person = make_user(password=None)
    person.last_login_at = utcnow()
    db.session.commit()
    answer = _invite(client, person, next="/admin/users")
    assert answer.status_code == 302
    assert "không cần lời mời" in client.get("/admin/users").get_data(as_text=True)
    assert _mail_count() == 0


def test_learners_invite_nobody(client, auth, make_user, newcomer):
    auth.login(make_user())
    assert _invite(client, newcomer).status_code == 403
    assert client.post("/invitations").status_code == 403
    assert _mail_count() == 0


def test_a_double_click_sends_one_invitation(client, auth, make_user, newcomer):
    auth.login(make_user(roles=("admin",)))
    for _ in range(2):
        _invite(client, newcomer, once_token="one-form-one-click")
    assert _mail_count() == 1


def test_the_import_invites_its_people_and_says_how_many(client, auth, make_user, make_unit):
    make_unit("Phường Bến Thành", code="BT")
    auth.login(make_user(roles=("admin",)))
    data = (
        "employee_code,full_name,email,unit_code,position,roles\n"
        "CB1,Nguyễn Văn An,an@hvs.gov.vn,BT,Chuyên viên,learner\n"
        "CB2,Trần Thị Bình,binh@hvs.gov.vn,BT,Phó phòng,learner\n"
    ).encode()
    answer = client.post(
        "/admin/users/import",
        data={"file": (io.BytesIO(data), "nhan-su.csv"), "apply": "y", "invite": "y"},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    body = answer.get_data(as_text=True)
    assert "2 tạo mới" in body and "Đã gửi lời mời cho 2 người" in body
    assert "Gửi lời mời cho những người chưa đăng nhập lần nào" in body
    assert set(db.session.scalars(select(OutboxMessage.to_address))) == {
        "an@hvs.gov.vn",
        "binh@hvs.gov.vn",
    }


def _outbox_text(address: str) -> str:
    return db.session.scalar(
        select(OutboxMessage.text_body)
        .where(OutboxMessage.to_address == address)
        .order_by(OutboxMessage.id.desc())
    )


def _mail_count() -> int:
    return db.session.scalar(select(func.count(OutboxMessage.id)))
