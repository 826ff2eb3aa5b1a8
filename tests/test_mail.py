"""E-mail for real: queued in the caller's transaction (once-only keys safe under concurrency),
delivered after the commit by a background run over SMTP (a real aiosmtpd server reads back what
arrived), retried after temporary failures, failed on a permanent refusal, never sent twice by two
runs at once; without an SMTP server written as .eml files and listed on the admin page."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from datetime import timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import func, select

from academy import mail
from academy.auth.models import Unit
from academy.config import env_settings
from academy.database import db, utcnow
from academy.mail import OutboxMessage, deliver_due, queue_mail, retry_delay, wait_for_delivery

SUBJECT = "Nhắc việc: khoá học “Chuyển đổi số” đến hạn ngày 15/12"
TEMPLATES = {
    "mail/test_notice.txt": (
        '{% extends "mail/_layout.txt" %}'
        "{% block subject %}" + SUBJECT + "{% endblock %}"
        "{% block body %}Khoá học {{ course }} của bạn sắp đến hạn. Hãy hoàn thành sớm."
        "{% endblock %}"
        "{% block reason %}Bạn nhận được thư này vì khoá học được giao cho bạn.{% endblock %}"
    ),
    "mail/test_notice.html": (
        '{% extends "mail/_layout.html" %}'
        "{% block subject %}" + SUBJECT + "{% endblock %}"
        "{% block body %}<p>Khoá học <strong>{{ course }}</strong> của bạn sắp đến hạn.</p>"
        "{% endblock %}"
        "{% block reason %}Bạn nhận được thư này vì khoá học được giao cho bạn.{% endblock %}"
    ),
}


@pytest.fixture
def mail_app(app):
    """The app with the test's message template (it extends the real shared layout)."""
    app.jinja_env.loader = ChoiceLoader([DictLoader(TEMPLATES), app.jinja_env.loader])
    yield app
    wait_for_delivery(app, 30)
    mail._runner(app).stop()


def _notice(address="hang@hvs.gov.vn", **kwargs):
    return queue_mail(
        address,
        "test_notice",
        recipient_name="Nguyễn Thị Hằng",
        course="Chuyển đổi số",
        **kwargs,
    )


def _sent_off(**kwargs) -> int:
    """Queue the test notice and commit (the delivery run starts); the message's id."""
    message = _notice(**kwargs)
    db.session.commit()
    return message.id


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Recorder:
    """An SMTP server's handler that keeps what it accepted; it can refuse or hold messages."""

    def __init__(self):
        self.received: list = []
        self.rcpt_reply: str | None = None  # e.g. "451 …" or "550 …"
        self.gate: threading.Event | None = None  # set: DATA waits until it is released
        self.delay = 0.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.gate is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.gate.wait, 20)
        if self.delay:
            await asyncio.sleep(self.delay)
        message = message_from_bytes(envelope.content, policy=default_policy)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def _only(login: bytes, password: bytes):
    """An aiosmtpd authenticator accepting one login."""

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            login,
            password,
        )
        return AuthResult(success=ok, handled=False)

    return authenticate


class SmtpServer:
    def __init__(self, port: int, **options):
        self.port = port
        self.handler = Recorder()
        self.options = options
        self.controller: Controller | None = None

    def start(self):
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, **self.options
        )
        self.controller.start()
        return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def received(self):
        return self.handler.received


@pytest.fixture
def smtp(mail_app):
    """A real SMTP server on a free port, and the app pointed at it."""
    server = SmtpServer(_free_port()).start()
    mail_app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_TIMEOUT=10)
    yield server
    if server.handler.gate is not None:
        server.handler.gate.set()
    wait_for_delivery(mail_app, 30)
    server.stop()


def _row(message_id) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def _count(**where) -> int:
    db.session.expire_all()
    query = select(func.count(OutboxMessage.id))
    for name, value in where.items():
        query = query.where(getattr(OutboxMessage, name) == value)
    return db.session.scalar(query)


def _plain_rows(count: int, prefix="nguoi") -> list[int]:
    """Queued rows made directly (no delivery run starts for them)."""
    rows = [
        OutboxMessage(
            to_address=f"{prefix}{n}@hvs.gov.vn",
            kind="test",
            locale="vi",
            subject=f"Thư số {n}",
            text_body=f"Nội dung thư số {n}\n",
            html_body=f"<p>Nội dung thư số {n}</p>",
            status="queued",
            attempts=0,
            next_attempt_at=utcnow(),
        )
        for n in range(count)
    ]
    db.session.add_all(rows)
    db.session.commit()
    return [row.id for row in rows]


