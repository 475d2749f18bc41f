"""An incremental build (cache kept, output kept) is byte-identical to a clean build of the
same input, after any sequence of changes an author makes (hypothesis drives the sequences)."""

from __future__ import annotations

import os
import shutil
import struct
import time
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

    def files(self) -> dict[Path, bytes]:
        content = self.root / "content"
        out = {content / "about" / "index.md": "---\ntitle: About\ndate: 2026-01-01\n---\n\nMe.\n".encode()}
        for slug, p in self.posts.items():
            folder = content / "blog" / slug
            out[folder / "index.md"] = self.text(slug).encode()
            if p["translated"]:
                out[folder / "en-GB.md"] = self.text(slug, translation=True).encode()
            if p["image"]:
                out[folder / "pic.png"] = png(*p["image"])  # type: ignore[misc]
        out[self.root / "site.toml"] = (SITE_TOML + self.toml_extra).encode()
        out[self.root / "theme" / "templates" / "base.html"] = self.base.replace("</body>", f"{self.template_mark}</body>", 1).encode()
        out[self.root / "theme" / "static" / "style.css"] = (self.css + self.css_mark).encode()
        return out

    def write(self) -> None:
        """Write what changed as an editor would (and only that); remove what went. Written
        files get an mtime in the past, a new one each time, so that an unchanged blog looks
        unchanged to the build's file-metadata check and is not rebuilt (sitegen.snapshot)."""
        self.clock = getattr(self, "clock", 1_700_000_000) + 1
        wanted = self.files()
        content = self.root / "content"
        for path in sorted(content.rglob("*"), reverse=True) if content.exists() else []:
            if path.is_file() and path not in wanted:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
        written: set[Path] = set()  # the top folders written into
        for path, data in wanted.items():
            if path.exists() and path.read_bytes() == data:
                continue
            written.update(top for top in (content, self.root / "theme") if top in path.parents)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            os.utime(path, ns=(self.clock * 10**9, self.clock * 10**9))
        for top in (content, self.root / "theme"):  # folders change when files come and go
            if top in written or top == content:
                for folder in (top, *(p for p in top.rglob("*") if p.is_dir())):
                    os.utime(folder, ns=(self.clock * 10**9, self.clock * 10**9))

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


# the changes above, with text edits drawn as often as all the others together
text_heavy = st.lists(st.one_of(changes, st.tuples(st.just("body"), index, st.integers(0, len(BODIES) - 1))), min_size=1, max_size=6)


def two_post_blog(root: Path) -> tuple[Blog, BuildOptions, BuildOptions]:
    """A blog of two posts (one translated, with a picture), written; the options of its build
    and of a clean build beside it (no cache)."""
    blog = Blog(root)
    blog.posts["first"] = {"title": "처음", "tags": ["music"], "date": DATES[0], "publish": True,
                           "translated": True, "image": (4, 3), "body": BODIES[1]}
    blog.posts["second"] = {"title": "둘", "tags": ["code"], "date": DATES[1], "publish": True,
                            "translated": False, "image": None, "body": BODIES[0]}
    options = BuildOptions(content=root / "content", out=root / "public", config=root / "site.toml",
                           theme=root / "theme", jobs=1)
    blog.write()
    return blog, options, replace(options, out=root / "clean", cache=False)


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
    import subprocess
    import sys

    blog = Blog(tmp_path)
    blog.posts["first"] = {"title": "처음", "tags": ["music", "code"], "date": DATES[0], "publish": True,
                           "translated": True, "image": (4, 3), "body": BODIES[1]}
    blog.write()
    command = [sys.executable, "-m", "sitegen", "build", "--timings", "--jobs", "1"]
    first = subprocess.run(command, cwd=tmp_path, env={**os.environ, "PYTHONHASHSEED": "1"}, capture_output=True, text=True, check=True)
    assert "pages rendered" in first.stdout and "pages reused" not in first.stdout
    os.utime(tmp_path / "site.toml")  # a new mtime, the same settings: a real build, every result reused
    second = subprocess.run(command, cwd=tmp_path, env={**os.environ, "PYTHONHASHSEED": "2"}, capture_output=True, text=True, check=True)
    assert "pages rendered" not in second.stdout, second.stdout
    assert "markdown rendered 0" in second.stdout, second.stdout


def test_an_unchanged_blog_is_not_rebuilt_and_any_change_is_seen(tmp_path: Path) -> None:
    """The file-metadata check (sitegen.snapshot): nothing changed -> nothing redone; an edit,
    a removed output file or an edit hidden in the same second as the last build -> rebuilt."""
    blog = Blog(tmp_path)
    blog.posts["first"] = {"title": "처음", "tags": ["music"], "date": DATES[0], "publish": True,
                           "translated": False, "image": None, "body": BODIES[0]}
    blog.write()
    options = BuildOptions(content=tmp_path / "content", out=tmp_path / "public", config=tmp_path / "site.toml",
                           theme=tmp_path / "theme", jobs=1)
    clean = replace(options, out=tmp_path / "clean", cache=False)
    first = build_site(options)
    assert first.site is not None
    again = build_site(options)
    assert again.site is None and again.counts == {"nothing changed": 1}
    assert (again.pages, again.file_count) == (first.pages, first.file_count)

    (options.out / "first" / "index.html").unlink()  # the output is checked too
    assert build_site(options).site is not None
    assert tree(options.out) == outcome(clean)

    blog.posts["first"]["body"] = "본문!\n"  # same length in bytes as BODIES[0]? no matter: a new mtime
    blog.write()
    assert build_site(options).site is not None
    shutil.rmtree(clean.out)
    assert tree(options.out) == outcome(clean)

    # two edits of the same size within one clock tick: a stat cannot tell them apart, so a
    # snapshot holding a file that recent is never trusted (git's "racily clean" rule)
    source = options.content / "blog" / "first" / "index.md"
    text = source.read_bytes()
    assert "처음".encode() in text and len("처음".encode()) == len("나중".encode())
    tick = time.time_ns()
    source.write_bytes(text.replace("처음".encode(), "나중".encode()))
    os.utime(source, ns=(tick, tick))
    assert build_site(options).site is not None
    source.write_bytes(text)  # same size, same inode, same mtime as the build just recorded
    os.utime(source, ns=(tick, tick))
    assert build_site(options).site is not None
    shutil.rmtree(clean.out)
    assert tree(options.out) == outcome(clean)
    assert "처음" in (options.out / "first" / "index.html").read_text(encoding="utf-8")




def test_an_unchanged_blogs_build_answers_before_loading_markdown_or_templates(tmp_path: Path) -> None:
    import subprocess
    import sys

    blog = Blog(tmp_path)
    blog.posts["first"] = {"title": "처음", "tags": ["music"], "date": DATES[0], "publish": True,
                           "translated": True, "image": (4, 3), "body": BODIES[1]}
    blog.write()
    probe = ("import sys; from sitegen.cli import main; code = main(['build']); "
             "print(code, sorted(m for m in ('jinja2', 'markdown_it', 'pygments', 'sitegen.render') if m in sys.modules))")
    first = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert first.stdout.startswith("built ") and "0 ['jinja2', 'markdown_it', 'pygments', 'sitegen.render']" in first.stdout
    second = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert second.stdout.startswith("nothing changed since the last build"), second.stdout
    assert second.stdout.rstrip().endswith("0 []"), second.stdout
