"""Open Badges 3.0 credentials for certificates: build, sign (VC-JOSE), check.

Each certificate is also an ``OpenBadgeCredential`` (W3C VC data model 2.0 with the OB 3.0
context) secured as OB 3.0 §8.2 asks of the JSON Web Token proof format: a compact JWS, alg EdDSA
(Ed25519), ``kid`` naming a key published at ``/.well-known/jwks.json``, the credential itself as
the JWT payload plus the registered claims iss, jti and nbf. Any JOSE library checks it with the
public key alone. The signed token is stored (see ``CertificateCredential``) so the PDF attachment
and every download are the same bytes. The JSON download is the VC 2.0
``EnvelopedVerifiableCredential`` that carries the token.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import select

from academy.certificates import keys, status_list
from academy.certificates.models import Certificate, CertificateCredential
from academy.database import db, utcnow
from academy.learning.models import Enrollment

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_SCHEMA = {
    "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
    "type": "1EdTechJsonSchemaValidator2019",
}
MEDIA_TYPE = "application/vc+jwt"
ENVELOPE_PREFIX = f"data:{MEDIA_TYPE},"
MAX_CHARS = 64 * 1024  # a credential is ~2 KB; anything this long is not one of ours
CRITERIA = "Hoàn thành và đạt bài kiểm tra của tất cả các mô-đun trong khoá học."
_STATUS_URL = re.compile(r"/credentials/status/([0-9]{1,9})$")


class CredentialProblem(ValueError):
    """Why a submitted credential is not valid: malformed, too_large, unknown_key,
    bad_signature, not_a_badge (a revoked one is valid in form; see ``revoked_at``)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CheckedCredential:
    issuer: str
    learner: str
    course: str
    issued_at: datetime
    revoked_at: datetime | None


def _base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def issuer_id() -> str:
    return f"{_base_url()}/credentials/issuer"


def issuer_profile() -> dict:
    """The issuing organisation as an OB 3.0 ``Profile`` (also served at its id)."""
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": issuer_id(),
        "type": ["Profile"],
        "name": current_app.config["CERTIFICATE_ORGANISATION"],
        "url": _base_url(),
    }


def _identifiers(user) -> list[dict]:
    """The learner's name in clear, as the paper shows it. Nothing else personal: the credential
    is public to whoever holds the verify code, and even a salted hash of the e-mail address
    would let them confirm a guessed address."""
    return [
        {
            "type": "IdentityObject",
            "identityType": "name",
            "hashed": False,
            "identityHash": user.full_name,
        }
    ]


def _achievement(course) -> dict:
    return {
        "id": f"{_base_url()}/courses/{course.slug}",
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": course.title,
        "description": course.summary or course.title,
        "criteria": {"narrative": CRITERIA},
        "inLanguage": "vi",
    }


def build_credential(certificate: Certificate, list_number: int, index: int) -> dict:
    """The unsigned ``OpenBadgeCredential`` of ``certificate`` (JWT claims included)."""
    completed = db.session.scalar(
        select(Enrollment.completed_at).where(
            Enrollment.user_id == certificate.user_id,
            Enrollment.course_id == certificate.course_id,
        )
    )
    credential_id = f"{_base_url()}/verify/{certificate.verify_code}"
    issued = _timestamp(certificate.issued_at)
    profile = {key: value for key, value in issuer_profile().items() if key != "@context"}
    subject = {
        "type": ["AchievementSubject"],
        "identifier": _identifiers(certificate.user),
        "achievement": _achievement(certificate.course),
        "activityEndDate": _timestamp(completed or certificate.issued_at),
    }
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": profile,
        "validFrom": issued,
        "awardedDate": issued,
        "name": certificate.course.title,
        "credentialSubject": subject,
        "credentialStatus": status_list.status_entry(list_number, index),
        "credentialSchema": [OB_SCHEMA],
        # JWT registered claims (OB 3.0 §8.2.4.2)
        "iss": profile["id"],
        "jti": credential_id,
        "nbf": int(certificate.issued_at.timestamp()),
    }


