"""The quiz settings in the files: course.md review_policy, attempt_wait_minutes and pass_threshold
as a percentage; module.md quiz_draw and quiz_time_limit; quiz.md's {ghim} and {chọn nhiều}
markers: read, stored, written back and re-imported without a change."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select

from academy.catalog.models import Course
from academy.coursefiles.errors import ContentError
from academy.coursefiles.exporter import export_course
from academy.coursefiles.importer import import_courses
from academy.coursefiles.quizformat import parse_quiz
from academy.coursefiles.writer import format_quiz
from academy.extensions import db
from tests.coursefiles.helpers import MINI_COURSE

PINNED_QUIZ = """## Nguồn nào là dữ liệu hành chính?
- [x] Hồ sơ một cửa
- [ ] Tin đồn trên mạng
- [ ] Tất cả các phương án trên {ghim}
> Hồ sơ một cửa do cơ quan tạo ra khi giải quyết thủ tục.

## Chọn mọi việc cần làm trước khi công bố dữ liệu {chọn nhiều}
- [x] Xoá thông tin cá nhân
- [ ] Công bố ngay, sửa sau
> Chỉ một việc đúng, nhưng học viên không biết trước có mấy.
"""


@pytest.fixture
def mini(tmp_path):
    target = tmp_path / "courses" / "mini-course"
    shutil.copytree(MINI_COURSE, target)
    return target


def _set_front_matter(path, **fields):
    text = path.read_text(encoding="utf-8")
    head, body = text.split("\n---\n", 1)
    extra = "".join(f"\n{key}: {value}" for key, value in fields.items())
    path.write_text(head + extra + "\n---\n" + body, encoding="utf-8")


def _course():
    db.session.expire_all()
    return db.session.scalar(select(Course).where(Course.slug == "mini-course"))


def test_pin_and_multiple_markers_parse_and_write_back_the_same_text():
    questions = parse_quiz(PINNED_QUIZ)
    assert [(c.text, c.is_pinned) for c in questions[0].choices][-1] == (
        "Tất cả các phương án trên",
        True,
    )
    assert not any(c.is_pinned for c in questions[0].choices[:2])
    assert questions[0].kind == "single"
    assert questions[1].kind == "multiple" and questions[1].prompt_md.endswith("công bố dữ liệu")
    assert format_quiz(questions) == PINNED_QUIZ
    assert parse_quiz(PINNED_QUIZ.replace("{ghim}", "{pin}"))[0].choices[-1].is_pinned


def test_settings_are_imported_exported_and_reimported_without_a_change(app, mini, tmp_path):
    _set_front_matter(mini / "course.md", review_policy="always", attempt_wait_minutes=30)
    _set_front_matter(mini / "01-nhap-mon" / "module.md", quiz_draw=1, quiz_time_limit=15)
    (mini / "01-nhap-mon" / "quiz.md").write_text(PINNED_QUIZ, encoding="utf-8")
    import_courses(mini.parent)
    db.session.commit()
    course = _course()
    assert (course.review_policy, course.attempt_wait_minutes) == ("always", 30)
    module = course.modules[0]
    assert (module.quiz_draw, module.quiz_time_limit) == (1, 15)
    assert [c.is_pinned for c in module.active_questions[0].choices] == [False, False, True]
    assert module.active_questions[1].kind == "multiple"

    out = tmp_path / "out"
    export_course(course, out)
    written = out / "mini-course"
    assert (written / "01-nhap-mon" / "quiz.md").read_text(encoding="utf-8") == PINNED_QUIZ
    assert "review_policy: always\nattempt_wait_minutes: 30\n" in (written / "course.md").read_text(
        encoding="utf-8"
    )
    assert "quiz_draw: 1\nquiz_time_limit: 15\n" in (
        written / "01-nhap-mon" / "module.md"
    ).read_text(encoding="utf-8")
    [report] = import_courses(out)
    assert not report.has_changes, str(report)


def test_pass_threshold_may_be_written_as_a_percentage(app, mini):
    path = mini / "course.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace("pass_threshold: 0.7", "pass_threshold: 75%"),
        encoding="utf-8",
    )
    import_courses(mini.parent)
    assert _course().pass_threshold == 0.75


@pytest.mark.parametrize(
    "fields,message",
    [
        ({"review_policy": "sometimes"}, "review_policy"),
        ({"attempt_wait_minutes": -5}, "attempt_wait_minutes"),
    ],
)
def test_bad_course_settings_name_the_file_and_line(app, mini, fields, message):
    _set_front_matter(mini / "course.md", **fields)
    with pytest.raises(ContentError) as caught:
        import_courses(mini.parent)
    assert any(
        e.path.endswith("course.md") and e.line > 1 and message in e.message
        for e in caught.value.errors
    ), str(caught.value)


def test_a_draw_larger_than_the_quiz_is_refused_with_its_line(app, mini):
    module_md = mini / "01-nhap-mon" / "module.md"
    _set_front_matter(module_md, quiz_draw=50)
    with pytest.raises(ContentError) as caught:
        import_courses(mini.parent)
    [error] = [e for e in caught.value.errors if "quiz_draw" in e.message]
    assert error.path.endswith("01-nhap-mon/module.md") and error.line > 1
    assert "50" in error.message
    assert _course() is None
