"""The compliance matrix: units × mandatory courses, drilled city → ward → cell → people; XLSX."""

from __future__ import annotations

import io

from flask import abort, render_template, request, send_file
from flask_login import current_user

from academy.auth.access import hr_scope, roles_required
from academy.core.audit import record_audit
from academy.core.downloads import download_filename
from academy.extensions import db
from academy.reports.matrix import MARKS, build_matrix, focus_unit, legend
from academy.reports.matrix_export import write_matrix_xlsx
from academy.reports.services import narrow_unit
from academy.reports.views import XLSX_MIME, bp

MAX_ID = 2**31 - 1  # ids are 32-bit integers


def _asked():
    """The reader's scope and the unit in focus (404 outside the scope), and people mode."""
    scope = hr_scope(current_user)
    unit_id = request.args.get("unit", type=int)
    if unit_id is not None and not -MAX_ID <= unit_id <= MAX_ID:
        abort(404)  # no such unit, and a database driver would choke on the number
    focus = focus_unit(scope, narrow_unit(scope, unit_id))
    return scope, focus, request.args.get("people") == "1"


@bp.get("/reports/matrix")
@roles_required("hr")
def matrix():
    scope, focus, people = _asked()
    data = build_matrix(scope, focus, people=people, page=request.args.get("page", 1, type=int))
    args = {k: v for k, v in (("unit", getattr(focus, "id", None)), ("people", people and 1)) if v}
    return render_template("reports/matrix.html", m=data, legend=legend(), marks=MARKS, args=args)


@bp.get("/reports/matrix.xlsx")
@roles_required("hr")
def matrix_xlsx():
    scope, focus, people = _asked()
    data = build_matrix(scope, focus, people=people, per_page=0)
    record_audit(
        "report.download",
        target="matrix.xlsx",
        detail={"unit": getattr(focus, "code", None), "people": data.shows_people},
    )
    db.session.commit()  # the audit lands before any data goes out
    book = io.BytesIO()  # a few hundred rows at most: the units of one level, or one unit's people
    write_matrix_xlsx(data, book)
    book.seek(0)
    name = download_filename(
        "ma-tran-tuan-thu",
        getattr(focus, "code", None) or "toan-thanh-pho",
        data.as_of.strftime("%Y%m%d-%H%M"),
        ext="xlsx",
    )
    return send_file(book, mimetype=XLSX_MIME, as_attachment=True, download_name=name)
