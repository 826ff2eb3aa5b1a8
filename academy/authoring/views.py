"""Placeholder: being built."""
from flask import Blueprint, abort
from flask_login import login_required

bp = Blueprint("authoring", __name__, template_folder="templates")


@bp.get("/authoring/")
@login_required
def index():
    abort(404)
