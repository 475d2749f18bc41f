"""`sitegen build` after some posts' text changed (sitegen.resume): it takes up the last build
from the cache and redoes only the pages that read those posts; its output is the clean
build's, byte for byte; anything else, and anything it cannot trust, is a full build."""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings

from sitegen import build, feeds, resume
from sitegen.build import BuildOptions, BuildResult, build_site
from sitegen.cache import FILE, FOLDER, digest
from sitegen.errors import BuildError
from sitegen.output import file_digest

from .conftest import pinned, post
from .test_incremental import outcome, text_heavy, tree, two_post_blog

POSTS = {f"blog/p{i}/index.md": post(title=f"Post {i}", date=f"2026-01-{i + 1:02d}", tags=f"[t{i % 3}]", body=f"Text {i}.\n")
         for i in range(12)}


def resumed(result: BuildResult) -> bool:
    return "patch" in result.timings


def age(root: Path, seconds: int = 60) -> None:
    """Every file and folder under root, modified `seconds` ago: a blog the author wrote
    earlier (files written just now are never trusted by their metadata, sitegen.snapshot)."""
    when = (os.stat(root).st_mtime_ns - seconds * 10**9,) * 2
    for path in (root, *root.rglob("*")):
        os.utime(path, ns=when, follow_symlinks=False)


def clean_tree(options: BuildOptions) -> dict[str, bytes]:
    clean = replace(options, out=options.out.parent / "clean", cache=False)
    shutil.rmtree(clean.out, ignore_errors=True)
    build_site(clean)
    return tree(clean.out)


def edit(options: BuildOptions, rel: str, text: str) -> Path:
    path = options.content / rel
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def site(make_site):  # type: ignore[no-untyped-def]
    options = make_site({**POSTS, "blog/p10/en-GB.md": post(title="Post 10 in English", date="2026-01-11", tags="[t1]"),
                         "blog/p1/pic.png": b"\x89PNG\r\n\x1a\n", "about/index.md": post(title="About", body="Me.\n")})
    age(options.config.parent)
    build_site(options)
    return options


def test_a_text_edit_redoes_only_the_pages_that_read_it(site: BuildOptions) -> None:
    names = ("p8/index.html", "p10/index.html", "index.html")
    inode = dict(zip(names, pinned([site.out / name for name in names], site.out.parent / "pinned").values(), strict=True))
    edit(site, "blog/p10/index.md", post(title="Post 10", date="2026-01-11", tags="[t1]", body="A *new* sentence.\n"))
    result = build_site(site)
    assert resumed(result), result.timings
    assert result.counts["markdown rendered"] == 1
    assert result.counts["pages rendered"] == 1, result.counts  # its own page; the lists show its title only
    assert (result.pages, result.file_count) == (len([p for p in tree(site.out) if p.endswith(".html")]), len(tree(site.out)))
    assert b"A <em>new</em> sentence." in (site.out / "p10/index.html").read_bytes()
    assert "A *new* sentence." in (site.out / "llms-full.txt").read_text(encoding="utf-8")
    assert (site.out / "p8/index.html").stat().st_ino == inode["p8/index.html"]  # not even rewritten
    assert (site.out / "index.html").stat().st_ino == inode["index.html"]
    assert (site.out / "p10/index.html").stat().st_ino != inode["p10/index.html"]
    assert tree(site.out) == clean_tree(site)
    # and the next build takes up this one: the state it left is complete
    edit(site, "blog/p3/index.md", post(title="Post 3", date="2026-01-04", tags="[t0]", body="Three, again.\n"))
    again = build_site(site)
    assert resumed(again) and again.counts["pages rendered"] == 1, again.counts
    assert tree(site.out) == clean_tree(site)


