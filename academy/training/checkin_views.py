"""QR attendance: the attendee's page behind the scanned code, the organiser's projector screen
(with its JSON for live refresh), the attendance list and checking someone in by hand."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask import session as flask_session
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from academy.auth.access import require
from academy.database import db
from academy.forms import Form, int_or_none
from academy.training import checkin
from academy.training.models import TrainingSession
from academy.training.views import bp

# The page an attendee sees instead of the button, and its HTTP status on a GET.
REFUSALS = {
    "not_invited": (
        _l(
            "Bạn không có tên trong danh sách mời của buổi học này nên không thể điểm danh. "
            "Nếu đây là nhầm lẫn, hãy báo người tổ chức."
        ),
        403,
    ),
    "expired": (_l("Mã đã hết hạn, hãy quét mã đang hiển thị."), 410),
    "early": (_l("Chưa đến giờ điểm danh. Điểm danh mở trước giờ bắt đầu ít phút."), 200),
    "over": (_l("Buổi học đã kết thúc, không còn điểm danh được."), 200),
    "cancelled": (_l("Buổi học này đã bị huỷ."), 200),
    "no_sign_out": (_l("Buổi học này không cần điểm danh ra."), 404),
    "not_checked_in": (
        _l("Bạn chưa điểm danh vào buổi học này nên chưa thể điểm danh ra."),
        200,
    ),
    "reason_required": (_l("Hãy ghi lý do điểm danh hộ."), 400),
    "already": (_l("Người này đã điểm danh rồi."), 400),
}


SEEN_KEY = "checkin_seen"  # [direction, session id, token, unix time] of the last button shown


class AttendForm(Form):
    """Only the CSRF token: the window and the code are in the address."""


class ManualCheckinForm(Form):
    user_id = SelectField(_l("Người được mời"), coerce=int_or_none, validators=[DataRequired()])
    reason = TextAreaField(
        _l("Lý do điểm danh hộ"),
        validators=[DataRequired(_l("Hãy ghi lý do điểm danh hộ.")), Length(max=500)],
    )
    late = BooleanField(_l("Đến muộn"))


def _managed_session(session_id: int) -> TrainingSession:
    session = db.session.get(TrainingSession, session_id)
    require(session is not None and checkin.can_run_checkin(current_user, session))
    return session


def _direction() -> str:
    return "out" if request.args.get("mode") == "out" else "in"


# ---- the attendee ----------------------------------------------------------------------------


@bp.route("/attend/<int:session_id>/<any(in, out):direction>/<token>", methods=["GET", "POST"])
@login_required
def attend(session_id: int, direction: str, token: str):
    """The scanned address: the session and a big button (the POST checks the code again)."""
    session = db.session.get(TrainingSession, session_id)
    if session is None or len(token) > 40:
        abort(404)
    form = AttendForm()
    if form.validate_on_submit():
        return _record(session, direction, token)
    state = checkin.attend_state(session, current_user, direction, token)
    if state == "ready":  # the button gets a grace period from now (checkin.code_accepted)
        flask_session[SEEN_KEY] = [direction, session.id, token, checkin.clock()]
    status = 200 if state in ("ready", "done") else REFUSALS[state][1]
    return _attend_page(session, direction, state, form), status


def _record(session: TrainingSession, direction: str, token: str):
    record = checkin.check_out if direction == "out" else checkin.check_in
    seen = flask_session.get(SEEN_KEY)
    seen_at = (
        seen[3] if isinstance(seen, list) and seen[:3] == [direction, session.id, token] else None
    )
    try:
        created = record(session, current_user, token, seen_at)
    except checkin.CheckinRefused as refused:
        db.session.rollback()
        status = REFUSALS[refused.reason][1]
        status = 400 if status == 200 else status  # a refused POST is never a success
        return _attend_page(session, direction, refused.reason, AttendForm()), status
    db.session.commit()
    if created:
        flash(_("Đã ghi nhận. Cảm ơn bạn!"), "success")
    return redirect(url_for(".attend", session_id=session.id, direction=direction, token=token))


def _attend_page(session, direction: str, state: str, form):
    return render_template(
        "training/attend.html",
        session=session,
        direction=direction,
        state=state,
        message=REFUSALS[state][0] if state in REFUSALS else None,
        attendance=checkin.attendance_of(session, current_user),
        form=form,
    )


# ---- the organiser ---------------------------------------------------------------------------


@bp.get("/sessions/<int:session_id>/checkin")
@login_required
def checkin_screen(session_id: int):
    """The projector: the QR code of the moment, its address, the live count and latest names."""
    session = _managed_session(session_id)
    direction = _direction()
    if direction == "out" and not session.requires_sign_out:
        abort(404)
    return render_template(
        "training/checkin_screen.html",
        session=session,
        direction=direction,
        code=checkin.screen_code(session, direction),
        tally=checkin.tally(session),
        problem=checkin.open_problem(session, direction),
        opens_at=session.starts_at if direction == "out" else checkin.checkin_opens_at(session),
    )


@bp.get("/sessions/<int:session_id>/checkin.json")
@login_required
def checkin_screen_data(session_id: int):
    session = _managed_session(session_id)
    direction = _direction()
    if direction == "out" and not session.requires_sign_out:
        abort(404)
    tally = checkin.tally(session)
    response = jsonify(
        present=tally.present,
        invited=tally.invited,
        late=tally.late,
        signed_out=tally.signed_out,
        label=_(
            "%(present)s / %(invited)s đã điểm danh", present=tally.present, invited=tally.invited
        ),
        latest=[
            {"name": row["name"], "time": format_datetime(row["at"], "HH:mm"), "late": row["late"]}
            for row in tally.latest
        ],
        **checkin.screen_code(session, direction),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/sessions/<int:session_id>/attendance")
@login_required
def attendance(session_id: int):
    session = _managed_session(session_id)
    return _attendance_page(session, _manual_form(session))


@bp.post("/sessions/<int:session_id>/attendance/manual")
@login_required
def attendance_manual(session_id: int):
    """Check an invitee in by hand, with a reason (audited)."""
    session = _managed_session(session_id)
    form = _manual_form(session)
    if not form.validate_on_submit():
        return _attendance_page(session, form), 400
    try:
        person = checkin.invitee(session, form.user_id.data)
        checkin.check_in_by_hand(
            session, person, reason=form.reason.data, late=form.late.data, actor=current_user
        )
    except checkin.CheckinRefused as refused:
        db.session.rollback()
        form.user_id.errors = [REFUSALS[refused.reason][0]]
        return _attendance_page(session, form), refused.status
    db.session.commit()
    flash(_("Đã điểm danh hộ %(name)s.", name=person.full_name), "success")
    return redirect(url_for(".attendance", session_id=session.id))


def _manual_form(session) -> ManualCheckinForm:
    form = ManualCheckinForm()
    form.user_id.choices = [(None, _("— Chọn người —"))] + [
        (user.id, user.full_name + (f" ({user.email})")) for user in checkin.absentees(session)
    ]
    return form


def _attendance_page(session, form):
    return render_template(
        "training/attendance.html",
        session=session,
        rows=checkin.attendance_list(session),
        tally=checkin.tally(session),
        form=form,
        problem=checkin.open_problem(session),
    )
