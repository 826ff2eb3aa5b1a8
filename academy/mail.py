"""E-mail: every message is queued as a row (``OutboxMessage``) inside the caller's transaction and
delivered after the commit by a background run, never inside the request.

``queue_mail`` renders ``templates/mail/<template>.txt`` and ``.html`` in the recipient's language
(the platform's name, a greeting, a link back and why the reader gets it are in the shared layout
``mail/_layout.txt`` / ``.html``). ``dedupe_key`` makes a message once-only: a second message with
the same key (a job run twice, two workers at once) is not stored.

Delivery (``deliver_due``) claims due rows in batches (status ``sending``, ``next_attempt_at`` as a
lease), so two runs at once never send one message twice, and sends each batch over one SMTP
connection (standard library ``smtplib``: STARTTLS or SSL, login, multipart/alternative text +
HTML, UTF-8 headers). Without ``MAIL_SERVER`` each message is written as an ``.eml`` file into
``instance/outbox/`` instead. A temporary failure (no connection, a 4xx answer) puts the message
back with a growing delay (1 min, 5 min, 30 min, 2 h, 6 h, 12 h, 24 h) until ``MAIL_MAX_ATTEMPTS``;
a permanent refusal (5xx) fails it at once.

A commit that queued mail starts one delivery run: an RQ job where ``REDIS_URL`` is set, else one
worker thread per process (a run already going takes the new mail along), inline when
``JOBS_EAGER``. ``flask mail send`` (cron) sends whatever is due, retries included.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import charset as email_charset
from email.errors import MessageError
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, parseaddr

from flask import current_app
from flask_babel import force_locale, get_translations
from jinja2 import pass_context
from markupsafe import Markup
from sqlalchemy import ForeignKey, Integer, String, Text, event, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from academy.background import runner_for
from academy.database import UTCDateTime, db, utcnow

log = logging.getLogger(__name__)

# queued → sending (claimed by a delivery run) → sent; back to queued after a temporary failure;
# failed after a permanent refusal or the last attempt.
MAIL_STATUSES = ("queued", "sending", "sent", "failed")
# Seconds before the next attempt after the 1st, 2nd, … failed one (the last value repeats).
RETRY_DELAYS = (60, 5 * 60, 30 * 60, 2 * 3600, 6 * 3600, 12 * 3600, 24 * 3600)
# A claimed message left in "sending" this long (its run died) is taken up again by another run.
CLAIM_LEASE = timedelta(minutes=15)
# After a run stopped by a dead server (or left due messages to another run), the next waits.
MIN_RETRY_SECONDS = 30
OUTBOX_FOLDER = "outbox"
UTF8 = email_charset.Charset("utf-8")  # headers base64 (RFC 2047), bodies quoted-printable
UTF8.header_encoding, UTF8.body_encoding = email_charset.BASE64, email_charset.QP
_PENDING = "academy.mail.pending"
_LISTENING = "academy.mail.listening"


class OutboxMessage(db.Model):
    """One e-mail to one address; ``status`` queued → sending → sent, or failed after a permanent
    refusal or the last retry."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(60), index=True)  # e.g. "invitation", "reminder.due7"
    locale: Mapped[str] = mapped_column(String(5), default="vi")
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text, default="")
    # once-only messages (reminders): a second row with the same key is refused by the database
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # delivery runs that took it up
    last_error: Mapped[str | None] = mapped_column(Text)
    # queued: not before this; sending: the claim's lease (another run may take it up after)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


OUTBOX = OutboxMessage.__table__

# ---- queueing --------------------------------------------------------------------------------


def queue_mail(
    to_address: str,
    template: str,
    *,
    locale: str = "vi",
    kind: str | None = None,
    user_id: int | None = None,
    dedupe_key: str | None = None,
    **context,
) -> OutboxMessage | None:
    """Queue one message (the caller commits; delivery starts after the commit).

    ``templates/mail/<template>.txt`` and ``.html`` are rendered in ``locale`` with ``context``;
    the subject is the text template's block ``subject`` (see mail/_layout.txt). Returns None when
    ``dedupe_key`` was already used (nothing is stored). Safe when two transactions queue the same
    key at once: the database's unique key refuses the second, whose savepoint alone is rolled back
    (the caller's other changes stay).
    """
    if dedupe_key is not None and _key_used(dedupe_key):
        return None
    text, html = render_mail(template, locale, context)
    subject, _, body = text.partition("\n")
    message = OutboxMessage(
        to_address=to_address.strip(),
        user_id=user_id,
        kind=kind or template,
        locale=locale,
        subject=" ".join(subject.split())[:300],
        text_body=re.sub(r"\n[ \t]*(\n[ \t]*)+\n", "\n\n", body.strip("\n")) + "\n",
        html_body=html,
        dedupe_key=dedupe_key,
        status="queued",
        attempts=0,
        next_attempt_at=utcnow(),
    )
    if dedupe_key is None:
        db.session.add(message)
    elif not _insert_once(message):
        return None
    _deliver_after_commit()
    return message


