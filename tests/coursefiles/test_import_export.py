"""Course content I/O: courses/ folders ↔ database, as an author or operator sees it."""

from __future__ import annotations

import filecmp
import io
import shutil
import tempfile
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from academy.catalog.models import Course, Lesson, LessonRevision, Module, Question
from academy.coursefiles.errors import ContentError
from academy.coursefiles.exporter import export_course, export_course_zip
from academy.coursefiles.importer import import_courses
from academy.coursefiles.parser import parse_course_dir
from academy.coursefiles.quizformat import parse_quiz
from academy.extensions import db
from academy.learning.models import AttemptAnswer, ModuleResult, QuizAttempt
from tests.coursefiles.helpers import MINI_COURSE

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "courses"
FIXTURE = MINI_COURSE


@pytest.fixture
def mini(tmp_path):
    """A writable copy of the small fixture course: tmp/courses/mini-course."""
    target = tmp_path / "courses" / "mini-course"
    shutil.copytree(FIXTURE, target)
    return target


def course_count() -> int:
    return db.session.scalar(select(func.count(Course.id)))


def import_and_commit(path, **kwargs):
    reports = import_courses(path, **kwargs)
    db.session.commit()
    return reports


def rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def assert_rejected(path, expected_file: str, expected_line: int, words: str):
    with pytest.raises(ContentError) as caught:
        import_courses(path)
    db.session.rollback()
    found = [e for e in caught.value.errors if e.path.endswith(expected_file)]
    assert found, str(caught.value)
    assert any(e.line == expected_line and words in e.message for e in found), str(caught.value)
    assert course_count() == 0
    return caught.value


# ---- the shipped curriculum -------------------------------------------------------------------


def test_import_of_shipped_courses_publishes_all_three(app):
    reports = import_and_commit(SHIPPED)

    assert {r.slug for r in reports} == {
        "lanh-dao-bang-du-lieu",
        "lanh-dao-chuyen-doi-so-va-ai",
        "quan-tri-cong-hien-dai",
    }
    assert all(r.created for r in reports)
    courses = db.session.scalars(select(Course)).all()
    assert {c.status for c in courses} == {"published"}
    assert all(c.published_at is not None for c in courses)
    ai = db.session.scalar(select(Course).where(Course.slug == "lanh-dao-chuyen-doi-so-va-ai"))
    risk = next(m for m in ai.modules if m.slug == "rui-ro-dao-duc-va-mua-sam")
    assert {f"{m.course.slug}/{m.slug}" for m in risk.prerequisites} == {
        "lanh-dao-chuyen-doi-so-va-ai/ai-lam-duoc-gi",
        "lanh-dao-bang-du-lieu/quan-tri-du-lieu-va-bao-ve-du-lieu-ca-nhan",
    }
    lesson = ai.modules[0].lessons[0]
    assert lesson.body_html.startswith("<h2") and len(lesson.content_hash) == 64
    assert len(lesson.revisions) == 1


def test_second_import_changes_nothing_and_says_so(app):
    import_and_commit(SHIPPED)
    versions = {c.slug: c.version for c in db.session.scalars(select(Course))}
    revisions = db.session.scalar(select(func.count(LessonRevision.id)))

    reports = import_and_commit(SHIPPED)

    assert not any(r.has_changes for r in reports)
    assert all("không có thay đổi" in str(r) for r in reports)
    assert {c.slug: c.version for c in db.session.scalars(select(Course))} == versions
    assert db.session.scalar(select(func.count(LessonRevision.id))) == revisions


def test_round_trip_reproduces_the_shipped_files_byte_for_byte(app, tmp_path):
    import_and_commit(SHIPPED)
    for course in db.session.scalars(select(Course)):
        first = export_course(course, tmp_path / "a")
        again = export_course(course, tmp_path / "b")
        assert _same_tree(SHIPPED / course.slug, first)
        assert _same_tree(first, again)
        assert export_course_zip(course) == export_course_zip(course)

    reports = import_and_commit(tmp_path / "a")
    assert not any(r.has_changes for r in reports)


