"""Configuration layers and the refusal to run production without a secret."""

import pytest
from sqlalchemy import text

from academy import create_app
from academy.extensions import db


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("ACADEMY_SECRET_KEY", raising=False)
    monkeypatch.setenv("ACADEMY_ENV_NAME", "production")
    with pytest.raises(RuntimeError, match="ACADEMY_SECRET_KEY"):
        create_app()


def test_environment_variables_override_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("ACADEMY_ENV_NAME", "production")
    monkeypatch.setenv("ACADEMY_SECRET_KEY", "a-real-secret-from-the-environment")
    monkeypatch.setenv("ACADEMY_QUIZ_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("ACADEMY_DATABASE_URL", "postgresql://academy@db.internal/academy")
    app = create_app()
    assert app.config["SECRET_KEY"] == "a-real-secret-from-the-environment"
    assert app.config["QUIZ_MAX_ATTEMPTS"] == 3
    assert (
        app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://academy@db.internal/academy"
    )


def test_default_database_is_sqlite_in_the_instance_folder(monkeypatch):
    monkeypatch.delenv("ACADEMY_DATABASE_URL", raising=False)
    app = create_app({"ENV_NAME": "development"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{app.instance_path}/academy.sqlite3"


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas")
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
