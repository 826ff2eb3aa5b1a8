"""Yearly training hours: the cadre's own page and home card, HR's unit list and CSV, external
training recorded by HR (with its document), and the hours each position must reach."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from academy.auth.access import can_see_person, hr_scope, is_admin, roles_required
from academy.auth.models import Unit, User
from academy.auth.units import unit_choices, unit_full_name
from academy.core.audit import record_audit
from academy.core.downloads import attachment_header, download_filename
from academy.core.once import submit_once
from academy.core.pagination import Page, clamp_page
from academy.database import utcnow
from academy.extensions import db
from academy.i18n import academy_zone
from academy.training import hours as hours_rules
from academy.training.external import (
    MIME_TYPES,
    ExternalTrainingRefused,
    discard_document,
    document_file,
    record_external_training,
)
from academy.training.hours import (
    RequirementClash,
    hours_label,
    local_year,
    year_hours,
    year_items,
)
from academy.training.hours_forms import ExternalTrainingForm, RequirementForm
from academy.training.hours_report import SORTS, csv_bytes, summarise, unit_hours
from academy.training.models import ExternalTraining, HoursRequirement
from academy.training.views import bp

PER_PAGE = 50
FIRST_YEAR = 2000


def _year() -> int:
    """The year asked for (``?year=``), else this year; a year out of range is not found."""
    this_year = local_year()
    year = request.args.get("year", this_year, type=int)
    if not FIRST_YEAR <= year <= this_year + 1:
        abort(404)
    return year


def _years() -> list[int]:
    this_year = local_year()
    return list(range(this_year, this_year - 5, -1))


def _person_in_scope(user_id: int) -> User:
    """A person HR may see (404 otherwise, never telling that the person exists)."""
    person = db.session.get(User, user_id) if 0 < user_id < 2**63 else None
    if person is None or not can_see_person(current_user, person):
        abort(404)
    return person


@bp.app_context_processor
def _hours_card():
    """``my_year_hours()`` for the home page's card (computed only where the card is shown)."""

    def my_year_hours():
        if not current_user.is_authenticated:
            return None
        year = local_year()
        return year, year_hours([current_user.id], year).get(current_user.id)

    return {
        "my_year_hours": my_year_hours,
        "hours_label": hours_label,
        "default_required_hours": hours_rules.default_required,
    }


def _person_page(person: User, year: int, template_args: dict):
    mine = year_hours([person.id], year).get(person.id)
    return render_template(
        "training/my_hours.html",
        person=person,
        year=year,
        years=_years(),
        hours=mine,
        items=year_items(person.id, year),
        **template_args,
    )


@bp.get("/me/hours")
@login_required
def my_hours():
    return _person_page(current_user, _year(), {"own": True})


@bp.get("/hours/people/<int:user_id>")
@roles_required("hr")
def person_hours(user_id: int):
    person = _person_in_scope(user_id)
    return _person_page(person, _year(), {"own": person.id == current_user.id})


def _unit_asked():
    """The reader's scope, the unit asked for (404 outside it), the year and the order."""
    scope = hr_scope(current_user)
    unit_id = request.args.get("unit", type=int)
    unit = None
    if unit_id:
        unit = db.session.get(Unit, unit_id) if 0 < unit_id < 2**63 else None
        if unit is None or (scope is not None and not scope.contains(unit)):
            abort(404)
    sort = request.args.get("sort", "name")
    return scope, unit, _year(), sort if sort in SORTS else "name"


@bp.get("/hours")
@roles_required("hr")
def unit_hours_page():
    scope, unit, year, sort = _unit_asked()
    people = unit_hours(unit or scope, year, sort)
    number = clamp_page(request.args.get("page", 1, type=int), len(people), PER_PAGE)
    start = (number - 1) * PER_PAGE
    page = Page(people[start : start + PER_PAGE], number, PER_PAGE, len(people))
    args = {"unit": unit.id if unit else None, "year": year, "sort": sort}
    return render_template(
        "training/unit_hours.html",
        page=page,
        summary=summarise(people),
        args={k: v for k, v in args.items() if v},
        unit=unit,
        unit_name=unit_full_name(unit or scope) if (unit or scope) else _("Toàn thành phố"),
        units=unit_choices(scope),
        year=year,
        years=_years(),
        sort=sort,
        default_required=hours_rules.default_required(),
    )


