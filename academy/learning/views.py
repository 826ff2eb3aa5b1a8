"""Placeholder: being built."""
from flask import Blueprint, abort
from flask_login import login_required

bp = Blueprint("learning", __name__, template_folder="templates")
