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


def test_related_posts_are_the_most_shared_tags_then_the_newest() -> None:
    """related_indexes against the definition, on random sides (newest first)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from sitegen.context import RELATED, related_indexes

    def by_definition(tags: list[list[str]]) -> list[list[int]]:
        out = []
        for i, mine in enumerate(tags):
            scored = [(-len(set(mine) & set(theirs)), j) for j, theirs in enumerate(tags) if j != i and set(mine) & set(theirs)]
            out.append([j for _s, j in sorted(scored)[:RELATED]])
        return out

    @settings(max_examples=200, derandomize=True, deadline=None)
    @given(st.lists(st.lists(st.sampled_from("abcdef"), max_size=4, unique=True), max_size=25))
    def check(tags: list[list[str]]) -> None:
        assert related_indexes(tags) == by_definition(tags)

    check()


def test_related_posts_ranked_again_after_some_tags_changed_are_ranked_as_from_nothing() -> None:
    """related_again (a title and tags edit ranks only the posts the changed tags can move)
    against related_indexes of the new tags, on random sides and random tag edits."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from sitegen.context import related_again, related_indexes

    tag_lists = st.lists(st.sampled_from("abcdefg"), max_size=4, unique=True)

    @settings(max_examples=300, derandomize=True, deadline=None)
    @given(st.lists(tag_lists, min_size=1, max_size=25), st.data())
    def check(before: list[list[str]], data: st.DataObject) -> None:
        after = [list(slugs) for slugs in before]
        for _ in range(data.draw(st.integers(1, 3))):
            after[data.draw(st.integers(0, len(after) - 1))] = data.draw(tag_lists)
        again = related_again(after, before, related_indexes(before))
        assert again is not None and again == related_indexes(after)

    check()
    assert related_again([["a"], ["a"]], [["a"]], [[]]) is None  # not the same posts
    assert related_again([["a", "a"], ["a"]], [["a"], ["a"]], [[1], [0]]) is None  # a tag twice: ranked from nothing
