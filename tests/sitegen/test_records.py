"""Documents remembered by file metadata (sitegen.records) are the documents a parse makes."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import replace
from pathlib import Path

from sitegen import live, meta, records
from sitegen.build import BuildOptions, generated, read_site
from sitegen.cache import Cache, pack
from sitegen.documents import Job, render_job
from sitegen.markdown import Rendered, render_markdown, rendered_to_json
from sitegen.records import StoredRendered
from sitegen.render import Theme, render_site

from .test_incremental import BODIES, DATES, Blog

UNSAFE = 'Hi <img src="x.png" onerror="alert(1)" alt="x">\n'


def documents(options: BuildOptions) -> tuple[dict[str, dict[str, object]], dict[str, int]]:
    cache = options.open_cache()
    try:
        site = read_site(options, cache=cache)
        counts = dict(cache.counts)
        cache.commit()
    finally:
        cache.close()
    found = {}
    for document in site.documents:
        values = {f.name: getattr(document, f.name) for f in dataclasses.fields(document) if f.name != "rendered"}
        values["rendered"] = rendered_to_json(document.rendered)
        found[document.display] = values
    return found, counts


def blog(tmp_path: Path) -> tuple[Blog, BuildOptions]:
    b = Blog(tmp_path)
    b.posts["first"] = {"title": "처음", "tags": ["music", "code"], "date": DATES[1], "publish": True,
                        "translated": True, "image": (4, 3), "body": BODIES[1]}
    b.posts["second"] = {"title": "Two", "tags": ["math"], "date": DATES[2], "publish": True,
                         "translated": False, "image": None, "body": BODIES[2]}
    b.write()
    return b, BuildOptions(content=tmp_path / "content", out=tmp_path / "public", config=tmp_path / "site.toml",
                           theme=tmp_path / "theme", jobs=1)


def test_a_remembered_document_is_the_document_a_parse_makes(tmp_path: Path) -> None:
    _b, options = blog(tmp_path)
    parsed, counts = documents(options)
    assert counts.get("documents remembered", 0) == 0
    again, counts = documents(options)
    assert counts["documents remembered"] == len(parsed) == 4  # two posts, a translation, about
    assert counts.get("markdown rendered", 0) == 0
    cold, _ = documents(replace(options, cache=False))
    assert again == parsed == cold


def test_an_edited_file_or_folder_is_parsed_again(tmp_path: Path) -> None:
    b, options = blog(tmp_path)
    documents(options)
    b.posts["first"]["image"] = (8, 6)  # an image beside the post: its size is in the render
    b.write()
    got, counts = documents(options)
    assert counts["documents remembered"] == 2  # second and about; both files of "first" parsed again
    assert 'width="8"' in str(got[str(options.content / "blog" / "first" / "index.md")]["rendered"])


def test_a_file_this_recent_is_never_remembered(tmp_path: Path) -> None:
    _b, options = blog(tmp_path)
    documents(options)
    os.utime(options.content / "blog" / "second" / "index.md")  # now: its metadata could hide an edit
    _got, counts = documents(options)
    assert counts["documents remembered"] == 3


def test_a_document_the_safety_screen_changed_is_never_remembered(tmp_path: Path) -> None:
    b, options = blog(tmp_path)
    b.toml_extra = 'unsafe_html = "warn"\n'
    b.posts["second"]["body"] = UNSAFE
    b.write()
    first, _ = documents(options)
    again, counts = documents(options)
    assert counts["documents remembered"] == 3
    assert again == first
    rendered = again[str(options.content / "blog" / "second" / "index.md")]["rendered"]
    assert isinstance(rendered, dict) and "&lt;img" in rendered["html"] and "<img" not in rendered["html"]


def test_records_live_in_the_build_cache(tmp_path: Path) -> None:
    _b, options = blog(tmp_path)
    documents(options)
    cache = Cache.open(options.cache_dir)
    try:
        assert len(list(cache.entries("doc"))) == 4
    finally:
        cache.close()


def test_a_render_held_packed_is_published_as_the_plain_render_would_be(tmp_path: Path) -> None:
    """A document holds its render as its packed cache entry (records.StoredRendered), read
    from it each time and never kept, parsed now or remembered: every page, feed and file that
    shows it comes out as from the plain render."""
    _b, options = blog(tmp_path)
    for _build in ("parsed", "remembered"):
        site = read_site(options)
        theme = Theme.load(options.theme_dir)
        for document in site.documents:
            assert isinstance(document.rendered, StoredRendered)
            assert document.html.startswith("<")
            assert "html" not in vars(document.rendered) and "headings" not in vars(document.rendered)
        plain = {d.source: replace(d, rendered=Rendered(**{f.name: getattr(d.rendered, f.name) for f in dataclasses.fields(Rendered)}))
                 for d in site.documents}
        unpacked = live._swapped(site, plain)
        assert not any(isinstance(d.rendered, StoredRendered) for d in unpacked.documents)
        assert render_site(site, theme) == render_site(unpacked, Theme.load(options.theme_dir))
        assert generated(site)[0] == generated(unpacked)[0]


def test_a_render_held_packed_reads_as_the_render_itself() -> None:
    body = "# Title\n\n## 목차\n\nText with $x^2$, `code` and [a link](https://example.org/).\n\n```python\nprint(1)\n```\n\n## End\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    job = Job("key", ("---\ntitle: x\n---\n" + body).encode("utf-8"), 17, "example.org", 4, "", "ko-KR", "blog/x", {})
    assert job.body == body
    done = render_job(job)
    assert isinstance(done.rendered, StoredRendered)
    plain = render_markdown(body, site_host="example.org", line_offset=4, language="ko-KR", image_size=lambda src: None)
    for item in dataclasses.fields(Rendered):
        assert getattr(done.rendered, item.name) == getattr(plain, item.name), item.name


def test_a_render_held_packed_gives_its_html_as_it_went_in() -> None:
    """A page reads a document's HTML alone out of its entry (records.StoredRendered, by the
    json module's string scanner, not the whole entry decoded): any text comes back the same,
    and an entry of another shape is decoded whole."""
    rendered = rendered_to_json(render_markdown("x"))
    for html in ['<p class="a">\\"q\\"</p>', "tab\there\nline\x01\x1f\u2028 \u00e9 목차 😀 \\\\ \\u0041", "", '"', "\\"]:
        for data in ({**rendered, "html": html}, {"minutes": 1, **{**rendered, "html": html}}):
            stored = StoredRendered(pack({"rendered": data, "images": [], "diagrams": []}), ())
            assert stored.html == html
            assert stored.headings == ()


def test_a_resting_documents_body_is_its_files_and_is_not_kept_until_its_text_is_asked_for(tmp_path: Path) -> None:
    """A resting document (sitegen.resume) reads its body from its file each time, holding
    nothing (restoring the output folder reads each body once, for llms-full.txt), until its
    whole text is asked for: then that is kept and the body cut from it."""
    _b, options = blog(tmp_path)
    cache = options.open_cache()
    try:
        site = read_site(options, cache=cache)
        cache.commit()
        shelf = records.Shelf(cache.blobs)
        for document in site.documents:
            record = records.resting_record(document)
            assert record is not None
            resting = records.resting(record, shelf)
            assert resting.body == document.body and resting.body_start == document.body_start
            assert "_raw_packed" not in vars(resting) and "raw" not in vars(resting)
            assert resting.raw == document.raw and "_raw_packed" in vars(resting)
            assert resting.body == document.body
            assert meta.llms_full_part(site.config, resting) == meta.llms_full_part(site.config, document)
    finally:
        cache.close()
