"""A build's first look at the disk, taken by two forked processes while this one goes on:
the metadata of everything the build reads (sitegen.snapshot), and of every file the output
folder holds (output.listing), each walk in a child of its own (side by side: a build that goes
on waited ~0.1 s for the second walk at 5,000 posts when one child took both in turn).

At 5,000 posts each walk stats ~20,000 files (~0.2 s apiece). The build needs the first to
know whether anything changed (it reads the last build's record from the cache meanwhile, and
sitegen.cli imports the rest of sitegen in a thread while it waits); the second to know
whether the output folder is as the last build left it. An unchanged blog answers without
waiting for Markdown or templates to be imported. The children only read metadata and answer
through a pipe, one pickle each; they touch neither the build cache nor the output.

Where there is no fork, or this process runs other threads (a fork copies only the calling
thread: a lock another one holds would never be released in the child), or a child fails,
what is missing is taken here.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import IO, Any, BinaryIO, Callable

from . import forking, output, snapshot
from .cache import stamp
from .options import BuildOptions
from .unchanged import inputs_snapshot

_MISSING: Any = object()


class _Child:
    """A forked child answering through a pipe, once."""

    def __init__(self, pid: int, pipe: IO[bytes]):
        self.pid: int | None = pid
        self.pipe: IO[bytes] | None = pipe

    def answer(self) -> Any:
        """The child's answer, or _MISSING when it has none (it failed)."""
        if self.pipe is None:
            return _MISSING
        try:
            return pickle.load(self.pipe)
        except (EOFError, OSError, pickle.UnpicklingError, AttributeError, ValueError):
            return _MISSING
        finally:
            self.close()

    def close(self) -> None:
        """Stop listening (a child still writing gets a broken pipe and leaves) and reap it."""
        if self.pipe is not None:
            self.pipe.close()
            self.pipe = None
        if self.pid is not None:
            os.waitpid(self.pid, 0)
            self.pid = None


class Survey:
    """The survey of one build: `inputs()` and `present()`, each waited for when first asked."""

    def __init__(self, options: BuildOptions, snapshotting: _Child | None = None, listing: _Child | None = None):
        self.options = options
        self.snapshotting, self.listing = snapshotting, listing
        self._inputs: Any = _MISSING
        self._present: Any = _MISSING
        self.meanwhile: Callable[[], None] | None = None  # run once, when a child is first waited for

    @property
    def pid(self) -> int | None:
        """The snapshotting child's (None: none, or reaped)."""
        return self.snapshotting.pid if self.snapshotting is not None else None

    def _answer(self, child: _Child | None) -> Any:
        if child is None:
            return _MISSING
        if self.meanwhile is not None:
            meanwhile, self.meanwhile = self.meanwhile, None
            meanwhile()
        return child.answer()

    def inputs(self) -> snapshot.Snapshot:
        """Everything the build reads, by metadata (sitegen.snapshot), taken before it reads any."""
        if self._inputs is _MISSING:
            found = self._answer(self.snapshotting)
            self._inputs = found if isinstance(found, snapshot.Snapshot) else inputs_snapshot(self.options)
        return self._inputs

    def present(self) -> output.Present | None:
        """Every file the output folder holds (None: no folder)."""
        if self._present is _MISSING:
            found = self._answer(self.listing)
            self._present = found if found is None or isinstance(found, dict) else output.listing(self.options.out.resolve())
        return self._present

    def close(self) -> None:
        """Stop listening to the children and reap them."""
        for child in (self.snapshotting, self.listing):
            if child is not None:
                child.close()

    def __enter__(self) -> "Survey":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def start(options: BuildOptions) -> Survey:
    """The survey of a build about to start: taken by two child processes (one walk each, side
    by side) when they can be forked safely, else here (when asked for)."""
    if not forking.can_fork():
        return Survey(options)
    stamp()  # (found once, before the fork: both processes need it)

    def snapshot_answer(pipe: BinaryIO) -> None:  # (in a child)
        pickle.dump(inputs_snapshot(options), pipe, protocol=pickle.HIGHEST_PROTOCOL)

    def listing_answer(pipe: BinaryIO) -> None:  # (in another)
        pickle.dump(output.listing(Path(options.out).resolve()), pipe, protocol=pickle.HIGHEST_PROTOCOL)

    children = [forking.answering(answer) for answer in (snapshot_answer, listing_answer)]
    made = [None if child is None else _Child(child[0], open(child[1], "rb", closefd=True)) for child in children]
    return Survey(options, *made)

__all__ = ["Survey", "start"]
