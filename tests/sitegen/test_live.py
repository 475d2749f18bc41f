"""`sitegen serve`'s rebuild after a save (sitegen.live): when only posts' text changed it
redoes only the pages that reached them, and its output is the clean build's, byte for byte;
anything else it leaves to the full build."""

from __future__ import annotations

import dataclasses
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Callable

import pytest
from hypothesis import HealthCheck, example, given, settings

from sitegen import build, live
from sitegen.build import BuildOptions, build_site, read_site
from sitegen.errors import BuildError
from sitegen.fingerprint import EVERYTHING, Fingerprints
from sitegen.markdown import Rendered

from .conftest import pinned, post
from .test_incremental import outcome, text_heavy, tree, two_post_blog


def written(root: Path, before: dict[str, bytes]) -> list[Path]:
    """The files under root that differ from `before` (added, changed or removed), as the
    dev server's watcher reports them."""
    now = tree(root)
    return [root / rel for rel in sorted(set(now) | set(before)) if now.get(rel) != before.get(rel)]


def start(options: BuildOptions) -> live.Last:
    last = live.Last.of(options, build_site(options))
    assert last is not None
    return last


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=text_heavy)
# found by this test: two posts with the same text measuring different images shared one
# render in the cache, and a remembered document took the other's (documents.markdown_key)
@example(steps=[("toml", 0), ("image", 1, (8, 6)), ("body", 0, 1), ("body", 1, 1), ("rename", 3, 1), ("rename", 3, 1)])
@example(steps=[("title", 1, 0), ("body", 1, 1), ("title", 0, 1)])
def test_a_patched_site_equals_a_clean_build_after_every_change(tmp_path_factory: pytest.TempPathFactory, steps: list[tuple]) -> None:  # type: ignore[type-arg]
    root = tmp_path_factory.mktemp("live")
    blog, options, clean = two_post_blog(root)
    last: live.Last | None = start(options)
    patches: list[tuple] = []  # type: ignore[type-arg]
    for change in steps:
        content, theme, toml = tree(root / "content"), tree(root / "theme"), (root / "site.toml").read_bytes()
        blog.apply(change)
        blog.write()
        paths = written(root / "content", content) + written(root / "theme", theme)
        if (root / "site.toml").read_bytes() != toml:
            paths.append(root / "site.toml")
        patched = live.patch(last, paths) if last is not None else None
        if patched is not None:
            last = patched[1]
            patches.append(change)
        else:
            try:
                last = live.Last.of(options, build_site(options))
            except BuildError:
                last = None
        got = tree(options.out)
        shutil.rmtree(clean.out, ignore_errors=True)
        want = outcome(clean)
        if isinstance(want, tuple):
            assert patched is None, change  # a broken input is the full build's to report
            continue
        assert last is not None, change  # the next change can start from this build
        assert sorted(got) == sorted(want), change
        for path in want:
            assert got[path] == want[path], (change, path, patched is not None)
    PATCHED.extend(patches)


PATCHED: list[tuple] = []  # type: ignore[type-arg]  # the changes patched in the run above


def test_the_changes_above_were_patched_not_only_rebuilt() -> None:
    """The property above means something only if text changes did take the patch."""
    if not PATCHED:
        pytest.skip("run with the test above")  # pragma: no cover
    assert any(change[0] == "body" for change in PATCHED), PATCHED
    assert any(change[0] == "title" for change in PATCHED), PATCHED


POSTS = {f"blog/p{i}/index.md": post(title=f"Post {i}", date=f"2026-01-{i + 1:02d}", tags=f"[t{i % 3}]", body=f"Text {i}.\n")
         for i in range(12)}


