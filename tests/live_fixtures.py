"""Fixtures for tests that run the real app under gunicorn (tests/e2e, tests/system).

The live site's database follows the suite's: a fresh SQLite file, or, when
``ACADEMY_TEST_DATABASE_URL`` is set, a fresh PostgreSQL database beside it (same server,
name suffixed), so the SQLite and PostgreSQL passes of ``make test`` each exercise their own.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from academy import create_app
from academy.auth.models import Unit
from academy.auth.services import create_user
from academy.extensions import db
from tests.live_server import (
    DEMO_PASSWORD,
    HttpSession,
    LiveServer,
    demo_email,
    fresh_postgres_database,
    live_env,
    prepare_database,
    sqlite_url,
)

TEST_DB_URL = os.environ.get("ACADEMY_TEST_DATABASE_URL")


def live_database(directory: Path, label: str) -> str:
    """A fresh database for a live server: SQLite in ``directory``, or PostgreSQL in CI."""
    if TEST_DB_URL:
        # A stable name: the next run drops and recreates it (dropping at teardown can take a
        # minute on a busy server, for nothing).
        return fresh_postgres_database(
            TEST_DB_URL,
            f"{TEST_DB_URL.rsplit('/', 1)[1]}_live_{label}"
            f"{os.environ.get('PYTEST_XDIST_WORKER', '')}",
        )
    return sqlite_url(directory)


class Site:
    """A prepared database plus a running gunicorn, and ways to look inside both."""

    def __init__(self, env: dict, server: LiveServer, database_url: str):
        self.env, self.server, self.database_url = env, server, database_url
        self._app = None

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def url(self, path: str) -> str:
        return self.server.url(path)

    def http(self, login: str | None = None, password: str = DEMO_PASSWORD) -> HttpSession:
        """A cookie-keeping client, signed in as ``login`` (an email or a demo local part)."""
        session = HttpSession(self.base_url)
        if login:
            session.login(login if "@" in login else demo_email(login), password)
        return session

    def app(self):
        """An app object on the live database, for looking at rows (not for serving)."""
        if self._app is None:
            self._app = create_app(
                {
                    "ENV_NAME": "testing",
                    "SQLALCHEMY_DATABASE_URI": self.database_url,
                    "REDIS_URL": None,
                    "SECRET_KEY": self.env["ACADEMY_SECRET_KEY"],
                }
            )
        return self._app

    @contextlib.contextmanager
    def db(self):
        """``with site.db() as session:`` a fresh SQLAlchemy session on the live database."""
        with self.app().app_context():
            try:
                yield db.session
            finally:
                db.session.rollback()
                db.session.remove()

    def add_user(
        self,
        roles=("learner",),
        unit_code: str | None = None,
        full_name: str = "Nguyễn Văn Thử",
        position: str = "Chuyên viên",
        email: str | None = None,
    ) -> str:
        """Create an account with ``DEMO_PASSWORD``; return its email."""
        email = email or f"thu.{uuid.uuid4().hex[:10]}@hvs.gov.vn"
        with self.db() as session:
            unit = None
            if unit_code:
                unit = session.scalar(select(Unit).where(Unit.code == unit_code))
            elif "hr" in roles or "learner" in roles:
                unit = session.scalar(select(Unit).where(Unit.kind == "ward").order_by(Unit.id))
            create_user(
                email,
                full_name,
                DEMO_PASSWORD,
                roles=roles,
                unit=unit,
                position=position,
                employee_code="T" + uuid.uuid4().hex[:10].upper(),
            )
            session.commit()
        return email

    def close(self) -> None:
        if self._app is not None:
            with self._app.app_context():
                db.session.remove()
                db.engine.dispose()


@contextlib.contextmanager
def running_site(
    directory: Path,
    label: str,
    *,
    workers: int = 2,
    demo_learners: int | None = 5,
    courses: bool = True,
    **settings,
):
    """Prepare a database (curriculum + demo data) and serve it; stop the server after. The database
    stays: SQLite files live in pytest's tmp dirs, PostgreSQL ones are recreated by the next run."""
    url = live_database(directory, label)
    env = live_env(directory, url, **{"RATELIMIT_ENABLED": False, **settings})
    server = LiveServer(env, workers=workers)
    site = Site(env, server, url)
    try:
        prepare_database(env, courses=courses, demo_learners=demo_learners)
        server.start()
        yield site
    finally:
        server.stop()
        site.close()


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """One shared live site (2 workers, curriculum, demo accounts) for read-mostly tests.

    Tests that change state make their own accounts with ``site.add_user``."""
    with running_site(tmp_path_factory.mktemp("site"), "site") as live:
        yield live


def assert_clean_log(server: LiveServer) -> None:
    """No traceback, no 'database is locked', no 5xx in the access log."""
    log = server.log()
    assert "database is locked" not in log
    assert "Traceback" not in log, log[-4000:]
    assert not re.search(r'" 5\d\d ', log), [
        line for line in log.splitlines() if re.search(r'" 5\d\d ', line)
    ][:5]


# Tests whose outcome does not depend on the suite's database (browser journeys, private
# PostgreSQL/Redis faults, headers, CSRF) run once, in the SQLite pass, to keep CI within budget.
database_independent = pytest.mark.skipif(
    bool(TEST_DB_URL), reason="database-independent: runs in the SQLite pass of make test"
)
