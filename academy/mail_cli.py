"""flask mail send | mail retry-failed: deliver the outbox from the command line (cron, systemd);
and the RQ entry point of a delivery run."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from academy.database import db
from academy.mail import (
    DeliveryReport,
    deliver_due,
    requeue_failed,
    run_delivery,
    waiting_count,
)

mail_cli = AppGroup("mail", help="Thư điện tử: gửi các thư đang chờ.")


def _summary(report: DeliveryReport) -> str:
    return (
        f"Đã gửi {report.sent} thư; {report.retrying} thư sẽ thử gửi lại; "
        f"{report.failed} thư không gửi được."
    )


def _send(limit: int | None) -> None:
    report = deliver_due(limit=limit)
    where = current_app.config.get("MAIL_SERVER") or "instance/outbox/"
    click.echo(f"{_summary(report)} ({where})")
    waiting = waiting_count()
    if waiting:
        click.echo(f"{waiting} thư đang chờ lần gửi sau.")
    for line in report.errors[:20]:
        click.echo(f"  {line}", err=True)
    if report.stopped:
        raise click.ClickException(
            "Không kết nối được máy chủ thư; các thư còn lại vẫn chờ và sẽ được gửi lại sau."
        )


@mail_cli.command("send")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Gửi nhiều nhất N thư")
def send_command(limit):
    """Gửi mọi thư đến hạn (kể cả thư gửi lại sau lỗi). Chạy bằng cron mỗi phút là đủ."""
    _send(limit)


@mail_cli.command("retry-failed")
@click.option("--kind", default=None, help="Chỉ các thư loại này, ví dụ invitation")
def retry_failed_command(kind):
    """Cho các thư đã thất bại thêm một lượt thử gửi, rồi gửi ngay."""
    count = requeue_failed(kind)
    db.session.commit()
    click.echo(f"{count} thư được đưa lại vào hàng đợi.")
    if count:
        _send(None)


def rq_deliver() -> None:
    """What an RQ worker runs for a delivery run: build the app, then send what is due."""
    from academy import create_app  # noqa: PLC0415 - cycle: create_app loads this module

    run_delivery(create_app())


COMMANDS = (mail_cli,)
