"""What a build read, as file metadata: a digest of every input's name, size, mtime and inode.

Two builds whose inputs have the same snapshot read the same bytes, so the second one can be
skipped, the way make and git decide (stat, not content). Inputs are the content folder, the
author's theme and the built-in one, site.toml, the mermaid renderer beside it, sitegen's
own code and library versions (the cache stamp) and the build options.

Stat can lie in one case: a file rewritten with the same size within the same clock tick as
the stat that was recorded. Like git's "racily clean" entries, a snapshot holding a file
modified less than `RACY_NS` before it was taken is never trusted (`Snapshot.trusted`).
Only os.scandir and os.stat here: no file is read, nothing heavy is imported.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Iterable

RACY_NS = 2_000_000_000  # a file modified this close to the snapshot is read, not trusted


@dataclass(frozen=True)
class Snapshot:
    digest: str
    taken_ns: int  # wall clock when the stats were taken
    newest_ns: int  # the newest mtime among the inputs

    @property
    def trusted(self) -> bool:
        """No input changed so close to the snapshot that its stat could hide an edit."""
        return self.newest_ns < self.taken_ns - RACY_NS

    def to_json(self) -> list[Any]:
        return [self.digest, self.taken_ns, self.newest_ns]


def _walk(root: Path, h: Any) -> int:
    """Feed every entry under root (sorted, recursively, symlinks not followed) into h; the
    newest mtime seen."""
    newest = 0
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            h.update(f"!{folder}:{exc.errno}\n".encode("utf-8", "surrogateescape"))
            continue
        subfolders = []
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            h.update(f"{entry.path}\0{st.st_mode}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\n".encode("utf-8", "surrogateescape"))
            newest = max(newest, st.st_mtime_ns)
            if entry.is_dir(follow_symlinks=False):
                subfolders.append(Path(entry.path))
        stack.extend(reversed(subfolders))
    return newest


def _one(path: Path, h: Any) -> int:
    try:
        st = os.stat(path)
    except OSError:
        h.update(f"-{path}\n".encode("utf-8", "surrogateescape"))
        return 0
    h.update(f"{path}\0{st.st_mode}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\n".encode("utf-8", "surrogateescape"))
    return st.st_mtime_ns


def take(folders: Iterable[Path], files: Iterable[Path], facts: Iterable[str]) -> Snapshot:
    """The snapshot of `folders` (everything under them), single `files` (present or not)
    and `facts` (versions, options: anything else the output depends on)."""
    taken = time.time_ns()
    h = hashlib.blake2b(digest_size=20)
    newest = 0
    for fact in facts:
        h.update(f"fact\0{fact}\n".encode("utf-8", "surrogateescape"))
    for folder in folders:
        h.update(f"folder\0{folder}\n".encode("utf-8", "surrogateescape"))
        newest = max(newest, _walk(folder.resolve(), h) if folder.is_dir() else 0)
    for path in files:
        newest = max(newest, _one(path.resolve(), h))
    return Snapshot(h.hexdigest(), taken, newest)


def options_facts(options: Any) -> list[str]:
    """A dataclass of build options as facts (every field, so a new option is never forgotten)."""
    return [f"{item.name}={getattr(options, item.name)!r}" for item in fields(options)] + [f"cwd={Path.cwd()}"]


def same(recorded: Any, now: Snapshot) -> bool:
    """The recorded snapshot (to_json form) is this one, and it was trustworthy when taken
    and is now."""
    if not (isinstance(recorded, list) and len(recorded) == 3):
        return False
    before = Snapshot(str(recorded[0]), int(recorded[1]), int(recorded[2]))
    return before.digest == now.digest and before.trusted and now.trusted


__all__ = ["Snapshot", "take", "options_facts", "same", "RACY_NS"]
