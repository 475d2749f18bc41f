"""Reading the content folder: the only place sitegen reads an author's files.

`read_sources` walks the content root in sorted order and returns every file's bytes with
its path relative to the root, so everything after it is pure and deterministic.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import Problem

IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}


@dataclass(frozen=True)
class SourceFile:
    rel: PurePosixPath  # relative to the content root, NFC-normalised
    path: Path  # where it is on disk (for messages and image sizes)
    data: bytes

    @property
    def display(self) -> str:
        return str(self.path)


def _ignored(name: str) -> bool:
    return name.startswith(".") or name.endswith("~") or name in IGNORED_NAMES


def read_sources(root: Path) -> tuple[list[SourceFile], list[Problem]]:
    """Every file under root (hidden files and editor backups skipped), sorted by path."""
    files: list[SourceFile] = []
    problems: list[Problem] = []
    if not root.is_dir():
        return [], [Problem(str(root), None, "content folder not found: create it or pass --content DIR")]
    for dirpath, dirnames, filenames in os.walk(root, onerror=lambda e: problems.append(
            Problem(str(e.filename), None, f"cannot read folder ({e.strerror}): check its permissions"))):
        dirnames[:] = sorted(d for d in dirnames if not _ignored(d))
        for name in sorted(filenames):
            if _ignored(name):
                continue
            path = Path(dirpath) / name
            rel = PurePosixPath(unicodedata.normalize("NFC", path.relative_to(root).as_posix()))
            try:
                data = path.read_bytes()
            except OSError as exc:
                problems.append(Problem(str(path), None, f"cannot read file ({exc.strerror}): check its permissions"))
                continue
            files.append(SourceFile(rel=rel, path=path, data=data))
    files.sort(key=lambda f: str(f.rel))
    return files, problems
