"""`qa-service backup` under concurrent writes to a running service, then `qa-service restore`
into an empty database: every write acknowledged before the backup began is there, on SQLite
and on PostgreSQL; a non-empty database is refused."""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from eth_account import Account
from sqlalchemy import select

from qa_service.cli import main
from qa_service.db import dispose, make_engine
from qa_service.models import QUESTIONS

from .conftest import ORIGIN, PG_SERVER, http_sign_in
from .servers import service


@contextlib.contextmanager
def empty_database(db_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(URL to restore into, URL the service then reads): a new SQLite file, or a new
    PostgreSQL database (the dump recreates its schema there)."""
    if db_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        yield url, url
        return
    import psycopg

    name = "restore_" + secrets.token_hex(6)
    with psycopg.connect(PG_SERVER, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    try:
        target = PG_SERVER.rsplit("/", 1)[0] + "/" + name
        yield target, target + "?" + db_url.split("?", 1)[1]
    finally:
        with psycopg.connect(PG_SERVER, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE {name} WITH (FORCE)")


def test_backup_under_write_load_then_restore_finds_every_acknowledged_write(
        db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    env = {"QA_DATABASE_URL": db_url, "QA_URI": ORIGIN, "QA_DOMAIN": ORIGIN.split("//")[1],
           "QA_SECRET_KEY": secrets.token_hex(32), "QA_RATE_IP_PER_MINUTE": "0", "QA_RATE_ADDRESS_PER_MINUTE": "0",
           "QA_RATE_NONCE_PER_MINUTE": "0"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    acknowledged: list[tuple[float, int]] = []
    stop = threading.Event()
    out = tmp_path / "qa.backup"
    with service(env) as url:
        def write(token: str) -> None:
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
                while not stop.is_set():
                    response = client.post("/api/questions", json={"text": f"q {secrets.token_hex(4)}", "consent_to_training": True})
                    assert response.status_code == 201, response.text
                    acknowledged.append((time.monotonic(), int(response.json()["id"])))

        writers = [threading.Thread(target=write, args=(http_sign_in(url, Account.create()),)) for _ in range(4)]
        for thread in writers:
            thread.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < 30 and time.monotonic() < deadline:  # under load, however slow the machine
            time.sleep(0.1)
        began = time.monotonic()
        assert main(["backup", "--out", str(out)]) == 0
        assert "backup" in capsys.readouterr().out
        time.sleep(0.5)  # writes go on after it
        stop.set()
        for thread in writers:
            thread.join()
    before = {qid for at, qid in acknowledged if at < began}
    assert len(before) > 20, "the backup was taken under load"

    assert main(["backup", "--out", str(out)]) == 1 and "exists already" in capsys.readouterr().err
    assert main(["restore", str(out)]) == 1 and "not empty" in capsys.readouterr().err, "never into a database in use"
    with empty_database(db_url, tmp_path) as (target, served):
        monkeypatch.setenv("QA_DATABASE_URL", target)
        assert main(["restore", str(out)]) == 0, capsys.readouterr().err
        engine = make_engine(served)
        with engine.connect() as db:
            restored = {row.id for row in db.execute(select(QUESTIONS.c.id))}
        dispose(engine)
    missing = before - restored
    assert not missing, f"{len(missing)} acknowledged writes missing from the restored copy"
    assert restored <= {qid for _at, qid in acknowledged}, "nothing half-written or invented"
    print(f"{len(before)} writes acknowledged before the backup, {len(restored)} in it, {len(acknowledged)} in all")


def test_without_pg_dump_a_postgresql_backup_is_one_clear_line(pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    from qa_service import backup

    monkeypatch.setenv("QA_DATABASE_URL", pg_url)
    monkeypatch.setenv("QA_SECRET_KEY", secrets.token_hex(32))
    monkeypatch.setattr(backup.shutil, "which", lambda _name: None)
    assert main(["backup", "--out", str(tmp_path / "b")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pg_dump is not on PATH" in err and "postgresql-client" in err
    assert not (tmp_path / "b").exists()
