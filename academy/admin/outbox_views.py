"""The outbox page (routes on the admin blueprint): every e-mail the platform queued, newest first,
with its status; one message's text and HTML as the reader gets them."""

from __future__ import annotations

import re

from flask import abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional

from academy.admin.views import bp
from academy.auth.access import roles_required
from academy.core.pagination import Page, clamp_page
from academy.database import contains_text
from academy.extensions import db
from academy.forms import Form
from academy.mail import MAIL_STATUSES, OutboxMessage
from academy.markdown import clean_html

PER_PAGE = 50
STATUS_LABELS = {
    "queued": _l("Đang chờ gửi"),
    "sending": _l("Đang gửi"),
    "sent": _l("Đã gửi"),
    "failed": _l("Không gửi được"),
}
STATUS_BADGES = {
    "queued": "text-bg-warning",
    "sending": "text-bg-info",
    "sent": "text-bg-success",
    "failed": "text-bg-danger",
}
KIND_LABELS = {
    "invitation": _l("Lời mời tham gia"),
    "password_reset": _l("Đặt lại mật khẩu"),
}
BODY_RE = re.compile(r"<body[^>]*>(.*)</body>", re.IGNORECASE | re.DOTALL)


class OutboxFilterForm(Form):
    """The outbox's filters (GET): status, kind, part of the address."""

    class Meta:
        csrf = False

    status = SelectField(_l("Trạng thái"), validators=[Optional()])
    kind = SelectField(_l("Loại thư"), validators=[Optional(), Length(max=60)])
    address = StringField(_l("Địa chỉ nhận (một phần)"), validators=[Optional(), Length(max=254)])


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


def _filter_form() -> tuple[OutboxFilterForm, bool, dict]:
    form = OutboxFilterForm(request.args)
    form.status.choices = [("", _("Mọi trạng thái"))] + [
        (status, str(STATUS_LABELS[status])) for status in MAIL_STATUSES
    ]
    kinds = db.session.scalars(select(OutboxMessage.kind).distinct().order_by(OutboxMessage.kind))
    form.kind.choices = [("", _("Mọi loại thư"))] + [(kind, kind_label(kind)) for kind in kinds]
    valid = form.validate()
    args = {name: form[name].data for name in ("status", "kind", "address") if form[name].data}
    return form, valid, args if valid else {}


@bp.get("/admin/outbox")
@roles_required("admin")
def outbox():
    form, valid, args = _filter_form()
    query = select(OutboxMessage)
    if args.get("status"):
        query = query.where(OutboxMessage.status == args["status"])
    if args.get("kind"):
        query = query.where(OutboxMessage.kind == args["kind"])
    if args.get("address"):
        query = query.where(contains_text(OutboxMessage.to_address, args["address"].strip()))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    number = clamp_page(request.args.get("page", 1, type=int), total, PER_PAGE)
    items = db.session.scalars(
        query.order_by(OutboxMessage.id.desc()).limit(PER_PAGE).offset((number - 1) * PER_PAGE)
    ).all()
    page = Page(items=list(items), page=number, per_page=PER_PAGE, total=total)
    return render_template(
        "admin/outbox.html",
        form=form,
        page=page,
        args=args,
        labels=STATUS_LABELS,
        badges=STATUS_BADGES,
        kind_label=kind_label,
        server=current_app.config.get("MAIL_SERVER"),
    ), 200 if valid else 400


@bp.get("/admin/outbox/message")
@roles_required("admin")
def outbox_message():
    """One message (``?id=``): its headers, the plain text, and the HTML part sanitised (no
    scripts, styles or outside images) so that nothing in a message can act on this page."""
    message_id = request.args.get("id", type=int)
    known = message_id is not None and 0 < message_id < 2**31  # what the id column can hold
    message = db.session.get(OutboxMessage, message_id) if known else None
    if message is None:
        abort(404)
    match = BODY_RE.search(message.html_body or "")
    html = clean_html(match.group(1) if match else (message.html_body or ""))
    return render_template(
        "admin/outbox_message.html",
        message=message,
        html=html,
        labels=STATUS_LABELS,
        badges=STATUS_BADGES,
        kind_label=kind_label,
    )
