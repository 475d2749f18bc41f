"""`qa-service export` at scale: 100,000 answered questions (about 150,000 ranked drafts: 0-3
per question) and 1,000 posts, on SQLite and on PostgreSQL (127.0.0.1:5432, database test, a
throw-away schema). Prints the export's wall time and peak RSS (of the export process, from
wait4) beside a peer run in the same process model: a floor that reads the same questions in
one SELECT and writes their raw texts to one Parquet file with pyarrow (no scrubbing, no
configs, no card), so the ratio shows what the export's own work costs.

    scripts/bench-export [--questions 100000] [--posts 1000] [--backends sqlite,postgresql]

Targets (issue 9): < 60 s and < 500 MB on each backend. The posts come from
../shared/bench/make_corpus.py (the corpus every sitegen benchmark uses; --shared DIR).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert  # noqa: E402

from qa_service.db import dispose, make_engine, migrate  # noqa: E402
from qa_service.models import ALTERNATIVES, QUESTIONS  # noqa: E402
from qa_service.settings import new_secret  # noqa: E402
from tests.qa_service.servers import postgres_schema  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PG_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
WORDS = ("model token answer 질문 답변 기계 글쓰기 temperature logits softmax 이유 방법 블로그 training data "
         "왜 어떻게 무엇 the a of to and in is it that 그리고 하지만 그래서").split()
LEAKS = ("010-1234-5678", "me@example.com", "https://x.example/?token=abc123", "0x52908400098527886E0F7030069857D2E4169EE7")

FLOOR = """
import sys, pyarrow as pa, pyarrow.parquet as pq
from sqlalchemy import create_engine, text
engine = create_engine(sys.argv[1])
with engine.connect() as db:
    rows = db.execute(text("SELECT q.id, q.text, q.answer, a.text FROM questions q LEFT JOIN alternatives a "
                           "ON a.question_id = q.id WHERE q.status = 'answered' ORDER BY q.id")).fetchall()
table = pa.table({"id": [r[0] for r in rows], "question": [r[1] for r in rows], "answer": [r[2] for r in rows],
                  "draft": [r[3] for r in rows]})
pq.write_table(table, sys.argv[2], compression="zstd")
print(len(rows), "rows")
"""


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    if rng.random() < 0.02:  # now and then something the scrubber must catch
        text += " " + rng.choice(LEAKS)
    return text.capitalize() + "."


def fill(url: str, questions: int, seed: int = 42) -> int:
    """Insert `questions` answered questions and their drafts; returns the drafts inserted."""
    rng = random.Random(seed)
    engine = make_engine(url)
    migrate(engine)
    now = dt.datetime(2026, 11, 30, tzinfo=dt.timezone.utc)
    drafts = 0
    try:
        for start in range(0, questions, 5000):
            batch = range(start, min(start + 5000, questions))
            with engine.begin() as db:
                ids = db.execute(insert(QUESTIONS).returning(QUESTIONS.c.id), [
                    {"asker": "0x" + f"{i % 5000:040x}", "text": sentence(rng, rng.randint(8, 40)), "language": "en",
                     "consent_to_training": True, "public": False, "status": "answered", "created_at": now,
                     "updated_at": now, "answer": sentence(rng, rng.randint(20, 120)), "token_id": None}
                    for i in batch]).scalars().all()
                alternatives = [{"question_id": qid, "rank": rank, "text": sentence(rng, rng.randint(10, 60))}
                                for qid in ids for rank in range(1, rng.choice((0, 1, 2, 3)) + 1)]
                if alternatives:
                    db.execute(insert(ALTERNATIVES), alternatives)
                drafts += len(alternatives)
    finally:
        dispose(engine)
    return drafts


def measured(command: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS in MB) of one process and the workers it waited
    for, from wait4. CPU time says more than wall time on a machine shared with other work."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    output = process.stdout.read() if process.stdout else ""
    if status != 0:
        raise SystemExit(f"{' '.join(command[:4])} failed:\n{output}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--posts", type=int, default=1_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="the shared/ folder (bench/make_corpus.py)")
    args = parser.parse_args()
    corpus = args.shared / "bench" / "make_corpus.py"
    if not corpus.exists():
        raise SystemExit(f"{corpus} is missing: pass --shared DIR (the folder holding bench/make_corpus.py)")
    work = Path(tempfile.mkdtemp(prefix="export-bench-"))
    results: list[tuple[str, str, float, float, float]] = []
    try:
        (work / "content").mkdir()
        subprocess.run([sys.executable, str(corpus), "--n", str(args.posts), "--out", str(work / "content" / "blog"),
                        "--layout", "folders", "--images"], check=True, stdout=subprocess.DEVNULL)
        (work / "site.toml").write_text('title = "Bench"\nbase_url = "https://bench.example/"\nlicense = "cc-by-4.0"\n',
                                        encoding="utf-8")
        for backend in args.backends.split(","):
            if backend == "sqlite":
                context = None
                url = f"sqlite:///{work / 'qa.sqlite3'}"
            else:
                context = postgres_schema(PG_SERVER, prefix="bench_export_")
                url = context.__enter__()
            try:
                started = time.perf_counter()
                drafts = fill(url, args.questions)
                print(f"{backend}: {args.questions:,} answered questions, {drafts:,} drafts inserted "
                      f"in {time.perf_counter() - started:.1f} s", flush=True)
                env = {"QA_DATABASE_URL": url, "QA_SECRET_KEY": new_secret()}
                out = work / f"dataset-{backend}"
                shutil.rmtree(work / ".sitegen-cache", ignore_errors=True)  # posts from nothing, as a first export
                wall, cpu, rss = measured([sys.executable, "-m", "qa_service", "export", "--content", str(work / "content"),
                                           "--config", str(work / "site.toml"), "--out", str(out)], env)
                results.append((backend, "qa-service export", wall, cpu, rss))
                size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
                print(f"{backend}: export {wall:.1f} s ({cpu:.1f} s CPU), peak RSS {rss:.0f} MB, {size / 1e6:.1f} MB written",
                      flush=True)
                wall, cpu, rss = measured([sys.executable, "-c", FLOOR, url, str(work / "floor.parquet")], {})
                results.append((backend, "floor: one SELECT + pyarrow", wall, cpu, rss))
            finally:
                if context is not None:
                    context.__exit__(None, None, None)
        print()
        print(f"| backend | program | {args.questions:,} questions + {args.posts:,} posts | CPU | peak RSS |")
        print("|---|---|---:|---:|---:|")
        for backend, program, wall, cpu, rss in results:
            print(f"| {backend} | {program} | {wall:.1f} s | {cpu:.1f} s | {rss:.0f} MB |")
        print(f"\nload average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print("targets: < 60 s and < 500 MB for qa-service export on each backend")
        failed = [r for r in results if r[1] == "qa-service export" and (r[2] >= 60 or r[4] >= 500)]
        return 1 if failed else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
