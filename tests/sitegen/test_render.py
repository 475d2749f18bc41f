"""What the pages say, in the page's language: per-language index, tags and 404, the
language switch in words, "also in" on lists, one date format a page, previous/next,
related posts, series, reading time, revision and its date, the favicon."""

from __future__ import annotations

import re

import pytest
from pathlib import Path

from sitegen.build import build_files

from .conftest import post

KO_DATE = re.compile(r"^\d{4}년 \d{1,2}월 \d{1,2}일$")
EN_DATE = re.compile(r"^\d{1,2} [A-Z][a-z]+ \d{4}$")


def html(files: dict[str, bytes], path: str) -> str:
    return files[path].decode("utf-8")


def dates(page: str) -> list[str]:
    return re.findall(r"<time[^>]*>([^<]*)</time>", page)


def test_each_language_has_its_index_tags_and_404_in_its_words(example: Path) -> None:
    for path in ["en-GB/index.html", "en-GB/tags/index.html", "en-GB/tags/writing/index.html", "en-GB/404.html"]:
        page = (example / path).read_text(encoding="utf-8")
        assert '<html lang="en-GB">' in page, path
        assert ">All posts</a>" in page and 'aria-label="Site menu"' in page and ">모든 글<" not in page, path
    english = (example / "en-GB/index.html").read_text(encoding="utf-8")
    assert '<a href="/why-i-write/en-GB/">Why I write for a machine</a>' in english
    assert "/keith-jarrett-koln/" not in english, "a post only in Korean is not on the English side"
    korean = (example / "index.html").read_text(encoding="utf-8")
    assert ">모든 글</a>" in korean and "/why-i-write/\"" in korean and "/keith-jarrett-koln/" in korean
    assert "Page not found" in (example / "en-GB/404.html").read_text(encoding="utf-8")
    root_404 = (example / "404.html").read_text(encoding="utf-8")
    assert "페이지를 찾을 수 없습니다" in root_404 and '<p class="other-language" lang="en-GB">Page not found' in root_404


def test_index_pages_link_their_languages_in_words(example: Path) -> None:
    for path in ["index.html", "en-GB/index.html", "why-i-write/index.html"]:
        page = (example / path).read_text(encoding="utf-8")
        switch = page.split('<nav class="language-switch"', 1)[1].split("</nav>", 1)[0]
        assert ">한국어</a>" in switch and ">English</a>" in switch, path
        assert not re.search("[\U0001F1E6-\U0001F1FF]", page), f"{path}: a flag emoji needs an emoji font"
    korean = (example / "index.html").read_text(encoding="utf-8")
    assert '<link rel="alternate" hreflang="en-GB" href="https://automata.example/en-GB/">' in korean
    assert '<link rel="alternate" hreflang="x-default" href="https://automata.example/">' in korean


def test_a_listed_post_says_it_exists_in_the_other_language(example: Path) -> None:
    korean = (example / "index.html").read_text(encoding="utf-8")
    assert '<p class="also-in" lang="ko-KR">다른 언어: <a href="/why-i-write/en-GB/" hreflang="en-GB" lang="en-GB">English</a></p>' in korean
    english = (example / "en-GB/index.html").read_text(encoding="utf-8")
    assert '<p class="also-in" lang="en-GB">Also in: <a href="/why-i-write/" hreflang="ko-KR" lang="ko-KR">한국어</a></p>' in english
    assert korean.count('class="also-in"') == 1, "only the post with a translation says so"


def test_every_page_uses_one_date_format(example: Path) -> None:
    for file in example.rglob("*.html"):
        page = file.read_text(encoding="utf-8")
        shown = dates(page)
        pattern = KO_DATE if '<html lang="ko' in page else EN_DATE
        assert all(pattern.match(d) for d in shown), (file, shown)


