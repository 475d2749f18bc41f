"""The content graph: posts with their translations, standalone pages, tags and assets.

`locate` says what each content file is; `assemble` links parsed documents into a `Site`,
reporting duplicate slugs and languages. Pure: sorted, no clock, no disk.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Iterator, Mapping

from .config import SiteConfig, is_language_tag
from .content import Asset, Document, Located, Tag
from .errors import Problem

BLOG = "blog"
ASSETS = "assets"  # where the theme's fingerprinted files go
RESERVED = {"tags", "page", ASSETS, "feed.xml", "rss.xml", "sitemap.xml", "robots.txt", "404.html",
            "manifest.webmanifest", "llms.txt", "llms-full.txt", "_headers", "index.html", "sw.js"}


@dataclass(frozen=True)
class Post:
    """A post or standalone page in every language it is written in: index.md first."""

    slug: str
    documents: tuple[Document, ...]

    @property
    def primary(self) -> Document:
        return self.documents[0]

    @property
    def translations(self) -> tuple[Document, ...]:
        return self.documents[1:]

    def version(self, language: str) -> Document:
        """The document in `language` if there is one, else the primary."""
        for document in self.documents:
            if document.language == language:
                return document
        return self.primary


@dataclass(frozen=True)
class TagGroup:
    tag: Tag
    documents: tuple[Document, ...]  # newest first, one per post


@dataclass(frozen=True)
class Site:
    config: SiteConfig
    posts: tuple[Post, ...]  # newest first
    pages: tuple[Post, ...]  # standalone pages, by slug
    tags: tuple[TagGroup, ...]  # by slug
    assets: tuple[Asset, ...]  # by url
    asset_data: Mapping[str, bytes]  # url -> bytes
    hidden_drafts: int = 0  # posts left out because they are drafts (publish: 0) and drafts are off

    @property
    def documents(self) -> tuple[Document, ...]:
        return tuple(d for group in (*self.posts, *self.pages) for d in group.documents)

    def listed(self) -> tuple[Document, ...]:
        """What index pages and feeds list: each post once, in the site's language if it has it."""
        return tuple(post.version(self.config.default_language) for post in self.posts)

    def alternates(self, document: Document) -> tuple[Document, ...]:
        """Every language version of the post or page the document belongs to."""
        for group in (*self.posts, *self.pages):
            if group.slug == document.slug and group.primary.kind == document.kind:
                return group.documents
        return (document,)


class AssetData(Mapping[str, bytes]):
    """url -> a copied file's bytes, read from the content mapping only when asked for."""

    def __init__(self, files: Mapping[PurePosixPath, bytes], urls: Mapping[str, PurePosixPath]):
        self.files = files
        self.urls = dict(urls)

    def __getitem__(self, url: str) -> bytes:
        return self.files[self.urls[url]]

    def __iter__(self) -> Iterator[str]:
        return iter(self.urls)

    def __len__(self) -> int:
        return len(self.urls)

    def __contains__(self, url: object) -> bool:
        return url in self.urls

    def source(self, url: str) -> PurePosixPath:
        return self.urls[url]


def locate(rel: PurePosixPath) -> Located | None:
    """What a content file is: a post's or page's Markdown (index.md or <lang>.md), or None for an asset."""
    parts = rel.parts
    if rel.suffix != ".md" or len(parts) < 2:
        return None
    language = None if rel.name == "index.md" else rel.stem
    if language is not None and not is_language_tag(language):
        return None
    if parts[0] == BLOG:
        if len(parts) != 3:
            return None
        return Located("post", parts[1], language)
    return Located("page", "/".join(parts[:-1]), language)


def asset_url(rel: PurePosixPath) -> str:
    """Where a copied file lands: blog/<slug>/x -> <slug>/x; anything else stays where it is."""
    parts = rel.parts
    if parts[0] == BLOG and len(parts) >= 3:
        return "/".join(parts[1:])
    return rel.as_posix()


def _key(slug: str) -> str:
    """How hosts compare URLs that differ only in case or Unicode form."""
    return unicodedata.normalize("NFC", slug).casefold()


def assemble(
    config: SiteConfig,
    documents: list[Document],
    assets: Mapping[PurePosixPath, bytes],
    *,
    drafts: bool = False,
) -> tuple[Site, list[Problem]]:
    problems: list[Problem] = []
    groups: dict[tuple[str, str], list[Document]] = defaultdict(list)
    for document in documents:
        groups[(document.kind, document.slug)].append(document)

    # a language's side of the site lives at /<language>/ (sitegen.languages)
    reserved = RESERVED | set(config.languages) | {document.language for document in documents}
    built: dict[str, list[Post]] = {"post": [], "page": []}
    claimed: dict[str, str] = {}
    hidden_drafts = 0
    for (kind, slug), docs in sorted(groups.items()):
        docs.sort(key=lambda d: (d.is_translation, d.language))
        if docs[0].is_translation:
            problems.append(Problem(docs[0].display, None, f"translation without an index.md beside it: add {PurePosixPath(docs[0].source).parent}/index.md"))
            continue
        if not drafts:
            if not docs[0].publish:
                hidden_drafts += kind == "post"
                continue  # a draft's translations are drafts too
            docs = [d for d in docs if d.publish]
        seen: dict[str, Document] = {}
        for document in docs:
            if document.language in seen:
                problems.append(Problem(document.display, 1, f"language {document.language} is already claimed by {seen[document.language].display}: give each file its own language"))
                continue
            seen[document.language] = document
        key = _key(slug)
        if slug.split("/")[0] in reserved:
            problems.append(Problem(docs[0].display, None, f"'{slug}' is a name the site itself uses: rename the folder"))
        elif key in claimed:
            problems.append(Problem(docs[0].display, None, f"duplicate slug '{slug}': {claimed[key]} claims the same URL /{slug}/; rename one folder"))
        else:
            claimed[key] = docs[0].display
        built[kind].append(Post(slug, tuple(seen.values())))

    posts = tuple(sorted(built["post"], key=lambda p: (-p.primary.date.timestamp(), p.slug)))
    pages = tuple(sorted(built["page"], key=lambda p: p.slug))

    by_tag: dict[Tag, list[Document]] = defaultdict(list)
    names: dict[str, Tag] = {}
    for post in posts:
        preferred = post.version(config.default_language)
        tagged: dict[str, Document] = {}
        for document in sorted(post.documents, key=lambda d: d is not preferred):
            for tag in document.tags:
                tagged.setdefault(tag.slug, document)
                names.setdefault(tag.slug, tag)
        for slug, document in tagged.items():
            by_tag[names[slug]].append(document)
    tags = tuple(TagGroup(tag, tuple(docs)) for tag, docs in sorted(by_tag.items(), key=lambda kv: kv[0].slug))

    asset_list = tuple(sorted((Asset(rel, asset_url(rel)) for rel in assets), key=lambda a: a.url))
    data = AssetData(assets, {asset.url: asset.source for asset in asset_list})
    return Site(config, posts, pages, tags, asset_list, data, hidden_drafts), problems
