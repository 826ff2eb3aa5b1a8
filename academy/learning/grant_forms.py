"""The form that grants a learner extra quiz attempts (used by authoring and by reports)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from academy.forms import Form
from academy.learning.grants import (
    MAX_EXTRA,
    REASON_MAX,
    REASON_MIN,
    GrantError,
    grant_attempts,
)


class GrantAttemptsForm(Form):
    extra = IntegerField(
        _l("Số lượt cấp thêm"),
        default=1,
        validators=[
            InputRequired(_l("Hãy nhập số lượt cấp thêm.")),
            NumberRange(1, MAX_EXTRA, _l("Số lượt cấp thêm phải từ 1 đến %(max)s.")),
        ],
    )
    reason = TextAreaField(
        _l("Lý do"),
        validators=[
            InputRequired(_l("Hãy ghi lý do cấp thêm lượt.")),
            Length(REASON_MIN, REASON_MAX, _l("Lý do phải dài từ %(min)d đến %(max)d ký tự.")),
        ],
    )


def grant_forms(module_ids, posted: tuple[int, GrantAttemptsForm] | None = None) -> dict:
    """One blank form per module (field ids prefixed, so several fit on a page); ``posted`` keeps
    the form just sent, with its input and errors, in its module's place."""
    forms = {mid: GrantAttemptsForm(prefix=f"m{mid}", formdata=None) for mid in module_ids}
    if posted is not None:
        forms[posted[0]] = posted[1]
    return forms


def posted_form(module_id: int) -> GrantAttemptsForm:
    return GrantAttemptsForm(prefix=f"m{module_id}")


def grant_from_form(form: GrantAttemptsForm, learner, module, actor):
    """Validate the posted ``form`` and grant; None (with the reason on the form) when it cannot."""
    if not form.validate_on_submit():
        return None
    try:
        return grant_attempts(learner, module, form.extra.data, form.reason.data, actor)
    except GrantError as exc:
        form[exc.field].errors.append(str(exc))
        return None


def granted_message(grant, learner, module) -> str:
    return _(
        "Đã cấp thêm %(n)s lượt làm bài cho %(name)s (%(module)s).",
        n=grant.extra,
        name=learner.full_name,
        module=module.title,
    )