def render_mail(template: str, locale: str, context: dict) -> tuple[str, str]:
    """The text and HTML of ``mail/<template>`` in ``locale``, rendered as ``render_template``
    would (context processors included). The translations are bound once per language in a Jinja
    overlay, so each ``_()`` in a template is one catalogue lookup: 10,000 invitations render in
    a few seconds."""
    app = current_app._get_current_object()
    with force_locale(locale):
        translations = get_translations()
        envs = app.extensions.setdefault("academy_mail_jinja", {})
        env = envs.get(locale)
        if env is None or env.academy_translations is not translations:
            env = app.jinja_env.overlay(cache_size=100)
            # An overlay shares its parent's globals (and its i18n extension's install methods
            # still act on the parent): give it its own, with this language's gettext.
            env.globals = {**app.jinja_env.globals, **_gettext_globals(translations)}
            env.academy_translations = translations
            envs[locale] = env
        rendered = []
        for suffix in ("txt", "html"):
            values = dict(context)
            app.update_template_context(values)
            rendered.append(env.get_template(f"mail/{template}.{suffix}").render(values))
    return rendered[0], rendered[1]


def _gettext_globals(translations) -> dict:
    """Jinja's new-style gettext functions (``_("… %(name)s", name=…)``, autoescaped in HTML)
    bound to one catalogue, as Flask-Babel installs them for the reader's language."""

    def finish(context, text, variables):
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables

    @pass_context
    def gettext(context, string, **variables):
        return finish(context, translations.ugettext(string), variables)

    @pass_context
    def ngettext(context, singular, plural, num, **variables):
        variables.setdefault("num", num)
        return finish(context, translations.ungettext(singular, plural, num), variables)

    @pass_context
    def pgettext(context, ctxt, string, **variables):
        variables.setdefault("context", ctxt)
        return finish(context, translations.upgettext(ctxt, string), variables)

    @pass_context
    def npgettext(context, ctxt, singular, plural, num, **variables):
        variables.setdefault("context", ctxt)
        variables.setdefault("num", num)
        text = translations.unpgettext(ctxt, singular, plural, num)
        return finish(context, text, variables)

    return {
        "_": gettext,
        "gettext": gettext,
        "ngettext": ngettext,
        "pgettext": pgettext,
        "npgettext": npgettext,
    }


def _key_used(dedupe_key: str) -> bool:
    return (
        db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key))
        is not None
    )


def _insert_once(message: OutboxMessage) -> bool:
    """Insert ``message`` in a savepoint; False (and nothing stored) if its key is already taken."""
    db.session.flush()  # the caller's own pending changes: their errors are theirs, not ours
    _begin_write_transaction()
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:
        if _key_used(message.dedupe_key):
            return False
        raise
    return True


def _begin_write_transaction() -> None:
    """On SQLite, take the write lock now (writers serialise) so a savepoint is nested inside the
    caller's transaction instead of starting, and on release committing, one of its own."""
    connection = db.session.connection()
    if (
        connection.dialect.name == "sqlite"
        and not connection.connection.dbapi_connection.in_transaction
    ):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _deliver_after_commit() -> None:
    """Start one delivery run when the current transaction commits, however many messages it
    queued; nothing if it rolls back. A savepoint's release or rollback is no commit."""
    session = db.session()
    session.info[_PENDING] = current_app._get_current_object()
    if session.info.get(_LISTENING):
        return
    session.info[_LISTENING] = True
    event.listen(session, "after_commit", _on_commit)
    event.listen(session, "after_rollback", _on_rollback)


def _on_commit(session) -> None:
    if session.in_nested_transaction():
        return
    app = session.info.pop(_PENDING, None)
    if app is not None:
        start_delivery(app)


def _on_rollback(session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_PENDING, None)


