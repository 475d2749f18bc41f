"""Engines, the three ways to use them, and schema migrations (Alembic).

SQLite by default, with WAL and foreign keys on; its writers, in every process, queue on a
WriterLock and then take SQLite's write lock at BEGIN IMMEDIATE, so none fails as "locked".
PostgreSQL through psycopg 3 when the URL says postgresql://. Domain functions write through
`writing` (a transaction) or `single_statement` (one write that is its own transaction), and
read through `single_read` (one statement) or `connect()` + `begin()` on the read engine
(several: one snapshot on SQLite; on PostgreSQL each statement sees the latest commits, as
under READ COMMITTED before); each holds a pooled connection only while its statements run."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import threading
import weakref
from pathlib import Path
from typing import Any, Callable, Iterator, Literal, cast

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.dml import Insert

from .errors import Invalid
from .i18n import N_

MIGRATIONS = Path(__file__).with_name("migrations")


def normalise_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class WriterLock:
    """The queue SQLite writers wait in: a lock for the threads of this process, then an
    exclusive flock on `<database>.lock` for the other processes on the same file.

    SQLite's own busy handler sleeps in growing steps (up to 100 ms) and is not woken when
    the lock frees; a blocked flock is woken by the kernel at once, so several workers can
    share one SQLite file and a write waits only for the writes ahead of it."""

    def __init__(self, database: str | None) -> None:
        self._threads = threading.Lock()
        self._file = os.open(database + ".lock", os.O_RDWR | os.O_CREAT, 0o600) if database else None
        if self._file is not None:
            weakref.finalize(self, os.close, self._file)

    def __enter__(self) -> None:
        self.acquire(blocking=True)

    def acquire(self, *, blocking: bool) -> bool:
        """Take the lock; without `blocking`, only if that needs no wait (False otherwise)."""
        if not self._threads.acquire(blocking=blocking):
            return False
        if self._file is not None:
            try:
                fcntl.flock(self._file, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self._threads.release()
                return False
            except BaseException:
                self._threads.release()
                raise
        return True

    def __exit__(self, *_exc: object) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
        self._threads.release()


_WRITER_LOCKS: weakref.WeakKeyDictionary[Engine, WriterLock] = weakref.WeakKeyDictionary()
_AUTOCOMMIT: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def make_engine(url: str, *, role: Literal["write", "read", "autocommit"] = "write") -> Engine:
    """An engine for one role. "write" (the default): transactions, which on SQLite take the
    write lock at BEGIN; it gets an "autocommit" sibling for `single_statement` and
    `single_read`. "read": transactions that on SQLite take a snapshot and no lock (WAL lets
    them run beside a writer); on PostgreSQL, autocommit (one round trip per read).
    "autocommit": no BEGIN and COMMIT at all; each statement is its own transaction.

    A PostgreSQL process keeps at most 24 connections (two pools of 8 here, 8 in
    AsyncStatements), so 4 workers stay inside the server's default max_connections of 100."""
    url = normalise_url(url)
    if not url.startswith("sqlite"):
        pool = {"pool_size": 4, "max_overflow": 4}
        if role == "write":
            engine = create_engine(url, **pool)
            _AUTOCOMMIT[engine] = create_engine(url, isolation_level="AUTOCOMMIT", **pool)
            return engine
        return create_engine(url, isolation_level="AUTOCOMMIT", **pool)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                           pool_size=10, max_overflow=40)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # autocommit; transactions are our own BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    if role == "autocommit":
        return engine
    begin = "BEGIN" if role == "read" else "BEGIN IMMEDIATE"

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:  # type: ignore[no-untyped-def]
        connection.exec_driver_sql(begin)

    if role == "write":
        file = engine.url.database
        _WRITER_LOCKS[engine] = WriterLock(None if not file or file == ":memory:" else str(Path(file).resolve()))
        _AUTOCOMMIT[engine] = make_engine(url, role="autocommit")
    return engine


def reader_for(engine: Engine) -> Engine:
    """The engine for reads beside a write engine (see make_engine's "read")."""
    if engine.dialect.name != "sqlite":
        return _AUTOCOMMIT[engine]
    reader = make_engine(engine.url.render_as_string(hide_password=False), role="read")
    _AUTOCOMMIT[reader] = _AUTOCOMMIT[engine]
    return reader


def dispose(*engines: Engine) -> None:
    """Close the pooled connections of these engines and of their autocommit siblings."""
    for engine in engines:
        engine.dispose()
        sibling = _AUTOCOMMIT.get(engine)
        if sibling is not None:
            sibling.dispose()


