"""An incremental build (cache kept, output kept) is byte-identical to a clean build of the
same input, after any sequence of changes an author makes (hypothesis drives the sequences)."""

from __future__ import annotations

import shutil
import struct
import zlib
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitegen.build import BuildOptions, build_site
from sitegen.errors import BuildError

from .conftest import REPO, SITE_TOML

SLUGS = ["alpha", "beta", "gamma", "delta"]
TITLES = ["하나", "Two", "셋 three"]
TAGS = ["music", "음악", "code", "math"]
DATES = ["2026-01-01", "2026-02-01T10:00:00+09:00", "2025-12-31T23:00:00Z"]
BODIES = [
    "본문.\n",
    "## 목차\n\n## 첫째\n\nText with $x^2$ and a [link](https://example.org).\n\n```python\nprint(1)\n```\n",
    "A footnote[^1].\n\n[^1]: Here.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
]


def png(width: int, height: int) -> bytes:
    """A real (tiny) PNG whose header says width x height."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


class Blog:
    """The author's files, as a model we change and write out."""

    def __init__(self, root: Path):
        self.root = root
        self.posts: dict[str, dict[str, object]] = {}
        self.template_mark = ""
        self.css_mark = ""
        self.toml_extra = ""
        shutil.copytree(REPO / "theme", root / "theme")
        self.base = (root / "theme" / "templates" / "base.html").read_text(encoding="utf-8")
        self.css = (root / "theme" / "static" / "style.css").read_text(encoding="utf-8")

    def text(self, slug: str, *, translation: bool = False) -> str:
        p = self.posts[slug]
        tags = ", ".join(p["tags"])  # type: ignore[arg-type]
        lines = ["---", f"title: {p['title']}{' (en)' if translation else ''}", f"date: {p['date']}",
                 f"tags: [{tags}]", f"publish: {1 if p['publish'] else 0}"]
        if translation:
            lines.append("language: en-GB")
        body = str(p["body"])
        if p["image"]:
            body += "\n![a picture](pic.png)\n"
        return "\n".join(lines + ["---", "", body])

    def write(self) -> None:
        content = self.root / "content"
        if content.exists():
            shutil.rmtree(content)
        (content / "about").mkdir(parents=True)
        (content / "about" / "index.md").write_text("---\ntitle: About\ndate: 2026-01-01\n---\n\nMe.\n", encoding="utf-8")
        for slug, p in self.posts.items():
            folder = content / "blog" / slug
            folder.mkdir(parents=True)
            (folder / "index.md").write_text(self.text(slug), encoding="utf-8")
            if p["translated"]:
                (folder / "en-GB.md").write_text(self.text(slug, translation=True), encoding="utf-8")
            if p["image"]:
                (folder / "pic.png").write_bytes(png(*p["image"]))  # type: ignore[misc]
        (self.root / "site.toml").write_text(SITE_TOML + self.toml_extra, encoding="utf-8")
        (self.root / "theme" / "templates" / "base.html").write_text(self.base.replace("</body>", f"{self.template_mark}</body>", 1), encoding="utf-8")
        (self.root / "theme" / "static" / "style.css").write_text(self.css + self.css_mark, encoding="utf-8")

    def apply(self, change: tuple) -> None:  # type: ignore[type-arg]
        kind, *args = change
        slugs = sorted(self.posts)
        if kind == "add":
            slug, title, tags, date = args
            self.posts.setdefault(slug, {"title": title, "tags": tags, "date": date, "publish": True,
                                         "translated": False, "image": None, "body": BODIES[0]})
            return
        if kind == "template":
            self.template_mark = f"<!-- {args[0]} -->"
        elif kind == "css":
            self.css_mark = f"\n/* {args[0]} */\n"
        elif kind == "toml":
            self.toml_extra = ["", "per_page = 1\n", 'description = "Changed"\n', "feed_limit = 1\n"][args[0]]
        if not slugs:
            return
        p = self.posts[slugs[args[0] % len(slugs)]] if kind not in ("template", "css", "toml") else {}
        if kind == "body":
            p["body"] = BODIES[args[1]]
        elif kind == "title":
            p["title"] = TITLES[args[1]]
        elif kind == "tags":
            p["tags"] = args[1]
        elif kind == "date":
            p["date"] = DATES[args[1]]
        elif kind == "publish":
            p["publish"] = not p["publish"]
        elif kind == "translate":
            p["translated"] = not p["translated"]
        elif kind == "image":
            p["image"] = None if args[1] == (0, 0) else args[1]
        elif kind == "delete":
            del self.posts[slugs[args[0] % len(slugs)]]
        elif kind == "rename":
            old = slugs[args[0] % len(slugs)]
            new = SLUGS[args[1]]
            if new not in self.posts:
                self.posts[new] = self.posts.pop(old)


