"""Bulk upsert through the REST API: ``PUT /api/v1/people/bulk`` of 10,000 people (1,000 with
``--quick``; ``--learners N`` sets the number) in one request, then the same body again (every row
unchanged). Through the WSGI app in-process (no socket), on a fresh SQLite file migrated by
``flask db upgrade``'s code, or on PostgreSQL with ``ACADEMY_BENCH_API_DB=postgresql://…/name``
(dropped and made afresh). Target: the first PUT under 30 s."""

from __future__ import annotations

import os
import tempfile
import time

from flask_migrate import upgrade

DEFAULT_PEOPLE, QUICK_PEOPLE = 10_000, 1_000
MIGRATIONS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")


def _database_url(folder: str) -> str:
    url = os.environ.get("ACADEMY_BENCH_API_DB")
    if not url:
        return f"sqlite:///{folder}/bench_api.sqlite3"
    from tests.live_server import fresh_postgres_database  # noqa: PLC0415

    base, name = url.rsplit("/", 1)
    return fresh_postgres_database(f"{base}/postgres", name)


def _body(unit_code: str, n: int) -> dict:
    return {
        "people": [
            {
                "employee_code": f"NS{i:06d}",
                "email": f"ns{i}@hvs.gov.vn",
                "full_name": f"Nguyễn Văn Bình {i}",
                "unit_code": unit_code,
                "position": "Chuyên viên",
            }
            for i in range(n)
        ]
    }


def run(args) -> list[dict]:
    from academy import create_app  # noqa: PLC0415
    from academy.admin.services import create_unit  # noqa: PLC0415
    from academy.api.tokens import create_token  # noqa: PLC0415
    from academy.auth.services import create_user  # noqa: PLC0415
    from academy.extensions import db  # noqa: PLC0415

    people = args.learners or (QUICK_PEOPLE if args.quick else DEFAULT_PEOPLE)
    folder = tempfile.mkdtemp(prefix="bench-api-")
    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": _database_url(folder),
            "REDIS_URL": None,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    app.instance_path = folder
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        city = create_unit("TP", "Thành phố", "city")
        admin = create_user("admin@hvs.gov.vn", "Quản trị", roles=("admin",), unit=city)
        _token, secret = create_token(admin, "bench", ("people:write",))
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    body = _body("TP", people)
    figures = []
    for label in ("first PUT (all created)", "same body again (all unchanged)"):
        start = time.perf_counter()
        answer = client.put("/api/v1/people/bulk", json=body, headers=headers)
        wall = time.perf_counter() - start
        if answer.status_code != 200:
            raise RuntimeError(
                f"bulk upsert answered {answer.status_code}: {answer.get_data()[:500]}"
            )
        figures.append(
            {
                "benchmark": "api",
                "figure": f"bulk upsert of {people:,} people, {label}",
                "value": round(wall, 2),
                "unit": "s",
                "note": f"{answer.json}; target < 30 s",
            }
        )
    return figures


if __name__ == "__main__":
    from bench.harness import main_single

    main_single("api")
