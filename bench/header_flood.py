"""Server memory under a header flood: 90 connections each sending an unfinished 10 MB
header, a megabyte every 0.2 s, against uvicorn as it comes (its httptools protocol, the
peer) and against `qa-service serve` (the same protocol with a header cap, a header deadline
and a connection cap, qa_service/serving.py), in the same run. Prints the server's resident
memory before, at its peak, and after the connections closed.

    .venv/bin/python bench/header_flood.py [--connections 90] [--megabytes 10]
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def flood(port: int, pid: int, *, connections: int, megabytes: int) -> tuple[float, float, float]:
    before = rss_mb(pid)
    stop = threading.Event()

    def one() -> None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
                sock.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
                for _ in range(megabytes):
                    sock.sendall(b"a" * 1_000_000)
                    time.sleep(0.2)
                stop.wait(5)
        except OSError:
            return

    threads = [threading.Thread(target=one) for _ in range(connections)]
    for thread in threads:
        thread.start()
    peak = before
    while any(thread.is_alive() for thread in threads):
        peak = max(peak, rss_mb(pid))
        time.sleep(0.1)
    time.sleep(1)
    return before, peak, rss_mb(pid)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=90)
    parser.add_argument("--megabytes", type=int, default=10)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    env = {**os.environ, "QA_DATABASE_URL": f"sqlite:///{folder}/qa.sqlite3", "QA_SECRET_KEY": secrets.token_hex(32),
           "QA_RATE_IP_PER_MINUTE": "0"}
    servers = {
        "uvicorn (httptools, as it comes)": [sys.executable, "-m", "uvicorn", "qa_service.app:create_app", "--factory",
                                             "--log-level", "warning", "--host", "127.0.0.1", "--port"],
        "qa-service serve": [sys.executable, "-m", "qa_service", "serve", "--log-level", "warning", "--host", "127.0.0.1",
                             "--port"],
    }
    print(f"{args.connections} connections, each an unfinished {args.megabytes} MB header; server RSS in MB")
    for name, command in servers.items():
        port = free_port()
        process = subprocess.Popen([*command, str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            before, peak, after = flood(port, process.pid, connections=args.connections, megabytes=args.megabytes)
            print(f"{name:34} before {before:6.0f}  peak {peak:6.0f}  after {after:6.0f}")
        finally:
            process.terminate()
            process.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