# ---- what a message says ----------------------------------------------------------------------


def test_a_message_has_the_layout_greeting_link_back_and_why(mail_app):
    message = _notice()
    assert message.subject == SUBJECT
    text = message.text_body
    assert text.startswith("Xin chào Nguyễn Thị Hằng,\n\nKhoá học Chuyển đổi số")
    assert "Học viện Số: http://localhost" in text  # the platform's name and the link back
    assert "Bạn nhận được thư này vì khoá học được giao cho bạn." in text
    assert "\n\n\n" not in text
    html = message.html_body
    assert f"<title>{SUBJECT}</title>" in html
    assert '<a href="http://localhost"' in html and "<strong>Chuyển đổi số</strong>" in html
    assert "Nguyễn Thị Hằng" in html
    db.session.rollback()


def test_html_context_is_escaped(mail_app):
    message = queue_mail(
        "a@hvs.gov.vn", "test_notice", recipient_name="<b>x</b>", course="<script>alert(1)"
    )
    assert "<script>" not in message.html_body and "&lt;script&gt;" in message.html_body
    db.session.rollback()


# ---- once-only keys ---------------------------------------------------------------------------


def test_a_used_key_stores_nothing_the_second_time(mail_app):
    assert _notice(dedupe_key="reminder:1:due7") is not None
    db.session.commit()
    assert _notice(dedupe_key="reminder:1:due7") is None
    db.session.commit()
    assert _count(dedupe_key="reminder:1:due7") == 1


def test_a_key_taken_after_the_check_is_refused_in_a_savepoint_and_the_callers_work_stays(
    mail_app, monkeypatch
):
    """The race's losing side: the key is free when checked, taken when inserted."""
    with mail_app.app_context():  # another transaction wins the key
        _notice(dedupe_key="reminder:2:overdue")
        db.session.commit()
    real, calls = mail._key_used, []

    def stale_check(key):
        calls.append(key)
        return False if len(calls) == 1 else real(key)

    monkeypatch.setattr(mail, "_key_used", stale_check)
    db.session.add(Unit(code="DV-MAIL", name="Đơn vị thư", kind="agency", path="/"))
    assert _notice(dedupe_key="reminder:2:overdue") is None
    db.session.commit()
    assert _count(dedupe_key="reminder:2:overdue") == 1
    assert db.session.scalar(select(Unit).where(Unit.code == "DV-MAIL")) is not None


