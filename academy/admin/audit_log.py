"""The audit log as admins read it: filters, one page, the CSV file, before/after snapshots."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased, selectinload

from academy.auth.models import Unit, User
from academy.core.audit import ACTION_LABELS, AuditEvent, action_label
from academy.core.pagination import Page, clamp_page
from academy.database import contains_folded_words, contains_text
from academy.extensions import db
from academy.i18n import academy_zone
from academy.reports.exporters import neutralise

PER_PAGE = 50
CSV_BATCH = 1000
SIGN_IN_ACTIONS = (
    "auth.signin",
    "auth.signin.failed",
    "auth.signin.code_failed",
    "auth.signin.throttled",
)
FIELD_LABELS = {
    "full_name": _l("Họ tên"),
    "email": _l("Email"),
    "employee_code": _l("Mã cán bộ"),
    "position": _l("Chức vụ"),
    "unit": _l("Đơn vị"),
    "roles": _l("Vai trò"),
    "is_active": _l("Đang hoạt động"),
    "code": _l("Mã đơn vị"),
    "name": _l("Tên đơn vị"),
    "kind": _l("Loại đơn vị"),
    "parent": _l("Đơn vị cha"),
    "due_date": _l("Hạn hoàn thành (ngày)"),
    "due_days": _l("Số ngày kể từ khi vào đơn vị"),
    "active": _l("Đang áp dụng"),
    "enrolled": _l("Số người được ghi danh mới"),
    "rebound": _l("Số người vẫn được đơn vị khác giao"),
}


def action_choices() -> list[tuple[str, str]]:
    """Every known action, by its label, after a blank "all actions"."""
    labelled = sorted((str(label), code) for code, label in ACTION_LABELS.items())
    return [("", _("Mọi hành động"))] + [(code, label) for label, code in labelled]


def user_snapshot(user: User) -> dict:
    """The fields an admin edits, as plain values (compared before and after an edit)."""
    return {
        "full_name": user.full_name,
        "email": user.email,
        "employee_code": user.employee_code,
        "position": user.position,
        "unit": user.unit.code if user.unit else None,
        "roles": ", ".join(sorted(user.roles)),
        "is_active": user.is_active,
    }


def unit_snapshot(unit: Unit) -> dict:
    return {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "parent": unit.parent.code if unit.parent else None,
    }


def filtered_events(filters: dict):
    """The SELECT of audit events matching ``filters`` (keys: actor, action, unit, date_from,
    date_to; any may be empty), newest first."""
    actor = aliased(User)
    query = select(AuditEvent).outerjoin(actor, actor.id == AuditEvent.actor_id)
    if term := (filters.get("actor") or "").strip():
        # a failed sign-in has no actor: the e-mail typed (its target) finds it
        typed = AuditEvent.action.in_(SIGN_IN_ACTIONS) & contains_text(AuditEvent.target, term)
        person = contains_folded_words(actor.search_name, term)
        query = query.where(typed if person is None else or_(person, typed))
    if code := (filters.get("action") or "").strip():
        query = query.where(
            AuditEvent.action == code
            if code in ACTION_LABELS
            else AuditEvent.action.startswith(code, autoescape=True)
        )
    if unit := filters.get("unit"):
        query = query.where(actor.unit_id.in_(unit.subtree_ids_select()))
    query = _in_dates(query, filters.get("date_from"), filters.get("date_to"))
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def _in_dates(query, date_from, date_to):
    zone = academy_zone()
    if date_from:
        query = query.where(AuditEvent.at >= datetime.combine(date_from, time.min, zone))
    if date_to:
        end = datetime.combine(date_to + timedelta(days=1), time.min, zone)
        query = query.where(AuditEvent.at < end)
    return query


def count_events(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))


def events_page(query, page: int) -> Page:
    """One page of the events ``query`` selects."""
    total = count_events(query)
    page = clamp_page(page, total, PER_PAGE)
    items = db.session.scalars(query.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return Page(items=list(items), page=page, per_page=PER_PAGE, total=total)


def csv_headers() -> list[str]:
    return [
        _("Thời điểm"),
        _("Người thực hiện"),
        _("Email"),
        _("Mã hành động"),
        _("Hành động"),
        _("Đối tượng"),
        _("Chi tiết"),
        "IP",
    ]


def csv_row(event: AuditEvent) -> list[str]:
    """One event as CSV cells, each neutralised (a typed e-mail or a name may start with "=")."""
    zone = academy_zone()
    cells = [
        event.at.astimezone(zone).isoformat(timespec="seconds"),
        event.actor.full_name if event.actor else "",
        event.actor.email if event.actor else "",
        event.action,
        action_label(event.action),
        event.target,
        describe_detail(event),
        event.ip,
    ]
    return [neutralise(cell or "") for cell in cells]


def describe_detail(event: AuditEvent) -> str:
    """The detail as one line of text: "field: old → new" for each change, then the rest."""
    parts = [
        f"{FIELD_LABELS.get(key, key)}: {show_value(old)} → {show_value(new)}"
        for key, old, new in event.changes
    ]
    parts += [f"{key}: {value}" for key, value in event.other_detail.items()]
    return "; ".join(parts)


def show_value(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("có") if value else _("không")
    return str(value)


def csv_chunks(query):
    """The CSV file in pieces: BOM and header, then batches of events (flat memory)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(csv_headers())
    yield _flush(buffer)
    rows = query.options(selectinload(AuditEvent.actor)).execution_options(yield_per=CSV_BATCH)
    for index, event in enumerate(db.session.scalars(rows)):
        if index % CSV_BATCH == 0 and index:
            yield _flush(buffer)
        writer.writerow(csv_row(event))
    yield _flush(buffer)


def _flush(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data
