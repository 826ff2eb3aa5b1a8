"""Reading Markdown files with YAML front matter, and checking the fields they hold."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import yaml

from academy.coursefiles.errors import ErrorList, _
from academy.markdown import MAX_MARKDOWN_CHARS

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_SHOWN_CHARS = 80  # an author's value quoted back in a message: one line, at most this long


class AnchorRefused(yaml.YAMLError):
    """Front matter used a YAML anchor (``&a``) or alias (``*a``)."""

    def __init__(self, mark):
        super().__init__("anchors and aliases are not allowed")
        self.problem_mark = mark


class _PlainLoader(yaml.SafeLoader):
    """SafeLoader without anchors and aliases: a few hundred bytes of nested aliases ("billion
    laughs") would otherwise stand for millions of values. Front matter never needs them."""

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise AnchorRefused(event.start_mark)
        return super().compose_node(parent, index)


def brief(value) -> str:
    """``value`` as quoted back in a message: its first line, cut to ``MAX_SHOWN_CHARS``."""
    text = str(value) if not isinstance(value, (list, dict)) else type(value).__name__
    lines = text.strip().splitlines() or [""]
    first = lines[0]
    if len(first) > MAX_SHOWN_CHARS or len(lines) > 1:
        return first[: MAX_SHOWN_CHARS - 1].rstrip() + "…"
    return first


def is_hidden(name: str) -> bool:
    return name.startswith(".") or name in ("__MACOSX", "Thumbs.db", "desktop.ini")


def normalise(text: str) -> str:
    """One spelling for every text: NFC Unicode, LF line ends, no BOM."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def read_text(path: Path, shown: str, errors: ErrorList) -> str:
    if path.stat().st_size > MAX_FILE_BYTES:
        errors.add(shown, 1, _("Tệp quá lớn (tối đa %(mb)s MB).", mb=MAX_FILE_BYTES // 2**20))
        return ""
    try:
        return normalise(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        errors.add(shown, 1, _("Tệp không phải văn bản UTF-8."))
        return ""


def split_front_matter(text: str, shown: str, errors: ErrorList):
    """``(mapping or None, body, {key: line})``; the body loses surrounding blank lines."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        errors.add(shown, 1, _("Tệp phải bắt đầu bằng phần đầu YAML giữa hai dòng “---”."))
        return None, "", {}
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if end is None:
        errors.add(shown, 1, _("Phần đầu YAML chưa được đóng bằng dòng “---”."))
        return None, "", {}
    source = "\n".join(lines[1:end])
    try:
        data = yaml.load(source, Loader=_PlainLoader) if source.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        if isinstance(exc, AnchorRefused):
            errors.add(shown, line, _("Phần đầu YAML không được dùng neo (&) hay bí danh (*)."))
        else:
            problem = brief(getattr(exc, "problem", None) or str(exc))
            errors.add(shown, line, _("YAML không hợp lệ: %(problem)s.", problem=problem))
        return None, "", {}
    if not isinstance(data, dict):
        errors.add(shown, 2, _("Phần đầu YAML phải là các cặp “khoá: giá trị”."))
        return None, "", {}
    body = "\n".join(lines[end + 1 :]).strip("\n")
    if len(body) > MAX_MARKDOWN_CHARS:
        errors.add(
            shown,
            end + 2,
            _(
                "Nội dung Markdown quá dài: %(n)s ký tự (tối đa %(max)s).",
                n=len(body),
                max=MAX_MARKDOWN_CHARS,
            ),
        )
        return None, "", {}
    return data, body, key_lines(lines[1:end])


class FieldReader:
    """Typed access to front matter fields; each problem is added to ``errors`` with its line."""

    def __init__(
        self, data: dict, lines: dict, shown: str, errors: ErrorList, allowed: tuple[str, ...]
    ):
        self.data, self.lines, self.shown, self.errors = data, lines, shown, errors
        for key in data:
            if key not in allowed:
                errors.add(
                    shown,
                    self.line_of(key),
                    _(
                        "Trường “%(key)s” không được hỗ trợ; các trường hợp lệ: %(allowed)s.",
                        key=brief(key),
                        allowed=", ".join(allowed),
                    ),
                )

    def line_of(self, key: str) -> int:
        return self.lines.get(key, 1)

    def _error(self, key: str, message: str) -> None:
        self.errors.add(self.shown, self.line_of(key), message)

    def _missing(self, key: str) -> None:
        self.errors.add(self.shown, 1, _("Thiếu trường bắt buộc “%(key)s”.", key=key))

    def text(self, key: str, required: bool = False) -> str:
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                self._missing(key)
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self._error(key, _("Trường “%(key)s” phải là một đoạn văn bản.", key=key))
            return ""
        return normalise(str(value)).strip()

    def choice(self, key: str, allowed: tuple[str, ...], required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self._missing(key)
            return None
        if value not in allowed:
            self._error(
                key,
                _(
                    "Giá trị “%(value)s” của “%(key)s” không hợp lệ; chọn một trong: %(allowed)s.",
                    value=brief(value),
                    key=key,
                    allowed=", ".join(allowed),
                ),
            )
            return None
        return value

    def integer(self, key: str, low: int, high: int, required: bool = False) -> int | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self._missing(key)
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self._error(
                key,
                _(
                    "“%(key)s” phải là số nguyên từ %(low)s đến %(high)s.",
                    key=key,
                    low=low,
                    high=high,
                ),
            )
            return None
        return value

    def number(self, key: str, low: float, high: float, default: float) -> float | None:
        value = self.data.get(key, default)
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not is_number or not low < value <= high:
            self._error(
                key,
                _(
                    "“%(key)s” phải là một số lớn hơn %(low)s và không quá %(high)s (ví dụ 0.7).",
                    key=key,
                    low=low,
                    high=high,
                ),
            )
            return None
        return float(value)

    def string_list(self, key: str) -> list[str]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self._error(
                key,
                _(
                    "“%(key)s” phải là một danh sách YAML, ví dụ [ma-khoa-hoc/ma-hoc-phan].",
                    key=key,
                ),
            )
            return []
        return [normalise(v).strip() for v in value]


def key_lines(lines: list[str]) -> dict[str, int]:
    """Line number (in the file) of each top-level key of the front matter."""
    found = {}
    for number, line in enumerate(lines, start=2):
        match = re.match(r"^([A-Za-z_][\w-]*)\s*:", line)
        if match:
            found.setdefault(match.group(1), number)
    return found
