"""The one writer of the output folder: the whole site goes into a temporary sibling
folder, which is swapped in only once it is complete, so a failed or interrupted build
never leaves a half-written site and the previous one stays until the new one is whole."""

from __future__ import annotations

import os
import posixpath
import shutil
import tempfile
from pathlib import Path
from typing import Mapping

from .errors import BuildError, Problem


def safe_path(path: str) -> str:
    """Refuse absolute paths and paths that climb out of the output folder."""
    normal = posixpath.normpath(path)
    if path.startswith("/") or normal.startswith("..") or normal in (".", "") or "\\" in path:
        raise ValueError(f"unsafe output path {path!r}")
    return normal


def write_site(files: Mapping[str, bytes], out: Path) -> None:
    """Swap files in as the folder `out`; an output folder that cannot be written is a BuildError."""
    blocking = next((p for p in (out, *out.parents) if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise BuildError([Problem(str(blocking), None, "is a file where the output folder should be: pass --out DIR, or move the file")])
    try:
        _write_site(files, out.resolve())
    except OSError as exc:
        raise BuildError([Problem(str(exc.filename or out), None, f"cannot write the output ({exc.strerror or exc}): "
                                  "pass --out DIR with a folder you can write to, or fix its permissions")]) from None


def _write_site(files: Mapping[str, bytes], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        for path in sorted(files):
            target = staging / safe_path(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(files[path])
        os.chmod(staging, 0o755)
        swap_in(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def swap_in(staging: Path, out: Path) -> None:
    """Put the complete folder `staging` (a sibling of `out`) where `out` is, replacing the
    previous one with two renames: a reader sees the old folder or the new, never a mix."""
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        old.rmdir()
        os.rename(out, old)
        os.rename(staging, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(staging, out)