def credential_for(certificate: Certificate) -> CertificateCredential:
    """The certificate's signed credential, made (and flushed) the first time it is asked for."""
    existing = db.session.get(CertificateCredential, certificate.id)
    if existing is not None:
        return existing
    list_number, index = status_list.place_of(certificate.id)
    token, key_id = keys.sign_compact(build_credential(certificate, list_number, index))
    credential = CertificateCredential(
        certificate_id=certificate.id,
        status_list=list_number,
        status_index=index,
        key_id=key_id,
        token=token,
        issued_at=utcnow(),
    )
    db.session.add(credential)
    db.session.flush()
    return credential


def enveloped(token: str) -> dict:
    """The JSON form of a JOSE-secured credential (VC data model 2.0 §4.13)."""
    return {
        "@context": [VC_CONTEXT],
        "id": ENVELOPE_PREFIX + token,
        "type": "EnvelopedVerifiableCredential",
    }


def status_list_token(list_number: int) -> str:
    """The signed ``BitstringStatusListCredential`` of one list, as of now."""
    url = status_list.list_url(list_number)
    now = utcnow()
    payload = {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id(),
        "validFrom": _timestamp(now),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": status_list.PURPOSE,
            "encodedList": status_list.encode_bits(status_list.revoked_indexes(list_number)),
        },
        "iss": issuer_id(),
        "jti": url,
        "nbf": int(now.timestamp()),
    }
    return keys.sign_compact(payload)[0]


def token_from(submitted: str) -> str:
    """The compact JWS inside what a visitor pasted or uploaded: the token itself, or the JSON
    envelope we hand out."""
    text = (submitted or "").strip()
    if len(text) > MAX_CHARS:
        raise CredentialProblem("too_large")
    if not text.startswith("{"):
        return text
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise CredentialProblem("malformed") from None
    envelope_id = document.get("id") if isinstance(document, dict) else None
    if isinstance(envelope_id, str) and envelope_id.startswith(ENVELOPE_PREFIX):
        return envelope_id[len(ENVELOPE_PREFIX) :]
    raise CredentialProblem("malformed")  # a bare JSON credential carries no proof


def check_credential(submitted: str) -> CheckedCredential:
    """What a signed credential says, if one of our keys signed it; CredentialProblem otherwise.

    Order: the signature (unknown key or one changed byte fail here), then the badge's shape, then
    its revocation bit."""
    try:
        _header, payload = keys.verify_compact(token_from(submitted))
    except keys.SignatureError as error:
        raise CredentialProblem(error.reason) from None
    try:
        facts = _facts(payload)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        raise CredentialProblem("not_a_badge") from None
    return CheckedCredential(**facts, revoked_at=_revoked_at(payload.get("credentialStatus")))


def _facts(payload: dict) -> dict:
    if "OpenBadgeCredential" not in payload["type"]:
        raise ValueError("not an OpenBadgeCredential")
    subject = payload["credentialSubject"]
    names = [
        item["identityHash"]
        for item in subject.get("identifier", [])
        if item.get("identityType") == "name" and not item.get("hashed")
    ]
    issued = datetime.fromisoformat(payload["validFrom"])
    if issued.tzinfo is None:
        raise ValueError("validFrom without a time zone")
    return {
        "issuer": str(payload["issuer"]["name"]),
        "learner": str(names[0]),
        "course": str(subject["achievement"]["name"]),
        "issued_at": issued,
    }


def _revoked_at(status) -> datetime | None:
    """The revocation time if the credential's bit in our status list is set (read from the same
    rows the list is made from), else None."""
    if not isinstance(status, dict):
        return None
    match = _STATUS_URL.search(str(status.get("statusListCredential", "")))
    index = str(status.get("statusListIndex", ""))
    if match is None or not index.isdigit() or len(index) > 9:
        return None
    return db.session.scalar(
        select(Certificate.revoked_at)
        .join(CertificateCredential, CertificateCredential.certificate_id == Certificate.id)
        .where(
            CertificateCredential.status_list == int(match.group(1)),
            CertificateCredential.status_index == int(index),
        )
    )