def test_an_edit_that_keeps_size_and_mtime_is_still_seen(site: BuildOptions) -> None:
    """A file written in the same clock tick as the build that read it, with the same size:
    its metadata cannot tell, so it is read again (sitegen.snapshot's racy rule)."""
    path = edit(site, "blog/p4/index.md", post(title="Post 4", date="2026-01-05", tags="[t1]", body="Four A.\n"))
    build_site(site)  # reads it within the clock tick of its writing
    st = path.stat()
    edit(site, "blog/p4/index.md", post(title="Post 4", date="2026-01-05", tags="[t1]", body="Four B.\n"))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size
    build_site(site)
    assert b"Four B." in (site.out / "p4/index.html").read_bytes()


def test_a_removed_output_folder_is_written_again_from_the_cache(site: BuildOptions) -> None:
    want = tree(site.out)
    shutil.rmtree(site.out)
    result = build_site(site)
    assert "restore" in result.timings, result.timings
    assert "pages rendered" not in result.counts, result.counts  # every page from the cache
    assert result.counts["pages untouched"] == len([p for p in want if p.endswith(".html")])
    assert tree(site.out) == want == clean_tree(site)
    # a page changed by hand is put back the same way, and the state left behind still serves
    (site.out / "p8/index.html").write_text("mine", encoding="utf-8")
    assert "restore" in build_site(site).timings
    assert tree(site.out) == want
    edit(site, "blog/p3/index.md", post(title="Post 3", date="2026-01-04", tags="[t0]", body="Three, again.\n"))
    assert resumed(build_site(site))
    assert tree(site.out) == clean_tree(site)


def test_a_restored_folder_publishes_each_post_as_written_byte_order_mark_left_out(make_site) -> None:  # type: ignore[no-untyped-def]
    """A post's published Markdown is its file, copied as it is, unless the build left out a
    byte-order mark: then it is the text without it, as a full build writes it."""
    options = make_site({**POSTS, "blog/bom/index.md": "\ufeff" + post(title="BOM", date="2026-02-01", body="Marked.\n"),
                         "blog/crlf/index.md": post(title="CRLF", date="2026-02-02", body="Line one.\r\nLine two.\r\n")})
    age(options.config.parent)
    build_site(options)
    want = tree(options.out)
    assert not want["bom/index.md"].startswith(b"\xef\xbb\xbf") and b"\r\n" in want["crlf/index.md"]
    shutil.rmtree(options.out)
    result = build_site(options)
    assert "restore" in result.timings, result.timings
    assert tree(options.out) == want == clean_tree(options)


def test_the_warnings_of_the_files_not_read_again_are_still_given(make_site) -> None:  # type: ignore[no-untyped-def]
    options = make_site({**POSTS, "blog/p1/pic.png": b"\x89PNG\r\n\x1a\n",
                         "blog/p1/index.md": post(title="Post 1", date="2026-01-02", tags="[t1]", body="![](pic.png)\n")})
    age(options.config.parent)
    first = build_site(options)
    assert [w.path for w in first.warnings] == [str(options.content / "blog/p1/index.md")]  # no alt text
    edit(options, "blog/p2/index.md", post(title="Post 2", date="2026-01-03", tags="[t2]", body="Two, edited.\n"))
    result = build_site(options)
    assert resumed(result) and result.warnings == first.warnings
    age(options.config.parent)  # (a file the last build read within a second of its writing is read again)
    assert build_site(options).warnings == first.warnings
    shutil.rmtree(options.out)
    result = build_site(options)
    assert "restore" in result.timings and result.warnings == first.warnings
    edit(options, "blog/p1/index.md", post(title="Post 1", date="2026-01-02", tags="[t1]", body="![a picture](pic.png)\n"))
    result = build_site(options)
    assert resumed(result) and result.warnings == ()  # the file read again has none now


