"""People endpoints: list, read, create, update, deactivate, bulk upsert by employee code."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_smorest import Blueprint as ResourceBlueprint

from academy.api import schemas as s
from academy.api.access import caller, require_scope, staff_scope
from academy.api.errors import ApiError
from academy.api.paging import page_of_query
from academy.api.people import (
    change_person,
    create_person,
    get_person,
    people_query,
    upsert_people,
)
from academy.api.resources import ERRORS, errors, guarded
from academy.api.units import get_unit
from academy.extensions import db

people = guarded(
    ResourceBlueprint(
        "api_people", __name__, url_prefix="/api/v1/people", description="Cán bộ, học viên"
    )
)


@people.route("", methods=["GET"])
@people.arguments(s.PeopleArgs, location="query")
@people.response(200, s.PersonPage)
@errors(*ERRORS)
def list_people(args):
    """People of the caller's subtree (scope reports:read), by id."""
    require_scope("reports:read")
    scope = staff_scope()
    unit = get_unit(scope, args["unit_id"]) if args.get("unit_id") else None
    query = people_query(scope, unit, args.get("active"))
    return page_of_query(query, args["page"], args["per_page"])


@people.route("/<int:person_id>", methods=["GET"])
@people.response(200, s.PersonOut)
@errors(*ERRORS)
def get_person_view(person_id):
    """One person (scope reports:read)."""
    require_scope("reports:read")
    staff_scope()
    return get_person(caller(), person_id)


@people.route("", methods=["POST"])
@people.arguments(s.PersonIn)
@people.response(201, s.PersonOut)
@errors(*ERRORS, 409)
def create_person_view(data):
    """Add a person to a unit of the caller's subtree (scope people:write)."""
    require_scope("people:write")
    person = create_person(staff_scope(), caller(), data)
    db.session.commit()
    return person


@people.route("/<int:person_id>", methods=["PATCH"])
@people.arguments(s.PersonPatch)
@people.response(200, s.PersonOut)
@errors(*ERRORS)
def update_person_view(data, person_id):
    """Change a person's record (scope people:write); "is_active": false deactivates."""
    require_scope("people:write")
    scope = staff_scope()
    person = get_person(caller(), person_id)
    change_person(scope, caller(), person, data)
    db.session.commit()
    return person


@people.route("/<int:person_id>", methods=["DELETE"])
@people.response(200, s.PersonOut)
@errors(*ERRORS)
def deactivate_person_view(person_id):
    """Deactivate a person (their records stay; scope people:write)."""
    require_scope("people:write")
    scope = staff_scope()
    person = get_person(caller(), person_id)
    if person.id == caller().id:
        raise ApiError(403, _("Không thể tự khoá tài khoản của mình."))
    change_person(scope, caller(), person, {"is_active": False})
    db.session.commit()
    return person


@people.route("/bulk", methods=["PUT"])
@people.arguments(s.BulkIn)
@people.response(200, s.BulkOut)
@errors(*ERRORS)
def bulk_upsert_view(data):
    """Create or update many people by employee code in one transaction: all rows or none.
    The same body twice changes nothing the second time (every row unchanged)."""
    require_scope("people:write")
    counts = upsert_people(staff_scope(), caller(), data["people"])
    db.session.commit()
    return counts
