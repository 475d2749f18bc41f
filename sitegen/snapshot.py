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
import operator
import os
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Iterable

_NAME = operator.attrgetter("name")

RACY_NS = 2_000_000_000  # a file modified this close to the snapshot is read, not trusted


@dataclass(frozen=True)
class Snapshot:
    digest: str
    taken_ns: int  # wall clock when the stats were taken
    newest_ns: int  # the newest mtime among the inputs
    # with `take(listed=...)`: that folder's files (path under it -> size, mtime_ns, inode), and
    # the digest and newest mtime of every other input, so that a build can tell which of the
    # folder's files alone changed (sitegen.resume)
    listing: dict[str, tuple[int, int, int]] | None = field(default=None, compare=False, repr=False)
    frame: str = ""
    frame_newest_ns: int = 0
    # the listing holds every file under that folder and nothing but plain files and folders
    # were met there (no link, no folder that could not be read): it is then what
    # sitegen.sources would find walking the folder again (read_listed)
    plain: bool = field(default=False, compare=False, repr=False)

    @property
    def trusted(self) -> bool:
        """No input changed so close to the snapshot that its stat could hide an edit."""
        return self.newest_ns < self.taken_ns - RACY_NS

    def to_json(self) -> list[Any]:
        return [self.digest, self.taken_ns, self.newest_ns]


def _walk(root: Path, h: Any, listing: dict[str, tuple[int, int, int]] | None = None, odd: list[str] | None = None) -> int:
    """Feed every entry under root (sorted, recursively, symlinks not followed) into h; the
    newest mtime seen. `listing` gets every file but a folder, by its path under root; `odd`,
    each link and each folder that could not be read."""
    newest = 0
    skip = len(str(root)) + 1
    stack = [str(root)]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=_NAME)
        except OSError as exc:
            h.update(f"!{folder}:{exc.errno}\n".encode("utf-8", "surrogateescape"))
            if odd is not None:
                odd.append(folder)
            continue
        subfolders = []
        lines = []  # one update per folder: the same digest as one per entry, with less overhead
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            lines.append(f"{entry.path}\0{st.st_mode}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\n")
            if st.st_mtime_ns > newest:
                newest = st.st_mtime_ns
            if odd is not None and entry.is_symlink():
                odd.append(entry.path)
            if entry.is_dir(follow_symlinks=False):
                subfolders.append(entry.path)
            elif listing is not None:
                listing[entry.path[skip:]] = (st.st_size, st.st_mtime_ns, st.st_ino)
        h.update("".join(lines).encode("utf-8", "surrogateescape"))
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


class _Both:
    """Two hashes fed the same bytes."""

    def __init__(self, *hashes: Any):
        self.hashes = hashes

    def update(self, data: bytes) -> None:
        for h in self.hashes:
            h.update(data)


def take(folders: Iterable[Path], files: Iterable[Path], facts: Iterable[str], *, listed: Path | None = None) -> Snapshot:
    """The snapshot of `folders` (everything under them), single `files` (present or not)
    and `facts` (versions, options: anything else the output depends on). `listed`: one of
    `folders` whose files are listed one by one (`Snapshot.listing`) and left out of `frame`."""
    taken = time.time_ns()
    h = hashlib.blake2b(digest_size=20)
    frame = hashlib.blake2b(digest_size=20)
    newest = frame_newest = 0
    listing: dict[str, tuple[int, int, int]] | None = None
    odd: list[str] = []
    for fact in facts:
        line = f"fact\0{fact}\n".encode("utf-8", "surrogateescape")
        h.update(line)
        frame.update(line)
    for folder in folders:
        line = f"folder\0{folder}\n".encode("utf-8", "surrogateescape")
        h.update(line)
        frame.update(line)
        if folder == listed:
            listing = {}
            newest = max(newest, _walk(folder.resolve(), h, listing, odd) if folder.is_dir() else 0)
            continue
        found = _walk(folder.resolve(), _Both(h, frame)) if folder.is_dir() else 0
        newest, frame_newest = max(newest, found), max(frame_newest, found)
    for path in files:
        found = _one(path.resolve(), _Both(h, frame))
        newest, frame_newest = max(newest, found), max(frame_newest, found)
    return Snapshot(h.hexdigest(), taken, newest, listing, frame.hexdigest(), frame_newest, plain=listing is not None and not odd)


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
