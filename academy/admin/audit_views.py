"""The audit log page and its CSV export (routes on the admin blueprint)."""

from __future__ import annotations

from flask import Response, render_template, request, stream_with_context
from flask_babel import gettext as _

from academy.admin.audit_log import (
    FIELD_LABELS,
    action_choices,
    count_events,
    csv_chunks,
    events_page,
    filtered_events,
    show_value,
)
from academy.admin.forms import AuditFilterForm
from academy.admin.views import bp
from academy.auth.access import roles_required
from academy.auth.models import Unit
from academy.auth.units import unit_choices
from academy.core.audit import AuditEvent, record_audit
from academy.core.downloads import attachment_header, download_filename
from academy.database import utcnow
from academy.extensions import db
from academy.i18n import academy_zone

FILTERS = ("actor", "action", "unit", "date_from", "date_to")


def _filter_form():
    form = AuditFilterForm(request.args)
    form.action.choices = action_choices()
    form.unit.choices = unit_choices(None, blank=_("Mọi đơn vị"))
    valid = form.validate()
    filters = {name: form[name].data for name in FILTERS} if valid else {}
    if filters.get("unit"):
        filters["unit"] = db.session.get(Unit, filters["unit"])
    args = {k: v for k, v in request.args.items() if k in FILTERS and v}
    return form, valid, filters, args


@bp.get("/admin/audit")
@roles_required("admin")
def audit_log():
    form, valid, filters, args = _filter_form()
    page = events_page(filtered_events(filters), request.args.get("page", 1, type=int))
    return render_template(
        "admin/audit.html",
        form=form,
        page=page,
        args=args,
        fields=FIELD_LABELS,
        show_value=show_value,
    ), 200 if valid else 400


@bp.get("/admin/audit.csv")
@roles_required("admin")
def audit_export():
    form, valid, filters, args = _filter_form()
    if not valid:
        return audit_log()
    query = filtered_events(filters)
    event = record_audit(
        "audit.export", target="audit.csv", detail={**args, "rows": count_events(query)}
    )
    db.session.commit()
    query = query.where(AuditEvent.id != event.id)  # the export itself is not among its rows
    stamp = utcnow().astimezone(academy_zone()).strftime("%Y%m%d-%H%M")
    response = Response(stream_with_context(csv_chunks(query)), mimetype="text/csv")
    response.headers["Content-Disposition"] = attachment_header(
        download_filename("nhat-ky-kiem-toan", stamp, ext="csv")
    )
    return response