index = st.integers(0, 3)
changes = st.one_of(
    st.tuples(st.just("add"), st.sampled_from(SLUGS), st.sampled_from(TITLES), st.lists(st.sampled_from(TAGS), max_size=2, unique=True), st.sampled_from(DATES)),
    st.tuples(st.just("body"), index, st.integers(0, len(BODIES) - 1)),
    st.tuples(st.just("title"), index, st.integers(0, len(TITLES) - 1)),
    st.tuples(st.just("tags"), index, st.lists(st.sampled_from(TAGS), max_size=3, unique=True)),
    st.tuples(st.just("date"), index, st.integers(0, len(DATES) - 1)),
    st.tuples(st.just("publish"), index),
    st.tuples(st.just("translate"), index),
    st.tuples(st.just("image"), index, st.sampled_from([(0, 0), (4, 3), (8, 6)])),
    st.tuples(st.just("delete"), index),
    st.tuples(st.just("rename"), index, st.integers(0, len(SLUGS) - 1)),
    st.tuples(st.just("template"), st.integers(0, 2)),
    st.tuples(st.just("css"), st.integers(0, 2)),
    st.tuples(st.just("toml"), st.integers(0, 3)),
)


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def outcome(options: BuildOptions) -> dict[str, bytes] | tuple[str, ...]:
    try:
        build_site(options)
    except BuildError as error:
        return tuple(str(p) for p in error.problems)
    return tree(options.out)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(changes, min_size=1, max_size=6))
def test_incremental_build_equals_clean_build_after_every_change(tmp_path_factory: pytest.TempPathFactory, steps: list[tuple]) -> None:  # type: ignore[type-arg]
    root = tmp_path_factory.mktemp("incremental")
    blog = Blog(root)
    blog.posts["first"] = {"title": "처음", "tags": ["music"], "date": DATES[0], "publish": True,
                           "translated": True, "image": (4, 3), "body": BODIES[1]}
    incremental = BuildOptions(content=root / "content", out=root / "public", config=root / "site.toml",
                               theme=root / "theme", jobs=1)
    clean = replace(incremental, out=root / "clean", cache=False)
    blog.write()
    build_site(incremental)
    for change in steps:
        blog.apply(change)
        blog.write()
        before = tree(incremental.out)
        got = outcome(incremental)
        shutil.rmtree(clean.out, ignore_errors=True)
        want = outcome(clean)
        if isinstance(want, tuple):  # the input is broken: the same problems, and the last good site stays
            assert got == want, change
            assert tree(incremental.out) == before
            continue
        assert isinstance(got, dict), (change, got)
        assert sorted(got) == sorted(want), change
        for path in want:
            assert got[path] == want[path], (change, path)


def test_cached_documents_and_pages_are_reused_across_processes_whatever_the_hash_seed(tmp_path: Path) -> None:
    """The page digests must not depend on Python's per-process hash seed (set order)."""
    import os
    import subprocess
    import sys

    blog = Blog(tmp_path)
    blog.posts["first"] = {"title": "처음", "tags": ["music", "code"], "date": DATES[0], "publish": True,
                           "translated": True, "image": (4, 3), "body": BODIES[1]}
    blog.write()
    command = [sys.executable, "-m", "sitegen", "build", "--timings", "--jobs", "1"]
    first = subprocess.run(command, cwd=tmp_path, env={**os.environ, "PYTHONHASHSEED": "1"}, capture_output=True, text=True, check=True)
    assert "pages rendered" in first.stdout and "pages reused" not in first.stdout
    second = subprocess.run(command, cwd=tmp_path, env={**os.environ, "PYTHONHASHSEED": "2"}, capture_output=True, text=True, check=True)
    assert "pages rendered" not in second.stdout, second.stdout
    assert "markdown rendered 0" in second.stdout, second.stdout
