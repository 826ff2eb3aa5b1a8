"""flask users import: the bulk import, added by the admin feature to the `users` group of auth."""

from __future__ import annotations

import click

from academy.admin.imports import ImportFileError, import_users, read_rows
from academy.admin.services import LastAdminError
from academy.auth.account_links import invite_people
from academy.auth.cli import users_cli
from academy.core.audit import record_audit
from academy.extensions import db


@users_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Chỉ kiểm tra, không ghi gì")
@click.option(
    "--invite", is_flag=True, help="Gửi lời mời cho những người trong tệp chưa đăng nhập lần nào"
)
def import_command(path, dry_run, invite):
    """Nhập người dùng từ tệp CSV hoặc XLSX (áp dụng tất cả các dòng hoặc không dòng nào)."""
    with open(path, "rb") as handle:
        content = handle.read()
    try:
        rows = read_rows(path, content)
    except ImportFileError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        result = import_users(rows, dry_run=dry_run)
    except LastAdminError as exc:
        db.session.rollback()
        raise click.ClickException(
            "Tệp này sẽ không để lại quản trị viên nào đang hoạt động; không có thay đổi nào."
        ) from exc
    for line, problem in result.problems:
        click.echo(f"Dòng {line}: {problem}", err=True)
    if not result.ok:
        db.session.rollback()
        raise click.ClickException(f"{len(result.problems)} lỗi; không có thay đổi nào được ghi.")
    summary = (
        f"{result.rows} dòng: {result.created} tạo mới, {result.updated} cập nhật "
        f"({result.moved} chuyển đơn vị), {result.unchanged} không đổi"
    )
    if dry_run:
        db.session.rollback()
        click.echo("Chạy thử — " + summary)
        return
    invited = invite_people(result.user_ids) if invite else 0
    if invite:
        record_audit(
            "auth.invitation.send", target="import", detail={"count": invited, "via": "cli"}
        )
    record_audit(
        "users.import",
        target=path.rsplit("/", 1)[-1],
        detail={**result.as_dict(), "invited": invited, "via": "cli"},
    )
    db.session.commit()
    click.echo("Đã nhập — " + summary + (f"; đã gửi lời mời cho {invited} người" if invite else ""))


COMMANDS = ()  # `users import` joins auth's `users` group above; admin has no group of its own
