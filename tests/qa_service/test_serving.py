"""`qa-service serve` limits what a connection may hold before the app sees a request: header
size (431), header time (408, slowloris), open connections (503), on a real server process."""

from __future__ import annotations

import secrets
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx

from .conftest import ORIGIN
from .servers import service

HEAD = b"GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n"


def env(tmp_path: Path, **limits: str) -> dict[str, str]:
    return {"QA_DATABASE_URL": f"sqlite:///{tmp_path / 'qa.sqlite3'}", "QA_URI": ORIGIN, "QA_DOMAIN": ORIGIN.split("//")[1],
            "QA_SECRET_KEY": secrets.token_hex(32), "QA_RATE_IP_PER_MINUTE": "0", **limits}


def connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return data


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_headers_over_the_cap_are_431_and_ordinary_ones_pass(tmp_path: Path) -> None:
    with service(env(tmp_path, QA_MAX_HEADER_BYTES="16384")) as url:
        with connect(url) as sock:
            sock.sendall(HEAD + b"X-Padding: " + b"a" * 20_000 + b"\r\n\r\n")
            refused = answer(sock)
        assert refused.startswith(b"HTTP/1.1 431 ") and b"16384 bytes" in refused
        assert httpx.get(f"{url}/openapi.json", headers={"X-Padding": "a" * 8000}).status_code == 200


def test_a_slow_or_silent_connection_is_closed_after_the_header_timeout(tmp_path: Path) -> None:
    with service(env(tmp_path, QA_HEADER_TIMEOUT_SECONDS="1")) as url:
        with connect(url) as slow, connect(url) as silent:
            started = time.monotonic()
            slow.sendall(b"GET /openapi.json HTTP/1.1\r\n")
            for _ in range(3):  # a header line now and then, never the end (slowloris)
                time.sleep(0.3)
                try:
                    slow.sendall(b"X-A: b\r\n")
                except OSError:
                    break
            refused = answer(slow)
            assert refused.startswith(b"HTTP/1.1 408 ") and time.monotonic() - started < 5
            assert answer(silent) == b"" and time.monotonic() - started < 5, "a connection that never asks is closed too"
        with connect(url) as sock:  # a request sent at once is unaffected
            sock.sendall(HEAD + b"Connection: close\r\n\r\n")
            assert answer(sock).startswith(b"HTTP/1.1 200 ")


def test_connections_past_the_cap_are_refused_at_once(tmp_path: Path) -> None:
    with service(env(tmp_path, QA_MAX_CONNECTIONS="20")) as url:
        held = [connect(url) for _ in range(20)]
        time.sleep(0.5)
        extra = [connect(url) for _ in range(10)]
        try:
            refused = [answer(sock) for sock in extra]
            assert all(r.startswith(b"HTTP/1.1 503 ") for r in refused), refused[:2]
        finally:
            for sock in held + extra:
                sock.close()
        time.sleep(0.5)
        assert httpx.get(f"{url}/openapi.json").status_code == 200, "room again once they closed"


def test_ninety_slow_ten_megabyte_headers_leave_memory_flat(tmp_path: Path) -> None:
    """Before the cap, 90 connections sending unfinished 10 MB headers took the server from
    107 MB to 1,012 MB. Now each is refused after its first 16 KB."""
    started: list[subprocess.Popen[str]] = []
    with service(env(tmp_path), started=started) as url:
        pid = started[0].pid
        before = rss_mb(pid)
        peak = before
        done = threading.Event()

        def slow_header() -> None:
            with connect(url) as sock:
                try:
                    sock.sendall(HEAD + b"X-Big: ")
                    for _ in range(10):  # 10 MB, a megabyte at a time, never finished
                        sock.sendall(b"a" * 1_000_000)
                        time.sleep(0.2)
                except OSError:
                    return
                done.wait(10)

        clients = [threading.Thread(target=slow_header) for _ in range(90)]
        for thread in clients:
            thread.start()
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            peak = max(peak, rss_mb(pid))
            time.sleep(0.1)
        done.set()
        for thread in clients:
            thread.join()
        assert httpx.get(f"{url}/openapi.json").status_code == 200
    print(f"server RSS {before:.0f} MB before, {peak:.0f} MB at most under 90 slow 10 MB headers")
    assert peak - before < 60, f"{before:.0f} MB -> {peak:.0f} MB"
