"""Routes on the reports blueprint (being built)."""

from __future__ import annotations

from academy.reports.views import bp  # noqa: F401 - routes register on the reports blueprint
