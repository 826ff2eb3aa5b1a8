"""Issuing, revoking and checking certificates. Services flush; the caller commits."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask import current_app
from sqlalchemy import or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload

from academy.auth.models import User
from academy.auth.units import unit_full_name
from academy.certificates import credentials
from academy.certificates.models import Certificate
from academy.certificates.render import render_certificate_pdf
from academy.core.audit import record_audit
from academy.database import contains_folded_words, contains_text, db, utcnow
from academy.events import certificate_issued, send
from academy.i18n import academy_zone
from academy.learning.models import Enrollment

SERIAL_PREFIX = "HVS"


def issue_certificate(user, course) -> Certificate:
    """Issue the certificate for ``user`` having completed ``course``, exactly once.

    Safe under concurrent calls: a second issuance for the same (user, course) hits the partial
    unique index, its savepoint (with its serial number) is rolled back, and the live certificate
    is returned. Sends ``certificate_issued`` for a new one. Flushes only; the caller commits.
    """
    existing = live_certificate(user.id, course.id)
    if existing is not None:
        return existing
    _begin_write_transaction()
    try:
        with db.session.begin_nested():
            certificate = Certificate(
                serial=next_serial(),
                verify_code=new_verify_code(),
                user_id=user.id,
                course_id=course.id,
                issued_at=utcnow(),
            )
            db.session.add(certificate)
            db.session.flush()  # the unique index speaks here, before the costly render
            store_pdf(certificate)
    except IntegrityError:
        existing = live_certificate(user.id, course.id)
        if existing is None:
            raise
        return existing
    send(certificate_issued, certificate=certificate)
    return certificate


def _begin_write_transaction() -> None:
    """On SQLite, take the write lock now (writers serialise) so the savepoint below is nested
    inside our transaction instead of starting, and on release committing, one of its own."""
    connection = db.session.connection()
    if (
        connection.dialect.name == "sqlite"
        and not connection.connection.dbapi_connection.in_transaction
    ):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def live_certificate(user_id: int, course_id: int) -> Certificate | None:
    return db.session.scalar(
        select(Certificate).where(
            Certificate.user_id == user_id,
            Certificate.course_id == course_id,
            Certificate.revoked_at.is_(None),
        )
    )


def next_serial(now: datetime | None = None) -> str:
    """``HVS-YYYY-NNNNNN``: the year's counter row is bumped in this transaction, so a rolled back
    issuance gives its number back and concurrent ones queue on the row lock (no gaps, no twins)."""
    year = local_date(now or utcnow()).year
    number = db.session.execute(
        text(
            "INSERT INTO certificate_counters (year, last_number) VALUES (:year, 1) "
            "ON CONFLICT (year) DO UPDATE SET last_number = certificate_counters.last_number + 1 "
            "RETURNING last_number"
        ),
        {"year": year},
    ).scalar_one()
    return f"{SERIAL_PREFIX}-{year}-{number:06d}"


def new_verify_code() -> str:
    """192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


def local_date(moment: datetime):
    return moment.astimezone(academy_zone()).date()


def vietnamese_date(moment: datetime) -> str:
    """ "ngày 05 tháng 02 năm 2026": administrative style pads days below 10 and months 1–2."""
    day = local_date(moment)
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def verify_url(code: str) -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/verify/" + code


def certificate_data(certificate: Certificate) -> dict:
    """The plain values the PDF template may see (never ORM objects)."""
    config = current_app.config
    user, course = certificate.user, certificate.course
    issued = certificate.issued_at
    completed = completion_time(certificate.user_id, certificate.course_id) or issued
    place = config["CERTIFICATE_PLACE"]
    return {
        "serial": certificate.serial,
        "full_name": user.full_name,
        "unit_name": user.unit.name if user.unit else "",
        "unit_code": user.unit.code if user.unit else "",
        "unit_path": unit_full_name(user.unit),  # "Thành phố › Phường … › Chi bộ …"
        "course_title": course.title,
        "hours": int(course.hours or 0),
        "completed_on": local_date(completed).strftime("%d/%m/%Y"),
        "place_date": f"{place}, {vietnamese_date(issued)}",
        "issuer_name": config["CERTIFICATE_ISSUER_NAME"],
        "issuer_title": config["CERTIFICATE_ISSUER_TITLE"],
        "organisation": config["CERTIFICATE_ORGANISATION"],
        "organisation_parent": config["CERTIFICATE_ORGANISATION_PARENT"],
        "verify_url": verify_url(certificate.verify_code),
    }


