"""The one writer of the output folder. A reader of the site, or a build killed at any
moment, never sees a half-written file, and never a page linking to one that is not there yet.

Two ways, chosen by how much changed since the manifest of the last write (each file's
digest, size, mtime and inode):

- A large change (a first build, a new template, more than `IN_PLACE_LIMIT` files or a tenth
  of the site): the whole site goes into a temporary sibling folder (unchanged files hard-linked
  from the live one) which is swapped in with one atomic `renameat2(RENAME_EXCHANGE)` on Linux
  (two renames elsewhere): the old site or the new one, never a mix.
- A small change (an edited post: its page, a few lists, the feeds): every changed file is first
  written beside its target under a hidden temporary name, then each is renamed over its target
  (atomic per file): added files first, then changed ones, and only then are removed files
  deleted, so no page ever links to a page that is not there yet. A failure while writing (a full
  disk) removes the temporary files and leaves the site as it was; a kill leaves whole files and
  hidden leftovers, which the next build removes (they are not in its manifest).

A file whose bytes are unchanged and which is still the very file written then (same size,
mtime and inode) is not touched. Pages the build did not even render carry `Kept` instead of
their bytes (sitegen.build): they are known to be on disk already. When nothing differs at
all, nothing is done.
"""

from __future__ import annotations

import array
import ctypes
import glob
import ctypes.util
import fcntl
import hashlib
import os
import posixpath
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Literal, Mapping

from .errors import BuildError, Problem

Manifest = dict[str, list[Any]]  # output path -> [digest, size, mtime_ns, inode]
_RENAME_EXCHANGE = 2
IN_PLACE_LIMIT = 2000  # at most this many changed files (and a tenth of the site) are switched one by one
TEMPORARY = ".sitegen-new-"  # prefix of the hidden files a small change writes before renaming them


@dataclass(frozen=True)
class Kept:
    """An output file the build did not make again: it is on disk in `out`, as the last write's
    manifest says (digest), and must stay as it is."""

    digest: str
    path: Path | str  # where it is

    def read(self) -> bytes:
        with open(self.path, "rb") as handle:
            return handle.read()


@dataclass(frozen=True)
class Copied:
    """A content file published as it is (an image beside a post): its digest is known
    without reading it (sitegen.build remembers it by the file's metadata); its bytes are read
    only if it must be written."""

    digest: str
    path: Path | str

    def read(self) -> bytes:
        with open(self.path, "rb") as handle:
            return handle.read()


@dataclass(frozen=True)
class Staged:
    """An output file already written into the build's staging folder (`new_stage`) as it was
    rendered, so that a large build never holds its pages: `path` is where it is; `stat`, its
    size, mtime and inode once written, when the writer took them (the manifest's; else
    write_site looks: 23,000 stats at 5,000 posts, the last thing a cold build did)."""

    digest: str
    path: Path | str
    stat: tuple[int, int, int] | None = field(default=None, compare=False)

    def read(self) -> bytes:
        with open(self.path, "rb") as handle:
            return handle.read()


def stage_file(stage: Path, path: str, data: bytes, digest: str, folders: set[str]) -> Staged:
    """Write an output file into the staging folder now (`folders`: those made already).
    (Plain strings and descriptors: a restored site at 5,000 posts stages 23,000 files.)"""
    target = f"{stage}{os.sep}{safe_path(path)}"
    try:
        _made_folder(target, folders)
        stat = write_file(target, data)
    except OSError as exc:
        raise cannot_write(exc, Path(target)) from None
    return Staged(digest, target, stat)


def write_file(target: str, data: bytes) -> tuple[int, int, int]:
    """`data` written as the file `target` (made or truncated): its size, mtime and inode as
    written, for the manifest. (Plain descriptors: no file object for each of 23,000 files.)"""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        _write_all(fd, data)
        st = os.fstat(fd)
    finally:
        os.close(fd)
    return st.st_size, st.st_mtime_ns, st.st_ino


def _made_folder(target: str, folders: set[str]) -> None:
    """The folder of `target` made, unless `folders` has it already. (One mkdir first: the
    folder is most often there already, made by a worker that wrote its page; os.makedirs
    looks at every parent first, 6,250 times at 5,000 posts: ~0.9 s.)"""
    folder = os.path.dirname(target)
    if folder not in folders:
        try:
            os.mkdir(folder)
        except FileExistsError:
            if not os.path.isdir(folder):
                raise
        except FileNotFoundError:
            os.makedirs(folder, exist_ok=True)
        folders.add(folder)


