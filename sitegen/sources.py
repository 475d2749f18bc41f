"""Reading the content folder: the only place sitegen reads an author's files.

`read_sources` walks the content root in sorted order and returns every file with its path
relative to the root: Markdown read at once, any other file (images, downloads) read only
when something asks for its bytes (`SourceFile.data`), which an unchanged image on a
rebuild never does (sitegen.build copies it by its recorded digest).
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Iterable, Iterator, Mapping, Sequence

from .errors import Problem

IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}


@dataclass(frozen=True)
class SourceFile:
    rel: PurePosixPath  # relative to the content root, NFC-normalised
    path: Path  # where it is on disk (for messages and image sizes)
    content: bytes | None = None  # None: not read yet (see `data`)
    stat: tuple[int, int, int] | None = None  # size, mtime_ns, inode when read or listed (sitegen.records)

    @property
    def data(self) -> bytes:
        """The file's bytes, read on first use."""
        if self.content is None:
            object.__setattr__(self, "content", self.path.read_bytes())
        assert self.content is not None
        return self.content

    def forget(self) -> None:
        """Let go of the bytes once they are used (read again if asked): a large site's files
        are not all held through the build."""
        object.__setattr__(self, "content", None)

    @property
    def display(self) -> str:
        return str(self.path)


def _ignored(name: str) -> bool:
    return name.startswith(".") or name.endswith("~") or name in IGNORED_NAMES


def _outside(path: Path, inside: Path) -> list[Problem]:
    """A symlink whose target is outside the content folder (a guest post could publish /etc/passwd)."""
    if not path.is_symlink():
        return []
    target = path.resolve()
    if target.is_relative_to(inside):
        return []
    return [Problem(str(path), None, f"a link to {os.readlink(path)}, outside the content folder: copy the file in instead")]


def read_sources(root: Path) -> tuple[list[SourceFile], list[Problem]]:
    """Every file under root (hidden files and editor backups skipped), sorted by path.
    Linked folders are not entered (a link out of the content folder is refused); plain
    strings and os.scandir here, not pathlib: a large blog has tens of thousands of files."""
    files: list[SourceFile] = []
    problems: list[Problem] = []
    if not root.is_dir():
        return [], [Problem(str(root), None, "content folder not found: create it or pass --content DIR")]
    inside = root.resolve()
    top = os.fspath(root)
    skip = len(top) + (not top.endswith(os.sep))
    stack = [top]
    while stack:  # depth first, each folder's files before its subfolders (as os.walk from the top)
        folder = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted((entry for entry in listing if not _ignored(entry.name)), key=_name)
        except OSError as exc:
            problems.append(Problem(str(exc.filename), None, f"cannot read folder ({exc.strerror}): check its permissions"))
            continue
        subfolders, plain = [], []
        for entry in entries:
            try:
                is_dir = entry.is_dir()  # a link to a folder too, which is not entered
            except OSError:
                is_dir = False
            if not is_dir:
                plain.append(entry)
            elif entry.is_symlink():
                problems.extend(_outside(Path(entry.path), inside))
            else:
                subfolders.append(entry.path)
        for entry in plain:
            path = Path(entry.path)
            if entry.is_symlink():
                found = _outside(path, inside)
                if found:
                    problems.extend(found)
                    continue
            try:
                files.append(_read(path, entry, entry.path[skip:]))
            except OSError as exc:
                problems.append(Problem(str(path), None, f"cannot read file ({exc.strerror}): check its permissions"))
        stack.extend(reversed(subfolders))
    files.sort(key=lambda f: str(f.rel))
    return files, problems


def read_listed(root: Path, listing: Mapping[str, tuple[int, int, int]]) -> tuple[list[SourceFile], list[Problem]]:
    """`read_sources` of a folder listed just before (path under it -> size, mtime_ns, inode:
    sitegen.snapshot's listing, when its walk met nothing but plain files and folders there):
    the same files without walking the folder again, which the build's survey has just done
    in a child process (~0.25 s at 5,000 posts). A file gone since it was listed is left out,
    as the walk would have."""
    if not root.is_dir():
        return read_sources(root)
    files: list[SourceFile] = []
    problems: list[Problem] = []
    top = os.fspath(root)
    for rel, stat in listing.items():
        if ignored(rel if os.sep == "/" else rel.replace(os.sep, "/")):
            continue
        path = Path(top, rel)
        try:
            files.append(_read(path, None, rel, stat))
        except FileNotFoundError:
            continue
        except OSError as exc:
            problems.append(Problem(str(path), None, f"cannot read file ({exc.strerror}): check its permissions"))
    files.sort(key=lambda f: str(f.rel))
    return files, problems


