"""Open Badges 3.0 credentials: an outside verifier (PyJWT, not the code that signed) checks them
with nothing but the key published at /.well-known/jwks.json; tampering, revocation and key
rotation show as a verifier would see them (issue 18, part 3)."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import stat
from urllib.parse import urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pypdf import PdfReader

from academy.certificates.keys import sign_compact
from academy.certificates.models import CertificateCredential
from academy.database import db
from tests.certificates.conftest import NAME

ADMIN_EMAIL = "quantri-badges@example.vn"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def published_keys(client) -> jwt.PyJWKSet:
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return jwt.PyJWKSet.from_dict(response.get_json())


def verify_outside(client, token: str) -> dict:
    """What any verifier does: pick the published key by ``kid``, check the EdDSA signature."""
    kid = jwt.get_unverified_header(token)["kid"]
    return jwt.decode(token, key=published_keys(client)[kid].key, algorithms=["EdDSA"])


def jwt_download(client, certificate) -> str:
    response = client.get(f"/verify/{certificate.verify_code}/open-badge.jwt")
    assert response.status_code == 200
    assert response.mimetype == "application/vc+jwt"
    assert "attachment" in response.headers["Content-Disposition"]
    return response.get_data(as_text=True)


def check_on_our_page(client, pasted: str):
    return client.post("/credentials/verify", data={"credential": pasted})


def status_bit(client, credential: dict) -> bool:
    """Fetch the status list the credential names, verify it, read the credential's bit."""
    entry = credential["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry" and entry["statusPurpose"] == "revocation"
    response = client.get(urlsplit(entry["statusListCredential"]).path)
    assert response.status_code == 200
    status_list = verify_outside(client, response.get_data(as_text=True))
    assert "BitstringStatusListCredential" in status_list["type"]
    encoded = status_list["credentialSubject"]["encodedList"]
    assert encoded[0] == "u"  # multibase base64url
    bits = gzip.decompress(_unb64url(encoded[1:]))
    assert len(bits) * 8 >= 131_072
    index = int(entry["statusListIndex"])
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


@pytest.fixture
def revoke(client, auth, make_user):
    admin = make_user(email=ADMIN_EMAIL, roles=("admin",))

    def act(certificate):
        auth.login(admin)
        url = f"/admin/certificates/{certificate.id}/revoke"
        assert client.post(url, data={"reason": "Cấp nhầm người"}).status_code == 303
        auth.logout()
        db.session.expire_all()

    return act


def test_the_credential_verifies_outside_our_code_with_the_published_key(client, certificate):
    token = jwt_download(client, certificate)
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA" and header["kid"]
    credential = verify_outside(client, token)
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert "ob/v3p0" in credential["@context"][1]
    assert credential["iss"] == credential["issuer"]["id"]
    assert (
        credential["jti"]
        == credential["id"]
        == f"http://localhost/verify/{certificate.verify_code}"
    )
    subject = credential["credentialSubject"]
    assert subject["achievement"]["name"] == "Lãnh đạo bằng dữ liệu"
    names = [i["identityHash"] for i in subject["identifier"] if i["identityType"] == "name"]
    assert names == [NAME]
    # nothing personal beyond what the paper shows: no e-mail, employee code or unit
    text = json.dumps(credential, ensure_ascii=False)
    user = certificate.user
    assert user.email not in text and user.employee_code not in text
    assert user.unit.name not in text


def test_the_json_download_envelopes_the_same_signed_credential(client, auth, learner, certificate):
    auth.login(learner)
    response = client.get(f"/certificates/{certificate.serial}/open-badge.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.get_json()
    assert document["type"] == "EnvelopedVerifiableCredential"
    token = document["id"].removeprefix("data:application/vc+jwt,")
    assert token == jwt_download(client, certificate)
    assert verify_outside(client, token)["credentialSubject"]["achievement"]["name"]
    mine = client.get("/me/certificates").get_data(as_text=True)
    assert f"/certificates/{certificate.serial}/open-badge.json" in mine


def test_one_changed_byte_fails_outside_and_on_our_page(client, certificate):
    token = jwt_download(client, certificate)
    head, body, signature = token.split(".")
    forged_name = _unb64url(body).replace(NAME.encode(), "Nguyễn Thị Hồng Nhunh".encode())
    forged = f"{head}.{_b64url(forged_name)}.{signature}"
    raw = bytearray(_unb64url(signature))
    raw[10] ^= 0x01
    flipped = f"{head}.{body}.{_b64url(bytes(raw))}"
    for bad in (forged, flipped):
        with pytest.raises(jwt.InvalidSignatureError):
            verify_outside(client, bad)
        response = check_on_our_page(client, bad)
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert "Chữ ký số không hợp lệ" in page and "alert-success" not in page
    good = check_on_our_page(client, token)
    assert good.status_code == 200
    page = good.get_data(as_text=True)
    assert "Chứng chỉ số hợp lệ" in page and NAME in page and "Lãnh đạo bằng dữ liệu" in page


def test_revocation_sets_the_bit_and_our_page_says_revoked(client, certificate, revoke):
    token = jwt_download(client, certificate)
    credential = verify_outside(client, token)
    assert status_bit(client, credential) is False
    revoke(certificate)
    assert status_bit(client, credential) is True
    # the signature still holds; the status is what changed
    assert verify_outside(client, token)["id"] == credential["id"]
    page = check_on_our_page(client, token).get_data(as_text=True)
    assert "đã bị thu hồi" in page and "alert-success" not in page


def test_rotating_the_key_keeps_older_credentials_valid(
    app, client, runner, issue, learner, course, make_course
):
    older = issue(learner, course)
    older_token = jwt_download(client, older)
    for _ in range(2):  # twice within the same second: the newest key must still be the one used
        result = runner.invoke(args=["certificates", "rotate-key"])
        assert result.exit_code == 0 and "Khoá ký mới" in result.output
    rotated_kid = result.output.split("Khoá ký mới: ", 1)[1].split()[0]
    newer = issue(learner, make_course(title="Chuyển đổi số"))
    newer_token = jwt_download(client, newer)
    old_kid = jwt.get_unverified_header(older_token)["kid"]
    new_kid = jwt.get_unverified_header(newer_token)["kid"]
    assert old_kid != new_kid == rotated_kid
    published = {key.key_id for key in published_keys(client)}
    assert len(published) == 3 and {old_kid, new_kid} <= published
    for token in (older_token, newer_token):
        assert verify_outside(client, token)
        assert "Chứng chỉ số hợp lệ" in check_on_our_page(client, token).get_data(as_text=True)


def test_the_key_is_made_on_first_use_private_to_its_owner(app, client, learner, course, issue):
    folder = os.path.join(app.instance_path, "keys", "credentials")
    assert not os.path.exists(folder)  # building the app wrote nothing
    assert client.get("/.well-known/jwks.json").get_json() == {"keys": []}
    issue(learner, course)
    [pem] = os.listdir(folder)
    assert stat.S_IMODE(os.stat(os.path.join(folder, pem)).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    [key] = client.get("/.well-known/jwks.json").get_json()["keys"]
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and "d" not in key


def test_the_pdf_carries_the_credential_and_its_hash_still_holds(client, certificate):
    reader = PdfReader(io.BytesIO(certificate.pdf))
    # PDF/A-3 names the file as an associated file of the document, an alternative of its content
    # (WeasyPrint lists the same file object twice in /AF)
    associated = {ref.idnum: ref.get_object() for ref in reader.trailer["/Root"]["/AF"]}
    [relationship] = {spec["/AFRelationship"] for spec in associated.values()}
    assert len(associated) == 1 and relationship == "/Alternative"
    attachments = reader.attachments
    [name] = attachments
    assert name == f"{certificate.serial}-open-badge.jwt"
    [embedded] = attachments[name]
    assert embedded.decode() == jwt_download(client, certificate)
    assert verify_outside(client, embedded.decode())
    assert hashlib.sha256(certificate.pdf).hexdigest() == certificate.pdf_sha256
    upload = client.post(
        f"/verify/{certificate.verify_code}",
        data={"document": (io.BytesIO(certificate.pdf), "giay-chung-nhan.pdf")},
        content_type="multipart/form-data",
    )
    assert "Tệp này đúng là bản giấy chứng nhận đã cấp" in upload.get_data(as_text=True)


def test_the_verify_page_offers_the_credential(client, certificate):
    page = client.get(f"/verify/{certificate.verify_code}").get_data(as_text=True)
    assert "Tải chứng chỉ số (Open Badges 3.0)" in page
    assert f"/verify/{certificate.verify_code}/open-badge.json" in page


def _signed_elsewhere(kid: str) -> str:
    payload = {"type": ["VerifiableCredential", "OpenBadgeCredential"], "name": "giả"}
    return jwt.encode(
        payload, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": kid}
    )


@pytest.mark.parametrize(
    ("pasted", "message"),
    [
        ("xin chào", "Không đọc được"),
        ("{", "Không đọc được"),
        ("[" * 5000 + "]" * 5000, "Không đọc được"),
        ('{"@context": [], "type": ["OpenBadgeCredential"]}', "Không đọc được"),
        ("a.b.c", "Không đọc được"),
        ("..", "Không đọc được"),
        ("", "Hãy dán nội dung"),
        (_signed_elsewhere("20260101T000000000000Z-0badc0de"), "khoá mà Học viện không công bố"),
        (_signed_elsewhere("../../etc/passwd"), "khoá mà Học viện không công bố"),
        (
            jwt.encode({"type": "x"}, "bí mật dùng chung đủ dài 32 byte!!", algorithm="HS256"),
            "Chữ ký số không hợp lệ",
        ),
    ],
)
def test_malformed_input_gets_a_clear_400_never_a_500(client, pasted, message):
    response = check_on_our_page(client, pasted)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_a_credential_signed_by_our_key_with_a_wrong_shape_is_named_so(app, client, certificate):
    jwt_download(client, certificate)  # a key exists
    token, _kid = sign_compact({"type": ["VerifiableCredential"], "name": "không phải huy hiệu"})
    page = check_on_our_page(client, token).get_data(as_text=True)
    assert "không phải là một chứng chỉ Open Badges" in page


def test_too_long_and_uploaded_files(client, certificate):
    assert check_on_our_page(client, "x" * 70_000).status_code == 413
    envelope = client.get(f"/verify/{certificate.verify_code}/open-badge.json").data
    response = client.post(
        "/credentials/verify",
        data={"document": (io.BytesIO(envelope), "chung-chi.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and "Chứng chỉ số hợp lệ" in response.get_data(as_text=True)
    not_text = client.post(
        "/credentials/verify",
        data={"document": (io.BytesIO(b"\xff\xfe\x00garbage"), "chung-chi.jwt")},
        content_type="multipart/form-data",
    )
    assert not_text.status_code == 400


def test_unknown_status_lists_and_codes_are_404(client, certificate):
    assert client.get("/credentials/status/999").status_code == 404
    assert client.get("/verify/khong-co-ma-nay/open-badge.json").status_code == 404
    row = db.session.get(CertificateCredential, certificate.id)
    assert client.get(f"/credentials/status/{row.status_list}").status_code == 200


def test_the_csrf_token_is_required(csrf_app, client, certificate):
    response = client.post("/credentials/verify", data={"credential": "a.b.c"})
    assert response.status_code == 400
    assert "Chứng chỉ số hợp lệ" not in response.get_data(as_text=True)