def test_post_page_context_in_the_page_language(make_site) -> None:  # type: ignore[no-untyped-def]
    files = build_files(make_site({
        "blog/one/index.md": post(title="첫째", date="2026-01-01", tags="[음악]", series="재즈 노트"),
        "blog/two/index.md": post(title="둘째", date="2026-02-01", tags="[음악]", series="재즈 노트",
                                   revision="2", revised="2026-03-14"),
        "blog/two/en-GB.md": post(title="Second", date="2026-02-01", tags="[music]", revision="2", revised="2026-03-14"),
        "blog/three/index.md": post(title="셋째", date="2026-03-01", tags="[기타]"),
    })).files
    two = html(files, "two/index.html")
    assert '<a rel="prev" href="/one/">' in two and '<a rel="next" href="/three/">' in two
    assert "← 이전 글" in two and "다음 글 →" in two
    assert '<h2 id="related-heading">관련 글</h2>' in two and '<a href="/one/" lang="ko-KR">첫째</a>' in two
    assert "연재: 재즈 노트" in two and "2편 중 2편" in two and '<a aria-current="page" href="/two/">둘째</a>' in two
    assert '1분 분량' in two
    assert '2판, <time class="dt-updated" datetime="2026-03-14T00:00:00+00:00">2026년 3월 14일</time>' in two
    assert '<meta property="article:modified_time" content="2026-03-14T00:00:00+00:00">' in two
    english = html(files, "two/en-GB/index.html")
    assert 'revision 2, <time class="dt-updated" datetime="2026-03-14T00:00:00+00:00">14 March 2026</time>' in english
    assert "1 min read" in english and 'href="/en-GB/tags/music/"' in english
    assert "rel=\"prev\"" not in english, "the English side has one post: no neighbours"
    one = html(files, "one/index.html")
    assert '1판, <time class="dt-updated" datetime="2026-01-01T00:00:00+00:00">2026년 1월 1일</time>' in one
    assert "관련 글" in one and "related-heading" not in html(files, "three/index.html")


def test_a_later_revision_without_its_date_says_only_its_number(make_site) -> None:  # type: ignore[no-untyped-def]
    page = html(build_files(make_site({"blog/a/index.md": post(revision="3")})).files, "a/index.html")
    assert '<span class="revision">3판</span>' in page and "dt-updated" not in page
    assert '<span class="p-author">Tester</span> · <span class="reading-time">1분 분량</span> · <span class="revision">' in page


def test_bad_series_and_revised_are_named(make_site) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from sitegen.errors import BuildError

    with pytest.raises(BuildError) as caught:
        build_files(make_site({"blog/a/index.md": post(revised="yesterday", series="[1, 2]")}))
    text = str(caught.value)
    assert "index.md:4" in text and "'revised' 'yesterday' is not an ISO 8601 date" in text
    assert "index.md:5" in text and "'series' must be the series' name" in text


def test_the_theme_favicon_is_linked_from_every_page(example: Path) -> None:
    page = (example / "index.html").read_text(encoding="utf-8")
    href = re.search(r'<link rel="icon" href="/(assets/favicon\.[0-9a-f]+\.svg)" type="image/svg\+xml">', page)
    assert href and (example / href.group(1)).read_bytes().startswith(b"<svg")
    assert all('rel="icon"' in f.read_text(encoding="utf-8") for f in example.rglob("*.html"))


def test_a_template_call_is_noted_as_its_arguments_and_result_whatever_was_noted_before() -> None:
    """A page's noted calls decide whether it is reused (sitegen.fingerprint.Calls): equal but
    different values (1 and True, a string and Markup) are noted apart, and a call made again
    is noted as it was the first time."""
    import orjson
    from markupsafe import Markup

    from sitegen.fingerprint import Calls, Fingerprints

    prints = Fingerprints()
    calls = Calls(prints, {"same": lambda value, *more, **named: value})
    same = calls.wrap("same")

    def noted(*args: object, **kwargs: object) -> list[str]:
        calls.noted = {}
        same(*args, **kwargs)
        return list(calls.noted)

    values: list[object] = [1, True, 1.0, "a", Markup("a"), None, 0, False, "", -0.0, 0.0]
    first = [noted(value) for value in values] + [noted("a", 1), noted("a", True), noted("a", more=1), noted("a", more=True)]
    again = [noted(value) for value in values] + [noted("a", 1), noted("a", True), noted("a", more=1), noted("a", more=True)]
    assert again == first
    texts = [text for (text,) in first]
    assert len(set(texts)) == len(texts)
    assert orjson.loads(texts[1]) == ["same", [[True]], {}, prints.of(True)]


@pytest.mark.parametrize("per_page", [1, 2, 10])
def test_page_paths_names_every_page_the_render_makes(make_site, per_page: int) -> None:  # type: ignore[no-untyped-def]
    from sitegen.build import read_site
    from sitegen.render import Theme, page_paths, render_site

    from .conftest import REPO, SITE_TOML

    options = make_site({**{f"blog/p{i}/index.md": post(title=f"P{i}", date=f"2026-01-{i + 1:02d}", tags=f"[t{i % 3}, 음악]")
                            for i in range(5)},
                         "blog/p1/en-GB.md": post(title="P1 in English", date="2026-01-02", tags="[solo]"),
                         "about/index.md": post(title="About"), "about/en-GB.md": post(title="About me")},
                        SITE_TOML + f"per_page = {per_page}\n")
    site = read_site(options)
    made = {path for path in render_site(site, Theme.load(REPO / "theme")) if path.endswith(".html")}
    assert page_paths(site) == made
