"""Revocation by W3C Bitstring Status List v1.0: one bit per credential, 1 = revoked.

Lists hold 131,072 bits (16 KiB, the minimum the specification asks for herd privacy). A
certificate's place comes from its id: list ``id // SIZE + 1``, and inside it a fixed odd-multiplier
permutation of ``id % SIZE`` (a bijection modulo a power of two), so places never collide, need no
lock, and neighbours in time are not neighbours in the list. The bits are read from
``certificates.revoked_at`` whenever a list is served, so revoking (the admin flow) flips the bit.
"""

from __future__ import annotations

import base64
import gzip

from flask import current_app
from sqlalchemy import select

from academy.certificates.models import Certificate, CertificateCredential
from academy.database import db

SIZE = 131_072  # 2**17 bits
_MULTIPLIER = 0x2F4A7  # odd: multiplying modulo 2**17 permutes the indexes
_OFFSET = 0x15B3D
PURPOSE = "revocation"


def place_of(certificate_id: int) -> tuple[int, int]:
    """(list number from 1, bit index) for a certificate id; distinct ids get distinct places."""
    return certificate_id // SIZE + 1, (certificate_id % SIZE * _MULTIPLIER + _OFFSET) % SIZE


def list_url(list_number: int) -> str:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/credentials/status/{list_number}"


def status_entry(list_number: int, index: int) -> dict:
    """The ``credentialStatus`` of a credential at that place."""
    url = list_url(list_number)
    return {
        "id": f"{url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": PURPOSE,
        "statusListIndex": str(index),
        "statusListCredential": url,
    }


def revoked_indexes(list_number: int) -> list[int]:
    return list(
        db.session.scalars(
            select(CertificateCredential.status_index)
            .join(Certificate, Certificate.id == CertificateCredential.certificate_id)
            .where(
                CertificateCredential.status_list == list_number,
                Certificate.revoked_at.is_not(None),
            )
        )
    )


def encode_bits(indexes: list[int]) -> str:
    """Multibase base64url (``u``, no padding) of the GZIP of the bitstring; bit 0 is the most
    significant bit of the first byte."""
    bits = bytearray(SIZE // 8)
    for index in indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    # mtime=0: the same revocations always give the same bytes
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")


def bit_is_set(encoded: str, index: int) -> bool:
    """Read one bit of an ``encodedList`` (what any verifier does with the list)."""
    packed = base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4))
    bits = gzip.decompress(packed)
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def exists(list_number: int) -> bool:
    """A list is served once some credential points into it."""
    return (
        db.session.scalar(
            select(CertificateCredential.certificate_id)
            .where(CertificateCredential.status_list == list_number)
            .limit(1)
        )
        is not None
    )
