"""Placeholder: being built."""
from flask import Blueprint, abort
from flask_login import login_required

bp = Blueprint("paths", __name__, template_folder="templates")


@bp.get("/me/path")
@login_required
def my_path():
    abort(404)
