"""The daily reminder run on the RQ scheduler, where Redis is configured.

``flask reminders schedule`` puts the next run (``REMINDER_HOUR`` local, default 7:00) in the
queue's scheduled registry; an ``rq worker academy --with-scheduler`` starts it on time, and each
run first schedules the next day's. Job ids name the day ("academy-reminders-20300107"), so
scheduling twice keeps one run a day. Without Redis, cron or a systemd timer runs
``flask reminders send`` instead (README).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import current_app

from academy.database import utcnow
from academy.i18n import academy_zone
from academy.notify.reminders import send_reminders

QUEUE = "academy"  # the queue `rq worker academy` serves (academy.jobs uses it too)
RUN_FUNCTION = "academy.notify.schedule.scheduled_run"


def next_run_at(now: datetime, hour: int) -> datetime:
    """The first ``hour``:00 local strictly after ``now``."""
    zone = academy_zone()
    day = now.astimezone(zone).date()
    when = datetime.combine(day, time(hour), zone)
    if when <= now:
        when = datetime.combine(day + timedelta(days=1), time(hour), zone)
    return when


def run_id(when: datetime) -> str:
    return f"academy-reminders-{when.astimezone(academy_zone()):%Y%m%d}"


def _queue(redis_url: str):
    from redis import Redis  # noqa: PLC0415 - only with REDIS_URL; 0.4 s to import
    from rq import Queue  # noqa: PLC0415 - only with REDIS_URL; 1.3 s to import

    return Queue(QUEUE, connection=Redis.from_url(redis_url))


def schedule_next_run(now: datetime | None = None, at: datetime | None = None):
    """Schedule the reminder run at ``at`` (default: the next ``REMINDER_HOUR`` after ``now``);
    returns the RQ job and its time. Needs ``REDIS_URL``."""
    when = at or next_run_at(now or utcnow(), int(current_app.config["REMINDER_HOUR"]))
    queue = _queue(current_app.config["REDIS_URL"])
    job = queue.enqueue_at(
        when,
        RUN_FUNCTION,
        job_id=run_id(when),
        job_timeout=3 * 3600,
        result_ttl=7 * 86400,
        description="flask reminders send",
    )
    return job, when


def run_and_reschedule(app) -> dict[str, int]:
    """Schedule tomorrow's run first (a failure today keeps the chain), then send today's."""
    with app.app_context():
        schedule_next_run()
        return send_reminders()


def scheduled_run() -> dict[str, int]:
    """What the RQ worker runs: build the app, then the reminders."""
    from academy import create_app  # noqa: PLC0415 - cycle: create_app loads this module

    return run_and_reschedule(create_app())