def test_two_transactions_queueing_one_key_at_once_store_one_message(mail_app):
    barrier = threading.Barrier(2)
    results, errors = [], []

    def queue():
        try:
            with mail_app.app_context():
                barrier.wait(timeout=10)
                message = _notice(dedupe_key="reminder:3:due1")
                results.append(message is not None)
                threading.Event().wait(0.3)  # hold the transaction open while the other inserts
                db.session.commit()
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(exc))

    threads = [threading.Thread(target=queue) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(results) == [False, True]
    assert _count(dedupe_key="reminder:3:due1") == 1


# ---- after the commit, once ---------------------------------------------------------------------


def test_nothing_is_delivered_before_the_commit_nor_after_a_rollback(mail_app):
    outbox = os.path.join(mail_app.instance_path, "outbox")
    _notice()
    _notice(dedupe_key="once:1")  # a savepoint's release (after_commit fires) is not the commit
    assert not os.path.exists(outbox) or os.listdir(outbox) == []
    db.session.rollback()
    _notice(address="khac@hvs.gov.vn")
    db.session.commit()
    assert [row.to_address for row in db.session.scalars(select(OutboxMessage))] == [
        "khac@hvs.gov.vn"
    ]
    assert len(os.listdir(outbox)) == 1


def test_a_savepoint_after_queueing_does_not_start_delivery_early(mail_app):
    """A savepoint's release fires SQLAlchemy's after_commit too; delivery waits for the real one
    (started early, it could not see the message, and nothing would send it after the commit)."""
    _notice()
    with db.session.begin_nested():
        db.session.add(Unit(code="DV-SP", name="Đơn vị", kind="agency", path="/"))
    assert _count() == 1 and not os.path.exists(os.path.join(mail_app.instance_path, "outbox"))
    db.session.commit()
    assert _count(status="sent") == 1


def test_many_messages_in_one_transaction_make_one_delivery_run(mail_app, monkeypatch):
    runs = []
    real = mail.run_delivery

    def counted(app):
        runs.append(1)
        return real(app)

    monkeypatch.setattr(mail, "run_delivery", counted)
    for n in range(120):
        _notice(address=f"nguoi{n}@hvs.gov.vn")
    db.session.commit()
    assert runs == [1]
    assert _count(status="sent") == 120


# ---- SMTP -------------------------------------------------------------------------------------


def test_smtp_delivers_both_parts_with_a_vietnamese_subject(smtp):
    message_id = _sent_off()  # JOBS_EAGER: the delivery run happens right after the commit
    assert [rcpt for rcpt, _ in smtp.received] == [["hang@hvs.gov.vn"]]
    received = smtp.received[0][1]
    assert received["Subject"] == SUBJECT
    assert received["From"].addresses[0].display_name == "Học viện Số"
    assert received["To"] == "hang@hvs.gov.vn"
    assert received["Message-ID"] and received["Date"]
    assert received.get_content_type() == "multipart/alternative"
    plain = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    assert "Xin chào Nguyễn Thị Hằng," in plain and "http://localhost" in plain
    assert "<strong>Chuyển đổi số</strong>" in html and 'href="http://localhost"' in html
    row = _row(message_id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)
    assert row.sent_at is not None


def test_a_server_that_is_down_leaves_the_message_queued_and_a_later_run_delivers_it(mail_app):
    port = _free_port()  # nothing listens there yet: connection refused
    mail_app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT=5)
    before = utcnow()
    message_id = _sent_off()
    row = _row(message_id)
    assert (row.status, row.attempts) == ("queued", 1)
    assert row.last_error and row.sent_at is None
    assert timedelta(seconds=55) < row.next_attempt_at - before < timedelta(seconds=70)

    server = SmtpServer(port).start()
    try:
        assert deliver_due().sent == 0  # not due yet
        report = deliver_due(now=utcnow() + timedelta(minutes=2))
        assert report.sent == 1
        assert [rcpt for rcpt, _ in server.received] == [["hang@hvs.gov.vn"]]
    finally:
        server.stop()
    row = _row(message_id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)


def test_the_web_process_retries_by_itself_when_the_delay_is_over(mail_app, smtp, monkeypatch):
    """No cron, no Redis: the mail thread sets a timer for the next attempt."""
    monkeypatch.setattr(mail, "RETRY_DELAYS", (1,))
    mail_app.config["JOBS_EAGER"] = False
    smtp.handler.rcpt_reply = "451 4.3.0 Try again later"
    message_id = _sent_off()
    assert wait_for_delivery(mail_app, 30)
    assert _row(message_id).status == "queued" and smtp.received == []
    smtp.handler.rcpt_reply = None
    deadline = time.monotonic() + 30
    while _row(message_id).status != "sent" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _row(message_id).status == "sent" and _row(message_id).attempts >= 2
    assert len(smtp.received) == 1


def test_smtp_login_with_the_configured_account(mail_app):
    server = SmtpServer(
        _free_port(), authenticator=_only(b"hocvien", b"123456"), auth_require_tls=False
    ).start()
    try:
        mail_app.config.update(
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=server.port,
            MAIL_USERNAME="hocvien",
            MAIL_PASSWORD="sai-mat-khau",
        )
        refused = _sent_off(address="mot@hvs.gov.vn")
        row = _row(refused)
        assert (row.status, row.attempts) == ("queued", 1) and row.last_error.startswith("535")
        mail_app.config["MAIL_PASSWORD"] = "123456"
        assert deliver_due(now=utcnow() + timedelta(minutes=2)).sent == 1
        assert [rcpt for rcpt, _ in server.received] == [["mot@hvs.gov.vn"]]
    finally:
        server.stop()


def test_mail_secrets_from_the_environment_stay_text():
    settings = env_settings(
        {
            "ACADEMY_MAIL_PASSWORD": "123456",
            "ACADEMY_MAIL_USERNAME": "true",
            "ACADEMY_MAIL_PORT": "587",
        }
    )
    assert settings == {"MAIL_PASSWORD": "123456", "MAIL_USERNAME": "true", "MAIL_PORT": 587}


