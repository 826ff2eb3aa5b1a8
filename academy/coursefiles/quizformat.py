"""quiz.md: Markdown-native questions.

    ## <prompt, one line>
    <optional scenario lines, part of the prompt>
    - [x] correct choice
    - [ ] wrong choice
    > explanation (one or more "> " lines)

Kinds are inferred: exactly two choices "Đúng"/"Sai" (or "True"/"False") → true_false; more than
one correct → multiple; otherwise single. A heading ending in ``{chọn nhiều}`` (or
``{multiple}``) makes a multiple-answer question even with one correct choice (the learner then
ticks boxes without knowing how many are right). A choice ending in ``{ghim}`` (or ``{pin}``)
keeps its place when the choices are shuffled ("Tất cả các phương án trên").
"""

from __future__ import annotations

import re

from academy.coursefiles.coursedata import ChoiceData, QuestionData
from academy.coursefiles.errors import ErrorList, _
from academy.coursefiles.frontmatter import normalise

CHOICE_RE = re.compile(r"^- \[([ xX])\]\s+(.*\S)\s*$")
LOOSE_CHOICE_RE = re.compile(r"^\s*[-*+]\s*\[")
BULLET_RE = re.compile(r"^\s*[-*+]\s")
PIN_RE = re.compile(r"\s+\{(?:ghim|pin)\}$")
MULTIPLE_RE = re.compile(r"\s+\{(?:chọn nhiều|multiple)\}$")
PIN_MARK = "{ghim}"
MULTIPLE_MARK = "{chọn nhiều}"
TRUE_FALSE = ({"đúng", "sai"}, {"true", "false"})
MAX_CHOICES = 10


def parse_quiz(text: str, path: str = "quiz.md") -> list[QuestionData]:
    """Parse quiz.md text. Raises ``ContentErrors`` listing every problem with its line."""
    errors = ErrorList()
    questions: list[QuestionData] = []
    current: _Draft | None = None
    for number, line in enumerate(normalise(text).split("\n"), start=1):
        if line.startswith("## "):
            if current is not None:
                questions.append(current.finish(path, errors))
            current = _Draft(line[3:].strip(), number, path, errors)
        elif current is None:
            if line.strip():
                errors.add(
                    path,
                    number,
                    _("Nội dung nằm ngoài câu hỏi: mỗi câu hỏi phải bắt đầu bằng một dòng “## ”."),
                )
        else:
            current.feed(line, number)
    if current is not None:
        questions.append(current.finish(path, errors))
    if not questions and not errors.items:
        errors.add(path, 1, _("Bài kiểm tra chưa có câu hỏi nào."))
    errors.raise_if_any()
    return questions


class _Draft:
    """One question being read, line by line: prompt → choices → explanation → done."""

    def __init__(self, heading: str, line: int, path: str, errors: ErrorList):
        self.line, self.path, self.errors = line, path, errors
        self.is_multiple = bool(MULTIPLE_RE.search(heading))
        heading = MULTIPLE_RE.sub("", heading)
        self.prompt = [heading]
        self.choices: list[ChoiceData] = []
        self.explanation: list[str] = []
        self.state = "prompt"
        if not heading:
            errors.add(path, line, _("Câu hỏi chưa có nội dung sau “## ”."))

    def feed(self, line: str, number: int) -> None:
        choice = CHOICE_RE.match(line)
        if line.startswith(">"):
            self._explanation(line, number)
        elif choice:
            self._choice(choice, number)
        elif LOOSE_CHOICE_RE.match(line) or (self.state == "choices" and BULLET_RE.match(line)):
            self._error(
                number,
                _("Lựa chọn phải có dạng “- [x] nội dung” (đúng) hoặc “- [ ] nội dung” (sai)."),
            )
        elif not line.strip():
            if self.state == "explanation":
                self.state = "done"
            elif self.state == "prompt":
                self.prompt.append("")
        elif self.state == "prompt":
            self.prompt.append(line.rstrip())
        else:
            self._error(
                number,
                _(
                    "Dòng không hợp lệ: sau các lựa chọn chỉ có phần giải thích "
                    "bắt đầu bằng “> ”; câu hỏi mới bắt đầu bằng “## ”."
                ),
            )

    def _choice(self, match, number: int) -> None:
        if self.state in ("explanation", "done"):
            self._error(number, _("Lựa chọn phải đứng trước phần giải thích “> ”."))
            return
        self.state = "choices"
        text = match.group(2).strip()
        self.choices.append(
            ChoiceData(
                text=PIN_RE.sub("", text),
                is_correct=match.group(1) != " ",
                is_pinned=bool(PIN_RE.search(text)),
            )
        )

    def _explanation(self, line: str, number: int) -> None:
        if self.state == "done":
            self._error(
                number,
                _("Phần giải thích phải liền ngay sau các lựa chọn, không có dòng trống xen giữa."),
            )
            return
        self.state = "explanation"
        self.explanation.append(line[2:].rstrip() if line.startswith("> ") else line[1:].strip())

    def _error(self, number: int, message: str) -> None:
        self.errors.add(self.path, number, message)

    def finish(self, path: str, errors: ErrorList) -> QuestionData:
        prompt = "\n".join(self.prompt).strip("\n")
        explanation = "\n".join(self.explanation).strip("\n")
        correct = sum(c.is_correct for c in self.choices)
        if len(self.choices) < 2:
            self._error(self.line, _("Câu hỏi cần ít nhất 2 lựa chọn “- [x] ”/“- [ ] ”."))
        elif len(self.choices) > MAX_CHOICES:
            self._error(self.line, _("Câu hỏi có quá %(n)s lựa chọn.", n=MAX_CHOICES))
        elif correct == 0:
            self._error(self.line, _("Câu hỏi chưa có đáp án đúng (đánh dấu “- [x] ”)."))
        if not explanation.strip():
            self._error(
                self.line,
                _("Câu hỏi thiếu phần giải thích (một dòng bắt đầu bằng “> ” sau các lựa chọn)."),
            )
        kind = "multiple" if self.is_multiple else infer_kind(self.choices)
        if kind == "true_false" and correct != 1:
            self._error(self.line, _("Câu Đúng/Sai phải có đúng một đáp án được đánh dấu [x]."))
        return QuestionData(
            kind=kind,
            prompt_md=prompt,
            explanation_md=explanation,
            choices=self.choices,
            line=self.line,
        )


def infer_kind(choices: list[ChoiceData]) -> str:
    """The kind quiz.md gives these choices when the heading has no ``{chọn nhiều}``."""
    texts = {c.text.strip().casefold() for c in choices}
    if len(choices) == 2 and texts in TRUE_FALSE:
        return "true_false"
    return "multiple" if sum(c.is_correct for c in choices) > 1 else "single"
