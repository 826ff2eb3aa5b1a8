"""Reminders for a city: ``send_reminders`` over 100,000 learners (5,000 with ``--quick``;
``--learners N`` sets the number), each with one mandatory course whose due date is spread over a
month around today (offsets -15 … +14 days): about half are overdue, a fifth due within the week,
one in thirty tomorrow; 127 HR people (the city and 126 wards) get their digest.

Figures, each in a child process (wall, CPU, peak RSS): the first run (every reminder stored in the
bell and its mail queued: the heavy day), the same run again (nothing new: the cost of looking),
and the next day's run (a typical day). Delivery is left out (``academy.mail`` sends after the
commit; the invitations benchmark measures SMTP pace): here the mail thread is not started.

SQLite by default; ``ACADEMY_BENCH_REMINDERS_DB=postgresql://…/name`` runs it on PostgreSQL (the
database is dropped and created afresh).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date, datetime, timedelta

from bench.common import Measured, fresh_instance, measure

DEFAULT_LEARNERS, QUICK_LEARNERS = 100_000, 5_000
WARDS = 126
TODAY = date(2030, 3, 4)  # a Monday


def run(args) -> list[dict]:
    learners = getattr(args, "learners", None) or (
        QUICK_LEARNERS if getattr(args, "quick", False) else DEFAULT_LEARNERS
    )
    instance = fresh_instance("reminders")
    url = os.environ.get("ACADEMY_BENCH_REMINDERS_DB")
    if url:
        from tests.live_server import fresh_postgres_database  # noqa: PLC0415 - PostgreSQL only

        url = fresh_postgres_database(url, url.rsplit("/", 1)[1])
    database = "PostgreSQL" if url else "SQLite"
    url = url or ""
    _child(instance, url, "schema")
    planted = _child(instance, url, "plant", str(learners))
    rows = [_row("plant (bulk insert, not measured)", planted, f"{learners:,} learners")]
    for label, day in (("first run", TODAY), ("same run again", TODAY), ("next day", None)):
        moment = datetime.combine(day or TODAY + timedelta(days=1), datetime.min.time())
        result = _child(instance, url, "send", moment.replace(hour=7).isoformat())
        sent = json.loads(result.result.stdout.strip().splitlines()[-1])
        total = sum(sent.values())
        rows.append(_row(label, result, f"{total:,} reminders ({_kinds(sent)}), {database}"))
        rows.append(
            {
                "benchmark": "reminders",
                "figure": f"{label}: reminders per second",
                "value": round(total / result.seconds) if total else 0,
                "unit": "/s",
                "note": f"{database}, CPU {result.cpu_seconds:.1f} s, "
                f"peak RSS {result.peak_rss_mib:.0f} MiB",
            }
        )
    return rows


def _kinds(sent: dict) -> str:
    return ", ".join(f"{kind} {count:,}" for kind, count in sent.items())


def _row(label: str, measured: Measured, note: str) -> dict:
    return {
        "benchmark": "reminders",
        "figure": label,
        "value": round(measured.seconds, 2),
        "unit": "s",
        "note": note,
    }


def _child(instance, url: str, *argv) -> Measured:
    code = "from bench.bench_reminders import child; child()"
    measured = measure([sys.executable, "-c", code, url, *argv], instance)
    if measured.result.returncode != 0:
        raise RuntimeError(measured.result.stderr[-3000:])
    return measured


# ---- in the child process -----------------------------------------------------------------------


def child() -> None:
    from academy import create_app  # noqa: PLC0415 - the child builds the app

    url, action, *rest = sys.argv[1:]
    config = {"PUBLIC_BASE_URL": "https://hocvien.example"}
    if url:
        config["SQLALCHEMY_DATABASE_URI"] = url
    app = create_app(config)
    with app.app_context():
        if action == "schema":
            from academy.extensions import db  # noqa: PLC0415

            db.create_all()
        elif action == "plant":
            _plant(int(rest[0]))
        else:
            _send(datetime.fromisoformat(rest[0]))


def _send(moment: datetime) -> None:
    from academy import mail  # noqa: PLC0415
    from academy.i18n import academy_zone  # noqa: PLC0415
    from academy.notify.reminders import send_reminders  # noqa: PLC0415

    mail.start_delivery = lambda app, delay=0: None  # queueing only: no mail thread
    sent = send_reminders(moment.replace(tzinfo=academy_zone()))
    print(json.dumps(sent))


def _plant(learners: int) -> None:
    from sqlalchemy import insert  # noqa: PLC0415

    from academy.auth.models import Unit, User, UserRole  # noqa: PLC0415
    from academy.catalog.models import Course  # noqa: PLC0415
    from academy.database import utcnow  # noqa: PLC0415
    from academy.extensions import db  # noqa: PLC0415
    from academy.learning.models import Assignment, Enrollment  # noqa: PLC0415
    from academy.reports.services import due_datetime  # noqa: PLC0415

    city = Unit(code="TP", name="Thành phố", kind="city", path="/")
    db.session.add(city)
    db.session.flush()
    city.path = f"/{city.id}/"
    wards = [Unit(code=f"P{n:03d}", name=f"Phường {n}", kind="ward") for n in range(WARDS)]
    db.session.add_all(wards)
    db.session.flush()
    for ward in wards:
        ward.path = f"{city.path}{ward.id}/"
    course = Course(
        slug="chuyen-doi-so", title="Chuyển đổi số", summary="", track="data", level="basic"
    )
    db.session.add(course)
    db.session.flush()
    mandate = Assignment(course_id=course.id, unit_id=city.id, due_at=due_datetime(TODAY))
    db.session.add(mandate)
    db.session.flush()
    now = utcnow()
    people = [
        {
            "email": f"can.bo.{n}@hvs.gov.vn",
            "full_name": f"Cán bộ {n}",
            "unit_id": wards[n % WARDS].id,
            "locale": "en" if n % 10 == 0 else "vi",
            "is_active": True,
            "wants_reminders": n % 7 != 0,
            "created_at": now,
            "search_name": "",
            "password_hash": "",
            "position": "",
            "session_version": 1,
        }
        for n in range(learners)
    ]
    hr = [
        {**people[0], "email": f"to.chuc.{n}@hvs.gov.vn", "unit_id": unit.id, "locale": "vi"}
        for n, unit in enumerate([city, *wards])
    ]
    db.session.execute(insert(User), people + hr)
    ids = dict(db.session.execute(db.select(User.email, User.id)).all())
    db.session.execute(insert(UserRole), [{"user_id": ids[h["email"]], "role": "hr"} for h in hr])
    enrolments = [
        {
            "user_id": ids[person["email"]],
            "course_id": course.id,
            "source": "assigned",
            "assignment_id": mandate.id,
            "enrolled_at": now,
            "due_at": due_datetime(TODAY + timedelta(days=n % 30 - 15)),
        }
        for n, person in enumerate(people)
    ]
    db.session.execute(insert(Enrollment), enrolments)
    db.session.commit()


if __name__ == "__main__":
    from bench.harness import main_single

    main_single("reminders")
