"""The platform's credential signing keys: Ed25519, one PEM file per key in the instance folder.

``instance/keys/credentials/<kid>.pem`` (mode 0600, folder 0700). Key ids sort by creation time, so
the newest file signs; rotating adds a newer key and keeps the older ones, whose public halves stay
published (JWKS) so credentials signed with them still verify. Nothing is created at import or in
create_app: the first credential to be signed makes the first key. Every web host must see the same
folder (shared storage, or copy the files) or hosts would sign with keys the others do not publish.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app

from academy.database import utcnow

ALGORITHM = "EdDSA"
KEY_ID = re.compile(r"^[0-9]{8}T[0-9]{12}Z-[0-9a-f]{8}$")  # 20261207T140000123456Z-1a2b3c4d
STAMP = "%Y%m%dT%H%M%S%fZ"


@dataclass(frozen=True)
class SigningKey:
    key_id: str
    private_key: Ed25519PrivateKey


def keys_folder() -> Path:
    return Path(current_app.instance_path) / "keys" / "credentials"


def _key_ids() -> list[str]:
    folder = keys_folder()
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.pem") if KEY_ID.match(p.stem))


def _load_private(key_id: str) -> Ed25519PrivateKey:
    data = (keys_folder() / f"{key_id}.pem").read_bytes()
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{key_id}.pem is not an Ed25519 key")
    return key


def create_key() -> str:
    """Make a new Ed25519 key (it signs from now on); return its key id."""
    folder = keys_folder()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    key_id = f"{_next_stamp()}-{secrets.token_hex(4)}"
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # Written under a temporary name with 0600 from the start, then renamed: another process never
    # reads half a key, and the private key is never readable by others, even for a moment.
    temporary = folder / f".{key_id}.pem.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(pem)
    os.replace(temporary, folder / f"{key_id}.pem")
    return key_id


def _next_stamp() -> str:
    """Now, or just after the newest key if the clock says otherwise (two rotations in the same
    microsecond, a clock set back): the newest key must sort last."""
    moment = utcnow().replace(tzinfo=None)
    key_ids = _key_ids()
    if key_ids:
        newest = datetime.strptime(key_ids[-1].split("-")[0], STAMP)
        moment = max(moment, newest + timedelta(microseconds=1))
    return moment.strftime(STAMP)


def signing_key() -> SigningKey:
    """The newest key, created on first use."""
    key_ids = _key_ids()
    key_id = key_ids[-1] if key_ids else create_key()
    return SigningKey(key_id, _load_private(key_id))


def public_key(key_id: str) -> Ed25519PublicKey | None:
    """The public key ``key_id`` names, or None for an id we never issued."""
    if not isinstance(key_id, str) or not KEY_ID.match(key_id) or key_id not in _key_ids():
        return None
    return _load_private(key_id).public_key()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def public_jwk(key_id: str, key: Ed25519PublicKey) -> dict:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": _b64url(raw),
        "kid": key_id,
        "alg": ALGORITHM,
        "use": "sig",
    }


def public_jwks() -> dict:
    """Every key's public half, newest first (RFC 7517 JWK Set)."""
    return {
        "keys": [
            public_jwk(key_id, _load_private(key_id).public_key())
            for key_id in reversed(_key_ids())
        ]
    }


class SignatureError(ValueError):
    """A compact JWS that does not verify; ``reason`` is one of malformed, unknown_key,
    bad_signature."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def sign_compact(payload: dict, typ: str = "JWT") -> tuple[str, str]:
    """``payload`` as a compact JWS (RFC 7515) signed by the newest key: (token, key id)."""
    key = signing_key()
    header = {"alg": ALGORITHM, "kid": key.key_id, "typ": typ}
    signing_input = f"{_b64url(_json(header))}.{_b64url(_json(payload))}".encode("ascii")
    return f"{signing_input.decode()}.{_b64url(key.private_key.sign(signing_input))}", key.key_id


def verify_compact(token: str) -> tuple[dict, dict]:
    """(header, payload) of a compact JWS signed by one of our keys; SignatureError otherwise."""
    parts = token.split(".")
    if len(parts) != 3:
        raise SignatureError("malformed")
    try:
        header, payload = json.loads(_unb64url(parts[0])), json.loads(_unb64url(parts[1]))
        signature = _unb64url(parts[2])
    except (ValueError, RecursionError):  # bad base64, UTF-8 or JSON, or absurdly deep JSON
        raise SignatureError("malformed") from None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise SignatureError("malformed")
    if header.get("alg") != ALGORITHM or "crit" in header:  # "none", HS256…: not our signature
        raise SignatureError("bad_signature")
    key = public_key(header.get("kid"))
    if key is None:
        raise SignatureError("unknown_key")
    try:
        key.verify(signature, f"{parts[0]}.{parts[1]}".encode("ascii"))
    except (InvalidSignature, UnicodeEncodeError):
        raise SignatureError("bad_signature") from None
    return header, payload


def _json(value: dict) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _unb64url(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
