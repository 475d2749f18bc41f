"""A forked child that answers through a pipe: what sitegen.survey and sitegen.staging use to
do I/O-bound work beside the build without starting a new Python."""

from __future__ import annotations

import os
import threading
from typing import BinaryIO, Callable


def can_fork() -> bool:
    """Whether a child may be forked safely: fork exists and no other thread runs (a thread's
    lock, held at the fork, would stay held in the child)."""
    return hasattr(os, "fork") and threading.active_count() == 1


def answering(answer: Callable[[BinaryIO], None]) -> tuple[int, int] | None:
    """Fork a child that runs `answer(pipe)` (writing what it has to say into the pipe) and
    leaves with os._exit, running nothing of the parent's (no buffers flushed twice, no atexit
    handlers, whatever happened): the child's pid and the pipe's read end, or None when no
    child could be forked (the caller then does the work itself)."""
    read, write = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read)
        os.close(write)
        return None
    if pid == 0:
        code = 1
        try:
            os.close(read)
            with open(write, "wb", closefd=True) as pipe:
                answer(pipe)
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    return pid, read


__all__ = ["can_fork", "answering"]