@bp.get("/hours.csv")
@roles_required("hr")
def unit_hours_csv():
    scope, unit, year, sort = _unit_asked()
    people = unit_hours(unit or scope, year, sort)
    record_audit(
        "report.download",
        target="training-hours.csv",
        detail={"unit": unit.code if unit else None, "year": year, "rows": len(people)},
    )
    db.session.commit()  # the audit lands before any data goes out
    stamp = utcnow().astimezone(academy_zone()).strftime("%Y%m%d-%H%M")
    name = download_filename(
        "gio-hoc", year, unit.code if unit else "toan-pham-vi", stamp, ext="csv"
    )
    return Response(
        csv_bytes(people),
        mimetype="text/csv",
        headers={"Content-Disposition": attachment_header(name)},
    )


@bp.route("/hours/people/<int:user_id>/external", methods=["GET", "POST"])
@roles_required("hr")
@submit_once
def external_form(user_id: int):
    person = _person_in_scope(user_id)
    form = ExternalTrainingForm()
    if form.validate_on_submit():
        today = utcnow().astimezone(academy_zone()).date()
        try:
            record = record_external_training(
                person,
                current_user,
                title=form.title.data,
                provider=form.provider.data,
                hours=form.hours.data,
                completed_on=form.completed_on.data,
                upload=form.document.data,
                today=today,
            )
        except ExternalTrainingRefused as refused:
            getattr(form, refused.field).errors.append(refused.message)
        else:
            _commit_or_discard(record.document_path)
            flash(_("Đã ghi nhận khoá đào tạo bên ngoài."), "success")
            year = record.completed_on.year
            return redirect(url_for("training.person_hours", user_id=person.id, year=year), 303)
    return render_template("training/external_form.html", form=form, person=person)


def _commit_or_discard(relative: str) -> None:
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        discard_document(relative)
        raise


@bp.get("/hours/external/<int:record_id>/document")
@login_required
def external_document(record_id: int):
    """The document of an external training: for the person and HR who may see the person."""
    record = db.session.get(ExternalTraining, record_id) if 0 < record_id < 2**63 else None
    person = db.session.get(User, record.user_id) if record else None
    path = document_file(record.document_path) if record else None
    if person is None or path is None or not can_see_person(current_user, person):
        abort(404)
    if person.id != current_user.id:
        record_audit("training.external.document", f"user:{person.id}", {"record": record.id})
        db.session.commit()
    ext = record.document_path.rsplit(".", 1)[1]
    with open(path, "rb") as handle:  # at most UPLOAD_MAX_BYTES
        response = Response(handle.read(), mimetype=MIME_TYPES[ext])
    response.headers["Content-Disposition"] = attachment_header(record.document_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ---- the requirement per position ---------------------------------------------------------------


def can_set_requirements(user) -> bool:
    """Admins, and HR of the top of the unit tree (the requirement holds city-wide)."""
    if is_admin(user):
        return True
    unit = user.unit if user.is_authenticated and user.has_role("hr") else None
    return unit is not None and unit.parent_id is None


@bp.route("/hours/requirements", methods=["GET", "POST"])
@bp.route("/hours/requirements/<int:requirement_id>", methods=["GET", "POST"])
@roles_required("hr")
@submit_once
def requirements(requirement_id: int | None = None):
    if not can_set_requirements(current_user):
        abort(403)
    editing = None
    if requirement_id is not None:
        editing = (
            db.session.get(HoursRequirement, requirement_id) if requirement_id < 2**63 else None
        )
        if editing is None:
            abort(404)
    form = RequirementForm(obj=editing)
    if form.validate_on_submit():
        try:
            hours_rules.save_requirement(
                current_user, form.position.data, form.hours.data, requirement=editing
            )
        except RequirementClash as clash:
            form.position.errors.append(
                _("Chức vụ “%(name)s” đã có số giờ yêu cầu.", name=str(clash))
            )
        else:
            db.session.commit()
            flash(_("Đã lưu số giờ yêu cầu."), "success")
            return redirect(url_for("training.requirements"), 303)
    rows = list(db.session.scalars(select(HoursRequirement).order_by(HoursRequirement.position)))
    return render_template(
        "training/requirements.html",
        form=form,
        editing=editing,
        rows=rows,
        default_required=hours_rules.default_required(),
    )
