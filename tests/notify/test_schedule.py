"""Scheduling: `flask reminders schedule` puts the daily run in RQ's scheduled registry (a real
Redis, database 13, emptied after each test); a run schedules the next day's; a real
`rq worker --with-scheduler` runs a due one."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
from redis import Redis
from rq import Queue
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from academy.database import db, utcnow
from academy.i18n import academy_zone
from academy.learning.models import Assignment, Enrollment
from academy.notify.models import Notification
from academy.notify.schedule import next_run_at, run_and_reschedule, schedule_next_run
from academy.reports.services import due_datetime

REDIS_URL = os.environ.get("ACADEMY_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


@pytest.fixture
def redis_app(app):
    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except Exception:  # noqa: BLE001 - no Redis here: these tests need one
        pytest.skip(f"no Redis at {REDIS_URL}")
    connection.flushdb()
    app.config["REDIS_URL"] = REDIS_URL
    yield app
    connection.flushdb()


def _scheduled() -> dict[str, datetime]:
    queue = Queue("academy", connection=Redis.from_url(REDIS_URL))
    registry = ScheduledJobRegistry(queue=queue)
    return {job_id: registry.get_scheduled_time(job_id) for job_id in registry.get_job_ids()}


def _local(day, hour):
    return datetime(day.year, day.month, day.day, hour, tzinfo=academy_zone())


def test_next_run_is_the_next_reminder_hour(app):
    zone = academy_zone()
    assert next_run_at(datetime(2030, 3, 4, 6, 59, tzinfo=zone), 7) == datetime(
        2030, 3, 4, 7, tzinfo=zone
    )
    assert next_run_at(datetime(2030, 3, 4, 7, 0, tzinfo=zone), 7) == datetime(
        2030, 3, 5, 7, tzinfo=zone
    )


def test_schedule_command_puts_one_daily_run_in_the_scheduled_registry(redis_app):
    runner = redis_app.test_cli_runner()
    first = runner.invoke(args=["reminders", "schedule"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(args=["reminders", "schedule"])  # twice: still one run a day
    assert again.exit_code == 0
    scheduled = _scheduled()
    assert len(scheduled) == 1
    [(job_id, when)] = scheduled.items()
    expected = next_run_at(utcnow(), 7)
    assert job_id == f"academy-reminders-{expected:%Y%m%d}"
    assert when == expected
    assert job_id in first.output


def test_schedule_without_redis_points_to_cron(app):
    result = app.test_cli_runner().invoke(args=["reminders", "schedule"])
    assert result.exit_code != 0
    assert "flask reminders send" in result.output


def test_a_run_schedules_the_next_days_run(redis_app, make_user):
    redis_app.config["REMINDER_HOUR"] = 6
    run_and_reschedule(redis_app)
    [when] = _scheduled().values()
    assert when == next_run_at(utcnow(), 6) and when > utcnow()


@pytest.fixture
def due_tomorrow(make_unit, make_user, make_course):
    unit, course = make_unit(), make_course()
    mandate = Assignment(course_id=course.id, unit_id=unit.id)
    db.session.add(mandate)
    db.session.flush()
    person = make_user(unit=unit)
    tomorrow = utcnow().astimezone(academy_zone()).date() + timedelta(days=1)
    enrolment = Enrollment(
        user_id=person.id,
        course_id=course.id,
        source="assigned",
        assignment_id=mandate.id,
        due_at=due_datetime(tomorrow),
    )
    db.session.add(enrolment)
    db.session.commit()
    return enrolment


def test_a_real_rq_worker_with_scheduler_sends_the_reminders(redis_app, due_tomorrow, database_url):
    with redis_app.app_context():
        schedule_next_run(at=utcnow() - timedelta(seconds=1))  # due now
    env = {
        **os.environ,
        "ACADEMY_ENV_NAME": "testing",
        "ACADEMY_DATABASE_URL": database_url,
        "ACADEMY_REDIS_URL": REDIS_URL,
        "ACADEMY_INSTANCE_PATH": redis_app.instance_path,
        "ACADEMY_PUBLIC_BASE_URL": "http://localhost",
    }
    worker = [sys.executable, "-m", "rq.cli", "worker", "academy", "--burst", "--with-scheduler"]
    done = subprocess.run(
        [*worker, "--url", REDIS_URL], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    db.session.expire_all()
    keys = set(db.session.scalars(select(Notification.dedupe_key)))
    assert f"reminder:due1:{due_tomorrow.id}" in keys
    [when] = _scheduled().values()  # and tomorrow's run is waiting
    assert when == next_run_at(utcnow(), 7)
