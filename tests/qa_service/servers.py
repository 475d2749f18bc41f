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
def service(env: dict[str, str], port: int | None = None, *, workers: int = 1,
            started: list[subprocess.Popen[str]] | None = None) -> Iterator[str]:
    """`qa-service serve` in its own process; yields its base URL, stops it afterwards.
    `started`, when given, receives the process (for its pid)."""
    port = port or free_port()
    full_env = {**os.environ, **env}
    log = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "qa_service", "serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--workers", str(workers)],
        env=full_env, stdout=log, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    if started is not None:
        started.append(process)
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


class ModelServer:
    """`transformers serve` (the `transformers[serving]` extra) in its own process on a free
    127.0.0.1 port: the OpenAI-compatible server the automaton talks to. Offline (HF_HUB_OFFLINE),
    it serves any local model folder a request names as its `model`; `kill()` ends it with
    SIGKILL, as a crash would, and `start()` brings it back on the same port."""

    def __init__(self, cwd: str, port: int | None = None) -> None:
        self.cwd, self.port = cwd, port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[str] | None = None
        self.log = tempfile.NamedTemporaryFile(mode="w+", prefix="transformers-serve-", suffix=".log", delete=False)
        self.started_in = 0.0  # seconds from spawn to a /health answer, the last start

    @staticmethod
    def command() -> str | None:
        """The venv's `transformers` console script, or None when transformers is not installed."""
        script = os.path.join(os.path.dirname(sys.executable), "transformers")
        return script if os.access(script, os.X_OK) else None

    def start(self, timeout: float = 120) -> None:
        script = self.command()
        assert script, "transformers is not installed"
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
               "OMP_NUM_THREADS": "1"}  # two cores, shared: one thread generates
        began = time.monotonic()
        self.process = subprocess.Popen([script, "serve", "--host", "127.0.0.1", "--port", str(self.port),
                                         "--log-level", "warning", "--default-seed", "0"],
                                        cwd=self.cwd, env=env, stdout=self.log, stderr=subprocess.STDOUT, text=True)
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"transformers serve exited ({self.process.returncode}): {self.output()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() - began > timeout:
                raise RuntimeError(f"transformers serve did not answer /health within {timeout} s: {self.output()}")
            time.sleep(0.2)
        self.started_in = time.monotonic() - began

    def received(self) -> int:
        """Chat completion requests the server has begun to answer, over every start."""
        self.log.flush()
        with open(self.log.name, encoding="utf-8", errors="replace") as log:
            return log.read().count("[Request received]")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # SIGKILL: no goodbye, as when the machine runs out of memory
        if self.process is not None:
            self.process.wait()

    def output(self) -> str:
        self.log.flush()
        with open(self.log.name, encoding="utf-8", errors="replace") as log:
            return log.read()[-4000:]

    def close(self) -> None:
        self.kill()
        self.log.close()
        os.unlink(self.log.name)