def completion_time(user_id: int, course_id: int) -> datetime | None:
    return db.session.scalar(
        select(Enrollment.completed_at).where(
            Enrollment.user_id == user_id, Enrollment.course_id == course_id
        )
    )


def store_pdf(certificate: Certificate) -> bytes:
    """Render the certificate, keep the bytes and their SHA-256 (what the verify page compares).
    The PDF carries the certificate's signed Open Badges credential as an attached file; the hash
    covers the whole file, attachment included."""
    pdf = render_certificate_pdf(
        certificate_data(certificate), attachments=(credential_attachment(certificate),)
    )
    certificate.pdf, certificate.pdf_sha256 = pdf, hashlib.sha256(pdf).hexdigest()
    db.session.flush()
    return pdf


def credential_attachment(certificate: Certificate) -> tuple[str, bytes, str]:
    """(file name, bytes, description) of the credential embedded in the PDF: the signed JWT."""
    token = credentials.credential_for(certificate).token
    name = f"{certificate.serial}-open-badge.jwt"
    return name, token.encode("ascii"), "Open Badges 3.0 (W3C Verifiable Credential, VC-JOSE)"


def pdf_bytes(certificate: Certificate) -> bytes:
    """The stored PDF (rendered and stored now if an older row has none)."""
    return certificate.pdf or store_pdf(certificate)


def is_genuine_pdf(certificate: Certificate, data: bytes) -> bool:
    """Byte-for-byte the issued file (SHA-256 of the upload against the stored hash)."""
    digest = hashlib.sha256(data).hexdigest()
    return bool(certificate.pdf_sha256) and secrets.compare_digest(digest, certificate.pdf_sha256)


def find_by_serial(serial: str) -> Certificate | None:
    return db.session.scalar(
        select(Certificate)
        .where(Certificate.serial == serial)
        .options(joinedload(Certificate.user))
    )


def find_by_code(code: str) -> Certificate | None:
    if not code or len(code) > 64:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.verify_code == code))


def find_replacement(certificate: Certificate) -> Certificate | None:
    """The certificate now valid in place of a revoked one, if any.

    No column links the two: a reissue revokes the old row and then issues a new one for the same
    holder and course, so the replacement is that pair's live certificate issued at or after the
    revocation (at most one exists, by the partial unique index).
    """
    if certificate.revoked_at is None:
        return None
    fresh = live_certificate(certificate.user_id, certificate.course_id)
    if fresh is None or fresh.issued_at < certificate.revoked_at:
        return None
    return fresh


def list_user_certificates(user) -> list[Certificate]:
    return list(
        db.session.scalars(
            select(Certificate)
            .where(Certificate.user_id == user.id)
            .options(joinedload(Certificate.course))
            .order_by(Certificate.issued_at.desc())
        )
    )


def search_certificates(query: str, limit: int = 50) -> list[Certificate]:
    """Certificates whose serial contains ``query``, or whose holder's name, e-mail or employee
    code contains its words whatever the case and accents (newest first)."""
    stmt = (
        select(Certificate)
        .join(User, User.id == Certificate.user_id)
        .options(contains_eager(Certificate.user), joinedload(Certificate.course))
        .order_by(Certificate.issued_at.desc())
        .limit(limit)
    )
    query = (query or "").strip()
    if query:
        serial = contains_text(Certificate.serial, query)
        person = contains_folded_words(User.search_name, query)
        stmt = stmt.where(serial if person is None else or_(serial, person))
    return list(db.session.scalars(stmt).unique())


def revoke_certificate(certificate: Certificate, reason: str, actor=None) -> Certificate:
    """Mark revoked with a reason (audited). Revoking twice changes nothing."""
    if certificate.revoked_at is None:
        certificate.revoked_at, certificate.revoke_reason = utcnow(), reason.strip()
        record_audit(
            "certificate.revoke",
            certificate.serial,
            {"reason": certificate.revoke_reason},
            actor=actor,
        )
        db.session.flush()
    return certificate


def reissue_certificate(certificate: Certificate, reason: str, actor=None) -> Certificate:
    """Revoke (if still live) and issue a new certificate with a new serial and verify code."""
    revoke_certificate(certificate, reason, actor=actor)
    fresh = issue_certificate(certificate.user, certificate.course)
    record_audit(
        "certificate.reissue", certificate.serial, {"new_serial": fresh.serial}, actor=actor
    )
    return fresh
