"""Two-factor sign-in with an authenticator app (TOTP, RFC 6238) and one-time recovery codes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
from flask import current_app
from sqlalchemy import delete, func, or_, select, update

from academy.auth.models import RecoveryCode, TotpCredential, User
from academy.core.qr import qr_svg_data_uri
from academy.database import utcnow
from academy.extensions import db

STEPS_EITHER_SIDE = 1  # a phone clock 30 s off still works
RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols, none mistaken for another
RECOVERY_CODE_LENGTH = 16  # 80 random bits


class InvalidCode(Exception):
    """The code is wrong, expired, already used, or there is nothing to check it against."""


class TwoFactorRequired(Exception):
    """The user's role requires two-factor sign-in, so it cannot be turned off."""


def _credential(user: User) -> TotpCredential | None:
    return db.session.get(TotpCredential, user.id)


def is_enrolled(user: User) -> bool:
    """Whether sign-in asks this user for a code."""
    credential = _credential(user)
    return credential is not None and credential.confirmed_at is not None


def is_required(user: User) -> bool:
    """Whether configuration (TOTP_REQUIRED_ROLES) makes two-factor sign-in compulsory for
    ``user``."""
    roles = current_app.config.get("TOTP_REQUIRED_ROLES") or ()
    if isinstance(roles, str):
        roles = [role.strip() for role in roles.split(",")]
    return bool(user.roles & set(roles))


def asks_for_code(user: User) -> bool:
    """Whether sign-in takes a second step for ``user`` (a code, or enrolling first)."""
    return is_enrolled(user) or is_required(user)


def pending_secret(user: User) -> str:
    """The secret the user is about to enrol, created on first asking and kept server-side.
    Once enrolment is confirmed it is never handed out again (InvalidCode)."""
    credential = _credential(user)
    if credential is not None and credential.confirmed_at is not None:
        raise InvalidCode("already enrolled")
    if credential is None:
        credential = TotpCredential(user_id=user.id, secret=pyotp.random_base32())
        db.session.add(credential)
        db.session.flush()
    return credential.secret


def enrolment_qr(user: User, secret: str) -> tuple[str, str]:
    """The otpauth:// address for ``secret`` and a QR code of it as an SVG data: URI."""
    uri = pyotp.TOTP(secret).provisioning_uri(
        name=user.email, issuer_name=current_app.config["TOTP_ISSUER"]
    )
    return uri, qr_svg_data_uri(uri)


def confirm_enrolment(user: User, code: str) -> list[str]:
    """Switch two-factor sign-in on once the user proves their app shows the right ``code``;
    return fresh recovery codes, shown to the user this once."""
    credential = _credential(user)
    if credential is None or credential.confirmed_at is not None:
        raise InvalidCode("nothing pending")
    _use_totp(credential, code)
    credential.confirmed_at = utcnow()
    return replace_recovery_codes(user)


def verify_second_factor(user: User, code: str) -> bool:
    """Accept a current authenticator code or an unused recovery code (then used up); raise
    InvalidCode otherwise. Return True when a recovery code was spent."""
    credential = _credential(user)
    if credential is None or credential.confirmed_at is None:
        raise InvalidCode("not enrolled")
    digits = normalise_code(code)
    if digits.isdigit() and len(digits) == 6:
        _use_totp(credential, digits)
        return False
    _use_recovery_code(user, digits)
    return True


def normalise_code(code: str) -> str:
    """What the user typed, ASCII letters and digits only, upper case: '123 456' → '123456'."""
    return "".join(ch for ch in (code or "") if ch.isascii() and ch.isalnum()).upper()


def _use_totp(credential: TotpCredential, code: str) -> None:
    """Accept ``code`` for its time step once: the step is recorded, and a code of that step or an
    earlier one is refused from then on (the update is conditional, so two racing requests cannot
    both pass)."""
    step = _matching_step(credential.secret, normalise_code(code))
    if step is None:
        raise InvalidCode("wrong code")
    stale = or_(TotpCredential.last_used_step.is_(None), TotpCredential.last_used_step < step)
    result = db.session.execute(
        update(TotpCredential)
        .where(TotpCredential.user_id == credential.user_id, stale)
        .values(last_used_step=step)
    )
    if result.rowcount != 1:
        raise InvalidCode("code already used")


def _matching_step(secret: str, code: str) -> int | None:
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(time.time())
    for step in range(current - STEPS_EITHER_SIDE, current + STEPS_EITHER_SIDE + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _hash_code(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def _use_recovery_code(user: User, code: str) -> None:
    result = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash_code(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )
    if result.rowcount != 1:
        raise InvalidCode("unknown recovery code")


def replace_recovery_codes(user: User) -> list[str]:
    """Forget the user's recovery codes and issue RECOVERY_CODE_COUNT new ones (returned in clear
    this once; only their hashes are stored)."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash_code(code)) for code in codes)
    db.session.flush()
    return ["-".join(code[i : i + 4] for i in range(0, RECOVERY_CODE_LENGTH, 4)) for code in codes]


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(
        select(func.count(RecoveryCode.id)).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    )


def enrolled_at(user: User):
    credential = _credential(user)
    return credential.confirmed_at if credential else None


def disable_two_factor(user: User, *, force: bool = False) -> None:
    """Turn two-factor sign-in off and forget the secret and recovery codes. Refused
    (TwoFactorRequired) when the user's role requires it, unless an operator ``force``s a reset
    (the user then enrols again at their next sign-in)."""
    if is_required(user) and not force:
        raise TwoFactorRequired()
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(TotpCredential).where(TotpCredential.user_id == user.id))
    db.session.flush()