def _name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _read(path: Path, entry: os.DirEntry[str] | None, rel: str, listed: tuple[int, int, int] | None = None) -> SourceFile:
    """One content file: Markdown read now, anything else only checked readable (OSError if not).
    `rel`: its path under the content folder, as the system wrote it; `listed`: its size,
    mtime and inode as just listed (a file not read is not looked at again)."""
    if rel.endswith(".md"):
        with open(path, "rb") as handle:
            st = os.fstat(handle.fileno())  # taken before the read: an edit during it changes the mtime
            data: bytes | None = handle.read()
        stat = (st.st_size, st.st_mtime_ns, st.st_ino)
    else:
        if listed is None:
            st = entry.stat() if entry is not None else os.stat(path)
            listed = (st.st_size, st.st_mtime_ns, st.st_ino)
        if not os.access(path, os.R_OK):
            if not os.path.lexists(path):
                raise FileNotFoundError(2, "No such file or directory", str(path))
            raise PermissionError(13, "Permission denied", str(path))
        stat, data = listed, None
    if os.sep != "/":
        rel = rel.replace(os.sep, "/")
    name = rel if rel.isascii() else unicodedata.normalize("NFC", rel)
    return SourceFile(rel=PurePosixPath(name), path=path, content=data, stat=stat)


def relative(root: Path, path: Path) -> PurePosixPath:
    """A content file's path as the build names it: relative to the root, NFC-normalised."""
    return PurePosixPath(unicodedata.normalize("NFC", path.relative_to(root).as_posix()))


def ignored(rel: PurePosixPath | str) -> bool:
    """A path `read_sources` leaves out (hidden, an editor's backup, a system file)."""
    return any(_ignored(part) for part in (rel.split("/") if isinstance(rel, str) else rel.parts))


def read_file(root: Path, path: Path) -> SourceFile:
    """One content file: Markdown read now, anything else only checked readable (OSError if not)."""
    return _read(path, None, path.relative_to(root).as_posix())


class Listing(Mapping[PurePosixPath, SourceFile]):
    """Content files as an earlier build listed them, each made a SourceFile only when asked
    for (a build resumed from the cache, sitegen.resume, lists every file and reads a few).
    `rows`: path under the content folder -> [path on disk, size, mtime_ns, inode]; `read`:
    files read since, which stand for their rows."""

    def __init__(self, rows: Mapping[str, Sequence[Any]], read: Mapping[PurePosixPath, SourceFile] | None = None):
        self.rows = rows
        self.made: dict[PurePosixPath, SourceFile] = dict(read or {})

    def __getitem__(self, rel: PurePosixPath) -> SourceFile:
        found = self.made.get(rel)
        if found is None:
            path, size, mtime, inode = self.rows[str(rel)]
            found = self.made[rel] = SourceFile(rel, Path(path), None, (size, mtime, inode))
        return found

    def __iter__(self) -> Iterator[PurePosixPath]:
        return map(PurePosixPath, self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __contains__(self, rel: object) -> bool:
        return isinstance(rel, PurePosixPath) and str(rel) in self.rows

    def names(self) -> Iterable[str]:
        return self.rows.keys()

    def updated(self, read: Mapping[PurePosixPath, SourceFile]) -> "Listing":
        """The same files, these ones read again."""
        rows = dict(self.rows)
        rows.update((str(rel), [str(source.path), *source.stat]) for rel, source in read.items() if source.stat)
        return Listing(rows, {**self.made, **read})


class Contents(Mapping[PurePosixPath, bytes]):
    """Files by path, each read when its bytes are first asked for."""

    def __init__(self, files: Iterable[SourceFile] | Mapping[PurePosixPath, SourceFile]):
        self.files = files if isinstance(files, Mapping) else {f.rel: f for f in files}

    def names(self) -> Iterable[str]:
        """The paths, as text."""
        return self.files.names() if isinstance(self.files, Listing) else map(str, self.files)

    def __getitem__(self, rel: PurePosixPath) -> bytes:
        return self.files[rel].data

    def __iter__(self) -> Iterator[PurePosixPath]:
        return iter(self.files)

    def __len__(self) -> int:
        return len(self.files)

    def __contains__(self, rel: object) -> bool:
        return rel in self.files
