"""Files written into a build's staging folder by forked processes while the build goes on:
pages taken from the build cache (decompressed, then written) and content files published as
they are (copied in the kernel), when the output folder is written again from the cache
(sitegen.live.restore: 6,939 pages and 16,250 copies at 5,000 posts).

Two threads did this before, and the build's own thread, making the feeds and llms-full.txt
meanwhile, held the GIL that each of their ~140,000 system calls had to take back: the
writers waited on it more than they wrote. Processes share no GIL. Each child takes a part
of the files (in path order: a post's folder mostly falls to one child), answers through a
pipe with the pages whose cache entries did not decompress, and leaves without running
anything of the parent's. Where there is no fork, or this process runs other threads (a fork
copies only the calling thread), the files are written here, at once.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Callable, Sequence

from . import forking, output
from .cache import Unreadable, unpack_bytes
from .errors import BuildError


@dataclass
class Writing:
    """The writers of one staging folder: `finish()` waits for them."""

    children: list[tuple[int, int]] = field(default_factory=list)  # (pid, read end of its pipe)
    damaged: list[tuple[str, Exception]] = field(default_factory=list)  # (cache key, error): written here
    failed: bool = False  # written here and an error raised
    made: Any = None  # what `also` returned, when it ran here

    def finish(self) -> tuple[bool, list[tuple[str, str]], Any]:
        """(every file written, the cache keys of the pages whose entries did not decompress
        with the reason, what `also` returned). Not written: a child that failed or was
        killed; the caller then makes the site the long way, which reports what went wrong."""
        whole = not self.failed
        damaged = [(key, str(error)) for key, error in self.damaged]
        made = self.made
        for pid, read in self.children:
            with open(read, "rb", closefd=True) as pipe:
                try:
                    answer = pickle.load(pipe)
                except (EOFError, OSError, pickle.UnpicklingError, AttributeError, ValueError):
                    answer = None
            _, status = os.waitpid(pid, 0)
            if not (isinstance(answer, tuple) and len(answer) == 2 and os.waitstatus_to_exitcode(status) == 0):
                whole = False
                continue
            damaged += answer[0]
            made = answer[1] if answer[1] is not None else made
        self.children = []
        return whole and not damaged, damaged, made


def _write(stage: Path, pages: Sequence[tuple[str, str, bytes]], copies: Sequence[tuple[str, output.Copied]],
           damaged: list[tuple[str, Exception]]) -> None:
    """`pages`: (output path, cache key, packed bytes: cache.pack_bytes); `copies`: (output
    path, the content file)."""
    folders: set[str] = set()
    for path, key, blob in pages:
        try:
            data = unpack_bytes(blob)  # the page's bytes as written: no str made
        except Unreadable as error:
            damaged.append((key, error))
            continue
        output.stage_file(stage, path, data, key, folders)
    for path, copy in copies:
        output.stage_copy(stage, path, copy, folders)


def start(stage: Path, pages: Sequence[tuple[str, str, bytes]], copies: Sequence[tuple[str, output.Copied]],
          workers: int = 2, also: Callable[[], Any] | None = None) -> Writing:
    """Write `pages` and `copies` (see `_write`) into `stage` over `workers` forked processes;
    the first also runs `also` (a file made from the site: llms-full.txt) and answers with
    what it returns (picklable)."""
    writing = Writing()
    if not forking.can_fork() or workers < 1:
        try:
            writing.made = also() if also is not None else None
            _write(stage, pages, copies, writing.damaged)
        except BuildError:
            writing.failed = True
        return writing
    for index in range(workers):
        part_pages = pages[len(pages) * index // workers:len(pages) * (index + 1) // workers]
        part_copies = copies[len(copies) * index // workers:len(copies) * (index + 1) // workers]
        task = also if index == 0 else None

        def answer(pipe: BinaryIO, task: Callable[[], Any] | None = task, part_pages: Sequence[tuple[str, str, bytes]] = part_pages,
                   part_copies: Sequence[tuple[str, output.Copied]] = part_copies) -> None:  # (in the child)
            made = task() if task is not None else None
            damaged: list[tuple[str, Exception]] = []
            _write(stage, part_pages, part_copies, damaged)
            pickle.dump(([(key, str(error)) for key, error in damaged], made), pipe, protocol=pickle.HIGHEST_PROTOCOL)

        child = forking.answering(answer)
        if child is None:  # no process to be had: this part is written here
            try:
                writing.made = task() if task is not None else writing.made
                _write(stage, part_pages, part_copies, writing.damaged)
            except BuildError:
                writing.failed = True
            continue
        writing.children.append(child)
    return writing


__all__ = ["Writing", "start"]
