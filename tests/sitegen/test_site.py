"""The content graph: translations grouped, drafts dropped, tags collected once per post."""

from __future__ import annotations

from sitegen.build import build_files

from .conftest import post


def test_translations_group_and_listing_prefers_the_site_language(make_site) -> None:  # type: ignore[no-untyped-def]
    options = make_site({
        "blog/a/index.md": post(title="English first", language="en-GB", tags="[x]"),
        "blog/a/ko-KR.md": post(title="한국어 번역", tags="[x, 번역]"),
        "blog/b/index.md": post(title="B", date="2026-05-01"),
        "about/index.md": post(title="소개"),
        "about/en-GB.md": post(title="About"),
    })
    site = build_files(options).site
    assert [p.slug for p in site.posts] == ["b", "a"]
    a = site.posts[1]
    assert [d.language for d in a.documents] == ["en-GB", "ko-KR"]
    assert [d.title for d in site.listed()] == ["B", "한국어 번역"]
    groups = {g.tag.slug: [d.title for d in g.documents] for g in site.tags}
    assert groups == {"x": ["한국어 번역"], "번역": ["한국어 번역"]}
    assert [p.slug for p in site.pages] == ["about"] and len(site.pages[0].documents) == 2


def test_pagination(make_site) -> None:  # type: ignore[no-untyped-def]
    from .conftest import SITE_TOML

    posts = {f"blog/p{i}/index.md": post(title=f"P{i}", date=f"2026-01-{i + 1:02d}") for i in range(5)}
    files = build_files(make_site(posts, toml=SITE_TOML + "per_page = 2\n")).files
    assert {"index.html", "page/2/index.html", "page/3/index.html"} <= set(files)
    assert "page/4/index.html" not in files
    second = files["page/2/index.html"].decode()
    assert 'rel="prev" href="/"' in second and 'rel="next" href="/page/3/"' in second
