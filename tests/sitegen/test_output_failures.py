"""A build that fails while writing leaves the previous site as it was, byte for byte.

`sitegen build` runs in its own process and is stopped partway through writing, after other
files were already written: by the kernel, with a file size limit (RLIMIT_FSIZE) that the new
site's largest page exceeds, so the write fails with EFBIG as on a full disk; or by SIGKILL,
sent as soon as anything new appears beside the output folder or in it. Either way the
folder readers get must be the previous build, whole, with nothing added, and the next build
must succeed."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

from tests.processes import file_size_limit, kill_when_writing, tree

from .conftest import REPO


def command(site: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "sitegen", "build", "--content", str(site / "content"), "--config", str(site / "site.toml"),
            "--theme", str(REPO / "theme"), "--no-cache", "--out", str(out)]


def build(site: Path, out: Path, preexec: Callable[[], None] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(command(site, out), env=env, preexec_fn=preexec, capture_output=True, text=True, timeout=300)


def long_post(chars: int) -> str:
    """A post whose page is `chars` long at least: words that compress badly, same each run."""
    rng = random.Random(14)
    words = " ".join("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))) for _ in range(chars // 5))
    return f"---\ntitle: A very long post\ndate: 2026-05-01T10:00:00+09:00\n---\n\n{words}\n"


@pytest.mark.parametrize("killed", [False, True], ids=["disk-full", "killed-mid-write"])
def test_writing_that_fails_partway_leaves_the_previous_site(tmp_path: Path, killed: bool) -> None:
    site = tmp_path / "site"
    shutil.copytree(REPO / "content", site / "content")
    shutil.copy(REPO / "site.toml", site / "site.toml")
    out = tmp_path / "public"
    first = build(site, out)
    assert first.returncode == 0, first.stderr
    before = tree(out)
    largest = max(len(data) for data in before.values())

    (site / "content/blog/a-very-long-post").mkdir()
    (site / "content/blog/a-very-long-post/index.md").write_text(long_post(3 * largest), encoding="utf-8")
    (site / "content/about/index.md").write_text((site / "content/about/index.md").read_text(encoding="utf-8") + "\nEdited.\n", encoding="utf-8")
    if killed:  # thousands of small files: the writing lasts long enough to be killed halfway
        for n in range(3000):
            (site / f"content/files/{n // 100:02}").mkdir(parents=True, exist_ok=True)
            (site / f"content/files/{n // 100:02}/{n:04}.txt").write_text(f"file {n}\n" * 40, encoding="utf-8")
        process = subprocess.Popen(command(site, out), env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        kill_when_writing(process, out, files=300)
    else:
        failed = build(site, out, file_size_limit(2 * largest))
        assert failed.returncode == 1, (failed.returncode, failed.stderr)
        assert "cannot write the output" in failed.stderr and "Traceback" not in failed.stderr
        assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".public")], "the unfinished copy is removed"
    assert tree(out) == before, "the folder readers get is the previous build, every file, nothing added"
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["public", "site"]

    again = build(site, out)
    assert again.returncode == 0, again.stderr
    after = tree(out)
    assert "a-very-long-post/index.html" in after and after["about/index.html"] != before["about/index.html"]
