"""Open Badges 3.0 credentials on the web: downloads, the public keys, the issuer profile, the
revocation status lists, and a page that checks a pasted or uploaded credential."""

from __future__ import annotations

import json

from flask import Response, render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required

from academy.auth.access import can_see_person, require
from academy.certificates import credentials, keys, services, status_list
from academy.certificates.forms import CredentialCheckForm
from academy.certificates.views import _verify_limit, bp
from academy.core.audit import record_audit
from academy.core.downloads import attachment_header, download_filename
from academy.extensions import db, limiter

FORMATS = "<any(json, jwt):fmt>"


def _json_response(document: dict, max_age: int) -> Response:
    body = json.dumps(document, ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    return response


@bp.get("/.well-known/jwks.json")
def jwks():
    """The public keys of every credential key, current and retired (verifiers pick by kid)."""
    return _json_response(keys.public_jwks(), max_age=300)


@bp.get("/credentials/issuer")
def issuer():
    return _json_response(credentials.issuer_profile(), max_age=3600)


@bp.get("/credentials/status/<int:list_number>")
def status(list_number: int):
    """A signed BitstringStatusListCredential (VC-JOSE), made from revocations as they are now."""
    require(status_list.exists(list_number))
    response = Response(credentials.status_list_token(list_number), mimetype=credentials.MEDIA_TYPE)
    response.headers["Cache-Control"] = "public, max-age=60"  # a revocation shows within a minute
    return response


def _download(certificate, fmt: str) -> Response:
    credential = credentials.credential_for(certificate)
    db.session.commit()  # an older certificate gets its credential on first download
    if fmt == "jwt":
        response = Response(credential.token, mimetype=credentials.MEDIA_TYPE)
    else:
        body = json.dumps(credentials.enveloped(credential.token), indent=2)
        response = Response(body, mimetype="application/json")
    name = download_filename(certificate.serial, "open-badge", ext=fmt)
    response.headers["Content-Disposition"] = attachment_header(name)
    return response


@bp.get(f"/certificates/<serial>/open-badge.{FORMATS}")
@login_required
def credential_download(serial: str, fmt: str):
    """Who may download the PDF may download its credential; others get the same 404."""
    certificate = services.find_by_serial(serial)
    require(certificate is not None and can_see_person(current_user, certificate.user))
    if certificate.user_id != current_user.id:
        record_audit("certificate.download", certificate.serial, {"owner_id": certificate.user_id})
    return _download(certificate, fmt)


@bp.get(f"/verify/<code>/open-badge.{FORMATS}")
@limiter.limit(_verify_limit)
def verify_credential_download(code: str, fmt: str):
    """Whoever holds the verify code (printed on the paper) may take the credential with them."""
    certificate = services.find_by_code(code)
    require(certificate is not None)
    return _download(certificate, fmt)


REASONS = {
    "malformed": lambda: _(
        "Không đọc được: đây không phải là chứng chỉ số Open Badges dạng JWT hoặc tệp JSON "
        "do Học viện cấp."
    ),
    "too_large": lambda: _("Nội dung quá dài để là một chứng chỉ số (tối đa %(kb)s KB).", kb=64),
    "unknown_key": lambda: _(
        "Chứng chỉ số được ký bằng một khoá mà Học viện không công bố: không thể xác thực."
    ),
    "bad_signature": lambda: _(
        "Chữ ký số không hợp lệ: nội dung đã bị sửa đổi hoặc không do Học viện ký."
    ),
    "not_a_badge": lambda: _(
        "Chữ ký đúng nhưng nội dung không phải là một chứng chỉ Open Badges hợp lệ."
    ),
    "missing": lambda: _("Hãy dán nội dung hoặc chọn một tệp chứng chỉ số."),
}


@bp.route("/credentials/verify", methods=["GET", "POST"])
@limiter.limit(_verify_limit)
def verify_credential():
    """Public: paste or upload a credential; say valid (and what it certifies) or why not."""
    form = CredentialCheckForm()
    checked, problem, status_code = None, None, 200
    if form.is_submitted():
        if not form.validate():
            status_code = 400
        else:
            try:
                checked = credentials.check_credential(_submitted(form))
            except credentials.CredentialProblem as error:
                problem = REASONS[error.reason]()
                status_code = 413 if error.reason == "too_large" else 400
    return render_template(
        "certificates/credential_verify.html", form=form, checked=checked, problem=problem
    ), status_code


def _submitted(form: CredentialCheckForm) -> str:
    """The uploaded file's text if there is one, else the pasted text (at most MAX_CHARS + 1)."""
    limit = credentials.MAX_CHARS
    upload = form.document.data
    if upload and getattr(upload, "filename", ""):
        data = upload.read(limit + 1)
    else:
        data = (form.credential.data or "").encode("utf-8")[: limit + 1]
    if not data.strip():
        raise credentials.CredentialProblem("missing")
    if len(data) > limit:
        raise credentials.CredentialProblem("too_large")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise credentials.CredentialProblem("malformed") from None
