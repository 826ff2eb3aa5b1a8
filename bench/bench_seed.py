"""`flask demo seed --learners N` into a fresh SQLite file: wall time, peak RSS, rows per second."""

from __future__ import annotations

from bench.common import learners_for, seeded_database


def run(args) -> list[dict]:
    learners = learners_for(args)
    db = seeded_database(learners, getattr(args, "extra_courses", 0))
    size_mib = (db.instance / "academy.sqlite3").stat().st_size / 2**20
    note = f"N={learners:,}; {db.courses_note}"
    row = lambda figure, value, unit, extra="": {  # noqa: E731
        "benchmark": "seed",
        "figure": figure,
        "value": value,
        "unit": unit,
        "note": extra or note,
    }
    return [
        row("demo seed wall time", db.seconds, "s"),
        row("demo seed CPU time", db.cpu_seconds, "s", "user + system of the seed process"),
        row("peak RSS", db.peak_rss_mib, "MiB"),
        row(
            "rows written", db.rows, "rows", "users, roles, enrolments, lessons, attempts, results"
        ),
        row("rows per second", db.rows / db.seconds if db.seconds else 0.0, "rows/s"),
        row("learners per second", learners / db.seconds if db.seconds else 0.0, "learners/s"),
        row("database file", size_mib, "MiB", str(db.instance)),
    ]


if __name__ == "__main__":
    from bench.harness import main_single

    main_single("seed")
