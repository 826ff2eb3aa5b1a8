"""Placeholder: being built."""
from flask import Blueprint, abort
from flask_login import login_required

bp = Blueprint("catalog", __name__, template_folder="templates")


@bp.get("/courses")
@login_required
def course_list():
    abort(404)
