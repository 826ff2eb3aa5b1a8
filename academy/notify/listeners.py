"""What the notify feature does when other features report an event: a notice in the bell and a
mail for a certificate issued and for a new mandatory course."""

from __future__ import annotations

from academy.events import assignment_created, certificate_issued
from academy.notify import notices


def connect_listeners() -> None:
    certificate_issued.connect(notify_certificate)
    assignment_created.connect(notify_assignment)


def notify_certificate(_app, *, certificate, **_data) -> None:
    notices.notify_certificate(certificate)


def notify_assignment(_app, *, assignment, **_data) -> None:
    notices.notify_assignment(assignment)
