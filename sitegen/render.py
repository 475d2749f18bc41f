"""The Site -> HTML pages, published Markdown sources, copied assets and theme files.

`render_site` returns {output path: bytes}; it touches no disk but the theme it is given
(templates and static files, read once by `Theme.load`).
"""

from __future__ import annotations

import hashlib
import json
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol

import jinja2

from .config import SiteConfig
from .context import post_contexts, related_indexes, side_tags
from .i18n import human_date, language_name, strings
from .languages import Side, Version, side_of, sides
from .mdplugins.highlight import pygments_css
from .fingerprint import Calls, Fingerprints, templates_digest
from .reading import ReadingEnvironment
from .output import Copied, Kept
from .site import Site
from .theme import static_files, template_loader, theme_folders

def fingerprint(name: str, data: bytes) -> str:
    """style.css -> style.3f2a9c1e.css: a new name whenever the content changes."""
    stem, dot, suffix = name.rpartition(".")
    digest = hashlib.sha256(data).hexdigest()[:10]
    return f"{stem}.{digest}.{suffix}" if dot else f"{name}.{digest}"


@dataclass(frozen=True)
class Theme:
    """Templates and static files, read once; static names fingerprinted."""

    env: ReadingEnvironment
    static: Mapping[str, bytes]  # fingerprinted output path -> bytes
    urls: Mapping[str, str]  # logical name ("style.css") -> fingerprinted output path

    folders: tuple[Path, ...] = ()  # where names were looked up, the author's theme first

    @classmethod
    def load(cls, folder: Path | None) -> "Theme":
        """The author's theme folder (None or absent: none) over the built-in theme."""
        folders = theme_folders(folder)
        env = ReadingEnvironment(
            loader=template_loader(folders),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        static: dict[str, bytes] = {}
        urls: dict[str, str] = {}
        for name, path in static_files(folders).items():
            data = path.read_bytes()
            if name == "style.css":
                data = data + b"\n/* code highlighting (Pygments) */\n" + pygments_css().encode()
            out = "assets/" + fingerprint(name, data)
            static[out] = data
            urls[name] = out
        return cls(env, static, urls, folders)


def _url(config: SiteConfig, path: str) -> str:
    """A root-relative URL for an output path ("" for home): works on any host and offline."""
    return config.base_path + path


def readers_questions(site: Site) -> dict[str, list[Any]]:
    """Post slug -> the readers' conversations about it, oldest first: the posts whose
    frontmatter names it as `qa_post` (what `qa-service publish` writes; README, "Readers'
    questions on the blog"). The theme's `_readers_questions.html` shows them on its page."""
    found: dict[str, list[Any]] = {}
    for group in site.posts:
        for document in group.documents:
            asked_about = document.extra.get("qa_post")
            if isinstance(asked_about, str):
                found.setdefault(asked_about, []).append(document)
    return {slug: sorted(docs, key=lambda d: (d.date, d.url)) for slug, docs in sorted(found.items())}


class PageStore(Protocol):
    """Pages rendered by an earlier build, by the digest of what they were rendered from:
    (HTML, the calls to template functions it made) or None."""

    def reuse(self, path: str, inputs: str) -> tuple[bytes | Kept, list[str], frozenset[str] | None] | None:
        """(the page, its calls, the documents it read beyond their settled fields: None when not known)."""
        ...

    def remember(self, path: str, inputs: str, data: bytes, calls: list[str], reading: frozenset[str]) -> None: ...

    def count(self, what: str) -> None: ...

    def memo(self, kind: str, key: str, compute: Callable[[], Any]) -> Any: ...

    def untouched(self, path: str) -> Kept | None:
        """The page as the last build left it, when nothing it reached changed (sitegen.live);
        None: decide by its digest."""
        ...

    def reached(self, path: str, documents: frozenset[str], reading: frozenset[str] | None) -> None:
        """The documents (source paths) the page's context and template calls led to, and
        those it read beyond their settled fields (sitegen.reading; None: not known)."""
        ...

    @property
    def digests(self) -> bool:
        """False: pages are not looked up nor remembered by digest (sitegen.live)."""
        ...


def render_site(site: Site, theme: Theme, store: PageStore | None = None) -> dict[str, bytes | Kept | Copied]:
    """With a `store`, a page whose template context, globals and templates digest the same as
    when the store saw it is taken from there instead of rendered (sitegen.fingerprint)."""
    config = site.config
    files: dict[str, bytes | Kept | Copied] = {}
    env = theme.env
    env.walker = Fingerprints(digests=False)  # what sitegen.reading walks, for this build only
    all_sides = sides(site)
    groups = {(group.primary.kind, group.slug): group.documents for group in (*site.posts, *site.pages)}
    env.globals.update(
        site=config,
        url=lambda path="": _url(config, path),
        absolute=config.absolute,
        css=_url(config, theme.urls.get("style.css", "")),
        static=lambda name: _url(config, theme.urls[name]),
        favicon=_url(config, theme.urls["favicon.svg"]) if "favicon.svg" in theme.urls else None,
        human_date=human_date,
        catalog=strings,
        language_name=lambda tag: language_name(tag, config.languages.get(tag)),
        versions=lambda doc: groups.get((doc.kind, doc.slug), (doc,)),
        pages=site.pages,
        readers_questions=readers_questions(site),
    )
    env.settle(env.globals)

    digests = store is None or store.digests
    prints = Fingerprints({id(env): (env, "the template environment: its templates are digested below")}, digests=digests)
    calls: Calls | None = None
    shared = ""  # the digest of the globals, filters and templates, taken once they are all set
    shared_reach: frozenset[str] = frozenset()  # the documents the globals lead to (standalone pages ...)

    def made_reading(template: str, context: dict[str, Any]) -> tuple[bytes, frozenset[str]]:
        """The page, and the documents it read beyond their settled fields (its own always:
        its reading time comes in `around`)."""
        env.reading = set()
        try:
            made = env.get_template(template).render(**context).encode("utf-8")
            if "doc" in context:
                env.reading.add(str(context["doc"].source))
            return made, frozenset(env.reading)
        finally:
            env.reading = None

    def page(template: str, path: str, side: Side, **context: Any) -> None:
        nonlocal calls, shared, shared_reach
        context = {"alternates": [], "x_default": None, "around": None, **context}
        context = dict(
            lang=side.language if "doc" not in context else context["doc"].language,
            t=strings(side.language if "doc" not in context else context["doc"].language),
            root=side.prefix, path=path,
            canonical=config.absolute(path.removesuffix("index.html")), **context,
        )
        if store is None:
            files[path] = env.get_template(template).render(**context).encode("utf-8")
            return
        if calls is None:
            functions = {k: v for k, v in env.globals.items() if isinstance(v, types.FunctionType)}
            calls = Calls(prints, functions)
            env.globals.update({name: calls.wrap(name) for name in functions})
            env.settle(env.globals)
            data = {k: v for k, v in env.globals.items() if k not in functions}
            everything = (templates_digest(theme.folders), data, dict(env.filters), dict(env.tests), calls.code())
            shared_reach = prints.reach(everything)
            shared = prints.of(everything)
        untouched = store.untouched(path)
        if untouched is not None:
            store.count("pages untouched")
            files[path] = untouched
            return
        what = (shared, template, path, context)
        reached = prints.reach(what) | shared_reach
        if not digests:  # sitegen.live: a page to make again and nothing to remember of it but its reach
            store.count("pages rendered")
            calls.touched = set()
            files[path], reading = made_reading(template, context)
            store.reached(path, reached | calls.touched, reading)
            calls.touched = None
            return
        inputs = prints.of(what)
        kept = store.reuse(path, inputs)
        if kept is not None and calls.still(kept[1]):
            store.count("pages reused")
            files[path] = kept[0]
            store.reached(path, reached | calls.reach(kept[1]), kept[2])
            return
        store.count("pages rendered")
        calls.noted = []
        made, reading = made_reading(template, context)
        files[path] = made
        store.remember(path, inputs, made, calls.noted, reading)
        store.reached(path, reached | calls.reach(calls.noted), reading)
        calls.noted = None

    def listing_versions(path: str, having: list[Side]) -> list[Version]:
        """The same listing page on every side that has it: hreflang and the language switch."""
        found = [Version(side.language, side.prefix + path) for side in having]
        return found if len(found) > 1 else []

    def related(side: Side) -> list[list[int]]:
        tags = side_tags(side)
        if store is None:
            return related_indexes(tags)
        return store.memo("related", hashlib.blake2b(json.dumps(tags).encode(), digest_size=20).hexdigest(),
                          lambda: related_indexes(tags))

    contexts = {side.language: post_contexts(side, related(side)) for side in all_sides}
    for group in (*site.posts, *site.pages):
        for document in group.documents:
            out = document.url + "index.html"
            alternates = [d for d in group.documents]
            side = side_of(all_sides, document.language)
            page(
                "post.html" if document.kind == "post" else "page.html",
                out,
                side,
                doc=document,
                alternates=alternates if len(alternates) > 1 else [],
                x_default=group.version(config.default_language),
                around=contexts[side.language].get(id(document)),
            )
            published = store.untouched(document.source_url) if store is not None else None  # its Markdown, as written
            files[document.source_url] = published or document.raw.encode("utf-8")
            if store is not None:
                store.reached(document.source_url, frozenset({str(document.source)}), frozenset({str(document.source)}))

    home_versions = listing_versions("", list(all_sides))
    tags_versions = listing_versions("tags/", [side for side in all_sides if side.tags])
    slugs = {side.language: {group.tag.slug for group in side.tags} for side in all_sides}
    for side in all_sides:
        listed = side.documents
        chunks = [listed[i:i + config.per_page] for i in range(0, len(listed), config.per_page)] or [()]
        for number, chunk in enumerate(chunks, 1):
            path = side.prefix + ("index.html" if number == 1 else f"page/{number}/index.html")
            page(
                "index.html", path, side, posts=chunk, number=number, total=len(chunks),
                hidden_drafts=site.hidden_drafts if side.is_default else 0,
                newer=None if number == 1 else side.prefix + ("" if number == 2 else f"page/{number - 1}/"),
                older=side.prefix + f"page/{number + 1}/" if number < len(chunks) else None,
                alternates=home_versions if number == 1 else [],
                x_default=home_versions[0] if home_versions else None,
            )
        page("tags.html", side.prefix + "tags/index.html", side, groups=side.tags,
             alternates=tags_versions, x_default=tags_versions[0] if tags_versions else None)
        for tag_group in side.tags:
            slug = tag_group.tag.slug
            versions = listing_versions(f"tags/{slug}/", [other for other in all_sides if slug in slugs[other.language]])
            page("tag.html", f"{side.prefix}tags/{slug}/index.html", side, group=tag_group,
                 alternates=versions, x_default=versions[0] if versions else None)
        page("404.html", side.prefix + "404.html", side, others=[s for s in all_sides if s is not side])

    files.update(theme.static)
    return files


__all__ = ["Theme", "render_site", "human_date", "fingerprint"]
