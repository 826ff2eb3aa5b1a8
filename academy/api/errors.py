"""RFC 9457 problem details: every error under /api answers ``application/problem+json``.

``problem()`` builds one; ``init_problems`` answers with it for the API's blueprints (domain
errors, HTTP errors, webargs validation, rate limits) and for unknown addresses under /api."""

from __future__ import annotations

import logging

from flask import jsonify, request
from flask_babel import gettext as _
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from academy.core.errors import render_error
from academy.errors import DomainError
from academy.extensions import db

log = logging.getLogger(__name__)

PROBLEM_TYPE = "https://hocvienso.gov.vn/problems/"
TITLES = {
    400: ("bad-request", lambda: _("Yêu cầu không hợp lệ")),
    401: ("unauthorized", lambda: _("Cần khoá truy cập hợp lệ")),
    403: ("forbidden", lambda: _("Không có quyền")),
    404: ("not-found", lambda: _("Không tìm thấy")),
    405: ("method-not-allowed", lambda: _("Thao tác không được hỗ trợ")),
    409: ("conflict", lambda: _("Xung đột dữ liệu")),
    413: ("too-large", lambda: _("Yêu cầu quá lớn")),
    415: ("unsupported-media-type", lambda: _("Kiểu nội dung không được hỗ trợ")),
    422: ("validation", lambda: _("Dữ liệu không hợp lệ")),
    429: ("rate-limited", lambda: _("Quá nhiều yêu cầu")),
    500: ("server-error", lambda: _("Lỗi hệ thống")),
}


class ApiError(DomainError):
    """An API answer other than success: ``status``, a ``detail`` and field ``errors``."""

    def __init__(self, status: int, detail: str | None = None, errors: list | None = None):
        super().__init__(detail or "")
        self.status = status
        self.detail = detail
        self.errors = errors or []


def problem(status: int, detail: str | None = None, errors: list | None = None, headers=None):
    slug, title = TITLES.get(status, TITLES[500])
    body = {"type": PROBLEM_TYPE + slug, "title": title(), "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    body["instance"] = request.path
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def field_errors(messages, prefix: str = "") -> list[dict]:
    """Marshmallow/webargs messages ({location: {field: [reasons]}}) as a flat list of
    {"field": "a.b", "reason": "…"}."""
    found = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, (dict, list)) and not _reasons(value):
                found.extend(field_errors(value, name))
            else:
                found.extend({"field": name, "reason": str(r)} for r in _reasons(value) or [value])
    elif isinstance(messages, list):
        found.extend({"field": prefix, "reason": str(r)} for r in messages)
    return found


def _reasons(value):
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _strip_location(errors: list[dict]) -> list[dict]:
    for entry in errors:
        for location in ("json.", "query.", "view_args."):
            if entry["field"].startswith(location):
                entry["field"] = entry["field"].removeprefix(location)
    return errors


def handle_http(exc: HTTPException):
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages") or data.get("errors")
    errors = _strip_location(field_errors(messages)) if messages else None
    detail = data.get("message")
    if status == 429:
        detail = _("Khoá này đã gửi quá nhiều yêu cầu. Vui lòng thử lại sau ít phút.")
    headers = dict(data.get("headers") or {})
    if status == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)
    return problem(status, detail, errors, headers)


def handle_domain(exc: DomainError):
    if isinstance(exc, ApiError):
        return problem(exc.status, exc.detail, exc.errors)
    detail = str(exc) or None
    errors = [{"field": exc.field, "reason": exc.message}] if hasattr(exc, "field") else None
    return problem(exc.status if exc.status != 400 or not errors else 422, detail, errors)


def _is_api() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def handle_data_error(exc: DataError):
    """A value the database cannot hold that validation let through: refused, nothing written."""
    log.info("database refused a value: %s", exc)
    db.session.rollback()
    return problem(422, _("Dữ liệu có giá trị cơ sở dữ liệu không lưu được."))


def answer_problems(blp):
    """Every error of ``blp`` answers as a problem."""
    blp.register_error_handler(HTTPException, handle_http)
    blp.register_error_handler(DomainError, handle_domain)
    blp.register_error_handler(DataError, handle_data_error)
    return blp


def init_problems(app) -> None:
    # Unknown addresses (and methods) under /api: routing fails before any blueprint is chosen.
    def routing_error(exc):
        if _is_api():
            return handle_http(exc)
        return render_error(exc.code)

    app.register_error_handler(404, routing_error)
    app.register_error_handler(405, routing_error)
