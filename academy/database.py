"""Declarative base, naming convention, engine settings and small helpers."""

import functools
import json
import select
import time
from collections import namedtuple
from datetime import UTC, datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Boolean, DateTime, Float, MetaData, String, and_, event, func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

from academy.search_text import fold

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def utcnow() -> datetime:
    return datetime.now(UTC)


LIKE_ESCAPE = "\\"


def like_pattern(term: str) -> str:
    """``%term%`` for LIKE, with the wildcards ``%`` and ``_`` (and the escape character itself) in
    ``term`` taken literally. Use it with ``escape=LIKE_ESCAPE``, or through
    :func:`contains_text`."""
    escaped = term.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%")
    return "%" + escaped.replace("_", LIKE_ESCAPE + "_") + "%"


def contains_text(column, term: str):
    """Case-insensitive "``column`` contains ``term``", the text typed in a search box as is."""
    return func.lower(column).like(like_pattern(term.lower()), escape=LIKE_ESCAPE)


FOLDED_WORDS_MAX = 8  # words of a search that count; more only slow the query down


def folded_words(term: str | None) -> list[str]:
    """The words of a search, folded as ``academy.search_text.fold`` folds stored text (lower case,
    no diacritics, "đ" as "d"), at most ``FOLDED_WORDS_MAX`` of them."""
    return fold(term).split()[:FOLDED_WORDS_MAX]