@pytest.mark.parametrize("change", ["title", "tags", "new tag", "date"])
def test_a_title_tags_or_date_edit_is_taken_up_too_and_redoes_only_what_shows_it(site: BuildOptions, change: str) -> None:
    html = [path for path in tree(site.out) if path.endswith(".html")]
    far = (site.out / "p9/index.html").stat().st_ino  # p9: another tag, not a neighbour of p2 (unless p2 moves beside it)
    fields = {"title": "Post 2", "date": "2026-01-03", "tags": "[t2]"}
    fields.update({"title": {"title": "Post Two"}, "tags": {"tags": "[t1]"}, "new tag": {"tags": "[t2, brand-new]"},
                   "date": {"date": "2026-01-09T12:00:00"}}[change])
    edit(site, "blog/p2/index.md", post(**fields, body="Text 2.\n"))  # type: ignore[arg-type]
    result = build_site(site)
    assert resumed(result), result.timings
    assert 0 < result.counts["pages rendered"] < len(html), result.counts
    assert tree(site.out) == clean_tree(site)
    assert ((site.out / "p9/index.html").stat().st_ino == far) is (change != "date"), change
    if change == "new tag":
        assert (site.out / "tags/brand-new/index.html").is_file()
    # and the next build takes up this one
    edit(site, "blog/p3/index.md", post(title="Post 3, retitled", date="2026-01-04", tags="[t0]", body="Three.\n"))
    again = build_site(site)
    assert resumed(again), again.timings
    assert tree(site.out) == clean_tree(site)


@pytest.mark.parametrize("change", ["unpublished", "new file", "removed", "image", "template", "site.toml",
                                    "page tampered", "state garbled", "state missing", "broken"])
def test_anything_else_is_a_full_build(site: BuildOptions, change: str) -> None:
    body = edit(site, "blog/p2/index.md", post(title="Post 2", date="2026-01-03", tags="[t2]", body="Two, edited.\n"))
    key = digest(str(site.out.resolve()))
    if change == "unpublished":  # its page goes: a link to it would break, the full build says so
        edit(site, "blog/p2/index.md", post(title="Post 2", date="2026-01-03", tags="[t2]", body="Two, edited.\n", publish="0"))
    elif change == "new file":
        (site.content / "blog/new").mkdir()
        edit(site, "blog/new/index.md", post(title="New"))
    elif change == "removed":
        (site.content / "blog/p5/index.md").unlink()
    elif change == "image":
        (site.content / "blog/p1/pic.png").write_bytes(b"\x89PNG\r\n\x1a\nmore")
    elif change == "template":
        base = site.config.parent / "theme" / "templates" / "base.html"
        base.parent.mkdir(parents=True)
        shutil.copy(Path(__file__).resolve().parents[2] / "theme" / "templates" / "base.html", base)
        base.write_text(base.read_text(encoding="utf-8").replace("</body>", "<!-- mine --></body>"), encoding="utf-8")
        site = replace(site, theme=None)
    elif change == "site.toml":
        site.config.write_text(site.config.read_text(encoding="utf-8") + 'description = "Changed"\n', encoding="utf-8")
    elif change == "page tampered":
        (site.out / "p8/index.html").write_text("mine", encoding="utf-8")
    elif change in ("state garbled", "state missing"):
        cache = site.open_cache()
        saved = cache.get(resume.KIND, key)
        garbled = {**saved, "documents": [{"document": {}}], "reaches": {"x": 1}}
        cache.put(resume.KIND, key, garbled if change == "state garbled" else None)
        cache.commit(prune=False)
        cache.close()
    elif change == "broken":
        body.write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    if change == "broken":
        before = tree(site.out)
        with pytest.raises(BuildError):
            build_site(site)
        assert tree(site.out) == before  # a failed build changes nothing
        return
    result = build_site(site)
    assert not resumed(result), (change, result.timings)
    assert tree(site.out) == clean_tree(site)


def test_a_tag_page_that_goes_is_taken_away_by_the_resumed_build(site: BuildOptions) -> None:
    """The last posts of tag t2 leave it: its page goes, and nothing else (no document links to
    it): the build is resumed, not redone, and its output is the clean build's."""
    assert (site.out / "tags/t2/index.html").exists()
    for number in (2, 5, 8, 11):
        edit(site, f"blog/p{number}/index.md", post(title=f"Post {number}", date=f"2026-01-{number + 1:02d}", tags="[t0]",
                                                    body=f"Text {number}.\n"))
    result = build_site(site)
    assert resumed(result), result.timings
    assert not (site.out / "tags/t2").exists()
    assert tree(site.out) == clean_tree(site)
    edit(site, "blog/p2/index.md", post(title="Post 2", date="2026-01-03", tags="[t2]", body="Text 2.\n"))  # and back
    again = build_site(site)
    assert resumed(again), again.timings
    assert tree(site.out) == clean_tree(site)


