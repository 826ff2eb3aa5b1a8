"""What the certificates feature does when other features report an event."""

from __future__ import annotations

from academy.certificates import services
from academy.events import course_completed


def connect_listeners() -> None:
    course_completed.connect(issue_on_completion)


def issue_on_completion(_app, *, user, course, **_data) -> None:
    """A completed course earns its certificate, in the same transaction as the completion."""
    services.issue_certificate(user, course)
