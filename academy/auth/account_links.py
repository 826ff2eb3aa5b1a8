"""Invitations and password resets by e-mail: who may get a link, the mail that carries it, and
what following the link does (single-use links: ``academy.auth.tokens``).

A person is invited while their account is active and they have never signed in; "everyone with
no sign-in yet" also leaves out whoever already has a password. A reset link goes only to an active
account that may use a local password, at most one per ``RESET_MAIL_INTERVAL_MINUTES``.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from markupsafe import escape
from sqlalchemy import exists, func, insert, or_, select

from academy.auth.models import User
from academy.auth.services import check_new_password, end_sessions
from academy.auth.sso import password_sign_in_allowed
from academy.auth.tokens import CHUNK, AccountToken, consume_token, issue_token, issue_tokens
from academy.core.audit import record_audit
from academy.database import utcnow
from academy.extensions import db
from academy.mail import OutboxMessage, queue_mail

INVITATION, RESET = "invitation", "reset"


def link_builder(endpoint: str):
    """``token -> absolute URL`` of ``endpoint`` under ``PUBLIC_BASE_URL``, inside a request or not
    (a job, a command): the link must name the public site, not the address the request came to."""
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    return lambda token: adapter.build(endpoint, {"token": token}, force_external=True)


def never_signed_in():
    """SQL: an active account whose owner has not signed in yet (may be invited)."""
    return User.is_active.is_(True) & User.last_login_at.is_(None)


def without_password():
    """SQL: an account with no password yet (e.g. made by an import)."""
    return or_(User.password_hash.is_(None), User.password_hash == "")


def may_be_invited(user: User) -> bool:
    return bool(user.is_active and user.last_login_at is None)


def invite_people(user_ids, *, inviter: User | None = None, only_without_password=False) -> int:
    """Queue an invitation for each of ``user_ids`` (a list, or a SELECT of ids) who may be invited
    (``only_without_password``: and has no password yet); their earlier invitation links stop
    working. Returns how many were invited. Set-based: one query for the people, one UPDATE and
    one INSERT for the links, one rendering per language and one INSERT for the mail. The caller
    commits."""
    condition = never_signed_in()
    if only_without_password:
        condition = condition & without_password()
    people = _people(user_ids, condition)
    tokens = issue_tokens(
        [p.id for p in people], INVITATION, created_by_id=getattr(inviter, "id", None)
    )
    link = link_builder("auth.activate")
    days = int(current_app.config["INVITATION_DAYS"])
    by_locale: dict[str, list] = {}
    for person in people:
        by_locale.setdefault(person.locale or "vi", []).append(person)
    for locale, group in by_locale.items():
        _queue_alike(
            "invitation",
            locale,
            [(p, link(tokens[p.id])) for p in group],
            days=days,
        )
    return len(people)


def _queue_alike(template: str, locale: str, recipients: list, **context) -> None:
    """One mail of ``template`` to each (person, link) of ``recipients``, all in ``locale``.

    Rendering 10,000 mails one by one takes longer than the bulk invitation may (about 1 ms
    each): the templates are rendered once, through ``queue_mail``, with a random marker in place
    of the name, the address and the link, and each person's mail is that text with their own
    values put in (escaped for the HTML part). The templates therefore print those three values
    as given, never through a filter. The first person's mail is the one ``queue_mail`` queued
    (delivery starts after the commit); the others follow in one INSERT."""
    mark = secrets.token_hex(8)
    markers = {"name": mark + "n", "email": mark + "e", "link": mark + "l"}
    first = queue_mail(
        markers["email"],
        template,
        locale=locale,
        kind=template,
        user_id=recipients[0][0].id,
        recipient_name=markers["name"],
        email=markers["email"],
        action_url=markers["link"],
        **context,
    )
    shape = {"subject": first.subject, "text_body": first.text_body, "html_body": first.html_body}
    rows = []
    for index, (person, link) in enumerate(recipients):
        values = {"name": person.full_name, "email": person.email, "link": link}
        filled = {
            "to_address": person.email,
            "user_id": person.id,
            "subject": _fill(shape["subject"], markers, values)[:300],
            "text_body": _fill(shape["text_body"], markers, values),
            "html_body": _fill(shape["html_body"], markers, values, html=True),
        }
        if index == 0:
            for key, value in filled.items():
                setattr(first, key, value)
        else:
            rows.append(filled | _queued_like(first))
    if rows:
        db.session.execute(insert(OutboxMessage), rows)


def _fill(text: str, markers: dict, values: dict, html: bool = False) -> str:
    for key, marker in markers.items():
        text = text.replace(marker, str(escape(values[key])) if html else values[key])
    return text


def _queued_like(message: OutboxMessage) -> dict:
    return {
        "kind": message.kind,
        "locale": message.locale,
        "status": "queued",
        "attempts": 0,
        "dedupe_key": None,
        "next_attempt_at": message.next_attempt_at,
        "created_at": utcnow(),
    }


def _people(user_ids, condition) -> list:
    columns = (User.id, User.email, User.full_name, User.locale)
    if not isinstance(user_ids, (list, tuple, set)):
        query = select(*columns).where(User.id.in_(user_ids), condition).order_by(User.id)
        return list(db.session.execute(query))
    ids, people = sorted(set(user_ids)), []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        people += db.session.execute(
            select(*columns).where(User.id.in_(chunk), condition).order_by(User.id)
        )
    return people


def count_not_signed_in(user_ids) -> dict[str, int]:
    """Among ``user_ids`` (a SELECT): who has not signed in yet, of whom without a password, and
    of those how many hold a link still open (invited, waiting)."""
    base = select(func.count(User.id)).where(User.id.in_(user_ids), never_signed_in())
    open_link = exists().where(
        AccountToken.user_id == User.id,
        AccountToken.purpose == INVITATION,
        AccountToken.used_at.is_(None),
        AccountToken.revoked_at.is_(None),
        AccountToken.expires_at > utcnow(),
    )
    return {
        "not_signed_in": db.session.scalar(base),
        "without_password": db.session.scalar(base.where(without_password())),
        "waiting": db.session.scalar(base.where(open_link)),
    }


def request_password_reset(email: str) -> bool:
    """Queue a reset link for the account of ``email`` if there is one that may have it (active,
    local password allowed, no reset mail in the last ``RESET_MAIL_INTERVAL_MINUTES``). The caller
    answers the same whatever happened; True only tells tests and the audit. The caller commits."""
    address = (email or "").strip().lower()
    user = db.session.scalar(select(User).where(func.lower(User.email) == address))
    if user is None or not user.is_active or not password_sign_in_allowed(user):
        return False
    if _reset_sent_recently(user):
        return False
    minutes = int(current_app.config["PASSWORD_RESET_MINUTES"])
    token = issue_token(user, RESET)
    queue_mail(
        user.email,
        "password_reset",
        locale=user.locale or "vi",
        kind="password_reset",
        user_id=user.id,
        recipient_name=user.full_name,
        email=user.email,
        action_url=link_builder("auth.reset_password")(token),
        minutes=minutes,
    )
    record_audit("auth.password.reset_requested", target=f"user:{user.id}")
    return True


def _reset_sent_recently(user: User) -> bool:
    interval = timedelta(minutes=float(current_app.config["RESET_MAIL_INTERVAL_MINUTES"]))
    return bool(
        db.session.scalar(
            select(AccountToken.id)
            .where(
                AccountToken.user_id == user.id,
                AccountToken.purpose == RESET,
                AccountToken.created_at > utcnow() - interval,
            )
            .limit(1)
        )
    )


def set_password_by_link(token: str, purpose: str, password: str, user: User) -> User:
    """Use the link ``token`` (checked for ``user``, shown the form) to give ``user`` the new
    ``password``: the rule is checked first (WeakPasswordError, the link stays usable), then the
    link is spent (LinkUnusable if it was meanwhile), and every session so far ends. Audited. The
    caller commits and signs the person in."""
    check_new_password(user, password)
    person = consume_token(token, purpose)
    person.set_password(password)
    end_sessions(person)
    action = "auth.invitation.accept" if purpose == INVITATION else "auth.password.reset"
    record_audit(action, target=f"user:{person.id}", actor=person)
    return person