def test_without_the_renders_links_a_tag_page_that_goes_is_left_to_the_full_build(site: BuildOptions) -> None:
    """The links each render left beside it in the cache are what tells that nothing links to
    the page that goes: without them, the full build decides (and its output is the same)."""
    with sqlite3.connect(site.config.parent / FOLDER / FILE) as db:
        assert db.execute("DELETE FROM entries WHERE kind = 'links'").rowcount >= 12
    for number in (2, 5, 8, 11):
        edit(site, f"blog/p{number}/index.md", post(title=f"Post {number}", date=f"2026-01-{number + 1:02d}", tags="[t0]",
                                                    body=f"Text {number}.\n"))
    result = build_site(site)
    assert not resumed(result), result.timings
    assert tree(site.out) == clean_tree(site)


def test_a_link_to_a_tag_page_that_goes_is_reported_by_the_full_build(site: BuildOptions) -> None:
    edit(site, "about/index.md", post(title="About", body="Me, and [posts on t2](../tags/t2/).\n"))
    build_site(site)
    for number in (2, 5, 8, 11):
        edit(site, f"blog/p{number}/index.md", post(title=f"Post {number}", date=f"2026-01-{number + 1:02d}", tags="[t0]",
                                                    body=f"Text {number}.\n"))
    before = tree(site.out)
    with pytest.raises(BuildError) as raised:
        build_site(site)
    assert "broken link '../tags/t2/'" in str(raised.value) and "about" in str(raised.value)
    assert tree(site.out) == before  # a failed build changes nothing


RESUMED: list[tuple] = []  # type: ignore[type-arg]  # the changes the test below resumed, which changed the site


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=text_heavy)
@example(steps=[("body", 0, 2), ("title", 1, 0), ("body", 1, 1)])  # a text edit, whatever else is drawn
def test_a_resumed_build_equals_a_clean_build_after_every_change(tmp_path_factory: pytest.TempPathFactory, steps: list[tuple]) -> None:  # type: ignore[type-arg]
    root = tmp_path_factory.mktemp("resume")
    blog, options, clean = two_post_blog(root)
    build_site(options)
    for change in steps:
        blog.apply(change)
        blog.write()
        before = tree(options.out)
        try:
            result = build_site(options)
        except BuildError:
            result = None
        shutil.rmtree(clean.out, ignore_errors=True)
        want = outcome(clean)
        if isinstance(want, tuple):
            assert result is None, change
            continue
        assert result is not None, change
        got = tree(options.out)
        if resumed(result) and got != before:
            RESUMED.append(change)
        assert sorted(got) == sorted(want), change
        for path in want:
            assert got[path] == want[path], (change, path, resumed(result))


def test_the_changes_above_were_resumed_not_only_rebuilt() -> None:
    """The property above means something only if text and title changes did take the resumed path."""
    if not RESUMED:
        pytest.skip("run with the test above")  # pragma: no cover
    assert any(change[0] == "body" for change in RESUMED), RESUMED
    assert any(change[0] == "title" for change in RESUMED), RESUMED


def test_serve_does_not_take_up_a_build_but_makes_a_whole_one_to_keep(site: BuildOptions) -> None:
    """What `sitegen serve` keeps in memory after its first build is what it patches every save
    onto: a build taken up from the cache would leave it only the files read again."""
    from sitegen.serve import DevServer

    edit(site, "blog/p3/index.md", post(title="Post 3", date="2026-01-04", tags="[t0]", body="Three, again.\n"))
    server = DevServer(site, port=0)
    server.out = io.StringIO()
    assert server.rebuild("built")
    assert server.last is not None
    assert set(map(str, server.last.sources)) == {p.relative_to(site.content).as_posix() for p in site.content.rglob("*") if p.is_file()}
    assert tree(site.out) == clean_tree(site)


