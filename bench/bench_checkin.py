"""QR attendance under gunicorn (4 sync workers, SQLite): 500 invited people, already signed in,
each POST their check-in at a random moment within one minute (15 s with ``--quick``), one in ten
tapping twice; the projector screen polls its JSON every 3 s meanwhile. Then a burst: the same
500 at once (50 at a time) on a second session, as when everyone arrives together. Before both,
40 check-ins to a third session warm the workers up (not counted).

Reports what was stored (must equal the people: nothing lost, no duplicate), p50/p95/max of the
POSTs (target p95 < 200 ms), errors (any answer but the redirect after a check-in) and the screen's
JSON p95. Session cookies are made here with the server's secret (signing in 500 people through
the form would measure password hashing, not attendance). ``--learners N`` sets the people.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import random
import secrets
import statistics
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, insert, select

from academy import create_app
from academy.auth.models import Unit, User
from academy.database import db, utcnow
from academy.training.checkin import window_token
from academy.training.models import Attendance, SessionInvite, TrainingSession
from bench.common import fresh_instance
from tests.live_server import SECRET, LiveServer, demo_email, live_env, prepare_database, sqlite_url

PEOPLE = 500
SPREAD_SECONDS, QUICK_SPREAD_SECONDS = 60, 15
WORKERS = 4
DOUBLE_TAP_SHARE = 0.1
BURST_CONCURRENCY = 50
SCREEN_POLL_SECONDS = 3


def run(args) -> list[dict]:
    people = getattr(args, "learners", None) or PEOPLE
    spread = QUICK_SPREAD_SECONDS if getattr(args, "quick", False) else SPREAD_SECONDS
    instance = fresh_instance("checkin")
    url = sqlite_url(instance)
    env = live_env(instance, url, RATELIMIT_ENABLED=False)
    prepare_database(env, courses=False, demo_learners=0)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET, "ENV_NAME": "testing"})
    with app.app_context():
        plan = _plant(app, people)
        db.engine.dispose()
    with LiveServer(env, workers=WORKERS, log_dir=instance) as server:
        _warm_up(server, plan, plan["sessions"][2])
        spread_run = _spread(server, plan, plan["sessions"][0], spread)
        burst_run = _burst(server, plan, plan["sessions"][1])
        log = server.log()
    with app.app_context():
        stored = [_stored(s["id"]) for s in plan["sessions"][:2]]
        db.engine.dispose()
    note = f"{people} people, SQLite, gunicorn sync w={WORKERS}"
    locked = log.count("database is locked")
    return _rows(people, spread, spread_run, burst_run, stored, note, locked)


# ---- the data and the cookies ----------------------------------------------------------------


def _plant(app, people: int) -> dict:
    """A unit of ``people`` learners (no password: they never use the form), two sessions open for
    check-in inviting that unit, and a signed session cookie and CSRF token for each person."""
    unit = Unit(code="BENCH-CHECKIN", name="Đơn vị đo điểm danh", kind="agency")
    db.session.add(unit)
    db.session.flush()
    unit.path = f"/{unit.id}/"
    db.session.execute(
        insert(User),
        [
            {
                "email": f"diemdanh.{n}@hvs.gov.vn",
                "full_name": f"Người Điểm Danh {n}",
                "employee_code": f"DD{n:06d}",
                "unit_id": unit.id,
                "search_name": f"nguoi diem danh {n}",
                "session_version": 1,
            }
            for n in range(people)
        ],
    )
    organiser = db.session.scalar(select(User).where(User.email == demo_email("giangvien")))
    sessions = []
    for title in ("Điểm danh rải đều trong một phút", "Điểm danh cùng lúc", "Khởi động"):
        starts = utcnow() + timedelta(minutes=5)
        training = TrainingSession(
            title=title,
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            hours=2,
            secret=secrets.token_hex(32),
            organiser_id=organiser.id,
        )
        db.session.add(training)
        db.session.flush()
        db.session.add(SessionInvite(session_id=training.id, unit_id=unit.id))
        window = int(time.time() // app.config["CHECKIN_CODE_SECONDS"])
        tokens = {w: window_token(training, w) for w in range(window, window + 12)}
        sessions.append({"id": training.id, "tokens": tokens})
    db.session.commit()
    ids = db.session.scalars(select(User.id).where(User.unit_id == unit.id)).all()
    return {
        "people": [_signed_in(app, f"{user_id}:1") for user_id in ids],
        "organiser": _signed_in(app, organiser.get_id()),
        "sessions": sessions,
        "seconds": app.config["CHECKIN_CODE_SECONDS"],
    }


def _signed_in(app, login_id: str) -> dict:
    """The cookie Flask-Login would have set for ``login_id`` and the CSRF token of its forms."""
    raw = hashlib.sha1(os.urandom(64)).hexdigest()
    data = {"_user_id": login_id, "_fresh": True, "csrf_token": raw}
    cookie = app.session_interface.get_signing_serializer(app).dumps(data)
    token = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)
    return {"cookie": f"session={cookie}", "csrf": token}


def _stored(session_id: int) -> dict:
    count, distinct = db.session.execute(
        select(func.count(Attendance.id), func.count(func.distinct(Attendance.user_id))).where(
            Attendance.session_id == session_id
        )
    ).one()
    return {"rows": count, "people": distinct}


# ---- the load --------------------------------------------------------------------------------


class Results:
    def __init__(self):
        self.times: list[float] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()

    def add(self, seconds: float, problem: str | None) -> None:
        with self._lock:
            self.times.append(seconds)
            if problem:
                self.errors.append(problem)


def _post(server: LiveServer, plan: dict, session: dict, person: dict, results: Results) -> None:
    window = int(time.time() // plan["seconds"])
    path = f"/attend/{session['id']}/in/{session['tokens'][window]}"
    body = urllib.parse.urlencode({"csrf_token": person["csrf"]})
    headers = {
        "Cookie": person["cookie"],
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "text/html",
    }
    started = time.perf_counter()
    problem = None
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        connection.request("POST", path, body, headers)
        response = connection.getresponse()
        response.read()
        connection.close()
        if response.status != 302:
            problem = f"HTTP {response.status}"
    except OSError as exc:
        problem = type(exc).__name__
    results.add(time.perf_counter() - started, problem)


def _spread(server: LiveServer, plan: dict, session: dict, spread: float) -> dict:
    """Each person at a random moment of ``spread`` seconds; one in ten taps twice (60 ms apart)."""
    rng = random.Random(16)
    jobs = [(rng.uniform(0, spread), person) for person in plan["people"]]
    jobs += [(at + 0.06, person) for at, person in rng.sample(jobs, int(len(jobs) * 0.1))]
    jobs.sort(key=lambda job: job[0])
    results, screen = Results(), Results()
    stop = threading.Event()
    poller = threading.Thread(target=_poll_screen, args=(server, plan, session, screen, stop))
    poller.start()
    started = time.perf_counter()

    def send(job):
        at, person = job
        time.sleep(max(0.0, started + at - time.perf_counter()))
        _post(server, plan, session, person, results)

    with ThreadPoolExecutor(max_workers=100) as pool:
        list(pool.map(send, jobs))
    elapsed = time.perf_counter() - started
    stop.set()
    poller.join()
    return {"results": results, "screen": screen, "elapsed": elapsed, "posts": len(jobs)}


def _warm_up(server: LiveServer, plan: dict, session: dict) -> None:
    """A server that has been up a while: each worker has served check-ins before (the first
    request of a worker loads templates and catalogues)."""
    results = Results()
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda p: _post(server, plan, session, p, results), plan["people"][:40]))


def _burst(server: LiveServer, plan: dict, session: dict) -> dict:
    results = Results()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=BURST_CONCURRENCY) as pool:
        list(pool.map(lambda p: _post(server, plan, session, p, results), plan["people"]))
    elapsed = time.perf_counter() - started
    return {"results": results, "elapsed": elapsed, "posts": len(plan["people"])}


def _poll_screen(server, plan, session, results: Results, stop: threading.Event) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    headers = {"Cookie": plan["organiser"]["cookie"], "Accept": "application/json"}
    while not stop.wait(SCREEN_POLL_SECONDS):
        started = time.perf_counter()
        problem = None
        try:
            connection.request("GET", f"/sessions/{session['id']}/checkin.json", headers=headers)
            response = connection.getresponse()
            response.read()
            problem = None if response.status == 200 else f"HTTP {response.status}"
        except OSError as exc:
            problem = type(exc).__name__
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        results.add(time.perf_counter() - started, problem)
    connection.close()


# ---- the figures -----------------------------------------------------------------------------


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)] if values else 0.0


def _rows(people, spread, spread_run, burst_run, stored, note, locked) -> list[dict]:
    rows = []
    for label, run_, kept, target in (
        (f"within {spread} s", spread_run, stored[0], "target < 200 ms"),
        (
            f"burst ({BURST_CONCURRENCY} at a time)",
            burst_run,
            stored[1],
            f"queueing: {BURST_CONCURRENCY} in flight on {WORKERS} workers",
        ),
    ):
        times, errors = run_["results"].times, run_["results"].errors
        rows += [
            {
                "figure": f"{label}: check-ins stored",
                "value": kept["rows"],
                "unit": "rows",
                "note": f"expected {people}; {kept['people']} distinct people; "
                f"{run_['posts']} POSTs in {run_['elapsed']:.1f} s",
            },
            {
                "figure": f"{label}: throughput",
                "value": round(run_["posts"] / run_["elapsed"], 1),
                "unit": "POST/s",
            },
            {"figure": f"{label}: POST p50", "value": _ms(statistics.median(times)), "unit": "ms"},
            {
                "figure": f"{label}: POST p95",
                "value": _ms(_p95(times)),
                "unit": "ms",
                "note": target,
            },
            {"figure": f"{label}: POST max", "value": _ms(max(times)), "unit": "ms"},
            {
                "figure": f"{label}: errors",
                "value": len(errors),
                "unit": "requests",
                "note": ", ".join(sorted(set(errors)))[:120] or "none",
            },
        ]
    screen = spread_run["screen"].times
    rows.append(
        {
            "figure": "screen JSON p95 (while checking in)",
            "value": _ms(_p95(screen)),
            "unit": "ms",
            "note": f"{len(screen)} polls, {len(spread_run['screen'].errors)} errors",
        }
    )
    rows.append({"figure": "'database is locked' in the log", "value": locked, "unit": "lines"})
    return [{"benchmark": "checkin", "note": note, **row} for row in rows]


if __name__ == "__main__":
    from bench.harness import main_single

    main_single("checkin")