@contextlib.contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction: committed when the block ends, rolled back if it raises. On
    SQLite it waits its turn in the engine's WriterLock, held from BEGIN to the commit only
    (the pool's checkout and return stay outside it)."""
    lock = _WRITER_LOCKS.get(engine)
    with engine.connect() as db, lock or contextlib.nullcontext(), db.begin():
        yield db


@contextlib.contextmanager
def single_read(engine: Engine) -> Iterator[Connection]:
    """A connection for one read statement, which sees one snapshot by itself: no BEGIN and
    COMMIT around it (on SQLite a third of a session lookup's time)."""
    with _AUTOCOMMIT.get(engine, engine).connect() as db:
        yield db


@contextlib.contextmanager
def single_statement(engine: Engine) -> Iterator[Connection]:
    """A connection for one write statement that is its own transaction (atomic as any
    single statement is): no BEGIN and COMMIT around it, so on PostgreSQL one round trip
    instead of three. On SQLite it still waits its turn in the WriterLock."""
    lock = _WRITER_LOCKS.get(engine)
    with _AUTOCOMMIT[engine].connect() as db, lock or contextlib.nullcontext():
        yield db


@contextlib.contextmanager
def _unlocked_statement(engine: Engine) -> Iterator[Connection]:
    """`single_statement` for a caller that holds the engine's WriterLock already."""
    with _AUTOCOMMIT[engine].connect() as db:
        yield db


class AsyncStatements:
    """One statement, its own transaction, awaited from async code (`run`).

    On PostgreSQL it goes to psycopg's async connection pool directly, the statement compiled
    once for psycopg: the worker's event loop serves other requests while the round trip and
    the commit's WAL flush are under way, and SQLAlchemy's per-call work is skipped. That
    doubled sign-ins on PostgreSQL (~1,200 -> ~2,300/s, 2 workers); SQLAlchemy's own asyncio
    engine did worse than the blocking call. On SQLite (in process, no round trips) it is
    `single_statement` or `single_read`, run inline when the WriterLock is free at once (the
    usual case: no thread hop), in a worker thread when it is not, so a writer of another
    process holding the lock never stalls this process's event loop."""

    def __init__(self, engine: Engine, *, max_size: int = 8) -> None:
        self.engine = engine
        self._sql: dict[tuple[Executable, frozenset[str]], str] = {}
        self._pool = None
        if engine.dialect.name == "postgresql":
            from psycopg_pool import AsyncConnectionPool

            conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            self._pool = AsyncConnectionPool(conninfo, min_size=1, max_size=max_size, open=False,
                                             kwargs={"autocommit": True})
        self._opened = False

    async def run(self, statement: Executable, params: dict[str, object], *,
                  write: bool = True) -> tuple[int, tuple[Any, ...] | None]:
        """(rows affected, the first row returned or None). A write on SQLite waits its turn
        in the WriterLock, as `single_statement` does; a read takes no lock (`single_read`)."""
        if self._pool is None:
            if not write:
                return self._inline(single_read, statement, params)
            lock = _WRITER_LOCKS.get(self.engine)
            if lock is None or not lock.acquire(blocking=False):
                return await asyncio.to_thread(self._inline, single_statement, statement, params)
            try:
                return self._inline(_unlocked_statement, statement, params)
            finally:
                lock.__exit__()
        if not self._opened:  # opened by the app's lifespan; here for apps run without one
            await self.open()
        async with self._pool.connection() as connection:
            cursor = await connection.execute(self._compiled(statement, params), params)
            return cursor.rowcount, await cursor.fetchone() if cursor.description else None

    def _inline(self, connect: Callable[[Engine], contextlib.AbstractContextManager[Connection]],
                statement: Executable, params: dict[str, object]) -> tuple[int, tuple[Any, ...] | None]:
        with connect(self.engine) as db:
            result = db.execute(statement, params)
            row = result.first() if result.returns_rows else None
            return result.rowcount, None if row is None else tuple(row)

    def _compiled(self, statement: Executable, params: dict[str, object]) -> str:
        key = (statement, frozenset(params))  # statements are module constants, built once
        if key not in self._sql:
            clause = cast(ClauseElement, statement)  # Core statements are both
            self._sql[key] = str(clause.compile(dialect=self.engine.dialect, column_keys=list(params)))
        return self._sql[key]

    async def open(self) -> None:
        if self._pool is not None and not self._opened:
            self._opened = True
            await self._pool.open()

    async def close(self) -> None:
        if self._pool is not None and self._opened:
            self._opened = False
            await self._pool.close()


def storable(value: str, *, what: str) -> str:
    """`value`, if both databases can store it (PostgreSQL's text cannot hold U+0000); else
    Invalid naming `what`. The domain modules pass every text they store through it."""
    if "\x00" in value:
        raise Invalid(N_("%(what)s contains a NUL character (U+0000), which cannot be stored: remove it"), what=what)
    return value


class InsertIgnore:
    """INSERT that does nothing when the row is already there (another request made it),
    built once per dialect; `statement.on(db)` picks the one for a connection."""

    def __init__(self, table: Table) -> None:
        self._by_dialect: dict[str, Insert] = {
            "postgresql": postgresql.insert(table).on_conflict_do_nothing(),
            "sqlite": sqlite.insert(table).on_conflict_do_nothing(),
        }

    def on(self, db: Connection) -> Insert:
        return self._by_dialect[db.dialect.name]


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision`; safe to run at every start and from several processes."""
    command.upgrade(alembic_config(engine), revision)
