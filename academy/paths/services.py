"""Placeholder: being built."""


def home_path(user):
    return []


def note_attempt(attempt):
    """Called after each submitted quiz attempt (path refresh, retrain trigger)."""
    return None
