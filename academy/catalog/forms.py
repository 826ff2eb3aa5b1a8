"""The catalogue's search and filter form."""

from flask_babel import lazy_gettext as _l
from wtforms import SearchField, SelectField
from wtforms.fields.choices import SelectChoice

from academy.catalog.models import LEVEL_LABELS, TRACK_LABELS
from academy.forms import Form


def _choices(any_label, labels: dict) -> list[SelectChoice]:
    return [SelectChoice("", any_label)] + [
        SelectChoice(key, label) for key, label in labels.items()
    ]


class CourseFilterForm(Form):
    """Read from the query string (GET): no CSRF token, unknown choices simply ignored."""

    class Meta:
        csrf = False

    q = SearchField(_l("Tìm khoá học"), render_kw={"placeholder": _l("Tên hoặc nội dung khoá học")})
    track = SelectField(
        _l("Chuyên đề"), choices=lambda: _choices(_l("Tất cả chuyên đề"), TRACK_LABELS)
    )
    level = SelectField(_l("Trình độ"), choices=lambda: _choices(_l("Mọi trình độ"), LEVEL_LABELS))


def filters_of(args) -> dict:
    """The catalogue's filters from the query string (``CourseFilterForm``'s fields): unknown
    choices ignored, the search trimmed. Read without building the form, which only a page being
    rendered needs."""
    track, level = args.get("track"), args.get("level")
    return {
        "query": (args.get("q") or "").strip()[:200],
        "track": track if track in TRACK_LABELS else "",
        "level": level if level in LEVEL_LABELS else "",
    }
