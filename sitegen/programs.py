"""Where the programs and packages sitegen uses but does not ship are: looked up, never
downloaded. Light on purpose: the check that a build can be skipped imports it."""

from __future__ import annotations

import shutil
from pathlib import Path

CHROMIUM = ("/usr/bin/chromium", "chromium", "chromium-browser")


def find_upwards(start: Path, relative: str) -> Path | None:
    """`relative` in `start` or the nearest folder above it, as Node finds packages."""
    for folder in (start, *start.parents):
        candidate = folder / relative
        if candidate.is_file():
            return candidate
    return None


def find_chromium() -> Path | None:
    for name in CHROMIUM:
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


MERMAID = "node_modules/mermaid/dist/mermaid.min.js"
