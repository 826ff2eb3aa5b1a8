"""Marshmallow schemas: what the API reads and writes, and what its OpenAPI description shows."""

from __future__ import annotations

import unicodedata

import marshmallow as ma
from marshmallow import fields, validate

from academy.api.models import SCOPES
from academy.auth.models import ROLES, UNIT_KINDS

MAX_PER_PAGE = 500
BULK_MAX = 10_000  # people per PUT
UNIT_CODE = validate.Regexp(r"^[A-Za-z0-9._-]{1,32}$")
TEXT = {"validate": validate.Length(max=200)}


class Text(fields.String):
    """Text a database can hold: no control characters (NUL above all) and no lone surrogates."""

    default_error_messages = {"control": "Control characters are not allowed."}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text):
            raise self.make_error("control")
        return text


class Strict(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class Problem(ma.Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String()
    errors = fields.List(fields.Dict())


class PageArgs(Strict):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class UnitFilterArgs(PageArgs):
    unit_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))


class PeriodArgs(UnitFilterArgs):
    date_from = fields.Date()
    date_to = fields.Date()


class PeopleArgs(UnitFilterArgs):
    active = fields.Boolean()


class Envelope(ma.Schema):
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


# ---- units ------------------------------------------------------------------------------------
class UnitOut(ma.Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    parent_id = fields.Integer(allow_none=True)


class UnitPage(Envelope):
    items = fields.List(fields.Nested(UnitOut))


class UnitIn(Strict):
    code = Text(required=True, validate=UNIT_CODE)
    name = Text(required=True, validate=validate.Length(min=1, max=200))
    kind = Text(load_default="agency", validate=validate.OneOf(UNIT_KINDS))
    parent_id = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=2**31 - 1))


class UnitPatch(Strict):
    name = Text(validate=validate.Length(min=1, max=200))
    kind = Text(validate=validate.OneOf(UNIT_KINDS))
    parent_id = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=2**31 - 1))


# ---- people -----------------------------------------------------------------------------------
class PersonOut(ma.Schema):
    id = fields.Integer()
    employee_code = fields.String(allow_none=True)
    email = fields.String()
    full_name = fields.String()
    position = fields.String()
    unit_id = fields.Integer(allow_none=True)
    unit_code = fields.Function(lambda p: p.unit.code if p.unit else None, allow_none=True)
    roles = fields.Function(lambda p: sorted(p.roles))
    is_active = fields.Boolean()


class PersonPage(Envelope):
    items = fields.List(fields.Nested(PersonOut))


class PersonIn(Strict):
    employee_code = Text(required=True, validate=validate.Regexp(r"^\S{1,40}$"))
    email = fields.Email(required=True, validate=validate.Length(max=254))
    full_name = Text(required=True, validate=validate.Length(min=1, max=200))
    position = Text(load_default="", **TEXT)
    unit_code = Text(required=True, validate=UNIT_CODE)
    roles = fields.List(Text(validate=validate.OneOf(ROLES)), validate=validate.Length(1))


class PersonPatch(Strict):
    email = fields.Email(validate=validate.Length(max=254))
    full_name = Text(validate=validate.Length(min=1, max=200))
    position = Text(**TEXT)
    unit_code = Text(validate=UNIT_CODE)
    roles = fields.List(Text(validate=validate.OneOf(ROLES)), validate=validate.Length(1))
    is_active = fields.Boolean()


class BulkIn(Strict):
    people = fields.List(
        fields.Nested(PersonIn), required=True, validate=validate.Length(min=1, max=BULK_MAX)
    )


class BulkOut(ma.Schema):
    rows = fields.Integer()
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()


# ---- learning ---------------------------------------------------------------------------------
class AssignmentOut(ma.Schema):
    id = fields.Integer()
    course_id = fields.Integer()
    course_slug = fields.Function(lambda a: a.course.slug)
    unit_id = fields.Integer()
    unit_code = fields.Function(lambda a: a.unit.code)
    due_at = fields.AwareDateTime(allow_none=True)
    due_days = fields.Integer(allow_none=True)
    created_at = fields.AwareDateTime()
    is_active = fields.Boolean()


class AssignmentPage(Envelope):
    items = fields.List(fields.Nested(AssignmentOut))


class AssignmentIn(Strict):
    course_slug = Text(required=True, validate=validate.Length(min=1, max=200))
    unit_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    due_date = fields.Date()
    due_days = fields.Integer(validate=validate.Range(min=1, max=3650))


class CompletionOut(ma.Schema):
    enrollment_id = fields.Integer()
    unit_code = fields.String()
    employee_code = fields.String(allow_none=True)
    full_name = fields.String()
    course_title = fields.String()
    source = fields.String()
    enrolled_at = fields.AwareDateTime(allow_none=True)
    due_at = fields.AwareDateTime(allow_none=True)
    completed_at = fields.AwareDateTime(allow_none=True)
    progress = fields.Integer()
    score = fields.Float(allow_none=True)
    status = fields.String()
    overdue = fields.Function(lambda row: row.status == "overdue")
    certificate_serial = fields.String(allow_none=True)


class CompletionPage(Envelope):
    items = fields.List(fields.Nested(CompletionOut))


class CertificateOut(ma.Schema):
    serial = fields.String()
    verify_url = fields.String()
    employee_code = fields.String(allow_none=True)
    full_name = fields.String()
    unit_code = fields.String(allow_none=True)
    course_slug = fields.String()
    course_title = fields.String()
    issued_at = fields.AwareDateTime()
    revoked_at = fields.AwareDateTime(allow_none=True)


class CertificatePage(Envelope):
    items = fields.List(fields.Nested(CertificateOut))


class PathItemOut(ma.Schema):
    module_slug = fields.String()
    module_title = fields.String()
    course_slug = fields.String()
    course_title = fields.String()
    predicted = fields.Float()
    best_score = fields.Float(allow_none=True)
    assigned = fields.Boolean()
    due_at = fields.AwareDateTime(allow_none=True)
    overdue = fields.Boolean()
    test_out = fields.Boolean()
    reasons = fields.List(fields.String())


class PathOut(ma.Schema):
    track = fields.String()
    needs_placement = fields.Boolean()
    items = fields.List(fields.Nested(PathItemOut))


class CourseProgressOut(ma.Schema):
    course_slug = fields.String()
    course_title = fields.String()
    lessons_done = fields.Integer()
    lessons_total = fields.Integer()
    modules_passed = fields.Integer()
    modules_total = fields.Integer()
    fraction = fields.Float()
    due_at = fields.AwareDateTime(allow_none=True)
    completed_at = fields.AwareDateTime(allow_none=True)
    is_overdue = fields.Boolean()


class ProgressOut(ma.Schema):
    person_id = fields.Integer()
    courses = fields.List(fields.Nested(CourseProgressOut))


class TokenInfo(ma.Schema):
    name = fields.String()
    scopes = fields.List(fields.String(validate=validate.OneOf(SCOPES)))
