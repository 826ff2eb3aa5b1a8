"""Early warning: the page (50 a page), CSV and XLSX of the people likely to miss a due date.
Routes on the reports blueprint."""

from __future__ import annotations

import tempfile

from flask import Response, abort, render_template, request, send_file
from flask_babel import gettext as _
from flask_login import current_user

from academy.auth.access import hr_scope, roles_required
from academy.auth.units import unit_choices, unit_full_name
from academy.core.audit import record_audit
from academy.core.downloads import attachment_header, download_filename
from academy.core.pagination import Page, clamp_page
from academy.extensions import db
from academy.i18n import academy_zone
from academy.reports.exporters import SEPARATORS
from academy.reports.services import narrow_unit
from academy.reports.views import XLSX_MIME, bp
from academy.reports.warnings import (
    BAND_LABELS,
    BANDS,
    cached_warning_list,
    csv_bytes,
    write_xlsx,
)

PER_PAGE = 50


def _asked():
    """The reader's scope, the unit asked for (404 outside the scope) and the band (None = both)."""
    scope = hr_scope(current_user)
    unit = narrow_unit(scope, request.args.get("unit", type=int))
    band = request.args.get("band")
    return scope, unit, band if band in BANDS else None


def _download(fmt: str, unit, band, rows: int, now) -> str:
    """Audit the download (committed before any data goes out); the file's name."""
    record_audit(
        "report.download",
        target=f"warnings.{fmt}",
        detail={"unit": unit.code if unit else None, "band": band, "format": fmt, "rows": rows},
    )
    db.session.commit()
    return download_filename(
        "canh-bao-som",
        unit.code if unit else "toan-pham-vi",
        now.astimezone(academy_zone()).strftime("%Y%m%d-%H%M"),
        ext=fmt,
    )


@bp.get("/reports/warnings")
@roles_required("hr")
def warnings():
    scope, unit, band = _asked()
    result = cached_warning_list(scope, unit)
    entries = result.band(band)
    number = clamp_page(request.args.get("page", 1, type=int), len(entries), PER_PAGE)
    start = (number - 1) * PER_PAGE
    page = Page(
        items=entries[start : start + PER_PAGE], page=number, per_page=PER_PAGE, total=len(entries)
    )
    args = {k: v for k, v in (("unit", unit.id if unit else None), ("band", band)) if v}
    return render_template(
        "reports/warnings.html",
        result=result,
        page=page,
        args=args,
        band=band,
        bands=BAND_LABELS,
        unit=unit,
        unit_name=unit_full_name(unit or scope) if (unit or scope) else _("Toàn thành phố"),
        units=unit_choices(scope),
        generated_at=result.now.astimezone(academy_zone()),
    )


@bp.get("/reports/warnings.csv")
@roles_required("hr")
def warnings_csv():
    separator = SEPARATORS.get(request.args.get("sep", "comma")) or abort(400)
    scope, unit, band = _asked()
    result = cached_warning_list(scope, unit)
    entries = result.band(band)
    name = _download("csv", unit, band, len(entries), result.now)
    return Response(
        csv_bytes(entries, separator),
        mimetype="text/csv",
        headers={"Content-Disposition": attachment_header(name)},
    )


@bp.get("/reports/warnings.xlsx")
@roles_required("hr")
def warnings_xlsx():
    scope, unit, band = _asked()
    result = cached_warning_list(scope, unit)
    entries = result.band(band)
    name = _download("xlsx", unit, band, len(entries), result.now)
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - send_file closes (so removes) it when sent
    write_xlsx(entries, spool)
    spool.seek(0)
    return send_file(spool, mimetype=XLSX_MIME, as_attachment=True, download_name=name)
