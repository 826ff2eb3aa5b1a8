"""flask xapi send | xapi retry-failed: deliver the xAPI outbox from the command line (cron,
systemd); and the RQ entry point of a delivery run."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from academy.database import db
from academy.xapi.delivery import deliver_due, enabled, requeue_failed, waiting_count
from academy.xapi.outbox import run_delivery

xapi_cli = AppGroup("xapi", help="xAPI: gửi các bản ghi học tập (statement) tới kho LRS.")


def _send(limit: int | None) -> None:
    if not enabled():
        raise click.ClickException(
            "Chưa cấu hình kho LRS (XAPI_LRS_URL): không có bản ghi xAPI nào được gửi."
        )
    report = deliver_due(limit=limit)
    click.echo(
        f"Đã gửi {report.sent} bản ghi xAPI; {report.retrying} bản ghi sẽ thử gửi lại; "
        f"{report.failed} bản ghi không gửi được. ({current_app.config['XAPI_LRS_URL']})"
    )
    waiting = waiting_count()
    if waiting:
        click.echo(f"{waiting} bản ghi đang chờ lần gửi sau.")
    for line in report.errors[:20]:
        click.echo(f"  {line}", err=True)
    if report.stopped:
        raise click.ClickException(
            "Không kết nối được kho LRS; các bản ghi còn lại vẫn chờ và sẽ được gửi lại sau."
        )


@xapi_cli.command("send")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Gửi nhiều nhất N bản ghi")
def send_command(limit):
    """Gửi mọi bản ghi xAPI đến hạn (kể cả bản ghi gửi lại sau lỗi). Chạy bằng cron là đủ."""
    _send(limit)


@xapi_cli.command("retry-failed")
def retry_failed_command():
    """Cho các bản ghi xAPI đã thất bại thêm một lượt thử gửi, rồi gửi ngay."""
    count = requeue_failed()
    db.session.commit()
    click.echo(f"{count} bản ghi được đưa lại vào hàng đợi.")
    if count:
        _send(None)


def rq_deliver() -> None:
    """What an RQ worker runs for a delivery run: build the app, then send what is due."""
    from academy import create_app  # noqa: PLC0415 - cycle: create_app loads this module

    app = create_app()
    try:
        run_delivery(app)
    finally:  # a worker runs many jobs: each job's app gives its connections back
        with app.app_context():
            db.engine.dispose()


COMMANDS = (xapi_cli,)
