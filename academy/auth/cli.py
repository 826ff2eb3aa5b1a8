"""flask users create | reset-2fa (the admin feature adds `users import`)."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from academy.auth.models import ROLES, Unit, User
from academy.auth.passwords import PASSWORD_RULE, WeakPasswordError, check_password_rule
from academy.auth.services import create_user, end_sessions
from academy.auth.two_factor import disable_two_factor
from academy.core.audit import record_audit
from academy.extensions import db

users_cli = AppGroup("users", help="Quản lý người dùng.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Mật khẩu: ít nhất 10 ký tự, khó đoán, không chứa email, họ tên, mã cán bộ "
    "hay tên Học viện Số.",
)
@click.option("--role", "roles", multiple=True, type=click.Choice(ROLES), default=("learner",))
@click.option("--unit", "unit_code", default=None, help="Mã đơn vị")
@click.option("--employee-code", default=None, help="Mã cán bộ")
def create_command(email, full_name, password, roles, unit_code, employee_code):
    """Tạo một tài khoản."""
    try:
        check_password_rule(
            password, email=email, full_name=full_name, employee_code=employee_code or ""
        )
    except WeakPasswordError as exc:
        raise click.ClickException(
            f"Mật khẩu không được nhận: {exc}\nQuy tắc: {PASSWORD_RULE}"
        ) from exc
    unit = None
    if unit_code:
        unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
        if unit is None:
            raise click.ClickException(f"Không có đơn vị mã {unit_code}")
    if db.session.scalar(select(User).where(User.email == email.strip().lower())):
        raise click.ClickException(f"Email {email} đã được dùng")
    user = create_user(
        email, full_name, password, roles=roles, unit=unit, employee_code=employee_code
    )
    db.session.commit()
    click.echo(f"Đã tạo {user.email} ({', '.join(sorted(user.roles))})")


@users_cli.command("reset-2fa")
@click.option("--email", required=True)
def reset_two_factor_command(email):
    """Tắt xác thực hai bước của một tài khoản (mất điện thoại và mã khôi phục)."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"Không có tài khoản {email}")
    disable_two_factor(user, force=True)
    end_sessions(user)
    record_audit("user.two_factor_reset", target=f"user:{user.id}", detail={"via": "cli"})
    db.session.commit()
    click.echo(
        f"Đã tắt xác thực hai bước của {user.email}; "
        "lần đăng nhập tới sẽ thiết lập lại nếu bắt buộc."
    )


COMMANDS = (users_cli,)
