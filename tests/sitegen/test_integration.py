"""The example site, built once and read as a reader's browser and a feed reader would."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from sitegen.meta import headers_for, parse_headers

HOST = "https://automata.example/"


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def read(example: Path, path: str) -> Page:
    page = Page()
    page.feed((example / path).read_text(encoding="utf-8"))
    return page


def test_layout_matches_the_spec(example: Path) -> None:
    for path in ["index.html", "why-i-write/index.html", "why-i-write/en-GB/index.html", "why-i-write/index.md",
                 "why-i-write/en-GB.md", "why-i-write/notebook.png", "why-i-write/loop.svg", "tags/index.html",
                 "tags/음악/index.html", "about/index.html", "about/portrait.png", "feed.xml", "rss.xml", "sitemap.xml",
                 "robots.txt", "404.html", "manifest.webmanifest", "llms.txt", "llms-full.txt", "_headers"]:
        assert (example / path).is_file(), path
    assert not (example / "unfinished-draft").exists(), "drafts are left out without --drafts"
    assert not (example / "sw.js").exists(), "no service worker unless offline = true"


def test_every_page_is_script_free_local_and_has_its_language(example: Path) -> None:
    pages = sorted(example.rglob("*.html"))
    assert len(pages) >= 15
    for path in pages:
        html = path.read_text(encoding="utf-8")
        page = Page()
        page.feed(html)
        assert not page.find("script"), path
        lang = page.find("html")[0]["lang"]
        assert lang in ("ko-KR", "en-GB"), path
        for tag, attrs in page.tags:
            for name in ("src", "href"):
                value = attrs.get(name) or ""
                loads = tag in ("img", "script", "link", "source", "video", "audio") and not (tag == "link" and attrs.get("rel") in ("canonical", "alternate"))
                if loads:
                    assert not re.match(r"^(https?:)?//", value), f"{path}: {tag} {name}={value} loads from another host"
            href = attrs.get("href") or ""
            if tag == "a" and re.match(r"^(https?:)?//", href) and not href.startswith(HOST):
                assert {"nofollow", "noopener"} <= set((attrs.get("rel") or "").split()), f"{path}: {href}"


def test_translations_link_both_ways_with_hreflang_and_a_switch(example: Path) -> None:
    korean = read(example, "why-i-write/index.html")
    english = read(example, "why-i-write/en-GB/index.html")
    assert korean.find("html")[0]["lang"] == "ko-KR" and english.find("html")[0]["lang"] == "en-GB"
    for page in (korean, english):
        alternates = {a["hreflang"]: a["href"] for a in page.find("link", rel="alternate") if a.get("hreflang")}
        assert alternates == {"ko-KR": HOST + "why-i-write/", "en-GB": HOST + "why-i-write/en-GB/", "x-default": HOST + "why-i-write/"}
    assert korean.find("a", hreflang="en-GB", href="/why-i-write/en-GB/")
    assert english.find("a", hreflang="ko-KR", href="/why-i-write/")
    assert english.find("img", src="../notebook.png"), "relative images in translations point back to the post folder"
    assert korean.find("link", rel="canonical")[0]["href"] == HOST + "why-i-write/"
    assert korean.find("meta", property="og:image")[0]["content"] == HOST + "why-i-write/notebook.png"


def test_post_features_render(example: Path) -> None:
    math_post = (example / "softmax-temperature/index.html").read_text(encoding="utf-8")
    assert "<math" in math_post and "<table>" in math_post and 'class="footnotes"' in math_post
    assert 'rel="nofollow noopener"' in math_post and "costs $5 and a book $10" in math_post
    code_post = (example / "answer-nft-solidity/index.html").read_text(encoding="utf-8")
    assert 'data-lang="solidity"' in code_post and '<span class="k">contract</span>' in code_post
    first = (example / "why-i-write/index.html").read_text(encoding="utf-8")
    assert '<nav class="toc"' in first and 'id="두-명의-독자"' in first
    assert 'width="64" height="40"' in first, "local images carry their size"
    assert (example / "why-i-write/index.md").read_text(encoding="utf-8").startswith("---\ntitle: 나는 왜")


def test_index_lists_default_language_versions_newest_first(example: Path) -> None:
    index = read(example, "index.html")
    links = [a["href"] for a in index.find("a") if a.get("href", "").count("/") == 2 and not a["href"].startswith(("/tags", "/about", "/en-GB"))]
    posts = [h for h in links if h not in ("/",)]
    assert posts[:4] == ["/softmax-temperature/", "/answer-nft-solidity/", "/why-i-write/", "/keith-jarrett-koln/"]


def test_feeds_and_sitemap_parse(example: Path) -> None:
    atom = ET.parse(example / "feed.xml").getroot()
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = atom.findall("a:entry", ns)
    assert len(entries) == 4
    assert entries[0].find("a:link", ns).get("href") == HOST + "softmax-temperature/"
    assert atom.find("a:updated", ns).text == "2026-06-21T08:00:00+00:00"
    why = next(e for e in entries if e.find("a:id", ns).text == HOST + "why-i-write/")
    content = why.find("a:content", ns).text
    assert f'src="{HOST}why-i-write/notebook.png"' in content and f'href="{HOST}about/"' in content
    rss = ET.parse(example / "rss.xml").getroot()
    assert len(rss.findall("channel/item")) == 4
    sitemap = ET.parse(example / "sitemap.xml").getroot()
    sm = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    urls = {u.find("s:loc", sm).text: u for u in sitemap.findall("s:url", sm)}
    english = urls[HOST + "why-i-write/en-GB/"]
    assert {l.get("hreflang") for l in english.findall("x:link", sm)} == {"ko-KR", "en-GB", "x-default"}


def test_llms_txt_links_every_published_markdown(example: Path) -> None:
    llms = (example / "llms.txt").read_text(encoding="utf-8")
    assert llms.startswith("# 오토마타 노트") and "\n> " in llms and "## Posts" in llms
    for source in ("why-i-write/index.md", "why-i-write/en-GB.md", "softmax-temperature/index.md"):
        assert f"({HOST}{source})" in llms
    assert "unfinished-draft" not in llms
    full = (example / "llms-full.txt").read_text(encoding="utf-8")
    assert "$$\np_i = \\frac" in full


def test_headers_cache_fingerprinted_assets_forever_and_revalidate_html(example: Path) -> None:
    rules = parse_headers((example / "_headers").read_text(encoding="utf-8"))
    css = next((example / "assets").glob("style.*.css"))
    assert re.fullmatch(r"style\.[0-9a-f]{10}\.css", css.name)
    assert headers_for(f"/assets/{css.name}", rules)["Cache-Control"] == "public, max-age=31536000, immutable"
    for path in ("/", "/why-i-write/", "/why-i-write/en-GB/", "/tags/음악/", "/feed.xml"):
        found = headers_for(path, rules)
        assert found["Cache-Control"] == "public, max-age=0, must-revalidate", path
        assert found["X-Content-Type-Options"] == "nosniff"
    html = (example / "index.html").read_text(encoding="utf-8")
    assert f'href="/assets/{css.name}"' in html


@pytest.mark.parametrize("path", ["index.html", "why-i-write/index.html"])
def test_open_graph_and_feed_discovery(example: Path, path: str) -> None:
    page = read(example, path)
    assert page.find("meta", property="og:url") and page.find("meta", property="og:title")
    assert page.find("link", rel="alternate", type="application/atom+xml")
    assert page.find("a", href="http://127.0.0.1:8001/ask"), "qa_url in site.toml adds the Ask link"