# ---- starting a delivery run -----------------------------------------------------------------


def start_delivery(app, delay: float = 0) -> None:
    """Have a delivery run start (after ``delay`` seconds): on RQ where Redis is configured, else
    on this process's mail thread (inline when ``JOBS_EAGER``, where a delay means "not now")."""
    redis_url = app.config.get("REDIS_URL")
    if redis_url and _enqueue_rq(redis_url, delay):
        return
    if app.config.get("JOBS_EAGER"):
        if not delay:
            run_delivery(app)
        return
    _runner(app).kick(delay)


def _enqueue_rq(redis_url: str, delay: float) -> bool:
    try:
        from redis import Redis  # noqa: PLC0415 - only with REDIS_URL; 0.4 s to import
        from rq import Queue  # noqa: PLC0415 - only with REDIS_URL; 1.3 s to import

        queue = Queue("academy", connection=Redis.from_url(redis_url))
        if delay:  # served by `rq worker --with-scheduler`; one retry run is kept, the latest
            queue.enqueue_in(
                timedelta(seconds=delay), "academy.mail_cli.rq_deliver", job_id="academy-mail-retry"
            )
        else:
            queue.enqueue("academy.mail_cli.rq_deliver", job_timeout=3600)
        return True
    except Exception:  # noqa: BLE001 - any Redis failure means "send from here instead"
        log.warning("Redis unavailable; delivering mail in-process", exc_info=True)
        return False


def run_delivery(app) -> DeliveryReport | None:
    """One delivery run in its own application context (a thread, an RQ job, after a commit);
    whatever goes wrong is logged, never raised into the caller. Schedules the next run when
    messages wait for a later attempt."""
    with app.app_context():
        try:
            report = deliver_due()
        except Exception:  # noqa: BLE001 - a broken run must not break the commit that started it
            log.exception("mail delivery run failed")
            db.session.rollback()
            return None
        finally:
            db.session.remove()
        if report.next_due is not None:
            # Due later: a run then. Due already (the server was down, or another run holds
            # them): another look after a pause, never a busy loop.
            wait = (report.next_due - utcnow()).total_seconds()
            if report.stopped or wait <= 0:
                wait = max(wait, MIN_RETRY_SECONDS)
            start_delivery(app, wait)
        return report


def _runner(app):
    return runner_for(app, "academy-mail", run_delivery)


def wait_for_delivery(app, timeout: float = 30) -> bool:
    """Wait for this process's mail thread to be idle (tests, the CLI). True when it is."""
    return _runner(app).wait(timeout)


# ---- delivering ------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0  # put back for a later attempt
    failed: int = 0
    stopped: bool = False  # the server could not be reached: the run gave up early
    next_due: datetime | None = None  # the earliest attempt still waiting, if any
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Claimed:
    id: int
    to_address: str
    subject: str
    text_body: str
    html_body: str
    attempts: int
    created_at: datetime


class _Refused(Exception):
    """A delivery failed. ``permanent``: never retry (5xx for this message); ``dead``: the
    connection is gone, the rest of the batch waits too."""

    def __init__(self, text: str, *, permanent: bool = False, dead: bool = False):
        super().__init__(text)
        self.permanent, self.dead = permanent, dead


def deliver_due(now: datetime | None = None, limit: int | None = None) -> DeliveryReport:
    """Send every message due at ``now`` (default: now), batch by batch, until none is due, the
    server cannot be reached, or ``limit`` messages were taken up. Safe to run in several
    processes at once: each batch is claimed first, so no message is sent twice."""
    report = DeliveryReport()
    config = current_app.config
    batch_size = max(1, int(config.get("MAIL_BATCH_SIZE") or 50))
    taken = 0
    while limit is None or taken < limit:
        claimed = _claim(now or utcnow(), min(batch_size, (limit - taken) if limit else batch_size))
        if not claimed:
            break
        taken += len(claimed)
        _send_batch(claimed, report)
        if report.stopped:
            break
    report.next_due = db.session.scalar(
        select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.status.in_(("queued", "sending"))
        )
    )
    db.session.commit()
    return report


