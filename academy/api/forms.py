from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from academy.forms import Form

SCOPE_LABELS = {
    "reports:read": _l("Đọc báo cáo (đơn vị, cán bộ, kết quả học, chứng chỉ)"),
    "people:write": _l("Ghi cán bộ và đơn vị (tạo, sửa, khoá, nhập hàng loạt; giao khoá học)"),
    "learning:read": _l("Đọc việc học của chính tôi (lộ trình, tiến độ)"),
}


class TokenForm(Form):
    name = StringField(_l("Tên khoá"), validators=[DataRequired(), Length(max=100)])
    scopes = SelectMultipleField(
        _l("Phạm vi"),
        validators=[DataRequired()],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )
    expires_on = DateField(
        _l("Hết hạn vào ngày (để trống: không hết hạn)"), validators=[Optional()]
    )


class RevokeForm(Form):
    """Only the CSRF token: revoking is a POST."""