def contains_folded_words(column, term: str):
    """ "``column`` contains every word of ``term``", for a column that holds folded text (such as
    ``User.search_name``): "Đỗ", "đỗ", "ĐỖ" and "do" all find "Đỗ"; "van duc" and "duc nguyen"
    find "Nguyễn Văn Đức". ``%`` and ``_`` are taken literally. None when ``term`` has no words
    (search for nothing: the caller adds no condition)."""
    words = folded_words(term)
    if not words:
        return None
    return and_(*(column.like(like_pattern(word), escape=LIKE_ESCAPE) for word in words))


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes on every backend (SQLite stores naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a timezone-aware column")
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class json_rows(FunctionElement):  # noqa: N801 - used as an SQL function, like func.count
    """Aggregate: the rows of its columns as one JSON array of arrays, as text ("[]" when there
    are none): several rows carried in one column of another statement's single row. Read back
    with ``rows_from_json``."""

    type = String()
    name = "json_rows"
    inherit_cache = True


@compiles(json_rows)
def _json_rows_sqlite(element, compiler, **kw) -> str:
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


@compiles(json_rows, "postgresql")
def _json_rows_postgresql(element, compiler, **kw) -> str:
    columns = compiler.process(element.clauses, **kw)
    return f"coalesce(json_agg(json_build_array({columns})), '[]')::text"


def rows_from_json(text: str | None, columns) -> list[tuple]:
    """The rows ``json_rows(*columns)`` gave, as named tuples of ``columns`` (a statement's
    ``selected_columns``) with their Python types back: datetimes aware in UTC, as
    ``UTCDateTime`` gives them, floats as float and booleans as bool."""
    row, converters = _json_row_type(tuple(columns))
    rows = []
    for values in json.loads(text or "[]"):
        for index, convert in converters:
            values[index] = convert(values[index])
        rows.append(row._make(values))
    return rows


@functools.lru_cache(maxsize=64)
def _json_row_type(columns: tuple) -> tuple:
    """A named tuple for ``columns``, and (index, how) for each column whose JSON value needs
    converting to its Python value."""
    row = namedtuple("JsonRow", [c.key for c in columns], rename=True)  # noqa: PYI024
    converters = ((index, _from_json(column.type)) for index, column in enumerate(columns))
    return row, tuple((index, convert) for index, convert in converters if convert is not None)


def _from_json(sql_type):
    kind = getattr(sql_type, "impl", sql_type)
    if isinstance(kind, DateTime):
        return _utc_datetime
    if isinstance(kind, Boolean):
        return lambda value: value if value is None else bool(value)
    if isinstance(kind, Float):  # PostgreSQL's JSON writes 0.0 as 0
        return lambda value: value if value is None else float(value)
    return None  # as JSON gives it: text, numbers, null


def _utc_datetime(value: str | None) -> datetime | None:
    """A datetime as SQLite stores it ("2026-12-07 10:00:00.5") or as PostgreSQL writes it in
    JSON ("2026-12-07T17:00:00.5+07:00"), aware in UTC."""
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL for concurrent readers, a busy timeout instead of 'database is locked', FKs enforced."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def engine_options(uri: str) -> dict:
    """Engine settings per backend.

    SQLite keeps pysqlite's default of opening the transaction just before the first write, so a
    writer never holds a stale read snapshot and the busy timeout queues writers instead of failing.
    """
    if uri.startswith("sqlite"):
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    # No pool_pre_ping: it costs every request a round trip; ``ping_idle_connections`` instead.
    return {"pool_size": 10, "max_overflow": 20}


PING_AFTER_IDLE = 1.0  # seconds


def ping_idle_connections(engine: Engine, after: float = PING_AFTER_IDLE) -> None:
    """Check a pooled connection before use only when it has been idle ``after`` seconds or more.

    SQLAlchemy's ``pool_pre_ping`` pings at every checkout: a round trip per request, a third of
    a page's on PostgreSQL. A connection in steady use (under load, reused within milliseconds)
    was just seen working, unless the server has since closed it or said something to it: an
    idle connection's socket has nothing to read, so a readable one (a closed socket, a
    "terminating connection" message) is pinged at once, for the price of a ``poll`` call. One
    idle a second or more is pinged anyway. A dead one is replaced before the request sees it
    (``DisconnectionError``: the pool retries with a new one). A server lost mid-use is the
    request's error as before (a 503), and the pool starts afresh."""
    if engine.dialect.name == "sqlite":
        return

    @event.listens_for(engine, "checkin")
    def _idle_from(dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, proxy) -> None:
        since = record.info.get("idle_since")
        if since is None:
            return  # just opened
        if time.monotonic() - since < after and not _socket_has_news(dbapi_connection):
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # noqa: BLE001 - any failure means the connection is gone
            raise DisconnectionError(str(exc)) from exc
        if not alive:
            raise DisconnectionError("the database did not answer a ping")


def _socket_has_news(dbapi_connection) -> bool:
    """Whether an idle connection's socket has anything to read (it should not): the server closed
    it, or sent a message such as "terminating connection"."""
    try:
        poller = select.poll()
        poller.register(dbapi_connection.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
        return bool(poller.poll(0))
    except (OSError, ValueError, AttributeError):
        return True  # cannot tell: ping


# What a statement starting with SELECT may still do that holds only inside a transaction: row
# locks, transaction-level advisory locks, sequence and setting changes, notifications.
_TRANSACTIONAL = (
    "FOR UPDATE",
    "FOR SHARE",
    "FOR NO KEY UPDATE",
    "FOR KEY SHARE",
    "ADVISORY",
    "NEXTVAL",
    "SETVAL",
    "SET_CONFIG",
    "PG_NOTIFY",
)


def needs_transaction(statement: str, cursor) -> bool:
    """Whether a statement must run inside a transaction: anything but a plain SELECT (writes,
    DDL, savepoints), a SELECT that locks or changes something (``_TRANSACTIONAL``), or one read
    through a server-side cursor (PostgreSQL declares those only inside a transaction)."""
    if statement.lstrip()[:6].upper() != "SELECT" or hasattr(cursor, "name"):
        return True
    upper = statement.upper()
    return any(word in upper for word in _TRANSACTIONAL)


def read_outside_transactions(engine: Engine) -> None:
    """Run plain SELECTs outside any transaction, and open one at the first statement that needs
    it (PostgreSQL).

    Every pooled connection is handed out in psycopg's autocommit mode. A page that only reads then
    costs two round trips fewer (no BEGIN, no COMMIT or ROLLBACK), holds no transaction open while
    it renders, and keeps what psycopg prepared: psycopg forgets its prepared statements at every
    ROLLBACK, and a read-only request no longer has one. At the first statement that writes,
    locks, or otherwise ``needs_transaction``, the connection leaves autocommit, so psycopg
    sends BEGIN just before it and everything from there on is one transaction that SQLAlchemy
    commits or rolls back as before. Under PostgreSQL's READ COMMITTED every statement reads its
    own snapshot anyway, so the SELECTs before a write see what they saw inside a transaction."""
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "checkout")
    def _autocommit(dbapi_connection, record, proxy) -> None:
        if not dbapi_connection.autocommit and not dbapi_connection.info.transaction_status:
            dbapi_connection.autocommit = True  # status 0: idle, no transaction open

    @event.listens_for(engine, "before_cursor_execute")
    def _begin_before(conn, cursor, statement, parameters, context, executemany) -> None:
        dbapi_connection = cursor.connection
        if dbapi_connection.autocommit and needs_transaction(statement, cursor):
            dbapi_connection.autocommit = False