def test_a_saved_text_redoes_only_the_pages_that_show_it(make_site) -> None:  # type: ignore[no-untyped-def]
    options = make_site({**POSTS, "blog/p10/en-GB.md": post(title="Post 10 in English", date="2026-01-11", tags="[t1]"),
                         "about/index.md": post(title="About", body="Me.\n")})
    last = start(options)
    names = ("p8/index.html", "p10/index.html", "p10/index.md")
    inode = dict(zip(names, pinned([options.out / name for name in names], options.out.parent / "pinned").values(), strict=True))
    saved = options.content / "blog/p10/index.md"
    saved.write_text(post(title="Post 10", date="2026-01-11", tags="[t1]", body="A *new* sentence.\n"), encoding="utf-8")
    patched = live.patch(last, [saved])
    assert patched is not None
    result, _last = patched
    assert result.counts["markdown rendered"] == 1
    # only its own page read its text: the lists, tag pages, neighbours and related posts that
    # show its title are left as they are (sitegen.reading)
    assert result.counts["pages rendered"] == 1, result.counts
    assert b"A <em>new</em> sentence." in (options.out / "p10/index.html").read_bytes()
    assert (options.out / "p8/index.html").stat().st_ino == inode["p8/index.html"]  # not even rewritten
    assert (options.out / "p10/index.html").stat().st_ino != inode["p10/index.html"]
    assert "A *new* sentence." in (options.out / "p10/index.md").read_text(encoding="utf-8")
    assert b"A &lt;em&gt;new&lt;/em&gt; sentence." in (options.out / "feed.xml").read_bytes()
    assert "A *new* sentence." in (options.out / "llms-full.txt").read_text(encoding="utf-8")
    clean = replace(options, out=options.out.parent / "clean", cache=False)
    build_site(clean)
    assert tree(options.out) == tree(clean.out)


