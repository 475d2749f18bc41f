"""`qa-service serve` behind a reverse proxy on the same machine: the per-IP limit counts the
reader's address from X-Forwarded-For, and only a trusted proxy (127.0.0.1) may set it."""

from __future__ import annotations

from pathlib import Path

import httpx

from .servers import SECRET_KEY, free_port, service


def test_per_ip_limit_sees_the_reader_behind_a_local_proxy(tmp_path: Path) -> None:
    port = free_port()
    env = {"QA_DATABASE_URL": f"sqlite:///{tmp_path / 'qa.sqlite3'}", "QA_DOMAIN": f"127.0.0.1:{port}",
           "QA_URI": f"http://127.0.0.1:{port}", "QA_SECRET_KEY": SECRET_KEY, "QA_RATE_IP_PER_MINUTE": "3"}
    with service(env, port) as base:
        def status(reader: str, client: httpx.Client) -> int:
            return client.get(f"{base}/openapi.json", headers={"X-Forwarded-For": reader}).status_code

        with httpx.Client() as proxy:  # connects from 127.0.0.1, the address uvicorn trusts
            assert [status("203.0.113.7", proxy) for _ in range(4)] == [200, 200, 200, 429]
            assert status("198.51.100.9", proxy) == 200, "another reader behind the same proxy has his own limit"
        stranger = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"))
        with stranger:  # not the proxy: what it says in X-Forwarded-For is ignored
            assert [status(f"192.0.2.{i}", stranger) for i in range(4)] == [200, 200, 200, 429]
