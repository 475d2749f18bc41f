"""Fixtures for sitegen: the example site, and small sites written into tmp_path."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Callable, Iterable

import pytest

from sitegen.build import BuildOptions

REPO = Path(__file__).resolve().parents[2]

SITE_TOML = """\
title = "Test blog"
base_url = "https://blog.example/"
default_language = "ko-KR"
author = "Tester"
languages = { "ko-KR" = "한국어", "en-GB" = "English" }
"""


def pinned(files: Iterable[Path], where: Path) -> dict[Path, int]:
    """Each file's inode number, the file kept alive by a hard link in `where` (outside the
    output folder): while the link stands, a file written anew in its place cannot be given
    the same number (a freed number may go to the next new file, which made tests comparing
    numbers to tell a rewritten file flaky)."""
    where.mkdir(parents=True, exist_ok=True)
    numbers = {}
    for index, path in enumerate(files):
        os.link(path, where / str(index))
        numbers[path] = path.stat().st_ino
    return numbers


def post(title: str = "안녕", date: str = "2026-03-14T09:30:00+09:00", body: str = "본문.\n", **meta: str) -> str:
    lines = ["---", f"title: {title}", f"date: {date}"] + [f"{k}: {v}" for k, v in meta.items()] + ["---", "", body]
    return "\n".join(lines)


@pytest.fixture
def make_site(tmp_path: Path) -> Callable[[dict[str, str | bytes]], BuildOptions]:
    """Write {relative path: text or bytes} under tmp_path/content; returns build options."""

    def make(files: dict[str, str | bytes], toml: str = SITE_TOML) -> BuildOptions:
        root = tmp_path / "site"
        if root.exists():
            shutil.rmtree(root)
        (root / "content").mkdir(parents=True)
        (root / "site.toml").write_text(toml, encoding="utf-8")
        for rel, data in files.items():
            path = root / "content" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, bytes):
                path.write_bytes(data)
            else:
                path.write_text(data, encoding="utf-8")
        return BuildOptions(content=root / "content", out=root / "public", config=root / "site.toml",
                            theme=REPO / "theme")

    return make


@pytest.fixture(scope="session")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's example site, built once."""
    from sitegen.build import build_site

    out = tmp_path_factory.mktemp("example") / "public"
    build_site(BuildOptions(content=REPO / "content", out=out, config=REPO / "site.toml", theme=REPO / "theme"))
    return out