def _claim(now: datetime, size: int) -> list[_Claimed]:
    """Take up to ``size`` due messages for this run in one short transaction: queued ones due
    now, and ones another run claimed but did not finish within the lease."""
    _begin_write_transaction()
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status.in_(("queued", "sending")),
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(size)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = db.session.scalars(query).all()
    claimed = []
    for row in rows:
        row.status, row.attempts = "sending", row.attempts + 1
        row.next_attempt_at = utcnow() + CLAIM_LEASE
        claimed.append(
            _Claimed(
                row.id,
                row.to_address,
                row.subject,
                row.text_body,
                row.html_body,
                row.attempts,
                row.created_at,
            )
        )
    db.session.commit()
    for row in rows:
        db.session.expunge(row)  # the run works from the copies; later commits expire nothing
    return claimed


def _send_batch(batch: list[_Claimed], report: DeliveryReport) -> None:
    transport = SmtpTransport() if current_app.config.get("MAIL_SERVER") else FolderTransport()
    pending = list(batch)
    try:
        transport.open()
    except _Refused as refusal:
        for message in pending:
            _record_failure(message, refusal, report)
        report.stopped = True
        return
    try:
        while pending:
            message = pending.pop(0)
            try:
                transport.send(message, _email_of(message))
            except _Refused as refusal:
                _record_failure(message, refusal, report)
                if refusal.dead:
                    for waiting in pending:
                        _record_failure(waiting, refusal, report)
                    report.stopped = True
                    return
            else:
                _record_sent(message, report)
    finally:
        transport.close()


def _record_sent(message: _Claimed, report: DeliveryReport) -> None:
    db.session.execute(  # the table, not the class: no identity-map bookkeeping per message
        update(OUTBOX)
        .where(OUTBOX.c.id == message.id)
        .values(status="sent", sent_at=utcnow(), last_error=None)
    )
    db.session.commit()
    report.sent += 1


def _record_failure(message: _Claimed, refusal: _Refused, report: DeliveryReport) -> None:
    text = str(refusal)[:2000]
    values = {"last_error": text}
    if refusal.permanent or message.attempts >= max_attempts():
        values["status"] = "failed"
        report.failed += 1
    else:
        values["status"] = "queued"
        values["next_attempt_at"] = utcnow() + timedelta(seconds=retry_delay(message.attempts))
        report.retrying += 1
    db.session.execute(update(OUTBOX).where(OUTBOX.c.id == message.id).values(**values))
    db.session.commit()
    report.errors.append(f"{message.to_address}: {text}")
    log.warning("mail %s to %s not delivered: %s", message.id, message.to_address, text)


def max_attempts() -> int:
    return max(1, int(current_app.config.get("MAIL_MAX_ATTEMPTS") or 8))


def retry_delay(attempts: int) -> int:
    """Seconds to wait after the ``attempts``-th failed attempt."""
    return RETRY_DELAYS[min(max(attempts, 1), len(RETRY_DELAYS)) - 1]


def build_email(message: _Claimed) -> MIMEMultipart:
    """The message as sent: multipart/alternative (plain text, then HTML), UTF-8 throughout, the
    subject and the sender's name encoded for any server (RFC 2047), bodies quoted-printable
    (7-bit safe, no 8BITMIME needed). The classic ``email.mime`` classes: a quarter of the cost of
    ``EmailMessage`` for the same bytes. ValueError for an address no header can carry."""
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or "Học viện Số <no-reply@localhost>"
    name, address = parseaddr(sender)
    if any(ch in message.to_address for ch in "\r\n") or "@" not in message.to_address:
        raise ValueError(f"not an e-mail address: {message.to_address!r}")
    email = MIMEMultipart("alternative")
    email["Subject"] = (
        message.subject if message.subject.isascii() else Header(message.subject, UTF8)
    )
    email["From"] = formataddr((name, address), charset="utf-8")
    email["To"] = message.to_address
    email["Date"] = format_datetime(utcnow())
    # Stable across retries, so a receiving server can tell a repeat from a new message.
    stamp = int(message.created_at.timestamp())
    email["Message-ID"] = f"<hvs.{message.id}.{stamp}@{_sender_domain(sender)}>"
    email["Auto-Submitted"] = "auto-generated"
    email.attach(MIMEText(message.text_body, "plain", UTF8))
    if message.html_body:
        email.attach(MIMEText(message.html_body, "html", UTF8))
    return email


def _email_of(message: _Claimed) -> MIMEMultipart:
    try:
        return build_email(message)
    except (ValueError, TypeError, IndexError, MessageError) as exc:
        raise _Refused(_describe(exc), permanent=True) from exc


def _sender_domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "localhost"


# ---- transports ------------------------------------------------------------------------------


