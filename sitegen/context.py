"""What a post's page says around its text, within its language's side of the site: the
previous (older) and next (newer) post, related posts by shared tags, the series it belongs
to, and its reading time. Pure, computed once per side with indexes (no scan per post).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

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


def post_contexts(side: Side) -> dict[int, PostContext]:
    """id(document) -> its context, for every post listed on the side."""
    documents = side.documents
    by_tag: dict[str, list[int]] = defaultdict(list)
    by_series: dict[str, list[Document]] = defaultdict(list)
    for index, document in enumerate(documents):
        for tag in document.tags:
            by_tag[tag.slug].append(index)
        if document.series:
            by_series[document.series].append(document)
    series_order = {name: tuple(sorted(docs, key=lambda d: (d.date, d.slug))) for name, docs in by_series.items()}

    contexts: dict[int, PostContext] = {}
    for index, document in enumerate(documents):
        shared: Counter[int] = Counter()
        for tag in document.tags:
            shared.update(other for other in by_tag[tag.slug] if other != index)
        # newest first within a count: the side is newest first, so the lower index wins
        related = tuple(documents[i] for i, _ in sorted(shared.items(), key=lambda kv: (-kv[1], kv[0]))[:RELATED])
        series = None
        if document.series:
            parts = series_order[document.series]
            series = Series(document.series, parts, next(i for i, d in enumerate(parts) if d is document) + 1)
        contexts[id(document)] = PostContext(
            previous=documents[index + 1] if index + 1 < len(documents) else None,
            next=documents[index - 1] if index > 0 else None,
            related=related,
            series=series,
            minutes=document.minutes if document.minutes is not None else reading_minutes(document.body),
        )
    return contexts
