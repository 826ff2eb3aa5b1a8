"""The audit log: who did what to which object. Every feature writes through record_audit();
the admin feature only shows it."""

from __future__ import annotations

from datetime import datetime

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from academy.database import UTCDateTime, db, utcnow

# Every action code written through record_audit(), with the label people read (one place).
ACTION_LABELS = {
    "api_token.create": _l("Tạo khoá truy cập API"),
    "api_token.revoke": _l("Thu hồi khoá truy cập API"),
    "assignment.delete": _l("Huỷ giao khoá học bắt buộc"),
    "assignment.save": _l("Giao khoá học bắt buộc"),
    "attendance.manual": _l("Điểm danh hộ (có lý do)"),
    "audit.export": _l("Xuất nhật ký kiểm toán"),
    "auth.invitation.accept": _l("Nhận lời mời và đặt mật khẩu"),
    "auth.invitation.send": _l("Gửi lời mời tham gia"),
    "auth.password.reset": _l("Đặt lại mật khẩu qua liên kết"),
    "auth.password.reset_requested": _l("Yêu cầu đặt lại mật khẩu"),
    "auth.signin": _l("Đăng nhập"),
    "auth.signin.failed": _l("Đăng nhập thất bại"),
    "auth.signin.code_failed": _l("Nhập sai mã xác thực hai bước"),
    "auth.signin.throttled": _l("Đăng nhập bị tạm chặn"),
    "auth.sso.account_created": _l("Tạo tài khoản khi đăng nhập bằng tài khoản của thành phố"),
    "auth.sso.linked": _l("Gắn tài khoản với tài khoản của thành phố"),
    "auth.sso.refused": _l("Từ chối đăng nhập bằng tài khoản của thành phố"),
    "authoring.coauthor.add": _l("Thêm đồng tác giả"),
    "authoring.coauthor.remove": _l("Gỡ đồng tác giả"),
    "authoring.course.create": _l("Tạo khoá học"),
    "authoring.course.export": _l("Xuất khoá học"),
    "authoring.course.import": _l("Nhập khoá học"),
    "authoring.course.publish": _l("Xuất bản khoá học"),
    "authoring.course.update": _l("Sửa khoá học"),
    "authoring.draft.create": _l("Tạo bản nháp khoá học"),
    "authoring.draft.discard": _l("Bỏ bản nháp khoá học"),
    "authoring.lesson.create": _l("Thêm bài học"),
    "authoring.lesson.delete": _l("Xoá bài học"),
    "authoring.lesson.save": _l("Lưu bài học"),
    "authoring.media.upload": _l("Tải lên tệp minh họa"),
    "authoring.module.create": _l("Thêm học phần"),
    "authoring.module.delete": _l("Xoá học phần"),
    "authoring.module.prerequisites": _l("Đổi học phần tiên quyết"),
    "authoring.module.update": _l("Sửa học phần"),
    "authoring.question.create": _l("Thêm câu hỏi"),
    "authoring.question.delete": _l("Xoá câu hỏi"),
    "authoring.question.update": _l("Sửa câu hỏi"),
    "authoring.quiz.replace": _l("Thay toàn bộ bài kiểm tra"),
    "certificate.bulk_download": _l("Tải chứng chỉ hàng loạt"),
    "certificate.download": _l("Tải chứng chỉ"),
    "certificate.reissue": _l("Cấp lại chứng chỉ"),
    "certificate.revoke": _l("Thu hồi chứng chỉ"),
    "demo.seed": _l("Tạo dữ liệu mẫu"),
    "quiz.attempts.grant": _l("Cho thêm lượt làm bài kiểm tra"),
    "report.download": _l("Tải báo cáo"),
    "training.external.document": _l("Tải văn bản đào tạo bên ngoài"),
    "training.external.record": _l("Ghi nhận đào tạo bên ngoài"),
    "training.requirement.save": _l("Đặt số giờ học tập bắt buộc theo chức vụ"),
    "session.cancel": _l("Huỷ buổi học trực tiếp"),
    "session.create": _l("Tạo buổi học trực tiếp"),
    "session.update": _l("Sửa buổi học trực tiếp"),
    "target.delete": _l("Xoá chỉ tiêu của đơn vị"),
    "target.save": _l("Đặt chỉ tiêu của đơn vị"),
    "transcript.download": _l("Tải hồ sơ học tập (PDF)"),
    "transcript.view": _l("Xem hồ sơ học tập"),
    "unit.create": _l("Thêm đơn vị"),
    "unit.update": _l("Sửa đơn vị"),
    "user.two_factor_reset": _l("Đặt lại xác thực hai bước"),
    "user.update": _l("Sửa thông tin người dùng"),
    "users.import": _l("Nhập người dùng hàng loạt"),
}


def action_label(code: str) -> str:
    """The readable label of an action code; an unknown code is shown as it is."""
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code


def before_after(before: dict, after: dict) -> dict:
    """``{"before": …, "after": …}`` of the fields whose value differs (for an event's detail)."""
    changed = [key for key in after if before.get(key) != after[key]]
    return {
        "before": {key: before.get(key) for key in changed},
        "after": {key: after[key] for key in changed},
    }


class AuditEvent(db.Model):
    """Who did what to which object: every export of personal data and every admin change."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(80), index=True)
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    ip: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    actor = relationship("User")

    @property
    def label(self) -> str:
        return action_label(self.action)

    @property
    def changes(self) -> list[tuple[str, object, object]]:
        """(field, old, new) of an event that stored before/after values; else empty."""
        detail = self.detail or {}
        before, after = detail.get("before"), detail.get("after")
        if not isinstance(before, dict) or not isinstance(after, dict):
            return []
        return [(key, before.get(key), after[key]) for key in after]

    @property
    def other_detail(self) -> dict:
        """The detail without its before/after values (nor the list of changed fields they show)."""
        shown = ("before", "after", "changed") if self.changes else ()
        return {k: v for k, v in (self.detail or {}).items() if k not in shown}


def record_audit(
    action: str, target: str = "", detail: dict | None = None, actor=None
) -> AuditEvent:
    """Add an audit event (the caller commits with its own change, so both land or neither).

    ``action`` is a dotted verb such as ``report.download`` or ``certificate.revoke``.
    """
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    # remote_addr is the client behind a trusted proxy when ProxyFix is configured (PROXY_HOPS).
    ip = (request.remote_addr or "") if has_request_context() else ""
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        action=action,
        target=str(target)[:200],
        detail=detail or {},
        ip=ip[:64],
    )
    db.session.add(event)
    return event
