"""`qa-service backup` and `qa-service restore`: a consistent copy of the database, taken
while the service runs, and brought back into an empty database.

SQLite: the online backup API (sqlite3's `Connection.backup`), which copies a snapshot page
by page beside running writers; the copy is a SQLite file, written beside its final name and
renamed into place when complete. PostgreSQL: `pg_dump --format=custom` of the service's
schema (one snapshot, writers unhindered) and `pg_restore`; both are PostgreSQL's own
client tools, needed on PATH. A restore refuses a database that holds any table already,
so it never mixes two histories.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url

from .db import normalise_url
from .errors import ServiceError


class BackupError(ServiceError):
    """Why a backup or restore cannot be done, in one line, with what to do."""


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(parsed.database)


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not on PATH: install PostgreSQL's client tools (Debian: apt-get install "
                          f"postgresql-client), the version of the server or newer")
    return found


def _libpq(url: str) -> tuple[str, str | None]:
    """(a libpq connection URI, the schema named by its search_path option, if any)."""
    parsed = make_url(normalise_url(url)).set(drivername="postgresql")
    options = str(parsed.query.get("options", ""))
    schema = options.split("search_path=", 1)[1].split(",")[0].split()[0] if "search_path=" in options else None
    return parsed.render_as_string(hide_password=False), schema


def backup(url: str, out: Path) -> str:
    """Write a consistent copy of the database at `url` to `out` (which must not exist);
    returns a one-line summary."""
    if out.exists():
        raise BackupError(f"{out} exists already: name a new file (a backup never overwrites one)")
    database = _sqlite_file(url)
    partial = out.with_name(out.name + ".partial")
    if database is not None:
        if not database.exists():
            raise BackupError(f"{database} does not exist: nothing to back up (check QA_DATABASE_URL)")
        source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        target = sqlite3.connect(partial)
        try:
            source.backup(target, pages=1024)  # a step at a time: writers are held up only per step
        finally:
            target.close()
            source.close()
        partial.rename(out)
        return f"SQLite backup of {database} written to {out} ({out.stat().st_size} bytes)"
    uri, schema = _libpq(url)
    command = [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(partial), *(["--schema", schema] if schema else []), uri]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}")
    partial.rename(out)
    return f"PostgreSQL backup{f' of schema {schema}' if schema else ''} written to {out} ({out.stat().st_size} bytes, pg_dump custom format)"


def restore(url: str, source: Path, engine: Engine) -> str:
    """Bring the backup `source` into the empty database at `url` (`engine` is bound to it)."""
    if not source.is_file():
        raise BackupError(f"{source} is not a file: name a backup made by `qa-service backup`")
    tables = inspect(engine).get_table_names()
    if tables:
        raise BackupError(f"the database at QA_DATABASE_URL is not empty ({len(tables)} tables, e.g. {sorted(tables)[0]}): "
                          "restore into a new, empty database, then point QA_DATABASE_URL at it")
    database = _sqlite_file(url)
    if database is not None:
        with source.open("rb") as head:
            if head.read(16) != b"SQLite format 3\x00":
                raise BackupError(f"{source} is not a SQLite backup (a PostgreSQL one restores into PostgreSQL)")
        engine.dispose()
        origin = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        target = sqlite3.connect(database)
        try:
            origin.backup(target)
        finally:
            target.close()
            origin.close()
        with engine.connect() as db:
            version = db.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
        return f"restored {source} into {database} (schema version {version})"
    uri, _schema = _libpq(url)
    command = [_pg_tool("pg_restore"), "--no-owner", "--exit-on-error", "--single-transaction", "--dbname", uri, str(source)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed, nothing restored: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}")
    return f"restored {source} into the PostgreSQL database"