def test_a_451_answer_is_retried_later_and_a_550_fails_at_once(smtp):
    smtp.handler.rcpt_reply = "451 4.3.0 Hộp thư tạm thời bận"
    later = _sent_off(address="ban@hvs.gov.vn")
    row = _row(later)
    assert (row.status, row.attempts) == ("queued", 1) and row.last_error.startswith("451")

    smtp.handler.rcpt_reply = "550 5.1.1 No such user"
    never = _sent_off(address="khong-co@hvs.gov.vn")
    row = _row(never)
    assert (row.status, row.attempts) == ("failed", 1) and row.last_error.startswith("550")
    assert smtp.received == []

    smtp.handler.rcpt_reply = None
    report = deliver_due(now=utcnow() + timedelta(minutes=2))
    assert (report.sent, report.failed) == (1, 0)  # the refused one is not tried again
    assert [rcpt for rcpt, _ in smtp.received] == [["ban@hvs.gov.vn"]]
    assert _row(later).status == "sent" and _row(never).status == "failed"


def test_after_the_last_attempt_a_message_fails(mail_app, smtp):
    smtp.handler.rcpt_reply = "452 4.2.2 Mailbox full"
    mail_app.config["MAIL_MAX_ATTEMPTS"] = 3
    message_id = _sent_off()
    for hours in (1, 2):
        deliver_due(now=utcnow() + timedelta(hours=hours))
    row = _row(message_id)
    assert (row.status, row.attempts) == ("failed", 3)
    assert [retry_delay(n) for n in range(1, 9)] == [
        60,
        300,
        1800,
        7200,
        21600,
        43200,
        86400,
        86400,
    ]


def test_an_address_that_would_inject_headers_fails_without_reaching_the_server(smtp):
    message_id = _sent_off(address="a@hvs.gov.vn\r\nBcc: ai.do@example.com")
    row = _row(message_id)
    assert (row.status, row.attempts) == ("failed", 1) and "not an e-mail address" in row.last_error
    assert smtp.received == []


def test_two_delivery_runs_at_once_send_each_message_once(mail_app, smtp):
    mail_app.config["MAIL_BATCH_SIZE"] = 4
    smtp.handler.delay = 0.02  # both runs are surely sending at the same time
    ids = _plain_rows(30)
    barrier = threading.Barrier(3)
    reports, errors = [], []

    def run():
        try:
            with mail_app.app_context():
                barrier.wait(timeout=10)
                reports.append(deliver_due())
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(exc))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    addresses = sorted(rcpt[0] for rcpt, _ in smtp.received)
    assert addresses == sorted(f"nguoi{n}@hvs.gov.vn" for n in range(30))
    assert sum(report.sent for report in reports) == 30
    assert sum(1 for report in reports if report.sent) >= 2, "the runs shared the work"
    db.session.expire_all()
    assert {(_row(i).status, _row(i).attempts) for i in ids} == {("sent", 1)}


def test_a_message_left_claimed_by_a_dead_run_is_sent_after_its_lease(smtp):
    ids = _plain_rows(1)
    db.session.execute(
        OutboxMessage.__table__.update().values(
            status="sending", attempts=1, next_attempt_at=utcnow() + mail.CLAIM_LEASE
        )
    )
    db.session.commit()
    assert deliver_due().sent == 0  # another run still holds it
    assert deliver_due(now=utcnow() + mail.CLAIM_LEASE + timedelta(seconds=1)).sent == 1
    assert (_row(ids[0]).status, _row(ids[0]).attempts) == ("sent", 2)


def test_a_request_that_queues_mail_returns_before_the_smtp_server_has_it(mail_app, smtp, client):
    """The SMTP server holds every message until released: had the request waited for it, the
    response could only come after the release, and the message would be sent by then."""
    app = mail_app
    app.config["JOBS_EAGER"] = False  # as in production: a background thread delivers
    smtp.handler.gate = threading.Event()

    def queue_view():
        message = _notice(address="khach@hvs.gov.vn")
        db.session.commit()
        return str(message.id)

    app.add_url_rule("/_test/queue-mail", "test_queue_mail", queue_view, methods=["POST"])
    response = client.post("/_test/queue-mail")
    assert response.status_code == 200
    message_id = int(response.get_data(as_text=True))
    assert _row(message_id).status in ("queued", "sending")  # not sent: the server holds it
    assert smtp.received == []
    smtp.handler.gate.set()
    assert wait_for_delivery(app, 30)
    assert _row(message_id).status == "sent"
    assert [rcpt for rcpt, _ in smtp.received] == [["khach@hvs.gov.vn"]]


# ---- no SMTP server: the outbox folder and the admin page -------------------------------------