def feeds_made(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The feeds made from now on, by kind ("atom", "rss"), each as it is made."""
    from sitegen import feeds as feeds_module

    made: list[str] = []

    def counted(name: str, make: Callable[..., bytes]) -> Callable[..., bytes]:
        return lambda *args: made.append(name) or make(*args)

    monkeypatch.setattr(feeds_module, "atom", counted("atom", feeds_module.atom))
    monkeypatch.setattr(feeds_module, "rss", counted("rss", feeds_module.rss))
    return made


def test_a_post_older_than_the_feeds_leaves_them_and_llms_full_is_spliced(make_site, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from .conftest import SITE_TOML
    options = make_site(POSTS, SITE_TOML + "feed_limit = 3\n")
    last = start(options)
    made = feeds_made(monkeypatch)
    feeds = {name: (options.out / name).stat().st_ino for name in ("feed.xml", "rss.xml")}
    inode = (options.out / "llms-full.txt").stat().st_ino
    for number, newest in ((2, False), (11, True)):  # p11 is the newest post: in the feeds
        made.clear()
        pinned([options.out / name for name in (*feeds, "llms-full.txt")], options.out.parent / f"pinned-{number}")
        saved = options.content / f"blog/p{number}/index.md"
        saved.write_text(post(title=f"Post {number}", date=f"2026-01-{number + 1:02d}", tags=f"[t{number % 3}]",
                              body=f"Post {number}, *rewritten*.\n"), encoding="utf-8")
        patched = live.patch(last, [saved])
        assert patched is not None
        last = patched[1]
        now = {name: (options.out / name).stat().st_ino for name in feeds}
        assert (now != feeds) is newest, number  # not even rewritten when the post is not in them
        assert sorted(made) == (["atom", "rss"] if newest else []), number  # nor made again
        assert (options.out / "llms-full.txt").stat().st_ino != inode
        assert f"Post {number}, *rewritten*." in (options.out / "llms-full.txt").read_text(encoding="utf-8")
        clean = replace(options, out=options.out.parent / "clean", cache=False)
        shutil.rmtree(clean.out, ignore_errors=True)
        build_site(clean)
        assert tree(options.out) == tree(clean.out), number  # no temporary file left either


@pytest.mark.parametrize("number, values, remade", [
    (2, {"title": "Retitled"}, False),  # an old post: not in the feeds
    (3, {"tags": "[t0, brand-new]"}, False),
    (2, {"date": "2026-01-04"}, False),  # older still than the feeds' posts
    (10, {"title": "Retitled"}, True),  # in the feeds
    (2, {"date": "2026-02-01"}, True),  # now the newest
    (8, {"title": "Retitled"}, True),  # its translation is in the English feeds (made again, the same)
])
def test_a_reshaped_site_leaves_the_feeds_that_show_none_of_it(make_site, monkeypatch, number: int,  # type: ignore[no-untyped-def]
                                                                values: dict[str, str], remade: bool) -> None:
    from .conftest import SITE_TOML
    options = make_site({**POSTS, "blog/p8/en-GB.md": post(title="Post 8 in English", date="2026-01-09", tags="[t2]")},
                        SITE_TOML + "feed_limit = 3\n")
    last = start(options)
    made = feeds_made(monkeypatch)
    names = ("feed.xml", "rss.xml", "en-GB/feed.xml", "en-GB/rss.xml")
    feeds = {name: (options.out / name).stat().st_ino for name in names}
    saved = options.content / f"blog/p{number}/index.md"
    saved.write_text(post(**{"title": f"Post {number}", "date": f"2026-01-{number + 1:02d}", "tags": f"[t{number % 3}]", **values},
                          body=f"Text {number}.\n"), encoding="utf-8")
    patched = live.patch(last, [saved])
    assert patched is not None and patched[0].counts["pages rendered"] > 0
    now = {name: (options.out / name).stat().st_ino for name in names}
    assert bool(made) is remade, made
    assert remade or now == feeds  # left: not even rewritten
    clean = replace(options, out=options.out.parent / "clean", cache=False)
    build_site(clean)
    assert tree(options.out) == tree(clean.out)


@pytest.mark.parametrize("edit", ["title", "tags", "date"])
def test_a_title_tags_or_date_saved_redoes_the_pages_that_show_them(make_site, edit: str) -> None:  # type: ignore[no-untyped-def]
    options = make_site({**POSTS, "blog/p10/en-GB.md": post(title="Post 10 in English", date="2026-01-11", tags="[t1]")})
    last = start(options)
    html = [path for path in tree(options.out) if path.endswith(".html")]
    values = {"title": "Another", "tags": "[t2, brand-new]", "date": "2026-02-01"}
    saved = options.content / "blog/p1/index.md"
    saved.write_text(post(**{"title": "Post 1", "date": "2026-01-02", "tags": "[t1]", edit: values[edit]}, body="Text 1.\n"),
                     encoding="utf-8")
    patched = live.patch(last, [saved])
    assert patched is not None
    result, last = patched
    assert 0 < result.counts["pages rendered"] < len(html), result.counts
    clean = replace(options, out=options.out.parent / "clean", cache=False)
    build_site(clean)
    assert tree(options.out) == tree(clean.out)
    # the next save is patched onto this one
    saved.write_text(post(**{"title": "Post 1", "date": "2026-01-02", "tags": "[t1]", edit: values[edit]}, body="Text 1, again.\n"),
                     encoding="utf-8")
    patched = live.patch(last, [saved])
    assert patched is not None
    shutil.rmtree(clean.out)
    build_site(clean)
    assert tree(options.out) == tree(clean.out)


@pytest.mark.parametrize("edit", ["publish", "new file", "removed", "image", "template", "broken"])
def test_anything_else_is_left_to_the_full_build(make_site, edit: str) -> None:  # type: ignore[no-untyped-def]
    options = make_site({**POSTS, "blog/p1/pic.png": b"\x89PNG\r\n\x1a\n"})
    last = start(options)
    folder = options.content / "blog/p1"
    meta = {"title": "Post 1", "date": "2026-01-02", "tags": "[t1]"}
    changed = folder / "index.md"
    if edit == "new file":
        changed = options.content / "blog/new/index.md"
        changed.parent.mkdir()
        changed.write_text(post(), encoding="utf-8")
    elif edit == "removed":
        changed.unlink()
    elif edit == "image":
        changed = folder / "pic.png"
        changed.write_bytes(b"\x89PNG\r\n\x1a\nmore")
    elif edit == "template":
        changed = options.config.parent / "theme" / "templates" / "base.html"
        changed.parent.mkdir(parents=True)
        changed.write_text("{{ doc }}", encoding="utf-8")
    elif edit == "broken":
        changed.write_text("---\ntitle: [\n---\nText.\n", encoding="utf-8")
    else:
        values = {"title": "Another", "tags": "[t2]", "date": "2026-02-01", "publish": "0"}
        changed.write_text(post(**{**meta, edit: values[edit]}, body="Text 1.\n"), encoding="utf-8")  # type: ignore[arg-type]
    before = tree(options.out)
    assert live.patch(last, [changed]) is None
    assert tree(options.out) == before  # nothing written


def test_an_editors_scratch_files_change_nothing(make_site) -> None:  # type: ignore[no-untyped-def]
    options = make_site(POSTS)
    last = start(options)
    folder = options.content / "blog/p1"
    swap = folder / ".index.md.swp"
    swap.write_bytes(b"vim")
    gone = folder / "4913"  # vim's test file: written and removed before the event arrives
    before = tree(options.out)
    patched = live.patch(last, [swap, gone, folder / "index.md~"])
    assert patched is not None
    assert patched[0].counts.get("pages rendered", 0) == 0
    assert tree(options.out) == before


def test_generated_files_said_to_read_settled_fields_alone_do(make_site) -> None:  # type: ignore[no-untyped-def]
    """build.SETTLED's claim: a site whose documents differ only in their text gives the same files."""
    options = make_site({**POSTS, "blog/p3/en-GB.md": post(title="P3", date="2026-01-04"), "about/index.md": post(title="About")})
    site = read_site(options)
    other = Rendered(html="<p>other</p>", headings=(), references=(), has_math=True, has_code=True)
    new = {}
    for document in site.documents:
        text = document.raw + "\nMore text, a [link](https://example.org/) and more.\n"
        changes = {"raw": text, "inputs": "x" + document.inputs, "minutes": 99,
                   "rendered": other}
        new[document.source] = dataclasses.replace(document, **changes)
    assert all(live.settled(new[d.source]) == live.settled(d) for d in site.documents)
    changed = live._swapped(site, new)
    for name, make in build.SETTLED.items():
        assert make(changed) == make(site), name
    assert build.generated(changed)[0]["llms-full.txt"] != build.generated(site)[0]["llms-full.txt"]  # it is not settled


def test_reach_names_the_documents_a_value_leads_to(make_site) -> None:  # type: ignore[no-untyped-def]
    site = read_site(make_site(POSTS))
    first, second = site.documents[:2]
    prints = Fingerprints()
    assert prints.reach({"doc": first, "around": [second, None, "x"]}) == {str(first.source), str(second.source)}
    assert prints.reach({"n": 1, "s": "text"}) == frozenset()
    nested = {"list": [[first]]}
    prints.of(nested)  # memoised: the reach is remembered with the digest
    assert prints.reach(nested) == {str(first.source)}

    class Opaque:
        __slots__ = ()

    assert EVERYTHING in prints.reach([Opaque()])


@pytest.mark.parametrize("shown", [
    '{{ doc.html | safe }}',                                 # an attribute beyond the settled fields
    '{{ doc["body"] | length }}',                            # an item
    '{{ doc.minutes }}',                                     # the reading time
    '{{ doc | string | length }}',                           # a filter given the document
    '{{ "{}".format(doc) | length }}',                       # a method given it
    '{{ [doc] | length }}{{ [doc] }}',                       # printed
    '{% macro size(d) %}{{ d.body | length }}{% endmacro %}{{ size(doc) }}',  # a macro given it
    '{{ posts | map(attribute="raw") | map("length") | list }}',  # through a structural filter
])
def test_a_list_that_shows_the_text_is_made_again(make_site, shown: str) -> None:  # type: ignore[no-untyped-def]
    """An author's theme whose lists show more than titles: the patch sees it (sitegen.reading)."""
    options = make_site(POSTS)
    templates = options.config.parent / "theme" / "templates"
    templates.mkdir(parents=True)
    (templates / "_post_list.html").write_text(
        '<ol>{% for doc in posts %}<li>{{ doc.title }} ' + shown + '</li>{% endfor %}</ol>\n', encoding="utf-8")
    options = replace(options, theme=options.config.parent / "theme")
    last = start(options)
    saved = options.content / "blog/p10/index.md"
    saved.write_text(post(title="Post 10", date="2026-01-11", tags="[t1]", body="A much longer text than before, " * 9), encoding="utf-8")
    patched = live.patch(last, [saved])
    assert patched is not None
    assert patched[0].counts["pages rendered"] > 1, patched[0].counts  # its page and the lists that show it
    clean = replace(options, out=options.out.parent / "clean", cache=False)
    build_site(clean)
    assert tree(options.out) == tree(clean.out)


def test_a_patched_site_equals_a_clean_build_after_streamed_builds(tmp_path_factory: pytest.TempPathFactory,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The same, with every full build's pages rendered by two forked workers into the staging
    folder (as at 5,000 posts), and by the build's process too in a cold build (a few pages
    at a time): the pages' reach comes back from the workers."""
    from sitegen import render

    stream = render._stream
    monkeypatch.setattr(render, "STREAM_AT", 1)
    monkeypatch.setattr(render, "CHUNK", 3)
    monkeypatch.setattr(render, "_stream", lambda batch, processes, meanwhile=(), helping=False: stream(batch, 2, meanwhile, helping=helping))
    test_a_patched_site_equals_a_clean_build_after_every_change(tmp_path_factory)
