"""flask users …"""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from academy.auth.models import ROLES, Unit
from academy.auth.services import create_user
from academy.extensions import db

users_cli = AppGroup("users", help="Quản lý người dùng.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", "roles", multiple=True, type=click.Choice(ROLES), default=("learner",))
@click.option("--unit", "unit_code", default=None, help="Mã đơn vị")
def create_command(email, full_name, password, roles, unit_code):
    """Tạo một tài khoản."""
    unit = None
    if unit_code:
        unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
        if unit is None:
            raise click.ClickException(f"Không có đơn vị mã {unit_code}")
    from academy.auth.models import User

    if db.session.scalar(select(User).where(User.email == email.strip().lower())):
        raise click.ClickException(f"Email {email} đã được dùng")
    user = create_user(email, full_name, password, roles=roles, unit=unit)
    db.session.commit()
    click.echo(f"Đã tạo {user.email} ({', '.join(sorted(user.roles))})")


COMMANDS = (users_cli,)
