"""The build cache (.sitegen-cache/ beside site.toml) is never trusted blindly: a damaged,
foreign or half-written one is dropped with one warning and the build goes on cold; a build
killed at any moment leaves a whole site (the old or the new) and a usable cache."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Callable

import orjson
import pytest
import zstandard

from sitegen.build import BuildOptions, build_site
from sitegen import cache as cache_module
from sitegen.cache import ENTRIES, FOLDER, Cache, Unreadable, pack, pack_bytes, unpack, unpack_bytes

from .conftest import pinned, post


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def small_blog(n: int = 3) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {"about/index.md": post(title="About")}
    for i in range(n):
        files[f"blog/p{i}/index.md"] = post(title=f"Post {i}", date=f"2026-01-{i % 28 + 1:02d}", tags=f"[t{i % 3}]",
                                            body=f"## 목차\n\n## Part {i}\n\nText $x_{i}$ and `code`.\n\n```python\nprint({i})\n```\n")
    return files


def clean_tree(options: BuildOptions, tmp: Path) -> dict[str, bytes]:
    out = tmp / "clean-out"
    build_site(replace(options, out=out, cache=False))
    return tree(out)


def cache_file(options: BuildOptions) -> Path:
    return options.config.parent / FOLDER / "cache.sqlite3"


def damage_garbage(path: Path) -> None:
    path.write_bytes(b"this is not a database" * 100)


def damage_truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def damage_foreign(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("UPDATE stamp SET value = 'sitegen-cache/1 sitegen=0.0.1 from another machine'")


def damage_entry(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("UPDATE entries SET value = x'00ff00ff'")


def test_a_damaged_foreign_or_half_written_cache_is_dropped_with_one_warning_and_the_build_is_exact(make_site: Callable[..., BuildOptions], tmp_path: Path) -> None:
    options = make_site(small_blog())
    want = clean_tree(options, tmp_path)
    for damage in (damage_garbage, damage_truncate, damage_foreign, damage_entry):
        build_site(options)
        damage(cache_file(options))
        result = build_site(options)
        cache_warnings = [w for w in result.warnings if "build cache" in w.message]
        assert len(cache_warnings) == 1, (damage.__name__, result.warnings)
        assert "discarded" in cache_warnings[0].message
        assert tree(options.out) == want, damage.__name__
        again = build_site(options)  # the fresh cache works at once
        assert not [w for w in again.warnings if "build cache" in w.message]
        assert again.counts.get("pages rendered", 0) == 0, again.counts
        assert tree(options.out) == want


def test_a_cache_left_as_its_last_commit_left_it_is_not_read_through_again(make_site: Callable[..., BuildOptions],
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The integrity check reads the whole file: a process opening a cache that nothing has
    written since a commit of ours (its metadata is the one recorded then) skips it; one that
    anything touched since is checked again, in any process."""
    from sitegen import cache as cache_module

    options = make_site(small_blog())
    build_site(options)
    statements: list[str] = []
    connect = sqlite3.connect

    def traced(*args, **kwargs):  # type: ignore[no-untyped-def]
        db = connect(*args, **kwargs)
        db.set_trace_callback(statements.append)
        return db

    monkeypatch.setattr(cache_module.sqlite3, "connect", traced)

    def opened_checked() -> bool:
        cache_module._CHECKED.clear()  # as a new process
        statements.clear()
        cache_module.Cache.open(cache_file(options).parent).close()
        return "PRAGMA quick_check" in statements

    assert not opened_checked()
    stat = cache_file(options).stat()
    os.utime(cache_file(options), ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # written by something else
    assert opened_checked()
    (cache_file(options).parent / cache_module.COMMITTED).write_text("[1, 2, 3]")
    assert opened_checked()
    build_site(options)  # commits: recorded again
    assert not opened_checked()


def test_no_cache_neither_reads_nor_writes_the_cache(make_site: Callable[..., BuildOptions], tmp_path: Path) -> None:
    options = make_site(small_blog())
    result = build_site(replace(options, cache=False))
    assert not (options.config.parent / FOLDER).exists()
    assert result.counts.get("markdown reused", 0) == 0 and "pages reused" not in result.counts
    build_site(options)
    damage_garbage(cache_file(options))
    quiet = build_site(replace(options, cache=False))  # a broken cache is not even opened
    assert not [w for w in quiet.warnings if "build cache" in w.message]


def test_an_unchanged_site_writes_nothing_and_an_edit_rewrites_only_what_changed(make_site: Callable[..., BuildOptions], tmp_path: Path) -> None:
    options = make_site(small_blog(4))
    build_site(options)
    before = pinned([p for p in options.out.rglob("*") if p.is_file()], options.out.parent / "pinned")
    result = build_site(options)
    assert result.counts.get("pages rendered", 0) == 0 and result.counts.get("markdown rendered") == 0
    assert {p: p.stat().st_ino for p in options.out.rglob("*") if p.is_file()} == before  # not even relinked
    source = options.content / "blog" / "p1" / "index.md"
    source.write_text(source.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    result = build_site(options)
    assert result.counts["markdown rendered"] == 1
    # the post's page and the lists/feeds that carry its text change; other posts' pages do not
    assert (options.out / "p1" / "index.html").stat().st_ino != before[options.out / "p1" / "index.html"]
    assert (options.out / "p2" / "index.html").stat().st_ino == before[options.out / "p2" / "index.html"]
    assert tree(options.out) == clean_tree(options, tmp_path)


def test_a_hand_edited_output_file_is_put_right(make_site: Callable[..., BuildOptions], tmp_path: Path) -> None:
    options = make_site(small_blog())
    build_site(options)
    page = options.out / "p0" / "index.html"
    page.write_bytes(b"tampered")
    (options.out / "stray.txt").write_text("left here by hand")
    build_site(options)
    assert tree(options.out) == clean_tree(options, tmp_path)


def test_a_build_killed_at_any_moment_leaves_a_whole_site_and_a_usable_cache(tmp_path: Path) -> None:
    """Real SIGKILLs at spread-out moments of real `sitegen build` processes."""
    root = tmp_path / "blog"
    (root / "content").mkdir(parents=True)
    (root / "site.toml").write_text('title = "Kill"\nbase_url = "https://k.example/"\n', encoding="utf-8")

    def write_posts(version: int) -> None:
        for i in range(40):
            folder = root / "content" / "blog" / f"p{i}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "index.md").write_text(post(title=f"Post {i} v{version}", date=f"2026-01-{i % 28 + 1:02d}", tags=f"[t{i % 5}]",
                                                  body=f"## Part\n\nVersion {version}. $a^{i}$\n\n```python\nprint({version})\n```\n"), encoding="utf-8")

    command = [sys.executable, "-m", "sitegen", "build", "--jobs", "1"]
    versions: dict[int, dict[str, bytes]] = {}
    for version in (1, 2):
        write_posts(version)
        subprocess.run([*command, "--no-cache", "--out", str(tmp_path / f"v{version}")], cwd=root, check=True, capture_output=True)
        versions[version] = tree(tmp_path / f"v{version}")
    write_posts(1)
    subprocess.run(command, cwd=root, check=True, capture_output=True)
    start = time.monotonic()
    subprocess.run([*command, "--no-cache", "--out", str(tmp_path / "probe")], cwd=root, check=True, capture_output=True)
    cold = time.monotonic() - start  # the longest a build here takes (the machine may be busy)
    killed = 0
    for step in range(16):
        version = 2 if step % 2 == 0 else 1
        write_posts(version)
        if step % 2 == 0:  # a cold build half of the time: kills land in the render as well as the write
            for path in (root / FOLDER).glob("cache.sqlite3*"):
                path.unlink()
        process = subprocess.Popen(command, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(cold * ((step * 7) % 16 + 1) / 20)  # spread over the build
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            killed += 1
        process.wait()
        out = root / "public"
        if out.exists():
            assert tree(out) in (versions[1], versions[2]), f"a half-written site after a kill at step {step}"
        finished = subprocess.run(command, cwd=root, capture_output=True, text=True)
        assert finished.returncode == 0, finished.stderr
        assert finished.stderr.count("build cache") <= 1, finished.stderr
        assert tree(out) == versions[version]
        if killed >= 5:
            break
    assert killed >= 3, f"only {killed} builds were killed before they finished (cold build {cold:.2f} s)"


def test_entries_pack_and_unpack_exactly_from_several_threads_at_once() -> None:
    """sitegen.live stages pages from two threads: each entry still reads back as it was."""
    values = [{"html": "<p>" + f"{n} 안녕 hello " * (50 + n % 200) + "</p>"} for n in range(600)]
    with ThreadPoolExecutor(4) as pool:
        blobs = list(pool.map(pack, values))
        assert list(pool.map(unpack, blobs)) == values


def test_an_entry_is_a_zstd_frame_of_its_json_and_reads_back_exactly() -> None:
    """Every entry is a Zstandard frame over orjson (any zstd reader opens it), compressed,
    and decoded exactly; a damaged entry is an error `Cache` catches, not garbage."""
    value = {"rendered": {"html": "<p>" + "안녕 hello " * 500 + "</p>", "headings": [[2, "목차", "toc", 3]]},
             "images": [["./a.png", [640, 360]]], "diagrams": []}
    blob = pack(value)
    assert zstandard.ZstdDecompressor().decompress(blob) == orjson.dumps(value)
    assert len(blob) < len(orjson.dumps(value)) // 4
    assert unpack(blob) == value
    assert unpack(zstandard.ZstdCompressor(level=19).compress(orjson.dumps(value))) == value
    with pytest.raises(Unreadable):
        unpack(blob[:-8])



def test_entries_beyond_spill_at_leave_memory_read_back_and_are_stored_exactly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build's entries beyond SPILL_AT are stored into the open transaction by another
    thread (Cache.store_ahead), not held in memory, and read back exactly; nothing is
    committed before the commit, and no file is left beside the database."""
    monkeypatch.setattr(cache_module, "SPILL_AT", 2000)
    cache = Cache.open(tmp_path / FOLDER)
    values: dict[str, object] = {f"k{i}": {"html": "본문 " * i, "n": i} for i in range(300)}
    for key, value in values.items():
        cache.put("page", key, value)
    assert cache.pending_size < 2000 + 3000 and len(cache.pending) < 20  # most left memory
    cache.put("page", "k3", "again")  # an entry put again: the last value stands
    values["k3"] = "again"
    assert all(cache.get("page", key) == value for key, value in values.items())
    assert cache.db is not None and cache.db.in_transaction  # stored, not committed
    cache.commit()
    cache.close()
    again = Cache.open(tmp_path / FOLDER)
    assert again.get_many("page", values) == values
    assert sorted(p.name for p in (tmp_path / FOLDER).iterdir() if not p.name.startswith(".committed")) == ["cache.sqlite3", "committed.json"]


def test_a_build_killed_while_entries_are_stored_ahead_leaves_the_last_commit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The transaction store_ahead opened is undone when a process dies in it: the cache
    reads as its last commit left it."""
    monkeypatch.setattr(cache_module, "SPILL_AT", 2000)
    first = Cache.open(tmp_path / FOLDER)
    first.put("page", "kept", 1)
    first.commit()
    first.close()
    script = (f"import sys; sys.path.insert(0, {str(Path(cache_module.__file__).parents[1])!r})\n"
              "from pathlib import Path\nimport os\nfrom sitegen import cache\ncache.SPILL_AT = 2000\n"
              f"c = cache.Cache.open(Path({str(tmp_path / FOLDER)!r}))\n"
              "for i in range(2000): c.put('page', f'k{i}', {'html': 'x' * 500, 'n': i})\n"
              "c.put('page', 'kept', 2)\nc._settle()\nassert c.db.in_transaction\nos.kill(os.getpid(), 9)\n")
    killed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    cache_module._CHECKED.clear()
    again = Cache.open(tmp_path / FOLDER)
    assert again.warnings == [] and again.get("page", "kept") == 1 and again.get("page", "k5") is None


def test_a_build_whose_cache_entries_left_memory_is_exact_and_reused(make_site: Callable[..., BuildOptions], tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_module, "SPILL_AT", 1)
    options = make_site(small_blog(4))
    build_site(options)
    assert tree(options.out) == clean_tree(options, tmp_path)
    shutil.rmtree(options.out)
    (options.content / "blog" / "p9").mkdir()
    (options.content / "blog" / "p9" / "index.md").write_text(post(title="New"), encoding="utf-8")  # a full build again
    result = build_site(options)
    assert result.counts["markdown reused"] >= 4 and result.counts["markdown rendered"] == 1
    assert tree(options.out) == clean_tree(options, tmp_path)


def test_a_page_is_a_zstd_frame_of_its_bytes_and_reads_back_exactly(tmp_path: Path) -> None:
    """Pages' HTML is kept as the bytes written (no JSON string to make and unmake), read back
    as they were, from memory before the commit and from the file after; a damaged one is an
    error `Cache` catches."""
    data = ("<p>" + "안녕 \"hello\"\n\\ " * 500 + "</p>").encode()
    blob = pack_bytes(data)
    assert zstandard.ZstdDecompressor().decompress(blob) == data and len(blob) < len(data) // 4
    assert unpack_bytes(blob) == data
    with pytest.raises(Unreadable):
        unpack_bytes(blob[:-8])
    cache = Cache.open(tmp_path)
    cache.put_packed("html", "k", blob)
    assert cache.get_bytes("html", "k") == data
    cache.commit()
    cache.close()
    cache = Cache.open(tmp_path)
    assert cache.get_bytes("html", "k") == data and cache.get_bytes("html", "other") is None
    cache.close()


def test_entries_stored_ahead_in_another_thread_and_those_put_since_are_all_committed(tmp_path: Path) -> None:
    """Cache.store_ahead stores what was put so far while the build goes on: an entry put
    again since keeps its last value, one put since is stored too, a read meanwhile waits for
    the thread and sees everything, and it is all one commit."""
    cache = Cache.open(tmp_path / FOLDER)
    values: dict[str, object] = {f"k{i}": {"html": "본문 " * i, "n": i} for i in range(200)}
    for key, value in values.items():
        cache.put("page", key, value)
    cache.store_ahead()
    assert cache.ahead is not None and cache.pending == {}
    for key in ("k3", "new"):  # one being stored, one new: put while the thread stores
        cache.put("page", key, f"again {key}")
        values[key] = f"again {key}"
    assert cache.get("page", "k10") == values["k10"] and cache.ahead is None  # waited for the thread
    assert set(cache.pending) == {("page", "k3"), ("page", "new")}
    cache.commit()
    cache.close()
    again = Cache.open(tmp_path / FOLDER)
    assert again.get_many("page", values) == values and again.warnings == []


def test_a_failed_store_ahead_is_stored_again_by_the_commit(tmp_path: Path) -> None:
    cache = Cache.open(tmp_path / FOLDER)
    cache.put("page", "a", 1)
    assert cache.db is not None
    cache.db.execute("DROP TABLE entries")  # the thread's inserts fail
    cache.store_ahead()
    cache._settle()
    assert cache.holding and ("page", "a") in cache.pending  # held again, and the rest held in memory
    cache.db.execute(ENTRIES)
    cache.commit()
    cache.close()
    assert Cache.open(tmp_path / FOLDER).get("page", "a") == 1


def test_an_entry_put_again_beyond_json_is_not_left_stored_ahead(tmp_path: Path) -> None:
    cache = Cache.open(tmp_path / FOLDER)
    cache.put("yaml", "a", {"n": 1})
    cache.store_ahead()
    cache.put("yaml", "a", {"n": 2 ** 70})  # beyond JSON: not cached at all
    cache.commit()
    cache.close()
    assert Cache.open(tmp_path / FOLDER).get("yaml", "a") is None


def test_a_cache_another_build_is_storing_into_is_left_to_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another build holds the cache's lock: this one builds without the cache, with one
    warning, and neither deletes nor changes it."""
    monkeypatch.setattr(cache_module, "LOCK_WAIT", 0.2)
    first = Cache.open(tmp_path / FOLDER)
    first.put("page", "a", 1)
    first.commit()
    assert first.db is not None
    first.db.execute("PRAGMA cache_size=1")  # its pages go to the file at once: the lock is exclusive
    for i in range(50):
        first.put("page", f"x{i}", os.urandom(4000).hex())  # (little to compress)
    first.put("page", "b", 2)
    first.store_ahead()
    first._settle()
    assert first.db.in_transaction
    cache_module._CHECKED.clear()
    second = Cache.open(tmp_path / FOLDER)
    assert second.get("page", "a") is None
    assert len(second.warnings) == 1 and "in use by another build" in second.warnings[0].message
    second.put("page", "d", 4)
    second.commit()
    second.close()
    first.commit()
    first.close()
    again = Cache.open(tmp_path / FOLDER)
    assert again.get("page", "a") == 1 and again.get("page", "b") == 2 and again.get("page", "d") is None

