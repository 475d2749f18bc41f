"""Free memory handed back to the system before worker processes are forked.

A forked worker's resident set starts as its parent's, free heap pages included: after the
parse stage glibc's heap holds ~100 MB of freed bodies and results at 5,000 posts, which every
page-rendering worker would otherwise count as its own. `malloc_trim` returns those pages;
elsewhere than glibc there is nothing to do (and nothing is lost but memory).
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def give_back() -> None:
    """Return the heap's free pages to the system (glibc), so that forked workers do not count them."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


__all__ = ["give_back"]
