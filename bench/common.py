"""Helpers shared by benchmarks: fresh instance folders under /tmp, running `flask` there, and a
seeded SQLite database reused by every benchmark of one harness run."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Opt-in: a folder where seeded databases are kept between runs (seeding 100,000 learners takes
# minutes), one per size and per version of the schema, the seed and the curriculum.
SEED_CACHE_ENV = "ACADEMY_BENCH_SEED_CACHE"
SEED_INPUTS = ("academy/**/models.py", "academy/database.py", "academy/demo/*.py", "courses/**/*")
DEFAULT_LEARNERS, QUICK_LEARNERS = 100_000, 5_000
_SEEDED: dict[tuple[int, int], SeededDatabase] = {}


@dataclass
class SeededDatabase:
    instance: Path
    learners: int
    seconds: float
    cpu_seconds: float
    peak_rss_mib: float
    rows: int
    courses_note: str

    @property
    def uri(self) -> str:
        return "sqlite:///" + str(self.instance / "academy.sqlite3")


def learners_for(args) -> int:
    if getattr(args, "learners", None):
        return args.learners
    return QUICK_LEARNERS if getattr(args, "quick", False) else DEFAULT_LEARNERS


def fresh_instance(label: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"academy-bench-{label}-", dir="/tmp"))


def flask_env(instance: Path) -> dict:
    """The environment of a `flask` run on the instance's own SQLite file."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("ACADEMY_DATABASE_URL", "ACADEMY_REDIS_URL")
    }
    env.update(
        ACADEMY_ENV_NAME="development",
        ACADEMY_INSTANCE_PATH=str(instance),
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
    )
    return env


@dataclass
class Measured:
    seconds: float  # wall clock
    cpu_seconds: float  # user + system: the steadier figure on a shared machine
    peak_rss_mib: float
    result: subprocess.CompletedProcess


def run_measured(
    argv: list[str], instance: Path
) -> tuple[float, float, subprocess.CompletedProcess]:
    """Run a command in the instance: (wall seconds, that process's own peak RSS in MiB, result)."""
    run = measure(argv, instance)
    return run.seconds, run.peak_rss_mib, run.result


def measure(argv: list[str], instance: Path) -> Measured:
    """Run a command in the instance; wall and CPU time and peak RSS of that very process."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            argv, cwd=REPO, env=flask_env(instance), stdout=out, stderr=err, text=True
        )
        _, status, usage = os.wait4(proc.pid, 0)  # wait4: the rusage of this child alone
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        result = subprocess.CompletedProcess(argv, proc.returncode, out.read(), err.read())
    # ru_maxrss is in KiB on Linux
    return Measured(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, result)


def flask(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "wsgi", *args]


def create_schema(instance: Path) -> None:
    """Tables from the models (``flask db upgrade`` may lag the models during development)."""
    code = (
        "from academy import create_app\nfrom academy.extensions import db\n"
        "app = create_app()\nwith app.app_context():\n    db.create_all()\n"
    )
    subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=flask_env(instance),
        check=True,
        capture_output=True,
        text=True,
    )


def import_courses(instance: Path) -> bool:
    """`flask courses import courses/`; False when the command is not there (yet) or fails."""
    result = subprocess.run(
        flask("courses", "import", "courses/"),
        cwd=REPO,
        env=flask_env(instance),
        capture_output=True,
        text=True,
    )
    return result.returncode == 0


def count_rows(instance: Path) -> int:
    with sqlite3.connect(instance / "academy.sqlite3") as con:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return sum(con.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables)


def seeded_database(learners: int, extra_courses: int = 0) -> SeededDatabase:
    """A fresh SQLite database with the curriculum imported and ``learners`` seeded (timed once
    per harness run; later benchmarks reuse it). With ``ACADEMY_BENCH_SEED_CACHE`` set, a database
    seeded by an earlier run of the same size is reused (and its seed figures reported again)."""
    key = (learners, extra_courses)
    if key not in _SEEDED:
        cache = os.environ.get(SEED_CACHE_ENV)
        folder = (
            Path(cache) / f"seed-{learners}-{extra_courses}-{_seed_version()}" if cache else None
        )
        marker = folder / "seeded.json" if folder else None
        if marker is not None and marker.exists():
            figures = json.loads(marker.read_text())
            figures["courses_note"] += f"; reused from {folder}"
            _SEEDED[key] = SeededDatabase(instance=folder, **figures)
        else:
            _SEEDED[key] = _seed(learners, extra_courses, folder)
            if marker is not None:
                figures = {k: v for k, v in vars(_SEEDED[key]).items() if k != "instance"}
                marker.write_text(json.dumps(figures))
    return _SEEDED[key]


def _seed_version() -> str:
    """A digest of what a seeded database depends on: change a model and the cache seeds anew."""
    digest = hashlib.sha256()
    for path in sorted({p for pattern in SEED_INPUTS for p in REPO.glob(pattern) if p.is_file()}):
        digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def _seed(learners: int, extra_courses: int, folder: Path | None) -> SeededDatabase:
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob(
            "academy.sqlite3*"
        ):  # a seed interrupted before its marker was written
            stale.unlink()
    instance = folder or fresh_instance("seed")
    create_schema(instance)
    imported = import_courses(instance)
    extra = extra_courses or (0 if imported else 3)
    note = "courses/ imported" if imported else "courses import unavailable"
    note += f" + {extra} synthetic courses" if extra else ""
    rows_before = count_rows(instance)
    run = measure(
        flask("demo", "seed", "--learners", str(learners), "--extra-courses", str(extra)), instance
    )
    if run.result.returncode != 0:
        raise RuntimeError(f"demo seed failed: {(run.result.stderr or run.result.stdout)[-300:]}")
    return SeededDatabase(
        instance,
        learners,
        run.seconds,
        run.cpu_seconds,
        run.peak_rss_mib,
        count_rows(instance) - rows_before,
        note,
    )
