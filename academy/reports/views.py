"""Placeholder: being built."""
from flask import Blueprint, abort
from flask_login import login_required

bp = Blueprint("reports", __name__, template_folder="templates")


@bp.get("/dashboard")
@login_required
def dashboard():
    abort(404)


@bp.get("/reports/completion")
@login_required
def completion():
    abort(404)