def test_a_restore_that_finds_a_page_damaged_in_the_cache_drops_the_cache_with_one_warning(site: BuildOptions) -> None:
    """Pages are restored from the cache as Zstandard frames of their bytes (cache.pack_bytes);
    one that does not decompress is a damaged cache: discarded with one warning line, and the
    folder is still the clean build's."""
    want = tree(site.out)
    with sqlite3.connect(site.config.parent / FOLDER / FILE) as db:
        key = db.execute("SELECT key FROM entries WHERE kind = 'html' ORDER BY key LIMIT 1").fetchone()[0]
        db.execute("UPDATE entries SET value = x'28b52ffd00ff' WHERE kind = 'html' AND key = ?", (key,))
    shutil.rmtree(site.out)
    result = build_site(site)
    warnings = [w for w in result.warnings if "build cache" in w.message]
    assert len(warnings) == 1 and "discarded" in warnings[0].message, result.warnings
    assert tree(site.out) == want == clean_tree(site)


def test_a_restored_folders_manifest_is_exact(site: BuildOptions) -> None:
    """The manifest a restore leaves records each file as written: its digest (taken from the
    last write for copied files and pages, sitegen.live._copied), size, mtime and inode."""
    shutil.rmtree(site.out)
    assert "restore" in build_site(site).timings
    with sqlite3.connect(site.config.parent / FOLDER / FILE) as db:
        keys = [key for (key,) in db.execute("SELECT key FROM entries WHERE kind = 'output'")]
    cache = site.open_cache()
    try:
        manifest = cache.get("output", digest(str(site.out.resolve())))
    finally:
        cache.close()
    assert len(keys) == 1 and isinstance(manifest, dict) and "p1/pic.png" in manifest and "p1/index.md" in manifest
    assert set(manifest) == set(tree(site.out))
    for path, (found, size, mtime, inode) in manifest.items():
        st = os.stat(site.out / path)
        assert (found, size, mtime, inode) == (file_digest((site.out / path).read_bytes()), st.st_size, st.st_mtime_ns, st.st_ino), path


def test_a_restore_takes_the_generated_files_from_the_cache_too(site: BuildOptions, monkeypatch: pytest.MonkeyPatch) -> None:
    """The feeds, sitemap and llms.txt the last build made are in the cache by their digest, as
    pages are: a restore writes them from there, making none of them again."""
    want = tree(site.out)
    shutil.rmtree(site.out)

    def unmade(*_args: object) -> bytes:
        raise AssertionError("made again")

    monkeypatch.setattr(feeds, "atom", unmade)
    monkeypatch.setattr(feeds, "rss", unmade)
    for name in build.SETTLED:
        monkeypatch.setitem(build.SETTLED, name, unmade)
    result = build_site(site)
    assert "restore" in result.timings, result.timings
    assert tree(site.out) == want


def test_the_state_a_cold_build_leaves_is_made_from_the_records_it_stored(make_site) -> None:  # type: ignore[no-untyped-def]
    """A cold build keeps the records it stored for its resume state (each less its references)
    rather than making them again: the state is the one made from the documents themselves."""
    options = make_site({**POSTS, "blog/p10/en-GB.md": post(title="Post 10 in English", date="2026-01-11", tags="[t1]"),
                         "about/index.md": post(title="About", body="Me.\n")})
    age(options.config.parent)
    result = build_site(options)
    assert result.recording is not None and len(result.recording.made) == 14 and not result.recording.pending
    inputs = build.unchanged.inputs_snapshot(options)
    last = resume.live.Last.of(options, result)
    assert last is not None
    kept = resume.state(last, inputs, recording=result.recording)
    assert kept is not None and kept == resume.state(last, inputs)
    assert all("references" not in record for record in kept["documents"])