def _same_tree(left: Path, right: Path) -> bool:
    files = sorted(p.relative_to(left) for p in left.rglob("*") if p.is_file())
    other = sorted(p.relative_to(right) for p in right.rglob("*") if p.is_file())
    return files == other and all(filecmp.cmp(left / f, right / f, shallow=False) for f in files)


# ---- the format -------------------------------------------------------------------------------


def test_quiz_kinds_and_scenario_lines():
    questions = parse_quiz((FIXTURE / "01-nhap-mon" / "quiz.md").read_text(encoding="utf-8"))

    assert [q.kind for q in questions] == ["single", "true_false", "multiple"]
    assert questions[2].prompt_md == (
        "Những nguồn nào là dữ liệu của phường?\nPhường đang rà soát các nguồn dữ liệu hiện có."
    )
    assert questions[2].explanation_md.count("\n") == 1
    assert [c.is_correct for c in questions[2].choices] == [True, True, False]


def test_true_false_in_english_and_text_normalised_to_nfc():
    decomposed = "Cán bộ".replace("á", "a\u0301")
    questions = parse_quiz(f"## {decomposed} cần học?\n- [ ] True\n- [x] False\n> Vì vậy.\n")
    assert questions[0].kind == "true_false"
    assert questions[0].prompt_md == "Cán bộ cần học?"


@pytest.mark.parametrize(
    "file, old, new, line, words",
    [
        ("course.md", "summary: Một khoá", "summary: Một: khoá", 3, "YAML"),
        ("course.md", "track: data", "track: robotics", 4, "track"),
        ("course.md", "hours: 2", "hours: -3", 6, "hours"),
        ("01-nhap-mon/quiz.md", "> Trung vị là giá trị ở giữa.\n", "", 6, "giải thích"),
        ("01-nhap-mon/quiz.md", "- [x] Dữ liệu mô tả", "- [ ] Dữ liệu mô tả", 1, "đáp án đúng"),
        ("01-nhap-mon/quiz.md", "- [ ] Dữ liệu đo bằng số", "- Dữ liệu đo bằng số", 3, "[x]"),
    ],
)
def test_malformed_file_is_rejected_with_file_and_line_and_nothing_written(
    app, mini, file, old, new, line, words
):
    rewrite(mini / file, old, new)
    assert_rejected(mini.parent, file, line, words)


def test_unknown_prerequisite_names_the_module_file_and_line(app, mini):
    rewrite(mini / "02-thuc-hanh" / "module.md", "mini-course/nhap-mon", "mini-course/khong-co")
    error = assert_rejected(mini.parent, "02-thuc-hanh/module.md", 5, "mini-course/khong-co")
    assert str(error.errors[0]).startswith("mini-course/02-thuc-hanh/module.md:5: ")


def test_every_problem_of_a_course_is_reported_at_once(app, mini):
    rewrite(mini / "course.md", "level: basic", "level: expert")
    rewrite(mini / "02-thuc-hanh" / "quiz.md", "> Nguồn giúp kiểm chứng.\n", "")
    (mini / "01-nhap-mon" / "bai-khong-so.md").write_text("---\ntitle: X\n---\nY\n", "utf-8")
    (mini / "01-nhap-mon" / "03-quiz.md").write_text("---\ntitle: X\n---\nY\n", "utf-8")

    with pytest.raises(ContentError) as caught:
        import_courses(mini)
    shown = str(caught.value)
    assert "mini-course/course.md:5:" in shown
    assert "mini-course/02-thuc-hanh/quiz.md:6:" in shown
    assert "bai-khong-so.md" in shown and "03-quiz.md" in shown
    assert len(caught.value.errors) == 4


