"""Each language the blog is written in gets its own side of the site: an index, tag pages
and a 404 page in that language.

The site's default language keeps the root (`index.html`, `tags/`, `404.html`), listing
every post once, in the default language where it has it (SPEC section 2). Every other
language L of a post gets `L/index.html`, `L/page/<n>/`, `L/tags/`, `L/tags/<slug>/` and
`L/404.html`, listing the posts written in or translated into L. Pure: no clock, no disk.
"""

from __future__ import annotations

import weakref
from collections import defaultdict
from dataclasses import dataclass

from .content import Document, Tag
from .site import Site, TagGroup


@dataclass(frozen=True)
class Side:
    language: str
    prefix: str  # output path of its pages: "" for the default language, "en-GB/" for English
    documents: tuple[Document, ...]  # newest first, one per post
    tags: tuple[TagGroup, ...]  # by slug

    @property
    def is_default(self) -> bool:
        return not self.prefix


@dataclass(frozen=True)
class Version:
    """One language's version of a listing page (index, tags, a tag): what hreflang and the
    language switch link to."""

    language: str
    url: str


def tag_groups(documents: tuple[Document, ...]) -> tuple[TagGroup, ...]:
    by_slug: dict[str, list[Document]] = defaultdict(list)
    names: dict[str, Tag] = {}
    for document in documents:
        for tag in document.tags:
            names.setdefault(tag.slug, tag)
            by_slug[tag.slug].append(document)
    return tuple(TagGroup(names[slug], tuple(docs)) for slug, docs in sorted(by_slug.items()))


def side_languages(site: Site) -> tuple[str, ...]:
    """The languages posts are written in: the default first, then site.toml's order, then
    any other by tag."""
    config = site.config
    used = {document.language for post in site.posts for document in post.documents}
    ordered = [config.default_language] + [tag for tag in config.languages if tag != config.default_language]
    return tuple(dict.fromkeys([tag for tag in ordered if tag in used or tag == config.default_language]
                               + sorted(used - set(ordered))))


# each live site's sides: a build asks for them from its pages, feeds, sitemap and llms files
# (8 times), and a Site is frozen; by identity, each entry dropped when its site is collected
_SIDES: dict[int, tuple[Side, ...]] = {}


def sides(site: Site) -> tuple[Side, ...]:
    """Each side of the site, the default language's first (the same objects for the same site)."""
    found = _SIDES.get(id(site))
    if found is None:
        found = _SIDES[id(site)] = _sides(site)
        weakref.finalize(site, _SIDES.pop, id(site), None)
    return found


def _sides(site: Site) -> tuple[Side, ...]:
    default = site.config.default_language
    out = [Side(default, "", site.listed(), site.tags)]
    for language in side_languages(site)[1:]:
        documents = tuple(d for post in site.posts for d in post.documents if d.language == language)
        out.append(Side(language, f"{language}/", documents, tag_groups(documents)))
    return tuple(out)


def side_of(all_sides: tuple[Side, ...], language: str) -> Side:
    """The side a page in `language` belongs to: its own, or the default's."""
    return next((side for side in all_sides if side.language == language), all_sides[0])
