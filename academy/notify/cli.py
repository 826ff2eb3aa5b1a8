"""flask reminders send [--now ISO] · flask reminders schedule"""

from __future__ import annotations

from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup

from academy.database import utcnow
from academy.i18n import academy_zone
from academy.notify.reminders import send_reminders
from academy.notify.schedule import schedule_next_run

reminders_cli = AppGroup("reminders", help="Nhắc hạn khoá học bắt buộc và bản tổng hợp cho HR.")


def _moment(value: str | None) -> datetime:
    """An ISO date-time; without a zone it is local time (the academy's zone)."""
    if not value:
        return utcnow()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"không phải thời điểm ISO 8601: {value!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=academy_zone())


@reminders_cli.command("send")
@click.option("--now", "now", default=None, help="Coi như lúc này (ISO 8601; mặc định: bây giờ)")
def send_command(now):
    """Gửi các nhắc nhở đến hạn (mỗi nhắc nhở một lần; chạy lại hay chạy song song đều an toàn)."""
    sent = send_reminders(_moment(now))
    click.echo(
        f"Đã gửi: {sent['due7']} nhắc còn ≤7 ngày, {sent['due1']} nhắc ngày mai, "
        f"{sent['overdue']} báo quá hạn, {sent['digest']} bản tổng hợp cho cán bộ tổ chức."
    )


@reminders_cli.command("schedule")
def schedule_command():
    """Đặt lượt gửi nhắc hằng ngày trên bộ lập lịch RQ (cần ACADEMY_REDIS_URL)."""
    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException(
            "Chưa cấu hình ACADEMY_REDIS_URL: hãy dùng cron hoặc systemd timer chạy "
            "`flask reminders send` (xem README)."
        )
    job, when = schedule_next_run()
    click.echo(
        f"Đã đặt lượt gửi nhắc {job.id} lúc {when.astimezone(academy_zone()):%d/%m/%Y %H:%M}; "
        "cần một `rq worker academy --with-scheduler` đang chạy."
    )


COMMANDS = (reminders_cli,)
