"""Write ``CourseData`` back as a ``courses/<slug>/`` folder, in the exact format the parser reads.

Output is deterministic (same data → same bytes) and follows the house style of the shipped
courses (plain YAML scalars, quoted only when YAML needs it; flow lists; one final newline), so
an import followed by an export reproduces the original files.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import yaml

from academy.coursefiles.coursedata import CourseData, LessonData, ModuleData, QuestionData
from academy.coursefiles.quizformat import MULTIPLE_MARK, PIN_MARK, infer_kind

NUMBERED_RE = re.compile(r"^\d{2}-[a-z0-9-]+(\.md)?$")


def write_course_dir(data: CourseData, path) -> list[Path]:
    """Write the course into folder ``path`` (created if needed). Files of an older copy of the
    course (numbered folders and lessons no longer present) are removed; hidden files are kept.
    Returns the files written."""
    root = Path(path)
    root.mkdir(parents=True, exist_ok=True)
    files = {root / name: text for name, text in course_files(data).items()}
    _remove_stale(root, set(files))
    for file, text in files.items():
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(text.encode("utf-8"))
    return list(files)


def course_files(data: CourseData) -> dict[str, str]:
    """Every file of the course folder, by path inside it ("01-module/quiz.md") → text. Two
    courses with the same files say the same thing (see ``academy.authoring.transfer``)."""
    files = {"course.md": format_course(data)}
    for module in data.modules:
        folder = module.folder
        files[f"{folder}/module.md"] = format_module(module)
        for lesson in module.lessons:
            files[f"{folder}/{lesson.position:02d}-{lesson.slug}.md"] = format_lesson(lesson)
        if module.questions:
            files[f"{folder}/quiz.md"] = format_quiz(module.questions)
    return files


def _remove_stale(root: Path, keep: set[Path]) -> None:
    for folder in root.iterdir():
        if not folder.is_dir() or not NUMBERED_RE.match(folder.name):
            continue
        if not any(p.parent == folder for p in keep):
            shutil.rmtree(folder)
            continue
        for file in folder.iterdir():
            managed = file.name in ("module.md", "quiz.md") or NUMBERED_RE.match(file.name)
            if file.is_file() and managed and file not in keep:
                file.unlink()


def format_course(data: CourseData) -> str:
    fields = [
        ("title", data.title),
        ("summary", data.summary),
        ("track", data.track),
        ("level", data.level),
        ("hours", data.hours),
        ("pass_threshold", float(data.pass_threshold)),
    ]
    # Settings left at their defaults are not written, so older files read back unchanged.
    if data.review_policy != "settled":
        fields.append(("review_policy", data.review_policy))
    if data.attempt_wait_minutes:
        fields.append(("attempt_wait_minutes", data.attempt_wait_minutes))
    if data.status and data.status != "published":
        fields.append(("status", data.status))
    return _document(fields, data.description_md)


def format_module(module: ModuleData) -> str:
    fields = [
        ("title", module.title),
        ("summary", module.summary),
        ("minutes", module.minutes),
        ("prerequisites", list(module.prerequisites)),
    ]
    if module.quiz_draw:
        fields.append(("quiz_draw", module.quiz_draw))
    if module.quiz_time_limit:
        fields.append(("quiz_time_limit", module.quiz_time_limit))
    return _document(fields, module.intro_md)


def format_lesson(lesson: LessonData) -> str:
    return _document([("title", lesson.title)], lesson.body_md)


def format_quiz(questions: list[QuestionData]) -> str:
    """quiz.md text for the questions: the inverse of ``parse_quiz``."""
    return "\n\n".join(_format_question(q) for q in questions) + "\n"


def _format_question(question: QuestionData) -> str:
    first, *rest = question.prompt_md.split("\n") or [""]
    if question.kind == "multiple" and infer_kind(question.choices) != "multiple":
        first = f"{first} {MULTIPLE_MARK}"
    lines = [f"## {first}".rstrip(), *rest]
    for choice in question.choices:
        pin = f" {PIN_MARK}" if choice.is_pinned else ""
        lines.append(f"- [{'x' if choice.is_correct else ' '}] {choice.text}{pin}")
    lines += [f"> {line}" if line else ">" for line in question.explanation_md.split("\n")]
    return "\n".join(lines)


def _document(fields, body: str) -> str:
    head = "\n".join(f"{key}: {yaml_scalar(value)}" for key, value in fields)
    body = body.strip("\n")
    return f"---\n{head}\n---\n" + (f"{body}\n" if body else "")


def yaml_scalar(value, in_list: bool = False) -> str:
    """A YAML value as an author would type it: plain when that reads back the same, else
    double-quoted (JSON string syntax is valid YAML)."""
    if isinstance(value, list):
        return "[" + ", ".join(yaml_scalar(v, in_list=True) for v in value) + "]"
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise TypeError(f"unsupported front matter value {value!r}")
    if not isinstance(value, str):
        return repr(value)
    if value and "\n" not in value and value == value.strip() and _reads_back(value, in_list):
        return value
    return json.dumps(value, ensure_ascii=False)


def _reads_back(text: str, in_list: bool) -> bool:
    source, expected = (f"k: [{text}]", [text]) if in_list else (f"k: {text}", text)
    try:
        return yaml.safe_load(source) == {"k": expected}
    except yaml.YAMLError:
        return False