def stage_parts(stage: Path, path: str, parts: Iterable[bytes]) -> tuple[Staged, tuple[int, ...]]:
    """`stage_file` for a file made piece by piece (llms-full.txt: every post's text), each
    written as it comes and never all held: the file and the length of each piece."""
    target = stage / safe_path(path)
    digest = hashlib.blake2b(digest_size=16)  # as file_digest
    lengths = []
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as file:
            for part in parts:
                file.write(part)
                digest.update(part)
                lengths.append(len(part))
    except OSError as exc:
        raise cannot_write(exc, target) from None
    return Staged(digest.hexdigest(), target), tuple(lengths)


Output = Mapping[str, "bytes | Kept | Copied | Staged"]


def data_of(value: "bytes | Kept | Copied | Staged") -> bytes:
    return value if isinstance(value, bytes) else value.read()


def file_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def safe_path(path: str) -> str:
    """Refuse absolute paths and paths that climb out of the output folder."""
    normal = posixpath.normpath(path)
    if path.startswith("/") or normal.startswith("..") or normal in (".", "") or "\\" in path:
        raise ValueError(f"unsafe output path {path!r}")
    return normal


def write_site(files: Output, out: Path, previous: Manifest | None = None, stage: Path | None = None, *,
               strays: bool = True, intact: bool = False) -> Manifest:
    """Swap files in as the folder `out`; an output folder that cannot be written is a BuildError.
    Returns the new manifest (give it back next time as `previous`). `stage`: the staging
    folder (`new_stage`) that `Staged` files were written into; a whole new version is
    completed and swapped in there. The caller removes it when it is still there afterwards
    (a small change, switched in place, or a failure). `strays=False`: the folder
    is known to hold only what `previous` lists (sitegen.live, right after writing it), so it
    is not walked for other files. `intact=True`: the folder was found to hold exactly what
    `previous` lists, each file untouched (`still_written`, earlier in this build), so a file
    whose digest is the one `previous` records is not looked at again, nor is the folder walked."""
    blocking = next((p for p in (out, *out.parents) if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise BuildError([Problem(str(blocking), None, "is a file where the output folder should be: pass --out DIR, or move the file")])
    try:
        return _write_site(files, out.resolve(), previous or {}, stage, strays, intact)
    except OSError as exc:
        raise cannot_write(exc, out) from None


def cannot_write(error: OSError, where: Path) -> BuildError:
    """An output or staging folder that cannot be written (a full disk ...): one line, no traceback."""
    return BuildError([Problem(str(error.filename or where), None, f"cannot write the output ({error.strerror or error}): "
                               "pass --out DIR with a folder you can write to, or fix its permissions")])


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _unchanged(out: Path, path: str, entry: list[Any] | None, wanted: str) -> bool:
    """The file at out/path is still the one written with digest `wanted` last time."""
    return entry is not None and entry[0] == wanted and _stat(out / path) == tuple(entry[1:])


def written_as(entry: list[Any] | None, wanted: str) -> bool:
    """A manifest entry records the digest `wanted` (whether the file is still there is not asked)."""
    return isinstance(entry, list) and len(entry) == 4 and entry[0] == wanted


def still_there(out: Path, path: str, entry: list[Any] | None, wanted: str) -> bool:
    """out/path is the file the last write made with digest `wanted`, untouched since."""
    return written_as(entry, wanted) and _unchanged(out, path, entry, wanted)


def still_written(out: Path, manifest: Manifest | None, present: "Present | None | Literal[False]" = False) -> bool:
    """The folder holds exactly the files of `manifest`, each untouched since it was written.
    `present`: the folder's `listing`, taken earlier in this build (sitegen.survey), which
    then stands for the folder; None when there was no folder then."""
    if present is False:
        present = listing(out)
    return isinstance(manifest, dict) and isinstance(present, dict) and listed_as(present, manifest)


Present = dict[str, tuple[int, int, int]]  # output path -> (size, mtime_ns, inode)


def listing(folder: Path) -> Present | None:
    """Every file under folder (anything but a folder; symlinks not followed) by its output
    path, with its size, mtime and inode; None when folder is not a folder."""
    if not folder.is_dir():
        return None
    found: Present = {}
    skip = len(str(folder)) + 1
    stack = [str(folder)]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    st = entry.stat(follow_symlinks=False)
                    found[entry.path[skip:].replace(os.sep, "/")] = (st.st_size, st.st_mtime_ns, st.st_ino)
    return found


def listed_as(present: Present, manifest: Manifest) -> bool:
    """A folder's `listing` is exactly the files of `manifest`, each as written then."""
    if len(present) != len(manifest):
        return False
    for path, entry in manifest.items():
        if not (isinstance(entry, list) and len(entry) == 4 and present.get(path) == (entry[1], entry[2], entry[3])):
            return False
    return True


def _present(folder: Path) -> set[str]:
    """Every file under folder, as output paths."""
    found: set[str] = set()
    for dirpath, _dirs, names in os.walk(folder):
        rel = os.path.relpath(dirpath, folder)
        prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        found.update(prefix + name for name in names)
    return found


def _write_site(files: Output, out: Path, previous: Manifest, stage: Path | None = None, strays: bool = True,
                intact: bool = False) -> Manifest:
    out.parent.mkdir(parents=True, exist_ok=True)
    digests = {path: file_digest(data) if isinstance(data, bytes) else data.digest for path, data in files.items()}
    live = out.is_dir()
    unchanged: set[str] = set()
    if live and intact:
        strays = False
        unchanged = {path for path, digest in digests.items() if written_as(previous.get(path), digest)}
    if live:
        changed = [path for path in files if not (not strays and isinstance(files[path], Kept))  # sitegen.live: as written
                   and not (path in unchanged if intact else _unchanged(out, path, previous.get(path), digests[path]))]
        for path in changed:
            if isinstance(files[path], Kept):  # cannot happen: a page is kept only when it is intact on disk
                raise ValueError(f"{path} was not rendered but is not on disk as it was")
        extra = sorted((_present(out) if strays else set(previous)) - files.keys())
        if not changed and not extra:
            return previous  # the folder already is this site: nothing to write
        if len(changed) + len(extra) <= min(IN_PLACE_LIMIT, max(64, len(files) // 10)):
            return _switch_in_place(files, out, previous, digests, changed, extra)
    manifest: Manifest = {}
    copies: list[tuple[str, Path | str, str]] = []  # (output path, content file, where it goes)
    with staged(out, stage) as staging:
        # plain strings and os calls: ~23,000 files at 5,000 posts, pathlib's objects cost more than the writes
        base, there = f"{staging}{os.sep}", f"{out}{os.sep}"
        made: set[str] = {str(staging)}
        for path in sorted(files):
            target = base + safe_path(path)
            value = files[path]
            if isinstance(value, Staged) and str(value.path) == target:  # written there as it was rendered
                if value.stat is not None:
                    manifest[path] = [digests[path], *value.stat]
                    continue
                st = os.stat(target)
                manifest[path] = [digests[path], st.st_size, st.st_mtime_ns, st.st_ino]
                continue
            folder = os.path.dirname(target)
            if folder not in made:
                os.makedirs(folder, exist_ok=True)
                while folder not in made and len(folder) >= len(base):
                    made.add(folder)
                    folder = os.path.dirname(folder)
            linked = False
            if live and (path in unchanged if intact else _unchanged(out, path, previous.get(path), digests[path])):
                try:
                    os.link(there + path, target, follow_symlinks=False)
                    linked = True
                except OSError:  # another file system, or links not allowed: write it
                    pass
            if not linked and isinstance(value, Copied):  # copied in the kernel, two at a time (below)
                copies.append((path, value.path, target))
                manifest[path] = []  # its place in the manifest's order
                continue
            if not linked:
                with open(target, "wb") as file:
                    file.write(data_of(value))
            st = os.stat(target)
            manifest[path] = [digests[path], st.st_size, st.st_mtime_ns, st.st_ino]
        with ThreadPoolExecutor(2) as pool:
            for done in pool.map(_copy, [copies[start:start + 256] for start in range(0, len(copies), 256)]):
                for path, st in done:
                    manifest[path] = [digests[path], st.st_size, st.st_mtime_ns, st.st_ino]
    return manifest


def _copy(copies: list[tuple[str, Path | str, str]]) -> list[tuple[str, os.stat_result]]:
    """Content files copied as they are (in the kernel: their bytes never pass through Python)."""
    return [(path, copy_file(source, target)) for path, source, target in copies]


def copy_file(source: Path | str, target: Path | str) -> os.stat_result:
    """`source` copied to `target` in the kernel (copy_file_range, else sendfile through
    shutil); the copy's metadata. Plain descriptors: shutil.copyfile's file objects and checks
    (five stats, a terminal check) cost more than the copy of a 10 KB image, 16,250 times
    when a site at 5,000 posts is written again from the cache."""
    if not hasattr(os, "copy_file_range"):
        shutil.copyfile(source, target)
        return os.stat(target)
    src = os.open(source, os.O_RDONLY)
    try:
        dst = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        try:
            try:
                copied = 0
                while done := os.copy_file_range(src, dst, 1 << 30):  # to the end, as the file is now
                    copied += done
                if copied == 0 and os.fstat(src).st_size:  # a file system that says nothing is there (procfs ...)
                    raise OSError("copy_file_range copied nothing")
            except OSError:  # a file system or kernel without it: from the start, the usual way
                os.lseek(src, 0, os.SEEK_SET)
                os.ftruncate(dst, 0)
                os.lseek(dst, 0, os.SEEK_SET)
                with open(src, "rb", closefd=False) as reading, open(dst, "wb", closefd=False) as writing:
                    shutil.copyfileobj(reading, writing)
            return os.fstat(dst)
        finally:
            os.close(dst)
    finally:
        os.close(src)


def stage_copy(stage: Path, path: str, value: Copied, folders: set[str]) -> Staged:
    """`stage_file` for a content file published as it is: copied into the staging folder now."""
    target = f"{stage}{os.sep}{safe_path(path)}"
    try:
        _made_folder(target, folders)
        st = copy_file(value.path, target)
    except OSError as exc:
        raise cannot_write(exc, Path(target)) from None
    return Staged(value.digest, target, (st.st_size, st.st_mtime_ns, st.st_ino))


def _switch_in_place(files: Output, out: Path, previous: Manifest, digests: Mapping[str, str],
                     changed: list[str], extra: list[str]) -> Manifest:
    """A small change: hidden temporary files beside their targets, then renamed over them
    (new files first), then what went is removed; see the module's docstring."""
    written: list[tuple[Path, Path]] = []  # (temporary, target)
    made: list[Path] = []  # folders created for new files, removed again on failure
    try:
        for path in changed:
            target = out / safe_path(path)
            missing = [p for p in (target.parent, *target.parent.parents) if p != out and out in p.parents and not p.exists()]
            for folder in reversed(missing):
                folder.mkdir()
                made.append(folder)
            temporary = in_place_temporary(target)
            value = files[path]
            if not (isinstance(value, Staged) and (str(value.path) == str(temporary)  # already written there (splice)
                                                   or _moved(value.path, temporary))):
                temporary.write_bytes(data_of(value))
            written.append((temporary, target))
    except BaseException:
        for temporary, _target in written:
            temporary.unlink(missing_ok=True)
        for folder in reversed(made):
            shutil.rmtree(folder, ignore_errors=True)
        raise
    manifest = {path: entry for path, entry in previous.items() if path in files}
    written.sort(key=lambda pair: pair[1].exists())  # files that are new first: nothing links to a page not yet there
    by_target = {target: path for path, target in ((p, out / safe_path(p)) for p in changed)}
    for temporary, target in written:
        os.replace(temporary, target)
        st = os.stat(target)
        path = by_target[target]
        manifest[path] = [digests[path], st.st_size, st.st_mtime_ns, st.st_ino]
    emptied: set[Path] = set()
    for path in extra:
        target = out / path
        if target.is_symlink() or not target.is_dir():
            target.unlink(missing_ok=True)
        emptied.update(p for p in target.parents if p != out and out in p.parents)
    for folder in sorted(emptied, key=lambda p: len(p.parts), reverse=True):
        try:
            folder.rmdir()  # only when it is empty now
        except OSError:
            pass
    return manifest


def in_place_temporary(target: Path) -> Path:
    """The hidden file a small change writes beside `target` before renaming it over it."""
    return target.parent / f"{TEMPORARY}{os.getpid()}-{target.name}"


def splice(source: Path, target: Path, pieces: Iterable[tuple[int, int] | bytes]) -> None:
    """Write `target` from runs of `source` ((offset, length): copied in the kernel, never
    read into Python) and new bytes, in order: a large file of which little changed."""
    old = os.open(source, os.O_RDONLY)
    try:
        new = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        try:
            for piece in pieces:
                if isinstance(piece, bytes):
                    _write_all(new, piece)
                    continue
                offset, left = piece
                while left > 0:
                    try:
                        done = os.copy_file_range(old, new, left, offset)
                    except OSError:  # a file system or kernel without it: through Python
                        done = _write_all(new, os.pread(old, min(left, 1 << 24), offset))
                    if done <= 0:
                        raise OSError(f"{source} is shorter than it was written")
                    offset += done
                    left -= done
        finally:
            os.close(new)
    finally:
        os.close(old)


def _write_all(fd: int, data: bytes) -> int:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    return len(data)


def _moved(staged: Path | str, temporary: Path) -> bool:
    """A file of the staging folder renamed beside its target rather than copied there
    (llms-full.txt is 64 MB at 5,000 posts); False when it cannot be (another file system)."""
    try:
        os.replace(staged, temporary)
    except OSError:
        return False
    return True


def new_stage(out: Path) -> Path:
    """A fresh hidden sibling folder of `out` to write a whole new version into."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    spread_folders(staging)
    return staging


@contextmanager
def staged(out: Path, stage: Path | None = None) -> Iterator[Path]:
    """A fresh sibling folder of `out` (or `stage`, made by `new_stage` and partly written) to
    write a whole new version into: swapped in when the block ends normally, removed when it
    raises, so `out` is only ever the old or the new."""
    staging = new_stage(out) if stage is None else stage
    try:
        yield staging
        os.chmod(staging, 0o755)
        swap_in(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


_FS_IOC_GETFLAGS, _FS_IOC_SETFLAGS, _FS_TOPDIR_FL = 0x80086601, 0x40086602, 0x00020000


def spread_folders(folder: Path) -> None:
    """Mark `folder` as the top of unrelated folder trees (`chattr +T`) for ext2/3/4's Orlov
    allocator, which then places each subfolder (a post's) in a block group of its own choosing
    instead of next to its siblings. Where a site was just removed (`rm -rf public`, or the
    old site removed in the background), the inodes beside it are recently deleted and, on
    ext4 without a journal, skipped one by one for every file created there: writing 23,000
    files then took 8-20 s of system time instead of 2 s. Ignored where not supported."""
    if not sys.platform.startswith("linux"):
        return
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        flags = array.array("i", [0])
        fcntl.ioctl(fd, _FS_IOC_GETFLAGS, flags, True)
        if not flags[0] & _FS_TOPDIR_FL:
            flags[0] |= _FS_TOPDIR_FL
            fcntl.ioctl(fd, _FS_IOC_SETFLAGS, flags, True)
    except OSError:
        pass
    finally:
        os.close(fd)


def swap_in(staging: Path, out: Path) -> None:
    """Put the complete folder `staging` (a sibling of `out`) where `out` is: one atomic
    exchange on Linux, else two renames; a reader sees the old folder or the new, never a mix.
    The old folder is renamed `.<out>.old-*` and removed in the background (removing a big
    site file by file takes longer than writing it); leftovers of killed runs are removed by
    the next one (`clear_leftovers`)."""
    clear_leftovers(out)
    if not out.exists():
        os.rename(staging, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    old.rmdir()
    if _exchange(staging, out):
        os.rename(staging, old)  # staging now holds the old site
    else:
        os.rename(out, old)
        os.rename(staging, out)
    remove_later(old)


LEFTOVER_AGE_S = 3600  # a staging folder this old belongs to no running build


def clear_leftovers(out: Path) -> None:
    """Remove what killed runs left beside `out`: old folders at once, staging folders
    once they are an hour old (a younger one may be another build's, still writing)."""
    now = time.time()
    for sibling in out.parent.glob(f".{glob.escape(out.name)}.*-*"):
        kind = sibling.name[len(out.name) + 2:].split("-", 1)[0]
        try:
            old_enough = now - sibling.stat().st_mtime > LEFTOVER_AGE_S
        except OSError:
            continue
        if sibling.is_dir() and (kind == "old" or (kind == "new" and old_enough)):
            remove_later(sibling)


def remove_later(folder: Path) -> None:
    """Remove a folder nobody reads any more without waiting for it: `rm -rf` left running
    in the background by a shell that exits at once (it outlives this process), else here
    and now."""
    sh = shutil.which("sh")
    if sh is not None and os.name == "posix":
        try:
            done = subprocess.run([sh, "-c", 'rm -rf -- "$1" </dev/null >/dev/null 2>&1 &', "sh", str(folder)],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)
            if done.returncode == 0:
                return
        except (OSError, subprocess.SubprocessError):
            pass
    shutil.rmtree(folder, ignore_errors=True)


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
