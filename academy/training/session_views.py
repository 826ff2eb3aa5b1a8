"""In-person sessions (routes on the training blueprint): my sessions and the ones I organise, a
session's page with my answer, creating, changing and cancelling one, and my calendar feed.

Instructors invite any unit and anyone (they teach the whole city); HR invites the units and the
people in its own units; admins anyone. A session's page is for its invitees, its managers and HR
in whose units an invitee lies; to anyone else it does not exist (404).
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from academy.auth.access import hr_scope, is_admin, roles_required
from academy.auth.units import unit_choices, unit_full_name
from academy.catalog.services import course_choices
from academy.core.audit import before_after, record_audit
from academy.database import utcnow
from academy.extensions import db
from academy.training import calendar
from academy.training.forms import (
    AnswerForm,
    CancelSessionForm,
    SessionForm,
    to_local,
    to_utc,
)
from academy.training.sessions import (
    ORGANISER_ROLES,
    AnswerRefused,
    SessionData,
    answer_counts,
    answer_of,
    answer_session,
    can_manage_session,
    cancel_session,
    create_session,
    find_people,
    get_session_for,
    home_sessions,
    invited_count,
    invites_of,
    is_invited,
    my_sessions,
    organised_sessions,
    responses_of,
    snapshot,
    update_session,
)
from academy.training.views import bp


@bp.app_template_global()
def upcoming_sessions():
    """The signed-in person's coming sessions, for the home page's partial."""
    if not current_user.is_authenticated:
        return []
    return home_sessions(current_user)


@bp.get("/sessions")
@login_required
def sessions():
    return render_template(
        "training/sessions.html",
        upcoming=my_sessions(current_user, upcoming=True),
        past=my_sessions(current_user, upcoming=False, limit=20),
        organiser=current_user.has_role(*ORGANISER_ROLES),
        feed_url=url_for(
            "training.calendar_feed", token=calendar.feed_token(current_user), _external=True
        ),
    )


@bp.get("/sessions/organised")
@roles_required("instructor", "hr")
def organised():
    items = organised_sessions(current_user)
    return render_template(
        "training/sessions.html",
        organised=items,
        counts=answer_counts([s.id for s in items]),
        organiser=True,
    )


def _unit_scope():
    """Units an organiser may invite: every unit for instructors and admins, HR its own."""
    if is_admin(current_user) or current_user.has_role("instructor"):
        return None
    return hr_scope(current_user)


def _form(session=None) -> SessionForm:
    form = SessionForm(
        obj=None if session is None else _Prefill(session),
        original_start=None if session is None else session.starts_at,
    )
    form.course.choices = course_choices(
        blank=_("— Không gắn khoá học —"), blank_value="", published_only=True
    )
    form.units.choices = unit_choices(_unit_scope())
    return form


class _Prefill:
    """A session as the form shows it (local times, invitees as fields)."""

    def __init__(self, session):
        units, people = invites_of(session)
        self.title, self.topic, self.place = session.title, session.topic, session.place
        self.course = session.course_id
        self.starts_at, self.ends_at = to_local(session.starts_at), to_local(session.ends_at)
        self.hours, self.capacity = session.hours, session.capacity
        self.requires_sign_out = session.requires_sign_out
        self.units = [unit.id for unit in units]
        self.people = "\n".join(person.employee_code or person.email for person in people)


def _data(form) -> SessionData | None:
    """The form's session, or None with an error on the people field for names nobody has."""
    people, unknown = find_people(form.people.data, current_user)
    if unknown:
        form.people.errors.append(
            _("Không tìm thấy người được mời: %(names)s", names=", ".join(unknown[:20]))
        )
        return None
    return SessionData(
        title=form.title.data.strip(),
        topic=(form.topic.data or "").strip(),
        course_id=form.course.data,
        place=form.place.data.strip(),
        starts_at=to_utc(form.starts_at.data),
        ends_at=to_utc(form.ends_at.data),
        hours=round(form.hours.data, 2),
        capacity=form.capacity.data,
        requires_sign_out=form.requires_sign_out.data,
        unit_ids=list(form.units.data or []),
        user_ids=[person.id for person in people],
    )


def _render_form(form, session=None, status=200):
    return render_template("training/session_form.html", form=form, session=session), status


