"""Forms: upload to verify, revoke/reissue, bulk ZIP request."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from academy.forms import Form


class VerifyUploadForm(Form):
    document = FileField(
        _l("Tệp PDF giấy chứng nhận"),
        validators=[
            FileRequired(_l("Hãy chọn một tệp PDF.")),
            FileAllowed(["pdf"], _l("Chỉ nhận tệp PDF.")),
        ],
    )


class RevokeForm(Form):
    reason = TextAreaField(
        _l("Lý do"),
        validators=[
            DataRequired(_l("Hãy ghi lý do.")),
            Length(min=3, max=500, message=_l("Lý do cần từ 3 đến 500 ký tự.")),
        ],
    )


class BulkZipForm(Form):
    unit_id = SelectField(_l("Đơn vị (gồm các đơn vị trực thuộc)"), coerce=int)
    course_id = SelectField(_l("Khoá học"), coerce=int)


class CredentialCheckForm(Form):
    """Paste or upload an Open Badges credential (the JWT, or the JSON we hand out)."""

    credential = TextAreaField(_l("Dán nội dung chứng chỉ số (JSON hoặc JWT)"))
    document = FileField(
        _l("…hoặc tải lên tệp chứng chỉ số"),
        validators=[FileAllowed(["json", "jwt", "txt"], _l("Chỉ nhận tệp .json, .jwt hoặc .txt."))],
    )
