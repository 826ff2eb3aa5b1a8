"""Placeholder: being built."""
from flask import Blueprint, abort
from flask_login import login_required

bp = Blueprint("certificates", __name__, template_folder="templates")


@bp.get("/me/certificates")
@login_required
def my_certificates():
    abort(404)
