"""A pass mark typed and shown as a percentage, kept as a share (70 % ↔ 0.7).

Authors type "70", "70 %", "70,5" or "70.5"; the database and course.md keep 0.7, as the
learner's grading always has. A bare number below 1 ("0,7", the old spelling) still reads as a
share, so nobody's habit turns into a 0.7 % pass mark.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import StopValidation

from academy.core.template_helpers import percent_number

PERCENT_RE = re.compile(r"^([0-9]{1,3}(?:[.,][0-9]{1,2})?|[.,][0-9]{1,4})\s*(%?)$")


def parse_percent(text: str) -> float:
    """The share a typed percentage stands for, rounded to 4 places. Raises ValueError."""
    cleaned = (text or "").replace("\u00a0", " ").replace("\u202f", " ").strip()
    match = PERCENT_RE.match(cleaned)
    if not match:
        raise ValueError(text)
    number = float(match.group(1).replace(",", "."))
    share = number if number < 1 and not match.group(2) else number / 100
    return round(share, 4)


class PercentField(StringField):
    """A text box for a percentage whose ``data`` is the share (0..1), or None when empty."""

    invalid = _l("Nhập điểm đạt dạng phần trăm, ví dụ 70 hoặc 70,5.")

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return percent_number(self.data)

    def process_formdata(self, valuelist) -> None:
        if not valuelist or not (valuelist[0] or "").strip():
            self.data = None
            return
        try:
            self.data = parse_percent(valuelist[0])
        except ValueError:
            self.data = None
            raise ValueError(str(self.invalid)) from None

    def pre_validate(self, form) -> None:
        if self.process_errors:  # the message is already there: no "out of range" on top
            raise StopValidation()
