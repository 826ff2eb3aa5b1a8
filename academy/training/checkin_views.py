"""Routes on the training blueprint (being built)."""

from __future__ import annotations

from academy.training.views import bp  # noqa: F401 - routes register on the training blueprint
