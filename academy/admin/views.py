"""Placeholder: being built."""
from flask import Blueprint, abort
from flask_login import login_required

bp = Blueprint("admin", __name__, template_folder="templates")


@bp.get("/admin/")
@login_required
def index():
    abort(404)
