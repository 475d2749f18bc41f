#!/usr/bin/env python3
"""sitegen on the shared benchmark corpus, beside Pelican, Hugo and Eleventy in the same run.

    .venv/bin/python bench/sitegen_bench.py                  # 1,000 posts, peers too (~15 min)
    .venv/bin/python bench/sitegen_bench.py --posts 5000     # the issue's size
    .venv/bin/python bench/sitegen_bench.py --no-peers --posts 5000 --scale

Builds the corpus with ../shared/bench/make_corpus.py (--layout folders --images, seed 42)
into a scratch folder and times whole `sitegen build` processes with ../shared/bench/timeit.py's
method (wall clock, user+sys CPU, peak RSS of the largest process from wait4()), each scenario
prepared untimed before every run:

    cold            no output, no cache
    warm clean      output removed, cache kept
    nothing changed
    body edited     one post's text changed (a different edit each run)
    title/tags      one post's title and tags changed (its lists, tag pages and feeds change)
    template        base.html changed (every page changes)
    serve edit      `sitegen serve` running; a post saved -> the new page served (polled)
    10k cold        (--scale) 10,000 posts, cold, as a ratio to 5,000

Medians of --runs; the load average is printed with each row, since the machine is shared.
Peers: ../shared/bench/run_peers.sh at the same size, ratios = sitegen / peer (same run).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
# ../shared/bench beside the checkout (a git worktree in wt/<name>/ looks one level higher too)
SHARED = next((p for p in (Path(os.environ.get("SHARED_BENCH", "/nonexistent")), ROOT.parent / "shared" / "bench",
                            ROOT.parent.parent / "shared" / "bench") if (p / "timeit.py").exists()), ROOT.parent / "shared" / "bench")
SITE_TOML = 'title = "Bench"\nbase_url = "https://bench.example/"\ndefault_language = "ko-KR"\nauthor = "Bench"\n'


def _timeit() -> Any:
    spec = importlib.util.spec_from_file_location("timeit_shared", SHARED / "timeit.py")
    if spec is None or spec.loader is None:
        sys.exit(f"{SHARED / 'timeit.py'} not found: the bench needs ../shared/bench beside the repository")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_site(folder: Path, posts: int) -> Path:
    site = folder / f"site-{posts}"
    if not (site / "content" / "blog").is_dir():
        blog = site / "content" / "blog"
        blog.mkdir(parents=True)
        subprocess.run([sys.executable, str(SHARED / "make_corpus.py"), "--n", str(posts), "--out", str(blog),
                        "--layout", "folders", "--images"], check=True, stdout=subprocess.DEVNULL)
        (site / "site.toml").write_text(SITE_TOML, encoding="utf-8")
    # the checkout's theme, every time: a corpus kept from an earlier run would measure its theme
    shutil.rmtree(site / "theme", ignore_errors=True)
    shutil.copytree(ROOT / "theme", site / "theme")
    return site


def middle_post(site: Path) -> Path:
    posts = sorted((site / "content" / "blog").iterdir())
    return posts[len(posts) // 2] / "index.md"


class Scenario:
    def __init__(self, name: str, prepare: Callable[[int], None], target: str):
        self.name, self.prepare, self.target = name, prepare, target


def scenarios(site: Path) -> tuple[list[Scenario], Callable[[], None]]:
    post = middle_post(site)
    original = post.read_text(encoding="utf-8")
    base = site / "theme" / "templates" / "base.html"
    base_original = base.read_text(encoding="utf-8")

    def rm(*names: str) -> Callable[[int], None]:
        return lambda _run: [shutil.rmtree(site / name, ignore_errors=True) for name in names] and None

    def body(run: int) -> None:
        post.write_text(original + f"\nAn edit for run {run}, {time.time_ns()}.\n", encoding="utf-8")

    def title(run: int) -> None:
        text = re.sub(r"^title: .*$", f'title: "Retitled {time.time_ns()}"', original, count=1, flags=re.M)
        text = re.sub(r"^tags:\n", f"tags:\n  - bench-tag-{run % 2}\n", text, count=1, flags=re.M)
        post.write_text(text, encoding="utf-8")

    def template(run: int) -> None:
        base.write_text(base_original.replace("</body>", f"<!-- {time.time_ns()} --></body>", 1), encoding="utf-8")

    def restore() -> None:
        post.write_text(original, encoding="utf-8")
        base.write_text(base_original, encoding="utf-8")

    return [
        Scenario("cold", rm("public", ".sitegen-cache"), "< 10 s"),
        Scenario("warm clean", rm("public"), "< 3 s"),
        Scenario("nothing changed", lambda _run: None, "< 1 s"),
        Scenario("body edited", body, "< 1 s"),
        Scenario("title/tags edited", title, "< 2 s"),
        Scenario("template edited", template, "<= cold"),
    ], restore


def measure(timeit: Any, command: list[str], prepare: Callable[[int], None], runs: int, cwd: Path) -> dict[str, float]:
    results = []
    loads = []
    here = os.getcwd()
    os.chdir(cwd)
    try:
        for run in range(runs):
            prepare(run)
            os.sync()  # what the preparation removed or wrote is on disk before the clock starts (it
            time.sleep(1)  # slowed the timed run: removing a 10,000-post site frees ~1 GB)
            loads.append(os.getloadavg()[0])
            result = timeit.run_once(command, time.monotonic() + 900)
            if result is None or result["rc"] != 0:
                sys.exit(f"sitegen failed in {cwd}: {' '.join(command)} (rerun it there to see why)")
            results.append(result)
    finally:
        os.chdir(here)
    return {
        "wall": statistics.median(r["wall"] for r in results),
        "cpu": statistics.median(r["cpu"] for r in results),
        "peak": max(r["peak"] for r in results),
        "load": statistics.median(loads),
    }


def serve_edit(site: Path, runs: int) -> dict[str, float]:
    """Seconds from saving a post to `sitegen serve` answering with the new page."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = site / "public-serve"
    process = subprocess.Popen([sys.executable, "-m", "sitegen", "serve", "--port", str(port), "--out", str(out), "--no-drafts"],
                               cwd=site, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    post = middle_post(site)
    slug = post.parent.name
    original = post.read_text(encoding="utf-8")
    url = f"http://127.0.0.1:{port}/{slug}/"
    times = []
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(url, timeout=5).read()
                break
            except OSError:
                time.sleep(0.5)
        time.sleep(2)
        for run in range(runs):
            marker = f"served-edit-{run}-{time.time_ns()}"
            start = time.monotonic()
            post.write_text(original + f"\n{marker}\n", encoding="utf-8")
            while time.monotonic() - start < 120:
                try:
                    if marker in urllib.request.urlopen(url, timeout=5).read().decode():
                        break
                except OSError:
                    pass
                time.sleep(0.02)
            times.append(time.monotonic() - start)
            time.sleep(1)
    finally:
        post.write_text(original, encoding="utf-8")
        process.terminate()
        process.wait(30)
    return {"wall": statistics.median(times), "cpu": float("nan"), "peak": float("nan"), "load": os.getloadavg()[0]}


def peers(posts: int, runs: int, work: Path) -> dict[str, dict[str, float]]:
    """Median wall seconds per peer and scenario (clean, noop, touch) from run_peers.sh."""
    env = {**os.environ, "NS": str(posts), "RUNS": str(runs), "WARMUP": "0", "W": str(work / "peers")}
    subprocess.run(["bash", str(SHARED / "run_peers.sh"), "all"], env=env, check=True, stdout=subprocess.DEVNULL)
    found: dict[str, dict[str, float]] = {}
    for path in sorted((work / "peers" / "results").glob(f"*-{posts}-*.txt")):
        match = re.match(rf"(.+)-{posts}-(clean|noop|touch)\.txt$", path.name)
        if not match:
            continue
        row = re.search(r"A wall s\s+\S+\s+(\S+)", path.read_text())
        if row:
            found.setdefault(match.group(1), {})[match.group(2)] = float(row.group(1))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/sitegen-bench"))
    parser.add_argument("--no-peers", action="store_true", help="time sitegen only")
    parser.add_argument("--no-serve", action="store_true", help="skip the serve scenario")
    parser.add_argument("--scale", action="store_true", help="also 10,000 posts cold (ratio to --posts)")
    args = parser.parse_args()
    timeit = _timeit()
    args.work.mkdir(parents=True, exist_ok=True)
    site = make_site(args.work, args.posts)
    command = [sys.executable, "-m", "sitegen", "build"]
    print(f"sitegen bench: {args.posts} posts (+{(args.posts + 3) // 4} translations), {args.runs} runs, "
          f"{os.cpu_count()} cpus, site {site}")
    print("| scenario | target | wall (median) | cpu | peak RSS | load avg |\n|---|---|---|---|---|---|")
    rows: dict[str, dict[str, float]] = {}
    planned, restore = scenarios(site)
    try:
        for scenario in planned:
            rows[scenario.name] = row = measure(timeit, command, scenario.prepare, args.runs, site)
            print(f"| {scenario.name} | {scenario.target} | {row['wall']:.2f} s | {row['cpu']:.2f} s | {row['peak']:.0f} MiB | {row['load']:.1f} |", flush=True)
    finally:
        restore()
    subprocess.run(command, cwd=site, check=True, stdout=subprocess.DEVNULL)
    if not args.no_serve:
        row = serve_edit(site, args.runs)
        print(f"| serve: edit -> page served | < 1 s | {row['wall']:.2f} s | | | {row['load']:.1f} |", flush=True)
    if args.scale:
        big = make_site(args.work, 10_000)
        row = measure(timeit, command, lambda _run: [shutil.rmtree(big / n, ignore_errors=True) for n in ("public", ".sitegen-cache")] and None, max(1, args.runs - 1), big)
        ratio = row["wall"] / rows["cold"]["wall"]
        print(f"| 10,000 posts cold | < 2.2x of {args.posts} | {row['wall']:.2f} s ({ratio:.2f}x) | {row['cpu']:.2f} s | {row['peak']:.0f} MiB | {row['load']:.1f} |", flush=True)
    if not args.no_peers:
        found = peers(args.posts, args.runs, args.work)
        print(f"\n| peer ({args.posts} posts) | clean | sitegen cold / peer | nothing changed | sitegen / peer | one post touched | sitegen body edit / peer |\n|---|---|---|---|---|---|---|")
        for name, walls in sorted(found.items()):
            clean, noop, touch = walls.get("clean", float("nan")), walls.get("noop", float("nan")), walls.get("touch", float("nan"))
            print(f"| {name} | {clean:.2f} s | {rows['cold']['wall'] / clean:.2f} | {noop:.2f} s | {rows['nothing changed']['wall'] / noop:.3f} "
                  f"| {touch:.2f} s | {rows['body edited']['wall'] / touch:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