def test_cli_prints_every_error_and_exits_1_changing_nothing(app, runner, mini):
    rewrite(mini / "course.md", "track: data", "track: robotics")
    result = runner.invoke(args=["courses", "import", str(mini.parent)])
    assert result.exit_code == 1
    assert "mini-course/course.md:4:" in result.output
    assert course_count() == 0


def test_cli_import_then_export(app, runner, mini, tmp_path):
    first = runner.invoke(args=["courses", "import", str(mini)])
    again = runner.invoke(args=["courses", "import", str(mini)])
    exported = runner.invoke(args=["courses", "export", "mini-course", str(tmp_path / "out")])

    assert first.exit_code == 0 and "mini-course: tạo mới (2 học phần, 3 bài học" in first.output
    assert "mini-course: không có thay đổi" in again.output
    assert exported.exit_code == 0
    assert _same_tree(FIXTURE, tmp_path / "out" / "mini-course")


# ---- ZIP --------------------------------------------------------------------------------------


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def _fixture_entries(prefix: str) -> dict[str, bytes]:
    return {
        prefix + p.relative_to(FIXTURE).as_posix(): p.read_bytes()
        for p in FIXTURE.rglob("*")
        if p.is_file()
    }


def test_zip_of_a_course_folder_imports(app, tmp_path):
    archive = tmp_path / "upload.zip"
    archive.write_bytes(_zip(_fixture_entries("mini-course/")))
    reports = import_and_commit(archive)
    assert [r.slug for r in reports] == ["mini-course"]
    exported = tmp_path / "mini-course.zip"
    exported.write_bytes(export_course_zip(db.session.scalar(select(Course))))
    assert import_courses(exported)[0].has_changes is False


def test_zip_slip_is_refused_and_nothing_written(app, tmp_path):
    entries = _fixture_entries("mini-course/")
    entries["mini-course/../../evil.md"] = b"pwned"
    archive = tmp_path / "evil.zip"
    archive.write_bytes(_zip(entries))

    with pytest.raises(ContentError) as caught:
        import_courses(archive)
    assert "không an toàn" in str(caught.value)
    assert course_count() == 0
    assert not (Path(tempfile.gettempdir()) / "evil.md").exists()


def test_zip_with_absolute_path_is_refused(app, tmp_path):
    archive = tmp_path / "x.zip"
    archive.write_bytes(_zip({"/etc/cron.d/x": b"*"}))
    with pytest.raises(ContentError):
        import_courses(archive)


# ---- merging into a database with learner history ---------------------------------------------


def _answer(user, question: Question) -> None:
    attempt = QuizAttempt(
        user_id=user.id,
        module_id=question.module_id,
        token=f"t{question.id}",
        question_ids=[question.id],
        score=1.0,
        passed=True,
    )
    attempt.answers.append(
        AttemptAnswer(question_id=question.id, choice_ids=[question.choices[0].id], is_correct=True)
    )
    db.session.add(attempt)
    db.session.commit()


def _questions(module_slug: str) -> list[Question]:
    module = db.session.scalar(select(Module).where(Module.slug == module_slug))
    return sorted(module.questions, key=lambda q: q.id)


def test_changed_answered_question_is_retired_not_edited(app, mini, make_user):
    import_and_commit(mini)
    answered, unanswered, _third = _questions("nhap-mon")
    _answer(make_user(), answered)
    quiz = mini / "01-nhap-mon" / "quiz.md"
    rewrite(quiz, "Dữ liệu định tính là gì?", "Dữ liệu định tính là loại dữ liệu nào?")
    rewrite(quiz, "Trung vị là giá trị ở giữa.", "Trung vị là giá trị đứng giữa dãy đã sắp xếp.")

    reports = import_and_commit(mini)

    db.session.expire_all()
    questions = _questions("nhap-mon")
    old = db.session.get(Question, answered.id)
    assert old.is_active is False and old.prompt_md == "Dữ liệu định tính là gì?"
    replacement = [q for q in questions if q.is_active and q.position == 1]
    assert replacement[0].prompt_md == "Dữ liệu định tính là loại dữ liệu nào?"
    edited = db.session.get(Question, unanswered.id)
    assert edited.is_active and "đứng giữa" in edited.explanation_md
    assert len(questions) == 4
    assert any("lưu trữ" in line for line in reports[0].lines())


