"""Real service processes on 127.0.0.1 for the tests that need them."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from typing import Iterator

import httpx

from qa_service.settings import new_secret

SECRET_KEY = new_secret()  # QA_SECRET_KEY for this test run: 32 random bytes, as the service demands


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def service(env: dict[str, str], port: int | None = None, *, workers: int = 1) -> Iterator[str]:
    """`qa-service serve` in its own process; yields its base URL, stops it afterwards."""
    port = port or free_port()
    full_env = {**os.environ, **env}
    log = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "qa_service", "serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--workers", str(workers)],
        env=full_env, stdout=log, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"qa-service exited: {log.read()}")
            try:
                if httpx.get(f"{url}/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("qa-service did not start within 30 s")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@contextlib.contextmanager
def postgres_schema(server: str, prefix: str = "t_") -> Iterator[str]:
    """A URL of `server` whose search_path is a fresh schema, dropped afterwards."""
    import secrets

    import psycopg

    schema = prefix + secrets.token_hex(6)
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{server}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")
