"""Helpers shared by the feature commands."""

from __future__ import annotations

import click
from sqlalchemy import select

from academy.extensions import db


def find_or_fail(model, column, value, label):
    """The ``model`` row whose ``column`` equals an option's ``value``; None when the option was not
    given; a ClickException naming ``label`` and the value when nothing matches."""
    if value is None:
        return None
    found = db.session.scalar(select(model).where(column == value))
    if found is None:
        raise click.ClickException(f"Không có {label} {value}")
    return found