def test_removed_answered_question_is_retired_and_export_omits_it(app, mini, make_user, tmp_path):
    import_and_commit(mini)
    first = _questions("thuc-hanh")[0]
    _answer(make_user(), first)
    quiz = mini / "02-thuc-hanh" / "quiz.md"
    quiz.write_text(quiz.read_text(encoding="utf-8").split("\n\n", 1)[1], encoding="utf-8")

    import_and_commit(mini)

    db.session.expire_all()
    assert db.session.get(Question, first.id).is_active is False
    folder = export_course(db.session.scalar(select(Course)), tmp_path)
    assert "quy mô" not in (folder / "02-thuc-hanh" / "quiz.md").read_text(encoding="utf-8")


def test_changed_lesson_gets_a_revision_by_the_author(app, mini, make_user):
    author = make_user(roles=("instructor",))
    import_and_commit(mini, actor=author)
    lesson_file = mini / "01-nhap-mon" / "02-doc-bang.md"
    rewrite(lesson_file, "**400** hồ sơ", "**500** hồ sơ")

    reports = import_and_commit(mini, actor=author)

    lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "doc-bang"))
    assert [r.number for r in lesson.revisions] == [1, 2]
    assert lesson.revisions[-1].author_id == author.id and "500" in lesson.body_html
    assert reports[0].changed == ["Bài học nhap-mon/doc-bang: cập nhật nội dung"]
    assert db.session.scalar(select(Course)).version == 2


def test_removed_lesson_is_deleted_and_reported(app, mini):
    import_and_commit(mini)
    (mini / "01-nhap-mon" / "02-doc-bang.md").unlink()
    reports = import_and_commit(mini)
    assert reports[0].removed == ["Bài học nhap-mon/doc-bang"]
    assert db.session.scalar(select(Lesson).where(Lesson.slug == "doc-bang")) is None


def test_module_with_learner_results_is_not_deleted(app, mini, make_user):
    import_and_commit(mini)
    module = db.session.scalar(select(Module).where(Module.slug == "thuc-hanh"))
    db.session.add(ModuleResult(user_id=make_user().id, module_id=module.id, best_score=0.9))
    db.session.commit()
    shutil.rmtree(mini / "02-thuc-hanh")

    with pytest.raises(ContentError) as caught:
        import_courses(mini)
    db.session.rollback()
    assert "thuc-hanh" in str(caught.value) and "học viên" in str(caught.value)
    assert db.session.scalar(select(Module).where(Module.slug == "thuc-hanh")) is not None


def test_script_in_lesson_markdown_is_sanitised(app, mini):
    rewrite(
        mini / "01-nhap-mon" / "02-doc-bang.md",
        "Một UBND",
        '<script>alert("x")</script>\n\n[bấm](javascript:alert(1)) '
        '<img src=x onerror="alert(1)">\n\nMột UBND',
    )
    import_and_commit(mini)
    html = db.session.scalar(select(Lesson).where(Lesson.slug == "doc-bang")).body_html
    assert "<script" not in html and "javascript:" not in html and "onerror" not in html
    assert "<strong>400</strong>" in html


def test_draft_status_survives_export_and_reimport(app, mini, tmp_path):
    rewrite(mini / "course.md", "pass_threshold: 0.7", "pass_threshold: 0.7\nstatus: draft")
    import_and_commit(mini)
    course = db.session.scalar(select(Course))
    assert course.status == "draft" and course.published_at is None
    folder = export_course(course, tmp_path)
    assert "status: draft" in (folder / "course.md").read_text(encoding="utf-8")
    assert parse_course_dir(folder).status == "draft"
