"""Building: bad input named by file:line, nothing half-written, identical bytes twice."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sitegen.build import build_files, build_site
from sitegen.cli import main
from sitegen.errors import BuildError

from .conftest import post

GOOD = {"blog/hello/index.md": post(tags="[음악]"), "blog/hello/a.png": b"\x89PNG\r\n\x1a\n"}

BAD_CASES = {
    "malformed yaml": ({"blog/x/index.md": "---\ntitle: a\ndate: 2026-01-01\ntags: [a, b\n---\nbody\n"}, "blog/x/index.md:5", "malformed YAML"),
    "missing title": ({"blog/x/index.md": "---\ndate: 2026-01-01\n---\nbody\n"}, "blog/x/index.md:1", "missing 'title'"),
    "missing date": ({"blog/x/index.md": "---\ntitle: a\n---\nbody\n"}, "blog/x/index.md:1", "missing 'date'"),
    "bad date": ({"blog/x/index.md": "---\ntitle: a\ndate: yesterday\n---\n"}, "blog/x/index.md:3", "not an ISO 8601 date"),
    "bad revision": ({"blog/x/index.md": "---\ntitle: a\ndate: 2026-01-01\nrevision: 0\n---\n"}, "blog/x/index.md:4", "'revision'"),
    "bad publish": ({"blog/x/index.md": "---\ntitle: a\ndate: 2026-01-01\npublish: maybe\n---\n"}, "blog/x/index.md:4", "'publish'"),
    "unknown img": ({"blog/x/index.md": "---\ntitle: a\ndate: 2026-01-01\nimg: nope.png\n---\n"}, "blog/x/index.md:4", "'img' 'nope.png'"),
    "broken local link": ({"blog/x/index.md": post(body="line\n\n[there](../nowhere/)\n")}, "blog/x/index.md:8", "broken link '../nowhere/'"),
    "broken image": ({"blog/x/index.md": post(body="![a cat](cat.png)\n")}, "blog/x/index.md:6", "broken image 'cat.png'"),
    "language contradicts file name": ({"blog/x/index.md": post(), "blog/x/en-GB.md": post(language="ko-KR")}, "blog/x/en-GB.md:4", "contradicts"),
    "duplicate slug": ({"blog/about/index.md": post(), "about/index.md": post()}, "blog/about/index.md", "duplicate slug 'about'"),
    "two files claim one URL": ({"blog/x/index.md": post(), "blog/x/index.html": "<p>hand-made</p>"}, "blog/x/index.html", "two files claim /x/index.html"),
    "non-UTF-8": ({"blog/x/index.md": "---\ntitle: a\n".encode() + b"date: 2026-01-01\n---\n\xff\xfe caf\xe9\n"}, "blog/x/index.md:5", "not UTF-8"),
    "content/assets clashes with the theme": ({"assets/logo.png": b"png"}, "assets/logo.png", "rename the folder"),
    "post outside a folder": ({"blog/loose.md": post()}, "blog/loose.md", "own folder"),
}


@pytest.mark.parametrize("files,where,what", BAD_CASES.values(), ids=BAD_CASES.keys())
def test_bad_input_names_the_place_and_keeps_the_old_site(make_site, capsys, files, where, what) -> None:  # type: ignore[no-untyped-def]
    options = make_site({**GOOD, **files})
    options.out.mkdir()
    (options.out / "index.html").write_text("previous build", encoding="utf-8")
    code = main(["build", "--content", str(options.content), "--out", str(options.out),
                 "--config", str(options.config), "--theme", str(options.theme)])
    err = capsys.readouterr().err
    assert code == 1
    assert "Traceback" not in err
    line = next(l for l in err.splitlines() if what in l)
    assert line.startswith(str(options.content / where)), line
    assert (options.out / "index.html").read_text(encoding="utf-8") == "previous build"


def test_unreadable_file_is_reported(make_site) -> None:  # type: ignore[no-untyped-def]
    options = make_site(GOOD)
    os.symlink(options.content / "gone.md", options.content / "blog/hello/en-GB.md")  # dangling: cannot be read
    with pytest.raises(BuildError) as caught:
        build_files(options)
    assert any("cannot read file" in str(p) and "en-GB.md" in str(p) for p in caught.value.problems)


def test_all_problems_are_reported_together(make_site) -> None:  # type: ignore[no-untyped-def]
    options = make_site({"blog/a/index.md": "---\ndate: 2026-01-01\n---\n", "blog/b/index.md": "---\ntitle: b\n---\n"})
    with pytest.raises(BuildError) as caught:
        build_files(options)
    assert len(caught.value.problems) == 2


def test_two_builds_are_byte_identical(make_site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    options = make_site({**GOOD, "blog/other/index.md": post(title="Other", date="2026-04-01", body="[hello](../hello/)\n")})
    first = build_files(options).files
    second = build_files(options).files
    assert first == second
    build_site(options)
    written = {str(p.relative_to(options.out)): p.read_bytes() for p in options.out.rglob("*") if p.is_file()}
    assert written == first


def test_example_site_builds_byte_identically(example: Path, tmp_path: Path) -> None:
    from sitegen.build import BuildOptions

    from .conftest import REPO

    again = tmp_path / "again"
    build_site(BuildOptions(content=REPO / "content", out=again, config=REPO / "site.toml", theme=REPO / "theme"))
    ours = {p.relative_to(example): p.read_bytes() for p in example.rglob("*") if p.is_file()}
    theirs = {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert ours == theirs


def test_drafts_only_with_the_flag(make_site) -> None:  # type: ignore[no-untyped-def]
    options = make_site({**GOOD, "blog/draft/index.md": post(publish="0")})
    assert "draft/index.html" not in build_files(options).files
    from dataclasses import replace

    assert "draft/index.html" in build_files(replace(options, drafts=True)).files


def test_a_drafts_translations_stay_out_until_drafts_are_built(make_site) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    options = make_site({**GOOD, "blog/d/index.md": post(publish="0"), "blog/d/en-GB.md": post(title="EN", language="en-GB")})
    files = build_files(options).files
    assert not any(path.startswith("d/") for path in files)
    assert {"d/index.html", "d/en-GB/index.html"} <= set(build_files(replace(options, drafts=True)).files)


def test_unknown_frontmatter_keys_reach_templates(make_site) -> None:  # type: ignore[no-untyped-def]
    options = make_site({"blog/x/index.md": post(mood="차분함")})
    site = build_files(options).site
    assert site.posts[0].primary.extra == {"mood": "차분함"}


def test_offline_mode_ships_a_versioned_worker_and_nothing_else(make_site) -> None:  # type: ignore[no-untyped-def]
    from .conftest import SITE_TOML

    plain = build_files(make_site(GOOD)).files
    assert not any(b"<script" in data for path, data in plain.items() if path.endswith(".html"))
    files = build_files(make_site(GOOD, toml=SITE_TOML + "offline = true\n")).files
    worker = files["sw.js"].decode()
    assert '"/hello/"' in worker and '"/feed.xml"' in worker and "const VERSION" in worker
    scripts = [p for p in files if p.endswith(".js")]
    assert len(scripts) == 2 and any(p.startswith("assets/sw-register.") for p in scripts)
    page = files["hello/index.html"].decode()
    assert page.count("<script") == 1 and "sw-register." in page
    changed = build_files(make_site({**GOOD, "blog/hello/index.md": post(body="changed\n")}, toml=SITE_TOML + "offline = true\n")).files
    version = lambda text: text.split("const VERSION = ", 1)[1].split(";", 1)[0]  # noqa: E731
    assert version(changed["sw.js"].decode()) != version(worker)
    assert "/sw.js\n  Cache-Control: no-cache" in files["_headers"].decode()


def test_base_url_override_and_subpath(make_site) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    options = replace(make_site(GOOD), base_url="https://example.org/blog/")
    files = build_files(options).files
    page = files["hello/index.html"].decode()
    assert 'href="https://example.org/blog/hello/"' in page and 'href="/blog/assets/' in page


def test_a_guest_post_linking_the_password_file_is_refused(make_site, capsys) -> None:  # type: ignore[no-untyped-def]
    from sitegen.cli import main

    options = make_site(GOOD)
    os.symlink("/etc/passwd", options.content / "blog/hello/secret.txt")
    args = ["--content", str(options.content), "--out", str(options.out), "--config", str(options.config)]
    assert main(["build", *args]) == 1
    err = capsys.readouterr().err
    assert f"{options.content / 'blog/hello/secret.txt'}: a link to /etc/passwd, outside the content folder" in err
    assert "Traceback" not in err and not options.out.exists()


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _blog() -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {"about/index.md": post(title="About")}
    for i in range(12):
        files[f"blog/p{i}/index.md"] = post(title=f"Post {i}", date=f"2026-01-{i + 1:02d}", tags=f"[t{i % 3}, 음악]",
                                            body=f"## Part {i}\n\nText and `code` and [about](/about/).\n")
        if i % 4 == 0:
            files[f"blog/p{i}/en-GB.md"] = post(title=f"Post {i} in English", date=f"2026-01-{i + 1:02d}", language="en-GB")
    return files


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_pages_streamed_into_the_staging_folder_are_the_pages_of_a_plain_build(make_site, monkeypatch, jobs) -> None:  # type: ignore[no-untyped-def]
    """A large render writes its pages into the staging folder as they come (over forked
    workers): the site is byte for byte the one rendered in memory, and so is the site the
    cache gives back when the output folder is removed (warm clean)."""
    from dataclasses import replace

    from sitegen import render

    options = replace(make_site(_blog()), jobs=jobs)
    plain = replace(options, out=options.out.parent / "plain", cache=False)
    build_site(plain)  # fewer pages than render.STREAM_AT: rendered in memory
    expected = _tree(plain.out)
    monkeypatch.setattr(render, "STREAM_AT", 1)
    monkeypatch.setattr(render, "CHUNK", 1)  # more chunks than the workers hold: this process renders some too (a cold build)
    result = build_site(options)
    assert result.counts["pages rendered"] == result.pages > 20
    assert _tree(options.out) == expected
    assert sorted(p.name for p in options.out.parent.iterdir() if p.name.startswith(".public.")) == [], "no staging folder left"
    import shutil
    shutil.rmtree(options.out)
    again = build_site(options)  # warm clean: every page from the cache
    assert again.counts["pages reused"] == again.pages
    assert _tree(options.out) == expected
    assert build_site(replace(options, cache=False)) and _tree(options.out) == expected  # streamed without a cache too


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_template_error_in_a_streamed_render_keeps_the_old_site(make_site, monkeypatch, tmp_path, jobs) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from sitegen import render

    import shutil

    options = make_site(_blog())
    assert options.theme is not None
    shutil.copytree(options.theme, tmp_path / "mytheme")
    options = replace(options, jobs=jobs, theme=tmp_path / "mytheme")
    build_site(options)
    before = _tree(options.out)
    monkeypatch.setattr(render, "STREAM_AT", 1)
    (tmp_path / "mytheme" / "templates").mkdir(parents=True, exist_ok=True)
    (tmp_path / "mytheme" / "templates" / "post.html").write_text("{{ doc.no_such_field }}\n", encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        build_site(options)
    assert "post.html" in str(caught.value.problems[0]), caught.value.problems
    assert _tree(options.out) == before
    assert sorted(p.name for p in options.out.parent.iterdir() if p.name.startswith(".public.")) == [], "no staging folder left"


@pytest.mark.parametrize(("template", "failing"), [("post.html", 'doc.slug == "p0"'), ("post.html", 'doc.slug == "p11"'),
                                                    ("404.html", 'root != ""')])  # the last page: the worker's first
def test_a_template_error_in_a_cold_streamed_render_writes_nothing(make_site, monkeypatch, tmp_path, template, failing) -> None:  # type: ignore[no-untyped-def]
    """A cold build's pages are rendered by a worker (the lists first) and by the build's own
    process once its own work is done (the posts' pages: sitegen.render._shared): a page that
    fails in either fails the build with the template's name, and no output folder or staging
    folder is left."""
    from dataclasses import replace

    from sitegen import render

    import shutil

    options = make_site(_blog())
    assert options.theme is not None
    shutil.copytree(options.theme, tmp_path / "mytheme")
    path = tmp_path / "mytheme" / "templates" / template
    path.write_text(f"{{% if {failing} %}}{{{{ doc.no_such_field }}}}{{% endif %}}" + path.read_text(encoding="utf-8"), encoding="utf-8")
    options = replace(options, jobs=2, theme=tmp_path / "mytheme")
    monkeypatch.setattr(render, "STREAM_AT", 1)
    monkeypatch.setattr(render, "CHUNK", 1)
    with pytest.raises(BuildError) as caught:
        build_site(options)
    assert template in str(caught.value.problems[0]), caught.value.problems
    assert not options.out.exists()
    assert sorted(p.name for p in options.out.parent.iterdir() if p.name.startswith(".public.")) == [], "no staging folder left"


def test_a_post_saved_with_a_byte_order_mark_builds_as_without_it(make_site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The body is cut where the frontmatter ends, the mark not counted (its first character is
    a heading's: one character off would make it another heading)."""
    text = "---\ntitle: 표시\ndate: 2026-03-14\n---\n## 첫 제목\n\n본문 `code`.\n"
    pages = []
    for data in (text.encode("utf-8"), b"\xef\xbb\xbf" + text.encode("utf-8")):
        options = make_site({"blog/marked/index.md": data, **{f"blog/p{i}/index.md": post(title=f"P{i}") for i in range(20)}})
        build_site(options)
        pages.append(((options.out / "marked" / "index.html").read_bytes(), (options.out / "marked" / "index.md").read_bytes()))
    assert pages[0] == pages[1]
    assert b"<h2" in pages[0][0] and "첫 제목".encode() in pages[0][0]
