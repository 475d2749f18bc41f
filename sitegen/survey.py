"""A build's first look at the disk, taken by a forked process while this one goes on: the
metadata of everything the build reads (sitegen.snapshot), then of every file the output
folder holds (output.listing).

At 5,000 posts each walk stats ~20,000 files (~0.2 s apiece). The build needs the first to
know whether anything changed (it reads the last build's record from the cache meanwhile);
when something did, it imports the rest of sitegen (~0.3 s) while the child lists the output
folder, which the build needs only then. An unchanged blog still answers without importing
Markdown or templates. The child only reads metadata and answers through a pipe, one pickle
per walk; it touches neither the build cache nor the output.

Where there is no fork, or this process runs other threads (a fork copies only the calling
thread: a lock another one holds would never be released in the child), or the child fails,
what is missing is taken here.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import IO, Any, BinaryIO

from . import forking, output, snapshot
from .cache import stamp
from .options import BuildOptions
from .unchanged import inputs_snapshot

_MISSING: Any = object()


class Survey:
    """The survey of one build: `inputs()` and `present()`, each waited for when first asked."""

    def __init__(self, options: BuildOptions, pid: int | None = None, pipe: IO[bytes] | None = None):
        self.options, self.pid, self.pipe = options, pid, pipe
        self._inputs: Any = _MISSING
        self._present: Any = _MISSING

    def _next(self) -> Any:
        """The child's next answer, or _MISSING when it has none (it failed, or there is none)."""
        if self.pipe is None:
            return _MISSING
        try:
            return pickle.load(self.pipe)
        except (EOFError, OSError, pickle.UnpicklingError, AttributeError, ValueError):
            self.close()
            return _MISSING

    def inputs(self) -> snapshot.Snapshot:
        """Everything the build reads, by metadata (sitegen.snapshot), taken before it reads any."""
        if self._inputs is _MISSING:
            found = self._next()
            self._inputs = found if isinstance(found, snapshot.Snapshot) else inputs_snapshot(self.options)
        return self._inputs

    def present(self) -> output.Present | None:
        """Every file the output folder holds (None: no folder), listed after `inputs`."""
        if self._present is _MISSING:
            self.inputs()
            found = self._next()
            self._present = found if found is None or isinstance(found, dict) else output.listing(self.options.out.resolve())
            self.close()
        return self._present

    def close(self) -> None:
        """Stop listening (a child still writing gets a broken pipe and leaves) and reap the child."""
        if self.pipe is not None:
            self.pipe.close()
            self.pipe = None
        if self.pid is not None:
            os.waitpid(self.pid, 0)
            self.pid = None

    def __enter__(self) -> "Survey":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def start(options: BuildOptions) -> Survey:
    """The survey of a build about to start: taken by a child process when one can be forked
    safely, else here (when asked for)."""
    if not forking.can_fork():
        return Survey(options)
    stamp()  # (found once, before the fork: both processes need it)

    def answer(pipe: BinaryIO) -> None:  # (in the child)
        pickle.dump(inputs_snapshot(options), pipe, protocol=pickle.HIGHEST_PROTOCOL)
        pipe.flush()
        pickle.dump(output.listing(Path(options.out).resolve()), pipe, protocol=pickle.HIGHEST_PROTOCOL)

    child = forking.answering(answer)
    if child is None:
        return Survey(options)
    return Survey(options, child[0], open(child[1], "rb", closefd=True))

__all__ = ["Survey", "start"]
