"""Load on the Q&A service over loopback: sign-in verifications and question submissions
per second with p50/p99 latency, then p99 at a fixed rate of half the measured maximum.
Runs on SQLite, then PostgreSQL (127.0.0.1:5432, database test, a throw-away schema).

    .venv/bin/python bench/qa_load.py [--quick] [--workers N] [--backends sqlite,postgresql]

Every loop is bounded in count and time; the service processes are stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from eth_account import Account
from eth_account.messages import encode_defunct

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qa_service import auth  # noqa: E402
from qa_service.settings import Settings  # noqa: E402
from tests.qa_service.servers import free_port, service  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432/test"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


async def burst(make_request, count: int, concurrency: int) -> tuple[float, list[float], int]:  # type: ignore[no-untyped-def]
    """Send `count` requests with `concurrency` in flight; (requests/s, latencies, failures)."""
    latencies: list[float] = []
    failures = 0
    queue = iter(range(count))

    async def worker() -> None:
        nonlocal failures
        for index in queue:
            start = time.perf_counter()
            response = await make_request(index)
            latencies.append(time.perf_counter() - start)
            if response.status_code >= 400:
                failures += 1

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return count / (time.perf_counter() - began), latencies, failures


async def paced(make_request, rate: float, seconds: float) -> tuple[list[float], int]:  # type: ignore[no-untyped-def]
    """Open-loop requests at a fixed rate: latency as a user at that load sees it."""
    latencies: list[float] = []
    failures = 0
    tasks = []

    async def one(index: int) -> None:
        nonlocal failures
        start = time.perf_counter()
        response = await make_request(index)
        latencies.append(time.perf_counter() - start)
        failures += response.status_code >= 400

    began = time.perf_counter()
    for index in range(int(rate * seconds)):
        delay = began + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(index)))
    await asyncio.gather(*tasks)
    return latencies, failures


async def drive(url: str, settings: Settings, *, count: int, concurrency: int, paced_seconds: float) -> dict[str, float]:
    limits = httpx.Limits(max_connections=concurrency * 2, max_keepalive_connections=concurrency * 2)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        nonces = [(await client.get("/api/auth/nonce")).json()["nonce"] for _ in range(count * 2)]
        accounts = [Account.create() for _ in range(count)]
        now = dt.datetime.now(dt.timezone.utc)
        bodies = []
        for account, nonce in zip(accounts * 2, nonces, strict=True):
            text = auth.message_for(account.address, nonce, settings=settings, now=now).to_text()
            signature = "0x" + account.sign_message(encode_defunct(text=text)).signature.hex().removeprefix("0x")
            bodies.append({"message": text, "signature": signature})
        tokens: list[str] = [""] * count

        async def verify(index: int) -> httpx.Response:
            response = await client.post("/api/auth/verify", json=bodies[index])
            if response.status_code == 200:
                tokens[index] = response.json()["token"]
            return response

        verify_rate, verify_lat, verify_fail = await burst(verify, count, concurrency)

        async def question(index: int) -> httpx.Response:
            return await client.post("/api/questions", json={"text": f"Question {index}: " + "why? " * 40,
                                                             "consent_to_training": True},
                                     headers={"Authorization": f"Bearer {tokens[index % count]}"})

        ask_rate, ask_lat, ask_fail = await burst(question, count, concurrency)
        paced_lat, paced_fail = await paced(question, ask_rate / 2, paced_seconds)

        async def verify_more(index: int) -> httpx.Response:
            return await client.post("/api/auth/verify", json=bodies[count + index])

        vpaced_lat, vpaced_fail = await paced(verify_more, min(verify_rate / 2, count / paced_seconds), paced_seconds)
    return {
        "verify/s": verify_rate, "verify p50": percentile(verify_lat, 0.5), "verify p99": percentile(verify_lat, 0.99),
        "verify p99 @ half": percentile(vpaced_lat, 0.99),
        "ask/s": ask_rate, "ask p50": percentile(ask_lat, 0.5), "ask p99": percentile(ask_lat, 0.99),
        "ask p99 @ half": percentile(paced_lat, 0.99),
        "failures": verify_fail + ask_fail + paced_fail + vpaced_fail,
    }


def wrk_run(base: str, lines: list[str], *, connections: int, seconds: int) -> dict[str, float]:
    """Drive the service with wrk (C, so the client is not the bottleneck) replaying `lines`."""
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as handle:
        handle.write("\n".join(lines) + "\n")
    threads = 2
    result = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s",
         str(Path(__file__).with_name("wrk_replay.lua")), base, "--", handle.name, str(threads)],
        capture_output=True, text=True, timeout=seconds + 60,
    )
    os.unlink(handle.name)
    text = result.stdout

    def millis(label: str) -> float:
        match = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)", text, re.M)
        if not match:
            return float("nan")
        return float(match.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]

    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    total = int(re.search(r"(\d+) requests in", text).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return {"rate": rate, "p50": millis("50%"), "p99": millis("99%"), "requests": total,
            "failures": int(bad.group(1)) if bad else 0, "lines": len(lines)}


def signed_lines(client: httpx.Client, settings: Settings, count: int) -> tuple[list[str], list[Account]]:
    accounts = [Account.create() for _ in range(count)]
    now = dt.datetime.now(dt.timezone.utc)
    lines = []
    for account in accounts:
        nonce = client.get("/api/auth/nonce").json()["nonce"]
        text = auth.message_for(account.address, nonce, settings=settings, now=now).to_text()
        signature = "0x" + account.sign_message(encode_defunct(text=text)).signature.hex().removeprefix("0x")
        lines.append("POST\t/api/auth/verify\t-\t" + json.dumps({"message": text, "signature": signature}))
    return lines, accounts


def wrk_suite(base: str, settings: Settings, *, quick: bool) -> dict[str, dict[str, float]]:
    """Verifications/s and questions/s at full load (64 connections), then at light load (4)."""
    seconds = 3 if quick else 8
    count = 1500 if quick else 5000
    out: dict[str, dict[str, float]] = {}
    with httpx.Client(base_url=base, timeout=30) as client:
        for label, connections in (("verify", 64), ("verify light", 4)):
            lines, _ = signed_lines(client, settings, count)
            out[label] = wrk_run(base, lines, connections=connections, seconds=seconds)
        bodies, accounts = signed_lines(client, settings, 50)
        tokens = [client.post("/api/auth/verify", content=line.split("\t", 3)[3],
                              headers={"Content-Type": "application/json"}).json()["token"] for line in bodies]
    question = json.dumps({"text": "Why write for a machine? " * 8, "consent_to_training": True})
    lines = [f"POST\t/api/questions\t{tokens[i % len(tokens)]}\t{question}" for i in range(len(tokens))]
    out["ask"] = wrk_run(base, lines, connections=64, seconds=seconds)
    out["ask light"] = wrk_run(base, lines, connections=4, seconds=seconds)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="a short run (about 10 s per backend)")
    parser.add_argument("--workers", type=int, default=None,
                        help="uvicorn workers (default: 1 on SQLite, whose writers serialise anyway; 2 on PostgreSQL)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    count = 300 if args.quick else 2000
    rows = []
    wrk_rows: list[tuple[str, dict[str, dict[str, float]]]] = []
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory() as folder:
            schema = None
            if backend == "sqlite":
                url = f"sqlite:///{folder}/qa.sqlite3"
            else:
                import psycopg

                schema = "bench_" + secrets.token_hex(4)
                with psycopg.connect(PG, autocommit=True) as connection:
                    connection.execute(f"CREATE SCHEMA {schema}")
                url = f"{PG}?options=-csearch_path%3D{schema}"
            port = free_port()
            env = {"QA_DATABASE_URL": url, "QA_DOMAIN": f"127.0.0.1:{port}", "QA_URI": f"http://127.0.0.1:{port}",
                   "QA_SECRET_KEY": "bench", "QA_RATE_IP_PER_MINUTE": "0", "QA_RATE_NONCE_PER_MINUTE": "0",
                   "QA_RATE_ADDRESS_PER_MINUTE": "0", "QA_NONCE_TTL_SECONDS": "3600"}
            settings = Settings(database_url=url, domain=env["QA_DOMAIN"], uri=env["QA_URI"], nonce_ttl_seconds=3600)
            os.environ.pop("QA_ADMIN_ADDRESSES", None)
            try:
                workers = args.workers or (1 if backend == "sqlite" else 2)
                with service(env, port, workers=workers) as base:
                    if shutil.which("wrk"):
                        wrk_rows.append((f"{backend} ({workers} worker{'s' if workers > 1 else ''})",
                                         wrk_suite(base, settings, quick=args.quick)))
                    result = asyncio.run(drive(base, settings, count=count, concurrency=args.concurrency,
                                               paced_seconds=3 if args.quick else 10))
            finally:
                if schema:
                    with psycopg.connect(PG, autocommit=True) as connection:
                        connection.execute(f"DROP SCHEMA {schema} CASCADE")
            rows.append((f"{backend} ({workers} worker{'s' if workers > 1 else ''})", result))
    if wrk_rows:
        print("\nwrk (C client, 2 threads) against uvicorn; each request distinct "
              "(pre-signed messages with fresh nonces, one bearer token per asker)\n")
        print("| backend | load | sign-in verifications/s | p50 ms | p99 ms | question submissions/s | p50 ms | p99 ms | non-2xx |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for backend, r in wrk_rows:
            for load, suffix in (("64 connections", ""), ("4 connections", " light")):
                v, a = r["verify" + suffix], r["ask" + suffix]
                print(f"| {backend} | {load} | {v['rate']:,.0f} | {v['p50']:.1f} | {v['p99']:.1f} | {a['rate']:,.0f} | "
                      f"{a['p50']:.1f} | {a['p99']:.1f} | {v['failures'] + a['failures']:.0f} |")
    print(f"\nPython client (httpx): {args.concurrency} concurrent clients, "
          f"{count} requests per burst, {os.cpu_count()} cores shared by server and clients\n")
    print("| backend | verify/s | p50 ms | p99 ms | p99 ms at half rate | questions/s | p50 ms | p99 ms | p99 ms at half rate | failures |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for backend, r in rows:
        print(f"| {backend} | {r['verify/s']:,.0f} | {r['verify p50']:.1f} | {r['verify p99']:.1f} | {r['verify p99 @ half']:.1f} | "
              f"{r['ask/s']:,.0f} | {r['ask p50']:.1f} | {r['ask p99']:.1f} | {r['ask p99 @ half']:.1f} | {r['failures']:.0f} |")


if __name__ == "__main__":
    main()
