"""Friendly error pages in the reader's language; a user's mistake is never a 500.

Services and helpers raise the domain errors of ``academy.errors`` (``NotFound``, ``Forbidden``,
``BadRequest``) instead of speaking HTTP; ``init_errors`` answers them with the same page as the
status they name.
"""

from __future__ import annotations

import logging

from flask import g, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import text
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    InterfaceError,
    OperationalError,
    PendingRollbackError,
)
from werkzeug.exceptions import HTTPException

from academy.errors import DomainError
from academy.extensions import db, login_manager

log = logging.getLogger(__name__)

MESSAGES = {
    400: (
        _l("Yêu cầu không hợp lệ"),
        _l("Dữ liệu gửi lên không đúng. Vui lòng kiểm tra lại và thử lại."),
    ),
    403: (_l("Không có quyền truy cập"), _l("Tài khoản của bạn không được phép xem trang này.")),
    404: (_l("Không tìm thấy trang"), _l("Trang bạn tìm không tồn tại hoặc đã được chuyển đi.")),
    405: (_l("Thao tác không được hỗ trợ"), _l("Trang này không nhận kiểu yêu cầu đó.")),
    413: (_l("Tệp quá lớn"), _l("Tệp tải lên vượt quá dung lượng cho phép.")),
    429: (
        _l("Quá nhiều yêu cầu"),
        _l("Bạn đã thử quá nhiều lần. Vui lòng đợi một phút rồi thử lại."),
    ),
    500: (
        _l("Lỗi hệ thống"),
        _l("Đã có lỗi ngoài ý muốn. Chúng tôi đã ghi nhận; vui lòng thử lại sau."),
    ),
    503: (
        _l("Hệ thống tạm thời gián đoạn"),
        _l("Cơ sở dữ liệu đang không phản hồi. Vui lòng thử lại sau ít phút."),
    ),
}


def render_error(status: int, detail: str | None = None):
    title, message = MESSAGES.get(status, MESSAGES[500])
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error=str(title), message=str(detail or message)), status
    try:
        body = render_template(
            "core/error.html", status=status, title=title, message=detail or message
        )
    except Exception:  # noqa: BLE001 - the error page must not fail itself
        log.exception("error page failed to render")
        body = (
            f"<!doctype html><meta charset=utf-8><title>{status}</title><h1>{status}</h1>"
            "<p>Hệ thống tạm thời gián đoạn. Vui lòng thử lại sau. / "
            "The service is temporarily unavailable. Please try again later.</p>"
        )
    return body, status


def init_errors(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return render_error(
            400,
            str(
                _l(
                    "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. "
                    "Vui lòng tải lại trang và thử lại."
                )
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(exc):
        if exc.code is None or exc.code < 400:
            return exc
        return render_error(exc.code)

    @app.errorhandler(DomainError)
    def domain_error(exc):
        return render_error(exc.status)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(exc):
        log.error("database error: %s", exc)
        return _unavailable()

    @app.errorhandler(DataError)
    def impossible_value(exc):
        """A value the database cannot hold (an id beyond its range, a NUL byte): nothing by that
        name."""
        log.info("database refused a value: %s", exc)
        _safe_rollback()
        return render_error(404)

    @app.errorhandler(Exception)
    def unexpected(exc):
        # A connection dying mid-request can surface as something else (a driver's own error, a
        # session left needing a rollback); while the database is away, that is an outage, not a
        # bug.
        if _lost_connection(exc) or not _database_answers():
            log.exception("error while the database was unavailable")
            return _unavailable()
        log.exception("unhandled error")
        _safe_rollback()
        return render_error(500)


def _unavailable():
    _safe_rollback()
    # Render the page as for a visitor: looking the user up would hit the database again.
    g._login_user = login_manager.anonymous_user()
    return render_error(503)


def _lost_connection(exc: BaseException | None) -> bool:
    """Whether ``exc`` or what caused it is a lost or refused database connection."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, (OperationalError, InterfaceError, PendingRollbackError)):
            return True
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _database_answers() -> bool:
    """A fresh connection answers ``SELECT 1`` (the request's own session may be unusable)."""
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - whatever the failure, the database did not answer
        return False
    return True


def _safe_rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001
        log.warning("rollback failed", exc_info=True)