@bp.route("/sessions/new", methods=["GET", "POST"])
@roles_required("instructor", "hr")
def new_session():
    form = _form()
    if not form.validate_on_submit():
        return _render_form(form, status=400 if form.is_submitted() else 200)
    data = _data(form)
    if data is None:
        return _render_form(form, status=400)
    session = create_session(data, current_user)
    record_audit("session.create", target=f"session:{session.id}", detail=snapshot(session))
    db.session.commit()
    flash(_("Đã tạo buổi học; người được mời đã nhận thông báo."), "success")
    return redirect(url_for("training.session_detail", session_id=session.id))


@bp.get("/sessions/<int:session_id>")
@login_required
def session_detail(session_id: int):
    session = get_session_for(current_user, session_id)
    manager = can_manage_session(current_user, session)
    units, people = invites_of(session)
    return render_template(
        "training/session.html",
        session=session,
        manager=manager,
        invited=is_invited(session, current_user),
        answer=answer_of(session, current_user),
        open_for_answers=session.cancelled_at is None and session.starts_at > utcnow(),
        counts=answer_counts([session.id])[session.id],
        invited_total=invited_count(session),
        units=[unit_full_name(unit) for unit in units],
        people=people,
        responses=responses_of(session) if manager else [],
        form=AnswerForm(),
    )


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@login_required
def edit_session(session_id: int):
    session = get_session_for(current_user, session_id, manage=True)
    if session.cancelled_at is not None:
        flash(_("Buổi học này đã bị huỷ; không sửa được nữa."), "warning")
        return redirect(url_for("training.session_detail", session_id=session.id))
    form = _form(session)
    if not form.validate_on_submit():
        return _render_form(form, session, status=400 if form.is_submitted() else 200)
    data = _data(form)
    if data is None:
        return _render_form(form, session, status=400)
    before = snapshot(session)
    try:
        update_session(session, data)
    except AnswerRefused as refused:
        db.session.rollback()
        form.capacity.errors.append(refused.message)
        return _render_form(form, session, status=400)
    record_audit(
        "session.update",
        target=f"session:{session.id}",
        detail=before_after(before, snapshot(session)),
    )
    db.session.commit()
    flash(_("Đã lưu thay đổi của buổi học."), "success")
    return redirect(url_for("training.session_detail", session_id=session.id))


@bp.route("/sessions/<int:session_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel_session_view(session_id: int):
    """GET asks "are you sure?"; POST cancels (the session stays, shown as cancelled)."""
    session = get_session_for(current_user, session_id, manage=True)
    form = CancelSessionForm()
    confirmed = form.validate_on_submit() and form.confirm.data  # the button, not a bare POST
    if session.cancelled_at is None and not confirmed:
        status = 400 if form.is_submitted() else 200
        return render_template("training/session_cancel.html", session=session, form=form), status
    if cancel_session(session):
        record_audit("session.cancel", target=f"session:{session.id}", detail=snapshot(session))
        db.session.commit()
        flash(_("Đã huỷ buổi học; người được mời đã nhận thông báo."), "info")
    else:
        flash(_("Buổi học này đã được huỷ trước đó; không có gì thay đổi."), "info")
    return redirect(url_for("training.session_detail", session_id=session.id))


@bp.post("/sessions/<int:session_id>/answer")
@login_required
def answer(session_id: int):
    session = get_session_for(current_user, session_id)
    if not is_invited(session, current_user):  # organisers and admins see it, only invitees answer
        abort(404)
    form = AnswerForm()
    if not form.validate_on_submit() or not (form.register.data or form.decline.data):
        abort(400)
    status = "registered" if form.register.data else "declined"
    try:
        outcome = answer_session(session, current_user, status)
        db.session.commit()
    except AnswerRefused as refused:
        db.session.rollback()
        flash(refused.message, "warning")
        return redirect(url_for("training.session_detail", session_id=session_id))
    if outcome == "saved":
        flash(
            _("Đã đăng ký tham dự.") if status == "registered" else _("Đã báo không tham dự."),
            "success",
        )
    return redirect(url_for("training.session_detail", session_id=session_id))


@bp.get("/calendar/<token>.ics")
def calendar_feed(token: str):
    """No sign-in (calendar apps send no cookies): the signed token names the person."""
    user = calendar.user_for_token(token)
    if user is None:
        abort(404)
    response = Response(calendar.calendar_text(user), mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