class SmtpTransport:
    """One SMTP connection for a batch: ``MAIL_SERVER``/``MAIL_PORT``, SSL from the start
    (``MAIL_USE_SSL``) or STARTTLS (``MAIL_USE_TLS``), login when ``MAIL_USERNAME`` is set."""

    def __init__(self):
        config = current_app.config
        self.host = config["MAIL_SERVER"]
        self.use_ssl = bool(config.get("MAIL_USE_SSL"))
        self.use_tls = bool(config.get("MAIL_USE_TLS"))
        self.port = int(config.get("MAIL_PORT") or (465 if self.use_ssl else 25))
        self.username = config.get("MAIL_USERNAME")
        self.password = config.get("MAIL_PASSWORD") or ""
        self.timeout = float(config.get("MAIL_TIMEOUT") or 30)
        self.sender = parseaddr(config.get("MAIL_DEFAULT_SENDER") or "")[1] or None
        self.connection: smtplib.SMTP | None = None

    def open(self) -> None:
        try:
            if self.use_ssl:
                context = ssl.create_default_context()
                self.connection = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=context
                )
            else:
                self.connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                if self.use_tls:
                    self.connection.starttls(context=ssl.create_default_context())
            if self.username:
                self.connection.login(self.username, self.password)
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise _Refused(_describe(exc), dead=True) from exc

    def send(self, message: _Claimed, email: MIMEMultipart) -> None:
        try:
            self.connection.send_message(
                email, from_addr=self.sender, to_addrs=[message.to_address]
            )
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise _Refused(_describe(exc), permanent=all(c >= 500 for c in codes)) from exc
        except smtplib.SMTPDataError as exc:
            raise _Refused(_describe(exc), permanent=exc.smtp_code >= 500) from exc
        except smtplib.SMTPSenderRefused as exc:  # our sender address: a setting to fix, retry
            raise _Refused(_describe(exc)) from exc
        except smtplib.SMTPResponseException as exc:  # 421: the server is closing the connection
            raise _Refused(_describe(exc), dead=exc.smtp_code == 421) from exc
        except smtplib.SMTPNotSupportedError as exc:  # e.g. a non-ASCII address, no SMTPUTF8
            raise _Refused(_describe(exc), permanent=True) from exc
        except OSError as exc:  # disconnected, timed out, reset (SMTPException is an OSError)
            raise _Refused(_describe(exc), dead=True) from exc

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.connection.quit()
            with contextlib.suppress(OSError):
                self.connection.close()
            self.connection = None


class FolderTransport:
    """No SMTP server configured: each message becomes ``instance/outbox/<time>-<id>.eml``."""

    def __init__(self):
        self.folder = outbox_folder()

    def open(self) -> None:
        try:
            os.makedirs(self.folder, exist_ok=True)
        except OSError as exc:
            raise _Refused(_describe(exc), dead=True) from exc

    def send(self, message: _Claimed, email: MIMEMultipart) -> None:
        stamp = message.created_at.strftime("%Y%m%d-%H%M%S")
        path = os.path.join(self.folder, f"{stamp}-{message.id:08d}.eml")
        try:
            with open(path + ".tmp", "wb") as handle:
                handle.write(email.as_bytes())
            os.replace(path + ".tmp", path)
        except OSError as exc:
            raise _Refused(_describe(exc), dead=True) from exc

    def close(self) -> None:
        pass


def outbox_folder() -> str:
    return os.path.join(current_app.instance_path, OUTBOX_FOLDER)


def _describe(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return (
            "; ".join(f"{code} {_text(reply)}" for code, reply in exc.recipients.values())
            or "recipient refused"
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    return f"{type(exc).__name__}: {exc}"


def _text(reply) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


# ---- the outbox in bulk (CLI, admin) -----------------------------------------------------------


def waiting_count() -> int:
    """Messages not yet sent nor failed (queued, or claimed by a run)."""
    return db.session.scalar(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.status.in_(("queued", "sending")))
    )


def requeue_failed(kind: str | None = None) -> int:
    """Give failed messages a fresh round of attempts (``flask mail retry-failed``); returns how
    many. The caller commits and then sends (``deliver_due``) or lets the next run do it."""
    query = update(OutboxMessage).where(OutboxMessage.status == "failed")
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    count = db.session.execute(
        query.values(status="queued", attempts=0, next_attempt_at=utcnow())
    ).rowcount
    return count
