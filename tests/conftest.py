"""Fixtures: one app per test on a clean database (SQLite file, or PostgreSQL from
ACADEMY_TEST_DATABASE_URL), a client, a CLI runner, an ``auth`` helper and factories."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import text

from academy import create_app
from academy.auth.models import Unit
from academy.auth.services import create_user
from academy.catalog.models import Choice, Course, Lesson, Module, Question
from academy.database import db, utcnow
from academy.extensions import limiter
from academy.markdown import render_inline, render_markdown
from academy.reports.snapshots import Snapshots
from tests.live_server import csrf_token_in

TEST_DB_URL = os.environ.get("ACADEMY_TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if TEST_DB_URL:
        return TEST_DB_URL
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "academy-test.sqlite3")


@pytest.fixture(scope="session")
def _schema(database_url):
    """Create the tables once per run, from the models (migrations have their own tests)."""
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        db.drop_all()
        _drop_alembic_version()
        db.create_all()
    yield
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _drop_alembic_version():
    db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
    db.session.commit()


def _empty_all_tables():
    tables = [t.name for t in db.metadata.sorted_tables]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for name in reversed(tables):
            db.session.execute(text(f"DELETE FROM {name}"))
    db.session.commit()


@pytest.fixture
def app(_schema, database_url, tmp_path):
    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            "REDIS_URL": None,
            "RATELIMIT_STORAGE_URI": "memory://",
            "SERVER_NAME": "localhost",
            "PUBLIC_BASE_URL": "http://localhost",
        }
    )
    app.instance_path = str(tmp_path / "instance")
    os.makedirs(app.instance_path, exist_ok=True)
    limiter.reset()
    # The test holds one app context for its whole body, and Flask reuses it for the requests the
    # test makes; give every request a fresh ``g`` (signed-in user, locale) as production does.
    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_request_globals)
    with app.app_context():
        yield app
        _wait_for_background_figures(app)
        db.session.remove()
        _empty_all_tables()
        db.session.remove()
        db.engine.dispose()


def _wait_for_background_figures(app) -> None:
    """A page may have started a dashboard or early-warning refresh in a thread: let it finish
    before the tables are emptied, or its reads and the TRUNCATE wait on each other (PostgreSQL
    reports a deadlock)."""
    for extension in list(app.extensions.values()):
        if isinstance(extension, Snapshots):
            extension.wait()


def _fresh_request_globals():
    for name in list(vars(g)):
        delattr(g, name)


@pytest.fixture
def csrf_app(app):
    """The same app with CSRF checking on, as in production."""
    app.config["WTF_CSRF_ENABLED"] = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


PASSWORD = "mat-khau-thu-nghiem-1"


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, user_or_email, password=PASSWORD):
        email = getattr(user_or_email, "email", user_or_email)
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


csrf_token_from = (
    csrf_token_in  # the token of a page's form (one definition, shared with the live tests)
)


# ---- factories ---------------------------------------------------------------------------

_counter = {"n": 0}


def _next() -> int:
    _counter["n"] += 1
    return _counter["n"]


@pytest.fixture
def make_unit(app):
    def make(name=None, parent=None, kind="agency", code=None):
        n = _next()
        unit = Unit(code=code or f"U{n:05d}", name=name or f"Đơn vị {n}", kind=kind, parent=parent)
        db.session.add(unit)
        db.session.flush()
        unit.path = (parent.path if parent else "/") + f"{unit.id}/"
        db.session.commit()
        return unit

    return make


@pytest.fixture
def make_user(app):
    def make(
        email=None,
        full_name="Nguyễn Thị Hằng",
        roles=("learner",),
        unit=None,
        password=PASSWORD,
        position="Chuyên viên",
        employee_code=None,
    ):
        n = _next()
        user = create_user(
            email or f"nguoi{n}@hvs.gov.vn",
            full_name,
            password,
            roles=roles,
            unit=unit,
            position=position,
            employee_code=employee_code or f"CB{n:06d}",
        )
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_course(app):
    """A published course with ``modules`` modules of two lessons and three questions each."""

    def make(
        slug=None,
        title="Lãnh đạo bằng dữ liệu",
        modules=2,
        status="published",
        track="data",
        owner=None,
        pass_threshold=0.7,
        level="basic",
    ):
        n = _next()
        course = Course(
            slug=slug or f"khoa-hoc-{n}",
            title=title,
            summary="Tóm tắt khoá học",
            track=track,
            level=level,
            hours=4,
            status=status,
            pass_threshold=pass_threshold,
            owner=owner,
            published_at=utcnow() if status == "published" else None,
        )
        for m in range(1, modules + 1):
            module = Module(
                position=m,
                slug=f"mo-dun-{m}",
                title=f"Mô-đun {m}: Dữ liệu",
                minutes=45,
                summary="Tóm tắt mô-đun",
            )
            for k in range(1, 3):
                body = f"## Bài {k}\n\nNội dung bài học về **dữ liệu** số {k}."
                module.lessons.append(
                    Lesson(
                        position=k,
                        slug=f"bai-{k}",
                        title=f"Bài {k} của mô-đun {m}",
                        body_md=body,
                        body_html=render_markdown(body),
                    )
                )
            for q in range(1, 4):
                question = Question(
                    position=q,
                    kind="single",
                    prompt_md=f"Câu hỏi {q} của mô-đun {m}?",
                    prompt_html=render_inline(f"Câu hỏi {q} của mô-đun {m}?"),
                    explanation_md="Vì đáp án A đúng.",
                    explanation_html=render_markdown("Vì đáp án A đúng."),
                )
                question.choices = [
                    Choice(position=1, text="Đáp án A", is_correct=True),
                    Choice(position=2, text="Đáp án B", is_correct=False),
                    Choice(position=3, text="Đáp án C", is_correct=False),
                ]
                module.questions.append(question)
            course.modules.append(module)
        db.session.add(course)
        db.session.commit()
        return course

    return make


@pytest.fixture
def days():
    return lambda n: utcnow() + timedelta(days=n)
