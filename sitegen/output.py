"""The one writer of the output folder: the whole site goes into a temporary sibling
folder, which is swapped in only once it is complete, so a failed or interrupted build
never leaves a half-written site and the previous one stays until the new one is whole.

Incremental: the writer is given the manifest of the folder it wrote last time (each file's
digest, size, mtime and inode). A file whose bytes are unchanged and which is still the very
file written then (same size, mtime and inode: nobody edited it since) is hard-linked into
the new folder instead of written; everything else is written fresh, never in place, so the
live site is not touched until the swap. When nothing differs at all, nothing is done. The
swap is one atomic `renameat2(RENAME_EXCHANGE)` on Linux (two renames elsewhere), so a
reader or a killed build sees the old site or the new one, never a mix and never none.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import os
import posixpath
import shutil
import sys
import tempfile
from pathlib import Path
from contextlib import contextmanager
from typing import Any, Iterator, Mapping

from .errors import BuildError, Problem

Manifest = dict[str, list[Any]]  # output path -> [digest, size, mtime_ns, inode]
_RENAME_EXCHANGE = 2


def file_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def safe_path(path: str) -> str:
    """Refuse absolute paths and paths that climb out of the output folder."""
    normal = posixpath.normpath(path)
    if path.startswith("/") or normal.startswith("..") or normal in (".", "") or "\\" in path:
        raise ValueError(f"unsafe output path {path!r}")
    return normal


def write_site(files: Mapping[str, bytes], out: Path, previous: Manifest | None = None) -> Manifest:
    """Swap files in as the folder `out`; an output folder that cannot be written is a BuildError.
    Returns the new manifest (give it back next time as `previous`)."""
    blocking = next((p for p in (out, *out.parents) if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise BuildError([Problem(str(blocking), None, "is a file where the output folder should be: pass --out DIR, or move the file")])
    try:
        return _write_site(files, out.resolve(), previous or {})
    except OSError as exc:
        raise BuildError([Problem(str(exc.filename or out), None, f"cannot write the output ({exc.strerror or exc}): "
                                  "pass --out DIR with a folder you can write to, or fix its permissions")]) from None


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _unchanged(out: Path, path: str, entry: list[Any] | None, wanted: str) -> bool:
    """The file at out/path is still the one written with digest `wanted` last time."""
    return entry is not None and entry[0] == wanted and _stat(out / path) == tuple(entry[1:])


def still_written(out: Path, manifest: Manifest | None) -> bool:
    """The folder holds exactly the files of `manifest`, each untouched since it was written."""
    if not isinstance(manifest, dict) or not out.is_dir():
        return False
    for path, entry in manifest.items():
        if not (isinstance(entry, list) and len(entry) == 4 and _stat(out / path) == tuple(entry[1:])):
            return False
    return _count_files(out) == len(manifest)


def _count_files(folder: Path) -> int:
    return sum(len(names) for _dir, _dirs, names in os.walk(folder))


def _write_site(files: Mapping[str, bytes], out: Path, previous: Manifest) -> Manifest:
    out.parent.mkdir(parents=True, exist_ok=True)
    digests = {path: file_digest(data) for path, data in files.items()}
    live = out.is_dir()
    if live and set(previous) == set(files) and all(
        _unchanged(out, path, previous[path], digests[path]) for path in files
    ) and _count_files(out) == len(files):
        return previous  # the folder already is this site: nothing to write
    manifest: Manifest = {}
    with staged(out) as staging:
        made: set[Path] = {staging}
        for path in sorted(files):
            target = staging / safe_path(path)
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.update((target.parent, *target.parent.parents))
            linked = False
            if live and _unchanged(out, path, previous.get(path), digests[path]):
                try:
                    os.link(out / path, target, follow_symlinks=False)
                    linked = True
                except OSError:  # another file system, or links not allowed: write it
                    pass
            if not linked:
                target.write_bytes(files[path])
            st = os.stat(target)
            manifest[path] = [digests[path], st.st_size, st.st_mtime_ns, st.st_ino]
    return manifest


@contextmanager
def staged(out: Path) -> Iterator[Path]:
    """A fresh sibling folder of `out` to write a whole new version into: swapped in when the
    block ends normally, removed when it raises, so `out` is only ever the old or the new."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        yield staging
        os.chmod(staging, 0o755)
        swap_in(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def swap_in(staging: Path, out: Path) -> None:
    """Put the complete folder `staging` (a sibling of `out`) where `out` is: one atomic
    exchange on Linux, else two renames; a reader sees the old folder or the new, never a mix."""
    if not out.exists():
        os.rename(staging, out)
    elif _exchange(staging, out):
        shutil.rmtree(staging, ignore_errors=True)  # now the old folder
    else:
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        old.rmdir()
        os.rename(out, old)
        os.rename(staging, out)
        shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two folders (Linux renameat2); False where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(result == 0)
