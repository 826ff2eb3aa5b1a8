"""The migrations build the schema the models describe, and go down and up again cleanly."""
import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from academy import create_app
from academy.extensions import db

MIGRATIONS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")


@pytest.fixture
def empty_database_url(tmp_path):
    base = os.environ.get("ACADEMY_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    url = make_url(base.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"{url.database}_migrations"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


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
            drift = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
        assert drift == [], f"models and migrations differ: {drift}"
        db.session.remove()
        db.engine.dispose()
