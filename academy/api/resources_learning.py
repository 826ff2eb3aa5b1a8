"""Learning endpoints: mandates, completions, certificates, a learner's path and progress."""

from __future__ import annotations

from flask import g
from flask_babel import gettext as _
from flask_smorest import Blueprint as ResourceBlueprint

from academy.api import schemas as s
from academy.api.access import caller, require_scope, staff_scope
from academy.api.errors import ApiError
from academy.api.learning import (
    add_assignment,
    assignments_in,
    certificate_item,
    certificates_query,
    completions_page,
    path_of,
    progress_of,
)
from academy.api.paging import envelope, page_of_list
from academy.api.people import get_person
from academy.api.resources import ERRORS, errors, guarded
from academy.api.units import get_unit
from academy.extensions import db


def _blueprint(name: str, path: str, description: str) -> ResourceBlueprint:
    return guarded(ResourceBlueprint(name, __name__, url_prefix=path, description=description))


assignments = _blueprint("api_assignments", "/api/v1/assignments", "Giao khoá học bắt buộc")
completions = _blueprint("api_completions", "/api/v1/completions", "Kết quả học theo người × khoá")
certificates = _blueprint("api_certificates", "/api/v1/certificates", "Chứng chỉ đã cấp")
learners = _blueprint("api_learners", "/api/v1", "Lộ trình và tiến độ của người học")
blueprints = [assignments, completions, certificates, learners]


def _unit(scope, args):
    return get_unit(scope, args["unit_id"]) if args.get("unit_id") else None


@assignments.route("", methods=["GET"])
@assignments.arguments(s.UnitFilterArgs, location="query")
@assignments.response(200, s.AssignmentPage)
@errors(*ERRORS)
def list_assignments_view(args):
    """Mandates binding the caller's subtree (scope reports:read), newest first."""
    require_scope("reports:read")
    scope = staff_scope()
    return page_of_list(assignments_in(scope, _unit(scope, args)), args["page"], args["per_page"])


@assignments.route("", methods=["POST"])
@assignments.arguments(s.AssignmentIn)
@assignments.response(201, s.AssignmentOut)
@errors(*ERRORS)
def create_assignment_view(data):
    """Assign a course to a unit of the caller's subtree with a due day or a number of days
    after joining (scope people:write)."""
    require_scope("people:write")
    scope = staff_scope()
    done = add_assignment(scope, caller(), get_unit(scope, data["unit_id"]), data)
    db.session.commit()
    return done.assignment


@completions.route("", methods=["GET"])
@completions.arguments(s.PeriodArgs, location="query")
@completions.response(200, s.CompletionPage)
@errors(*ERRORS)
def list_completions(args):
    """One row per enrolment with status, progress, due and completion dates, as the completion
    report counts them; a period keeps what was due or completed in it (reports:read)."""
    require_scope("reports:read")
    scope = staff_scope()
    rows, total = completions_page(scope, _unit(scope, args), args, caller())
    db.session.commit()  # the audit entry of this read
    return envelope(rows, args["page"], args["per_page"], total)


@certificates.route("", methods=["GET"])
@certificates.arguments(s.PeriodArgs, location="query")
@certificates.response(200, s.CertificatePage)
@errors(*ERRORS)
def list_certificates(args):
    """Certificates of people in the caller's subtree, issued in the period (reports:read)."""
    require_scope("reports:read")
    scope = staff_scope()
    query = certificates_query(scope, _unit(scope, args), args)
    total = db.session.scalar(query.with_only_columns(db.func.count()).order_by(None))
    page, per_page = args["page"], args["per_page"]
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    return envelope([certificate_item(row) for row in rows], page, per_page, total)


@learners.route("/me/path", methods=["GET"])
@learners.response(200, s.PathOut)
@errors(401, 403, 429)
def my_path():
    """The caller's own learning path, in order, with the reasons (scope learning:read)."""
    require_scope("learning:read")
    return path_of(caller())


@learners.route("/people/<int:person_id>/progress", methods=["GET"])
@learners.response(200, s.ProgressOut)
@errors(*ERRORS)
def person_progress(person_id):
    """A person's courses and progress: one's own with learning:read, anyone of the
    caller's subtree with reports:read."""
    token = caller()
    if person_id == token.id and "learning:read" in _scopes():
        require_scope("learning:read")
    elif "reports:read" in _scopes():
        require_scope("reports:read")
        staff_scope()
    else:
        raise ApiError(403, _("Khoá này không được xem tiến độ của người khác."))
    return progress_of(get_person(token, person_id))


def _scopes() -> set[str]:
    return g.api_token.scope_set
