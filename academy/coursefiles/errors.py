"""Problems in course content, located by file and line, and the words that describe them.

Every reader of the format (parser, ZIP checks, merge into the database) reports through these, so
the command line, the ZIP upload and the browser editor show an author the same "path:line:
message", in the reader's language inside a request and in Vietnamese outside one.
"""

from __future__ import annotations

from flask import has_request_context
from flask_babel import gettext


def _(text: str, **values) -> str:
    """gettext in a request (the reader's language); outside one (CLI, jobs) the Vietnamese
    source text, because the app's locale selector needs a request."""
    if has_request_context():
        return gettext(text, **values)
    return text % values if values else text


class ContentError(Exception):
    """One problem in course content, located by file and line ("path:line: message").

    ``errors`` lists every problem (just this one here; several in ``ContentErrors``), so callers
    can always write ``except ContentError as exc: for err in exc.errors: ...``.
    """

    def __init__(self, path: str, line: int, message: str):
        super().__init__(path, line, message)
        self.path, self.line, self.message = str(path), int(line or 0), str(message)

    @property
    def errors(self) -> list[ContentError]:
        return [self]

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ContentErrors(ContentError):
    """Every problem found in one go, so an author can fix them all at once."""

    def __init__(self, errors: list[ContentError]):
        flat = [e for err in errors for e in err.errors]
        first = flat[0] if flat else ContentError("", 0, "")
        super().__init__(first.path, first.line, first.message)
        self._errors = flat

    @property
    def errors(self) -> list[ContentError]:
        return list(self._errors)

    def __str__(self) -> str:
        return "\n".join(ContentError.__str__(e) for e in self._errors)


class ErrorList:
    """Collects problems while parsing; ``raise_if_any`` raises them together."""

    def __init__(self):
        self.items: list[ContentError] = []

    def add(self, path, line, message) -> None:
        self.items.append(ContentError(path, line, message))

    def extend(self, exc: ContentError) -> None:
        self.items.extend(exc.errors)

    def raise_if_any(self) -> None:
        if self.items:
            raise ContentErrors(self.items)
