"""The API's wiring: the OpenAPI description (flask-smorest), its pages, and the unit endpoints.

``init_api(app)`` runs when the ``api`` blueprint is registered (``academy.api.views``): it builds
the description for this app and registers the resource blueprints. Every resource blueprint
authenticates by bearer token, is exempt from CSRF (no cookie counts), is rate-limited per token
and answers errors as RFC 9457 problems."""

from __future__ import annotations

import http

from flask import Blueprint, current_app, jsonify, make_response, render_template
from flask_smorest import Api
from flask_smorest import Blueprint as ResourceBlueprint
from flask_smorest.utils import prepare_response

from academy.api import schemas as s
from academy.api.access import (
    authenticate,
    caller,
    rate_key,
    rate_limit,
    require_scope,
    staff_scope,
)
from academy.api.errors import answer_problems, init_problems
from academy.api.paging import page_of_query
from academy.api.units import add_unit, change_unit, get_unit, units_query
from academy.extensions import csrf, db, limiter
from academy.security import CSP

PREFIX = "/api/v1"
PROBLEM_TYPE = "application/problem+json"

docs = answer_problems(Blueprint("api_docs", __name__, url_prefix=PREFIX))
units = ResourceBlueprint(
    "api_units", __name__, url_prefix=f"{PREFIX}/units", description="Đơn vị (cây tổ chức)"
)


class AcademyApi(Api):
    """flask-smorest's Api without its app-wide error handler (ours answers problems for /api
    only), with errors described as problem JSON."""

    ERROR_SCHEMA = s.Problem
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self):
        pass

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_TYPE)
            self.spec.components.response(status.name, response, lazy=True)


def resource_blueprints():
    from academy.api.resources_learning import blueprints as learning  # noqa: PLC0415
    from academy.api.resources_people import people  # noqa: PLC0415

    return [units, people, *learning]


def init_api(app) -> None:
    app.config.setdefault("API_TITLE", "Học viện Số API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("API_RATE_LIMIT", "300/minute")
    api = AcademyApi(
        app,
        spec_kwargs={
            "info": {"description": "Học viện Số: đơn vị, cán bộ, giao khoá học, kết quả học."},
            "security": [{"bearerAuth": []}],
        },
    )
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    blueprints = resource_blueprints()
    for blp in blueprints:
        csrf.exempt(blp)
        api.register_blueprint(blp)
    csrf.exempt(docs)
    app.register_blueprint(docs)
    init_problems(app)
    app.extensions["academy-api"] = api


def _guard():
    authenticate()


def guarded(blp):
    """Every request to ``blp``: a bearer token first; counted per token across the whole API."""
    answer_problems(blp)
    blp.before_request(_guard)
    limiter.shared_limit(rate_limit, scope="api", key_func=rate_key)(blp)
    return blp


guarded(units)


@docs.get("/openapi.json")
def openapi_json():
    return jsonify(current_app.extensions["academy-api"].spec.to_dict())


@docs.get("/docs")
def openapi_page():
    spec = current_app.extensions["academy-api"].spec.to_dict()
    operations = [
        (path, method.upper(), operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]
    response = make_response(render_template("api/docs.html", spec=spec, operations=operations))
    # Swagger UI sets style attributes; scripts stay 'self' only.
    response.headers["Content-Security-Policy"] = CSP.replace(
        "style-src 'self'", "style-src 'self' 'unsafe-inline'"
    )
    return response


# ---- units ------------------------------------------------------------------------------------
ERRORS = (400, 401, 403, 404, 422, 429)


def errors(*codes):
    """Describe the problem answers an operation can give."""

    def decorate(view):
        for code in codes:
            view = units.alt_response(code, response=http.HTTPStatus(code).name)(view)
        return view

    return decorate


@units.route("", methods=["GET"])
@units.arguments(s.UnitFilterArgs, location="query")
@units.response(200, s.UnitPage)
@errors(*ERRORS)
def list_units(args):
    """Units in the caller's subtree (scope reports:read), in tree order."""
    require_scope("reports:read")
    return page_of_query(
        units_query(staff_scope(), args.get("unit_id")), args["page"], args["per_page"]
    )


@units.route("/<int:unit_id>", methods=["GET"])
@units.response(200, s.UnitOut)
@errors(*ERRORS)
def get_unit_view(unit_id):
    """One unit (scope reports:read)."""
    require_scope("reports:read")
    return get_unit(staff_scope(), unit_id)


@units.route("", methods=["POST"])
@units.arguments(s.UnitIn)
@units.response(201, s.UnitOut)
@errors(*ERRORS, 409)
def create_unit_view(data):
    """Add a unit under one of the caller's units (scope people:write)."""
    require_scope("people:write")
    unit = add_unit(staff_scope(), data, caller())
    db.session.commit()
    return unit


@units.route("/<int:unit_id>", methods=["PATCH"])
@units.arguments(s.UnitPatch)
@units.response(200, s.UnitOut)
@errors(*ERRORS)
def update_unit_view(data, unit_id):
    """Rename or move a unit of the caller's subtree (scope people:write)."""
    require_scope("people:write")
    scope = staff_scope()
    unit = change_unit(scope, get_unit(scope, unit_id), data, caller())
    db.session.commit()
    return unit