def test_without_smtp_messages_become_eml_files(mail_app):
    assert not mail_app.config["MAIL_SERVER"]
    message_id = _sent_off()
    outbox = os.path.join(mail_app.instance_path, "outbox")
    (name,) = os.listdir(outbox)
    assert name.endswith(f"-{message_id:08d}.eml")
    with open(os.path.join(outbox, name), "rb") as handle:
        saved = message_from_bytes(handle.read(), policy=default_policy)
    assert saved["Subject"] == SUBJECT and saved["To"] == "hang@hvs.gov.vn"
    assert "Xin chào Nguyễn Thị Hằng," in saved.get_body(("plain",)).get_content()
    assert _row(message_id).status == "sent"


def test_the_admin_page_lists_the_outbox_and_shows_a_message_safely(
    mail_app, client, auth, make_user
):
    _notice()
    db.session.commit()
    db.session.add(
        OutboxMessage(
            to_address="tan.cong@hvs.gov.vn",
            kind="reminder.due7",
            locale="vi",
            subject="Thư có mã độc",
            text_body="<script>alert(1)</script>",
            html_body=(
                "<html><head><style>p{}</style></head><body><p>Chào</p>"
                '<script>alert(1)</script><img src="https://x.example/a.png" onerror="alert(2)">'
                '<a href="javascript:alert(3)">bấm</a></body></html>'
            ),
            status="failed",
            attempts=8,
            last_error="550 5.1.1 No such user",
            next_attempt_at=utcnow(),
        )
    )
    db.session.commit()
    auth.login(make_user(roles=("admin",)))
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "Hộp thư đi" in page and SUBJECT in page and "Thư có mã độc" in page
    assert page.index("Thư có mã độc") < page.index(SUBJECT)  # newest first
    assert "instance/outbox/" in page
    failed = client.get("/admin/outbox?status=failed").get_data(as_text=True)
    assert "Thư có mã độc" in failed and SUBJECT not in failed
    by_address = client.get("/admin/outbox?address=HANG@").get_data(as_text=True)
    assert SUBJECT in by_address and "Thư có mã độc" not in by_address
    by_kind = client.get("/admin/outbox?kind=test_notice").get_data(as_text=True)
    assert SUBJECT in by_kind and "Thư có mã độc" not in by_kind
    assert client.get("/admin/outbox?status=bogus").status_code == 400

    bad_id = db.session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.subject == "Thư có mã độc")
    )
    shown = client.get(f"/admin/outbox/message?id={bad_id}")
    assert shown.status_code == 200
    body = shown.get_data(as_text=True)
    assert "<p>Chào</p>" in body and "550 5.1.1 No such user" in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body  # the text part, escaped
    assert "<script>alert" not in body and "onerror" not in body and "javascript:" not in body
    assert "x.example" not in body and "p{}" not in body
    for missing in ("", "?id=0", "?id=999999", "?id=99999999999999999999", "?id=abc"):
        assert client.get(f"/admin/outbox/message{missing}").status_code == 404


def test_only_admins_see_the_outbox(mail_app, client, auth, make_user):
    message_id = _sent_off()
    assert client.get("/admin/outbox").status_code == 302  # to the sign-in page
    auth.login(make_user(roles=("learner",)))
    assert client.get("/admin/outbox").status_code == 403
    assert client.get(f"/admin/outbox/message?id={message_id}").status_code == 403
    auth.logout()
    auth.login(make_user(roles=("hr",)))
    assert client.get("/admin/outbox").status_code == 403


# ---- the command line -------------------------------------------------------------------------


def test_flask_mail_send_and_retry_failed(smtp, runner):
    _plain_rows(2)
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert "Đã gửi 2 thư" in result.output
    assert len(smtp.received) == 2

    smtp.handler.rcpt_reply = "550 5.1.1 No such user"
    (failed,) = _plain_rows(1, prefix="sai")
    assert "1 thư không gửi được" in runner.invoke(args=["mail", "send"]).output
    assert _row(failed).status == "failed"
    smtp.handler.rcpt_reply = None
    result = runner.invoke(args=["mail", "retry-failed"])
    assert result.exit_code == 0, result.output
    assert "1 thư được đưa lại vào hàng đợi" in result.output and "Đã gửi 1 thư" in result.output
    assert _row(failed).status == "sent" and len(smtp.received) == 3


def test_flask_mail_send_says_when_the_server_is_down(mail_app, runner):
    mail_app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port(), MAIL_TIMEOUT=5)
    _plain_rows(1)
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 1
    assert "1 thư sẽ thử gửi lại" in result.output
    assert "Không kết nối được máy chủ thư" in result.output
