"""Engine, sessions and schema migrations (Alembic). SQLite by default, with WAL, foreign
keys and IMMEDIATE transactions so concurrent writers queue instead of failing;
PostgreSQL through psycopg 3 when the URL says postgresql://."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import weakref
from pathlib import Path
from typing import Iterator

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

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
        self._threads.acquire()
        if self._file is not None:
            try:
                fcntl.flock(self._file, fcntl.LOCK_EX)
            except BaseException:
                self._threads.release()
                raise

    def __exit__(self, *_exc: object) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
        self._threads.release()


_WRITER_LOCKS: weakref.WeakKeyDictionary[Engine, WriterLock] = weakref.WeakKeyDictionary()


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    """read_only: an engine for reads, whose SQLite transactions take no write lock (WAL
    lets them run beside a writer); on PostgreSQL it is an ordinary engine."""
    url = normalise_url(url)
    if not url.startswith("sqlite"):
        return create_engine(url, pool_size=10, max_overflow=20)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                           pool_size=10, max_overflow=40)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    # Reads take a snapshot and no lock (WAL lets them run beside a writer); a write
    # transaction takes SQLite's write lock at BEGIN, so it never fails half-way to upgrade.
    begin = "BEGIN" if read_only else "BEGIN IMMEDIATE"

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:  # type: ignore[no-untyped-def]
        connection.exec_driver_sql(begin)

    if not read_only:
        file = engine.url.database
        _WRITER_LOCKS[engine] = WriterLock(None if not file or file == ":memory:" else str(Path(file).resolve()))
    return engine


@contextlib.contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction: committed when the block ends, rolled back if it raises. On
    SQLite it first waits its turn in the engine's WriterLock, released after the commit."""
    lock = _WRITER_LOCKS.get(engine)
    with lock or contextlib.nullcontext(), engine.begin() as db:
        yield db


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
