"""Each language of the blog gets its own side: index, tags and 404 (sitegen.languages)."""

from __future__ import annotations

import pytest

from sitegen.build import build_files
from sitegen.errors import BuildError
from sitegen.languages import sides

from .conftest import post


def test_default_side_lists_every_post_and_english_side_only_english(make_site) -> None:  # type: ignore[no-untyped-def]
    options = make_site({
        "blog/both/index.md": post(title="둘 다", date="2026-03-01", tags="[음악]"),
        "blog/both/en-GB.md": post(title="Both", date="2026-03-01", tags="[music]"),
        "blog/korean/index.md": post(title="한국어만", date="2026-02-01", tags="[음악]"),
        "blog/english/index.md": post(title="English only", date="2026-01-01", language="en-GB", tags="[music, jazz]"),
    })
    site = build_files(options).site
    korean, english = sides(site)
    assert (korean.language, korean.prefix, english.language, english.prefix) == ("ko-KR", "", "en-GB", "en-GB/")
    assert [d.title for d in korean.documents] == ["둘 다", "한국어만", "English only"]
    assert [d.title for d in english.documents] == ["Both", "English only"]
    assert [(g.tag.slug, [d.title for d in g.documents]) for g in english.tags] == [("jazz", ["English only"]), ("music", ["Both", "English only"])]


def test_a_one_language_blog_has_one_side(make_site) -> None:  # type: ignore[no-untyped-def]
    site = build_files(make_site({"blog/a/index.md": post()})).site
    assert [s.language for s in sides(site)] == ["ko-KR"]


def test_a_post_cannot_take_a_language_sides_address(make_site) -> None:  # type: ignore[no-untyped-def]
    options = make_site({"blog/en-GB/index.md": post(), "blog/x/en-GB.md": post(), "blog/x/index.md": post()})
    with pytest.raises(BuildError, match="'en-GB' is a name the site itself uses"):
        build_files(options)


def test_each_side_has_its_own_feeds(example) -> None:  # type: ignore[no-untyped-def]
    from xml.etree import ElementTree as ET

    atom = "{http://www.w3.org/2005/Atom}"
    english = ET.parse(example / "en-GB/feed.xml").getroot()
    assert english.get("{http://www.w3.org/XML/1998/namespace}lang") == "en-GB"
    assert [e.findtext(f"{atom}title") for e in english.findall(f"{atom}entry")] == [
        "Softmax temperature, with one table and two formulas", "An answer as an NFT: a minimal ERC-721 in Solidity",
        "Why I write for a machine"]
    assert english.find(f"{atom}link[@rel='self']").get("href") == "https://automata.example/en-GB/feed.xml"  # type: ignore[union-attr]
    rss = ET.parse(example / "en-GB/rss.xml").getroot()
    assert rss.findtext("channel/language") == "en-GB" and len(rss.findall("channel/item")) == 3
    root = ET.parse(example / "feed.xml").getroot()
    assert len(root.findall(f"{atom}entry")) == 4, "the root feed lists what the root index lists"
    page = (example / "en-GB/index.html").read_text(encoding="utf-8")
    assert '<link rel="alternate" type="application/atom+xml" title="오토마타 노트 · Automata Notes" href="/en-GB/feed.xml">' in page


def test_a_sites_sides_are_made_once_and_let_go_with_it(make_site) -> None:  # type: ignore[no-untyped-def]
    import dataclasses
    import gc

    from sitegen import languages

    site = build_files(make_site({"blog/a/index.md": post(), "blog/a/en-GB.md": post(title="A")})).site
    assert site is not None
    first = sides(site)
    assert sides(site) is first  # asked for by pages, feeds, sitemap ...: made once
    other = dataclasses.replace(site, posts=site.posts[:0])
    assert sides(other) is not first and [s.documents for s in sides(other)] == [()]  # another site: its own
    key = id(site)
    del site, first
    gc.collect()
    assert key not in languages._SIDES  # nothing kept for a site that is gone
