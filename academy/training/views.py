"""The training blueprint: in-person sessions, QR attendance, yearly hours, unit targets and the
year-end evaluation. Each part registers its routes from its own module (imported below)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("training", __name__, template_folder="templates")

from academy.training import (  # noqa: E402,F401 - routes on the same blueprint
    checkin_views,
    evaluation_views,
    hours_views,
    session_views,
    target_views,
)
