"""Engine, sessions and schema migrations (Alembic). SQLite by default, with WAL, foreign
keys and IMMEDIATE transactions so concurrent writers queue instead of failing;
PostgreSQL through psycopg 3 when the URL says postgresql://."""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

MIGRATIONS = Path(__file__).with_name("migrations")


def normalise_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    """read_only: an engine for reads, whose SQLite transactions take no write lock (WAL
    lets them run beside a writer); on PostgreSQL it is an ordinary engine."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
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

        # Writers in this process queue on a fair lock instead of SQLite's busy handler,
        # which sleeps in growing steps (up to 100 ms) and is not woken when the lock frees.
        writer = threading.Lock()

        if read_only:

            @event.listens_for(engine, "begin")
            def _begin_deferred(connection) -> None:  # type: ignore[no-untyped-def]
                connection.exec_driver_sql("BEGIN")

            return engine

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection) -> None:  # type: ignore[no-untyped-def]
            writer.acquire()
            connection.info["holds_writer"] = True
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                connection.info.pop("holds_writer", None)
                writer.release()
                raise

        @event.listens_for(engine, "commit")
        @event.listens_for(engine, "rollback")
        def _end(connection) -> None:  # type: ignore[no-untyped-def]
            if connection.info.pop("holds_writer", False):
                writer.release()

        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def insert_ignore(db: Connection, model: type) -> Insert:
    """INSERT that does nothing when the row is already there (another request made it)."""
    if db.dialect.name == "postgresql":
        return postgresql.insert(model).on_conflict_do_nothing()
    return sqlite.insert(model).on_conflict_do_nothing()


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision`; safe to run at every start and from several processes."""
    command.upgrade(alembic_config(engine), revision)
