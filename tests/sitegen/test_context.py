"""Around a post: previous/next, related by shared tags, series, reading time."""

from __future__ import annotations

from sitegen.build import build_files
from sitegen.context import post_contexts
from sitegen.languages import sides

from .conftest import post


def test_neighbours_related_and_series(make_site) -> None:  # type: ignore[no-untyped-def]
    options = make_site({
        "blog/a/index.md": post(title="A", date="2026-01-01", tags="[x, y]", series="연재"),
        "blog/b/index.md": post(title="B", date="2026-02-01", tags="[x]"),
        "blog/c/index.md": post(title="C", date="2026-03-01", tags="[x, y]", series="연재"),
        "blog/d/index.md": post(title="D", date="2026-04-01", tags="[z]", body="단어 " * 1200),
    })
    side = sides(build_files(options).site)[0]
    by_title = {d.title: d for d in side.documents}
    around = {title: post_contexts(side)[id(d)] for title, d in by_title.items()}
    assert around["C"].previous is by_title["B"] and around["C"].next is by_title["D"]
    assert around["A"].previous is None and around["D"].next is None
    assert [d.title for d in around["A"].related] == ["C", "B"], "two shared tags outrank one"
    assert around["D"].related == ()
    series = around["C"].series
    assert series is not None and series.name == "연재" and [d.title for d in series.documents] == ["A", "C"] and series.part == 2
    assert around["B"].series is None
    assert around["D"].minutes == 5 and around["A"].minutes == 1
