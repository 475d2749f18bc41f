"""Files written into a staging folder by forked processes (sitegen.staging): every page and
copy as it should be, a damaged cache entry reported, a failure never taken for success."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Callable

import pytest

from sitegen import output, staging
from sitegen.cache import pack_bytes

from .conftest import REPO


def files(tmp_path: Path, n: int = 40) -> tuple[list[tuple[str, str, bytes]], list[tuple[str, output.Copied]], dict[str, bytes]]:
    content = tmp_path / "content"
    content.mkdir()
    want: dict[str, bytes] = {}
    pages, copies = [], []
    for i in range(n):
        page = (f"<p>{i} 안녕</p>\n" * (i + 1)).encode()
        pages.append((f"p{i}/index.html", f"key{i}", pack_bytes(page)))
        want[f"p{i}/index.html"] = page
        source = content / f"{i}.png"
        source.write_bytes(bytes(range(256)) * i)
        copies.append((f"p{i}/img/{i}.png", output.Copied(f"digest{i}", source)))
        want[f"p{i}/img/{i}.png"] = source.read_bytes()
    return pages, copies, want


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _alone(check: Callable[..., None], tmp_path: Path, *args: int) -> None:
    """`check(tmp_path, *args)` run in a new interpreter, with one thread as `sitegen build` has:
    a test process may hold threads other tests left running (under CI: tqdm's monitor, HTTP
    handlers), and then nothing is forked, as wanted (the last test below)."""
    code = f"import sys; from pathlib import Path; from tests.sitegen import test_staging as t; " \
           f"t.{check.__name__}(Path(sys.argv[1]), *map(int, sys.argv[2:]))"
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path), *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]


def _written_as_they_are(tmp_path: Path, workers: int) -> None:
    pages, copies, want = files(tmp_path)
    stage = tmp_path / "stage"
    stage.mkdir()

    def also() -> tuple[str, int]:
        (stage / "made.txt").write_text("made")
        return ("made", os.getpid())

    whole, damaged, made = staging.start(stage, pages, copies, workers=workers, also=also).finish()
    assert (whole, damaged) == (True, []) and made[0] == "made" and (made[1] == os.getpid()) == (workers == 0)
    assert tree(stage) == {**want, "made.txt": b"made"}


@pytest.mark.parametrize("workers", [0, 1, 2, 3])
def test_pages_and_copies_are_written_as_they_are(tmp_path: Path, workers: int) -> None:
    _alone(_written_as_they_are, tmp_path, workers)


def _damaged_entry(tmp_path: Path) -> None:
    pages, copies, want = files(tmp_path)
    pages[7] = (pages[7][0], "key7", b"\x28\xb5\x2f\xfd\x00\xff")
    stage = tmp_path / "stage"
    stage.mkdir()
    writing = staging.start(stage, pages, copies)
    assert writing.children
    whole, damaged, _made = writing.finish()
    assert not whole and [key for key, _reason in damaged] == ["key7"]
    assert tree(stage) == {path: data for path, data in want.items() if path != "p7/index.html"}


def test_a_page_whose_entry_does_not_decompress_is_reported_and_the_rest_written(tmp_path: Path) -> None:
    _alone(_damaged_entry, tmp_path)


def _failed_or_killed(tmp_path: Path) -> None:
    pages, copies, _want = files(tmp_path)
    stage = tmp_path / "stage"
    stage.mkdir()
    (stage / "p39").write_text("a file where a folder goes")  # the last part's writer fails
    assert staging.start(stage, pages, copies).finish()[0] is False
    assert staging.start(stage, [], [], also=lambda: 1 / 0).finish()[0] is False  # what it was also to make failed
    os.mkdir(tmp_path / "killed")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # opening it waits for a writer: the child is still at work when killed
    writing = staging.start(tmp_path / "killed", pages, [("waits.png", output.Copied("d", fifo)), *copies], workers=1)
    assert writing.children
    for pid, _pipe in writing.children:
        os.kill(pid, 9)
    assert writing.finish()[0] is False


def test_a_writer_that_fails_or_is_killed_is_not_taken_for_a_whole_folder(tmp_path: Path) -> None:
    _alone(_failed_or_killed, tmp_path)


def test_with_other_threads_running_the_files_are_written_here(tmp_path: Path) -> None:
    """A fork copies only the calling thread (a lock another one holds would never be released)."""
    pages, copies, want = files(tmp_path)
    stage = tmp_path / "stage"
    stage.mkdir()
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        writing = staging.start(stage, pages, copies)
        assert writing.children == [] and tree(stage) == want
    finally:
        stop.set()
        other.join()
    assert writing.finish() == (True, [], None)
