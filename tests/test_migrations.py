"""The migrations build the schema the models describe, and go down and up again cleanly."""

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from academy import create_app
from academy.extensions import db
from tests.live_server import drop_postgres_database, fresh_postgres_database

MIGRATIONS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")


@pytest.fixture
def empty_database_url(tmp_path):
    base = os.environ.get("ACADEMY_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    url = fresh_postgres_database(base, f"{base.rsplit('/', 1)[1]}_migrations")
    yield url
    drop_postgres_database(url)


def _tables(engine):
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade_matches_the_models(empty_database_url):
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        assert _tables(db.engine) == set(db.metadata.tables)
        downgrade(directory=MIGRATIONS, revision="base")
        assert _tables(db.engine) == set()
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as conn:
            drift = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata
            )
        assert drift == [], f"models and migrations differ: {drift}"
        db.session.remove()
        db.engine.dispose()
