"""What a post's page says around its text, within its language's side of the site: the
previous (older) and next (newer) post, related posts by shared tags, the series it belongs
to, and its reading time. Pure, computed once per side with indexes (no scan per post).
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any, Callable

from .content import Document
from .i18n import reading_minutes
from .languages import Side

RELATED = 3  # how many related posts a page shows


@dataclass(frozen=True)
class Series:
    name: str
    documents: tuple[Document, ...]  # oldest first: part 1 is the first written
    part: int  # 1-based place of the post in it


@dataclass(frozen=True)
class PostContext:
    previous: Document | None  # the next older post
    next: Document | None  # the next newer post
    related: tuple[Document, ...]  # most shared tags first, then newest
    series: Series | None
    minutes: int  # reading time


def related_indexes(tags: list[list[str]]) -> list[list[int]]:
    """For each post of a side (newest first, given by its tags' slugs), the places of its
    related posts: most shared tags first, then newest. Pure; what a side's contexts cost most.
    A post sharing two tags outranks every post sharing one, so the posts are first counted by
    the pairs of tags they share (a few dozen, where a single tag is shared by hundreds), and by
    single tags only when fewer than RELATED share a pair: sharing k tags is k(k-1)/2 pairs,
    which orders them as k does."""
    by_tag = _index(tags, _single)
    if any(len(set(slugs)) != len(slugs) for slugs in tags):  # a slug twice: counted as many times
        return [_most_shared(_shared(index, slugs, by_tag)) for index, slugs in enumerate(tags)]
    by_pair = _index(tags, _pairs)
    found: list[list[int]] = []
    for index, slugs in enumerate(tags):
        shared = _shared(index, _pairs(slugs), by_pair)
        if len(shared) < RELATED:
            shared = _shared(index, slugs, by_tag)
        found.append(_most_shared(shared))
    return found


def related_again(tags: list[list[str]], before_tags: list[list[str]], before: list[list[int]]) -> list[list[int]] | None:
    """related_indexes(tags), from `before` = related_indexes(before_tags), when the posts are
    the same ones in the same places and only some of their tags changed (None otherwise): a
    post that shares no tag with a changed one, neither its old tags nor its new, counts the
    same posts the same number of times, so only the changed posts and those sharing one of
    their tags are ranked again (a title and tags edit at 5,000 posts: a fifth of them)."""
    if len(tags) != len(before_tags) or len(before) != len(tags):
        return None
    changed = [index for index, (now, then) in enumerate(zip(tags, before_tags, strict=True)) if now != then]
    if any(len(set(slugs)) != len(slugs) for slugs in tags) or len(changed) > RELATED:
        return None  # (many changes: ranking them all is as quick)
    by_tag = _index(tags, _single)
    by_pair = _index(tags, _pairs)
    again = set(changed)
    for index in changed:
        for slug in {*tags[index], *before_tags[index]}:
            again.update(by_tag.get(slug, ()))  # (a post that had it then and not now is a changed one)
    found = list(before)
    for index in again:
        slugs = tags[index]
        shared = _shared(index, _pairs(slugs), by_pair)
        if len(shared) < RELATED:
            shared = _shared(index, slugs, by_tag)
        found[index] = _most_shared(shared)
    return found


def _single(slugs: list[str]) -> list[str]:
    return slugs


def _pairs(slugs: list[str]) -> list[tuple[str, str]]:
    return list(itertools.combinations(sorted(slugs), 2))


def _index(tags: list[list[str]], keys: Callable[[list[str]], list[Any]]) -> dict[Any, list[int]]:
    """A key (a slug, a pair of slugs) -> the places of the posts that have it, in order."""
    places: dict[Any, list[int]] = defaultdict(list)
    for index, slugs in enumerate(tags):
        for key in keys(slugs):
            places[key].append(index)
    return places


def _shared(index: int, keys: list[Any], places: dict[Any, list[int]]) -> Counter[int]:
    """The other posts with any of `keys`, each with how many it has."""
    shared: Counter[int] = Counter()
    for key in keys:
        shared.update(places[key])
    shared.pop(index, None)
    return shared


def _most_shared(shared: Counter[int]) -> list[int]:
    """The RELATED places with the highest counts, the lowest place first within a count
    (a stable sort, in C: no Python call per candidate)."""
    return sorted(sorted(shared), key=shared.__getitem__, reverse=True)[:RELATED]


def side_tags(side: Side) -> list[list[str]]:
    return [[tag.slug for tag in document.tags] for document in side.documents]


def post_contexts(side: Side, related: list[list[int]] | None = None) -> dict[int, PostContext]:
    """id(document) -> its context, for every post listed on the side. `related`: what
    related_indexes(side_tags(side)) gives, when the caller remembers it."""
    documents = side.documents
    if related is None or len(related) != len(documents):
        related = related_indexes(side_tags(side))
    by_series: dict[str, list[Document]] = defaultdict(list)
    for document in documents:
        if document.series:
            by_series[document.series].append(document)
    series_order = {name: tuple(sorted(docs, key=lambda d: (d.date, d.slug))) for name, docs in by_series.items()}
    places = {name: {id(d): i for i, d in enumerate(parts)} for name, parts in series_order.items()}

    contexts: dict[int, PostContext] = {}
    for index, document in enumerate(documents):
        series = None
        if document.series:
            parts = series_order[document.series]
            series = Series(document.series, parts, places[document.series][id(document)] + 1)
        contexts[id(document)] = PostContext(
            previous=documents[index + 1] if index + 1 < len(documents) else None,
            next=documents[index - 1] if index > 0 else None,
            related=tuple(documents[i] for i in related[index]),
            series=series,
            minutes=document.minutes if document.minutes is not None else reading_minutes(document.body),
        )
    return contexts
