"""What the learning-paths feature does when other features report an event."""

from __future__ import annotations

from academy.events import attempt_recorded
from academy.paths import services


def connect_listeners() -> None:
    attempt_recorded.connect(count_attempt_for_retrain)


def count_attempt_for_retrain(_app, *, attempt, **_data) -> None:
    """Enough new quiz attempts queue a retrain of the recommender (see ``note_attempt``)."""
    services.note_attempt(attempt)
