"""Stopping a command partway through writing, for the tests that check what it leaves: a
file size limit the kernel enforces (the write fails with EFBIG, as on a full disk) and a
SIGKILL sent once the command has begun writing beside its output folder."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import time
from pathlib import Path
from typing import Callable


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under folder -> its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def file_size_limit(max_file_bytes: int) -> Callable[[], None]:
    """A preexec_fn: no file may grow above max_file_bytes. Python ignores SIGXFSZ, so the
    write that would cross it fails with EFBIG ("File too large"), as a full disk fails it."""

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))

    return apply


def kill_when_writing(process: subprocess.Popen[str], out: Path, *, files: int = 1) -> None:
    """SIGKILL `process` once it has written `files` files into a new entry beside `out` (in
    out's parent), or the moment `out` itself changes. Fails if the process ends first."""
    folder = out.parent
    names, stamp = set(os.listdir(folder)), os.stat(out).st_mtime_ns
    deadline = time.monotonic() + 240
    while process.poll() is None and time.monotonic() < deadline:
        new = [folder / name for name in set(os.listdir(folder)) - names]
        written = sum(len(found) for entry in new for _dir, _dirs, found in os.walk(entry))
        if written >= files or not out.exists() or os.stat(out).st_mtime_ns != stamp:
            process.kill()
            break
        time.sleep(0.001)
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL, f"the process ended by itself ({process.returncode}) before it was killed"
