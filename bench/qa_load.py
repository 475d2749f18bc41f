"""Load on the Q&A service over loopback, driven by wrk (a C client, so the load generator
costs little of the two cores it shares with the server): sign-in verifications/s and
question submissions/s at full load (64 connections), then p50/p99 latency at a fixed rate
of half that maximum (open loop: requests leave on schedule whatever the replies do). Rates count answered
(2xx) requests only. SQLite, then PostgreSQL (127.0.0.1:5432, database test, a throw-away
schema).

    scripts/bench [--quick] [--workers N] [--backends sqlite,postgresql]

Every request is distinct: each sign-in carries its own message, signed in advance over a
nonce the service issued, and more of them than the service can use up in the time (if it
does, the measurement is taken again with twice as many); question submissions cycle over 50
signed-in askers. Needs wrk (scripts/bench installs Debian's). The service processes are stopped at the end.
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
import timeit
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import coincurve
import httpx
from Crypto.Hash import keccak
from eth_account import Account

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qa_service import auth  # noqa: E402
from qa_service.settings import Settings, new_secret  # noqa: E402
from tests.qa_service.servers import free_port, postgres_schema, service  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432/test"
LUA = Path(__file__).with_name("wrk_replay.lua")
THREADS = 2


def personal_sign(key: coincurve.PrivateKey, text: str) -> str:
    """EIP-191 personal_sign with coincurve directly (the bench signs tens of thousands)."""
    message = text.encode()
    digest = keccak.new(digest_bits=256, data=b"\x19Ethereum Signed Message:\n" + str(len(message)).encode() + message).digest()
    signature = key.sign_recoverable(digest, hasher=None)
    return "0x" + (signature[:64] + bytes([signature[64] + 27])).hex()


async def fetch_nonces(base: str, count: int) -> list[str]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        async def some(n: int) -> list[str]:
            return [(await client.get("/api/auth/nonce")).json()["nonce"] for _ in range(n)]

        parts = await asyncio.gather(*(some(count // 16 + 1) for _ in range(16)))
    return [nonce for part in parts for nonce in part][:count]


def sign_in_lines(base: str, settings: Settings, count: int) -> list[str]:
    """`count` replay lines, each a sign-in with its own nonce and signature."""
    keys = [coincurve.PrivateKey(secrets.token_bytes(32)) for _ in range(100)]
    addresses = [Account.from_key(key.secret).address for key in keys]
    now = dt.datetime.now(dt.timezone.utc)
    lines = []
    for i, nonce in enumerate(asyncio.run(fetch_nonces(base, count))):
        text = auth.message_for(addresses[i % 100], nonce, settings=settings, now=now).to_text()
        lines.append("POST\t/api/auth/verify\t-\t" + json.dumps({"message": text, "signature": personal_sign(keys[i % 100], text)}))
    return lines


def wrk(base: str, lines: list[str], *, connections: int, seconds: int, rate: float = 0) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as handle:
        handle.write("\n".join(lines) + "\n")
    try:
        args = ["wrk", f"-t{THREADS}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(LUA), base,
                "--", handle.name, str(THREADS)] + ([str(rate)] if rate else [])
        text = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 120, check=True).stdout
    finally:
        os.unlink(handle.name)

    def millis(label: str) -> float:
        match = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\b", text, re.M)
        return float(match.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)] if match else float("nan")

    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    done = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)\b", text)
    requests, took = int(done.group(1)), float(done.group(2)) * {"ms": 0.001, "s": 1.0, "m": 60.0}[done.group(3)]
    non2xx = int(bad.group(1)) if bad else 0
    # Only answered requests count: a refusal (a sign-in sent twice, say) is cheap and would flatter the rate.
    return {"rate": (requests - non2xx) / took, "p50": millis("50%"), "p99": millis("99%"),
            "requests": requests, "non2xx": non2xx}


def measure(base: str, settings: Settings, *, seconds: int) -> dict[str, dict[str, float]]:
    """Full load, then half of the rate it reached, for sign-ins and for questions."""
    out: dict[str, dict[str, float]] = {}
    count = 3000 * seconds
    while True:  # enough distinct sign-ins that neither wrk thread runs out of its share in the time
        out["verify"] = wrk(base, sign_in_lines(base, settings, count), connections=64, seconds=seconds)
        if not out["verify"]["non2xx"]:  # a thread that ran out sends sign-ins again, which are refused
            break
        count *= 2
    half = out["verify"]["rate"] / 2
    lines = sign_in_lines(base, settings, int(half * seconds * 1.2) + 100)
    out["verify at half"] = wrk(base, lines, connections=32, seconds=seconds, rate=half)

    with httpx.Client(base_url=base, timeout=30) as client:
        tokens = [client.post("/api/auth/verify", content=line.split("\t", 3)[3],
                              headers={"Content-Type": "application/json"}).json()["token"]
                  for line in sign_in_lines(base, settings, 50)]
    question = json.dumps({"text": "Why write for a machine that will one day write like you? " * 4,
                           "consent_to_training": True})
    lines = [f"POST\t/api/questions\t{token}\t{question}" for token in tokens]
    out["ask"] = wrk(base, lines, connections=64, seconds=seconds)
    out["ask at half"] = wrk(base, lines, connections=32, seconds=seconds, rate=out["ask"]["rate"] / 2)
    return out


@contextmanager
def database(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/qa.sqlite3"
        return
    with postgres_schema(PG, prefix="bench_") as url:
        yield url


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="3 s per measurement instead of 8")
    parser.add_argument("--workers", type=int, default=None,
                        help="uvicorn worker processes (default 2: one per core)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("bench/qa_load.py needs wrk: scripts/bench installs it (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    seconds = 3 if args.quick else 8
    rows = []
    for backend in args.backends.split(","):
        with database(backend) as url:
            port = free_port()
            env = {"QA_DATABASE_URL": url, "QA_DOMAIN": f"127.0.0.1:{port}", "QA_URI": f"http://127.0.0.1:{port}",
                   "QA_SECRET_KEY": new_secret(), "QA_RATE_IP_PER_MINUTE": "0", "QA_RATE_NONCE_PER_MINUTE": "0",
                   "QA_RATE_ADDRESS_PER_MINUTE": "0", "QA_NONCE_TTL_SECONDS": "3600", "QA_ADMIN_ADDRESSES": ""}
            settings = Settings(database_url=url, domain=env["QA_DOMAIN"], uri=env["QA_URI"], nonce_ttl_seconds=3600)
            workers = args.workers or 2
            with service(env, port, workers=workers) as base:
                rows.append((f"{backend} ({workers} workers)", measure(base, settings, seconds=seconds)))
    calibration = min(timeit.repeat("sum(range(10000))", number=200, repeat=5)) / 200 * 1e6
    print(f"\n{os.cpu_count()} cores shared by the service (uvicorn workers), its database and wrk "
          f"({THREADS} threads); `sum(range(10000))` takes {calibration:.0f} µs here; {seconds} s per measurement.\n")
    print("| backend | sign-in verifications/s | p50 ms | p99 ms | p99 ms at half rate (rate reached) "
          "| questions/s | p50 ms | p99 ms | p99 ms at half rate (rate reached) | non-2xx |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for backend, r in rows:
        v, vh, a, ah = r["verify"], r["verify at half"], r["ask"], r["ask at half"]
        print(f"| {backend} | {v['rate']:,.0f} | {v['p50']:.1f} | {v['p99']:.1f} | {vh['p99']:.1f} ({vh['rate']:,.0f}/s) "
              f"| {a['rate']:,.0f} | {a['p50']:.1f} | {a['p99']:.1f} | {ah['p99']:.1f} ({ah['rate']:,.0f}/s) "
              f"| {sum(x['non2xx'] for x in r.values()):,} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
