"""Two reminder runs at once (two threads; two `flask reminders send` processes, as two cron hosts
or a timer and a manual run would) reach each inbox once: read back from a real SMTP server."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import Counter

import pytest

from academy.database import db
from academy.mail import deliver_due, wait_for_delivery
from academy.notify.reminders import send_reminders
from tests.auth.smtp_inbox import Inbox
from tests.notify.conftest import notification_keys, outbox_keys
from tests.notify.test_reminders import expected_keys

EXPECTED_INBOX = {  # address: messages (one reminder each; the HR digest for hr)
    "due7@hvs.gov.vn": 1,
    "due3@hvs.gov.vn": 1,
    "due1@hvs.gov.vn": 1,
    "over1@hvs.gov.vn": 1,
    "over8@hvs.gov.vn": 1,
    "khac@hvs.gov.vn": 1,
}


@pytest.fixture
def inbox(app):
    server = Inbox().start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_TIMEOUT=10)
    yield server
    wait_for_delivery(app, 30)
    server.stop()


def _received(inbox: Inbox) -> Counter:
    return Counter(message["To"] for message in inbox.messages)


def _all_delivered(app) -> None:
    wait_for_delivery(app, 30)
    deliver_due()  # anything a run left queued (none expected)
    db.session.commit()


def test_two_concurrent_runs_reach_each_inbox_once(app, planted, inbox):
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        with app.app_context():
            try:
                barrier.wait()
                results.append(send_reminders(planted.now, batch_size=2))
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    stored = Counter()
    for result in results:
        stored.update(result)
    assert dict(stored) == {"due7": 2, "due1": 1, "overdue": 3, "digest": 1}
    assert notification_keys() == outbox_keys() == expected_keys(planted)
    _all_delivered(app)
    inbox.wait_for(planted.hr.email)
    assert _received(inbox) == Counter({**EXPECTED_INBOX, planted.hr.email: 1})


def test_two_reminder_processes_at_once_reach_each_inbox_once(app, planted, inbox, database_url):
    env = {
        **os.environ,
        "ACADEMY_ENV_NAME": "testing",
        "ACADEMY_DATABASE_URL": database_url,
        "ACADEMY_INSTANCE_PATH": app.instance_path,
        "ACADEMY_PUBLIC_BASE_URL": "http://localhost",
        "ACADEMY_MAIL_SERVER": "127.0.0.1",
        "ACADEMY_MAIL_PORT": str(inbox.port),
        "ACADEMY_REDIS_URL": "",
    }
    command = [sys.executable, "-m", "flask", "--app", "academy:create_app", "reminders", "send"]
    command += ["--now", planted.now.isoformat()]
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) for _ in "ab"]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert all(output.startswith("Đã gửi:") for output in outputs)
    db.session.expire_all()
    assert notification_keys() == outbox_keys() == expected_keys(planted)
    _all_delivered(app)
    inbox.wait_for(planted.hr.email)
    assert _received(inbox) == Counter({**EXPECTED_INBOX, planted.hr.email: 1})
