"""The Site -> HTML pages, published Markdown sources, copied assets and theme files.

`render_site` returns {output path: bytes}; it touches no disk but the theme it is given
(templates and static files, read once by `Theme.load`).
"""

from __future__ import annotations

import collections
import functools
import gc
import hashlib
import itertools
import multiprocessing
import os
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Protocol

import jinja2

from . import heap
from .config import SiteConfig
from .content import Document
from .context import PostContext, post_contexts, related_indexes, side_tags
from .i18n import human_date, language_name, strings
from .languages import Side, Version, side_of, sides
from .mdplugins.highlight import pygments_css
from .fingerprint import Calls, Fingerprints, templates_digest
from .cache import pack_bytes
from .reading import ReadingEnvironment
from .output import Copied, Kept, Staged, file_digest, safe_path, write_file
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
    def load(cls, folder: Path | None, compiled: Path | None = None) -> "Theme":
        """The author's theme folder (None or absent: none) over the built-in theme.
        `compiled`: a folder where templates compiled once are kept for the next build (Jinja's
        bytecode cache, checked against each template's text)."""
        folders = theme_folders(folder)
        env = ReadingEnvironment(
            bytecode_cache=jinja2.FileSystemBytecodeCache(str(compiled)) if compiled is not None else None,
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

    def reuse(self, path: str, inputs: str) -> tuple[bytes | Kept | Staged, list[str], frozenset[str] | None] | None:
        """(the page, its calls, the documents it read beyond their settled fields: None when not known)."""
        ...

    def remember(self, path: str, inputs: str, data: bytes, calls: list[str], reading: frozenset[str]) -> None: ...

    def remember_packed(self, path: str, inputs: str, html_digest: str, packed: bytes, calls: list[str],
                        reading: frozenset[str]) -> None: ...

    def count(self, what: str) -> None: ...

    def publish(self, path: str, data: bytes) -> bytes | Kept | Staged:
        """A file made in this build (a post's Markdown, as written), held as little as
        possible: Kept when the last build left it as it is, written into the build's
        staging folder when there is one (`Staged`), else the bytes."""
        ...

    def memo(self, kind: str, key: str, compute: Callable[[], Any]) -> Any: ...

    def related(self, tags: list[list[str]]) -> list[list[int]]: ...  # context.related_indexes(tags), remembered

    def untouched(self, path: str) -> Kept | Staged | Copied | None:
        """The page as the last build left it, when nothing it reached changed (sitegen.live);
        None: decide by its digest."""
        ...

    def settled(self, path: str, template: str, context: dict[str, Any]) -> Kept | None:
        """The page as the last build left it, when its template and context show the same as
        then (sitegen.live, after posts' titles or tags changed); None: decide as usual."""
        ...

    def reached(self, path: str, documents: frozenset[str], reading: frozenset[str] | None) -> None:
        """The documents (source paths) the page's context and template calls led to, and
        those it read beyond their settled fields (sitegen.reading; None: not known)."""
        ...

    @property
    def digests(self) -> bool:
        """False: pages are not looked up nor remembered by digest (sitegen.live)."""
        ...


STREAM_AT = 500  # pages to render from which, given a staging folder, they are streamed into it
CHUNK = 64  # pages a worker renders at a time


@dataclass
class _Batch:
    """The pages a build renders into its staging folder, set before worker processes fork."""

    env: ReadingEnvironment
    calls: Calls | None
    jobs: list[tuple[str, str, dict[str, Any]]]  # (template, output path, context)
    stage: Path
    packed: bool  # also the HTML packed for the cache (cache.pack_bytes)
    made: frozenset[str] = frozenset()  # folders of the stage made already (a post's Markdown is in its page's)


_BATCH: _Batch | None = None


Rendered = tuple[int, str, bytes, list[str], frozenset[str], frozenset[str], tuple[int, int, int]]


def _render_into(indices: list[int]) -> list[Rendered] | None:
    """Render the batch's pages `indices` and write each into the staging folder: per page
    (index, digest of its bytes, its HTML packed or b"", the template calls it made, the
    documents it read beyond their settled fields, those its calls led to: sitegen.reading).
    None when a template raised: the caller renders those pages again to raise it itself."""
    batch = _BATCH
    assert batch is not None
    folders: set[str] = set(batch.made)
    done = []
    try:
        for index in indices:
            template, path, context = batch.jobs[index]
            calls = batch.calls if batch.packed else None
            reading: frozenset[str] = frozenset()
            reach: frozenset[str] = frozenset()
            if calls is None:
                text = batch.env.render(template, context)
                noted: list[str] = []
            else:  # as render_site's made_reading
                calls.noted = {}
                batch.env.reading = set()
                try:
                    text = batch.env.render(template, context)
                    if "doc" in context:
                        batch.env.reading.add(str(context["doc"].source))
                    reading = frozenset(batch.env.reading)
                finally:
                    batch.env.reading = None
                noted, calls.noted = list(calls.noted), None
                reach = calls.reach(noted)  # the calls' documents are known where they were made
            data = text.encode("utf-8")
            target = str(batch.stage / safe_path(path))
            folder = os.path.dirname(target)
            if folder not in folders:
                try:
                    os.mkdir(folder)  # a page's own folder, most often in one already made: no look first
                except FileExistsError:
                    pass
                except FileNotFoundError:
                    os.makedirs(folder, exist_ok=True)
                folders.add(folder)
            stat = write_file(target, data)  # (its metadata is the manifest's: write_site need not look again)
            done.append((index, file_digest(data), pack_bytes(data) if batch.packed else b"", noted, reading, reach, stat))
    except Exception:
        if multiprocessing.parent_process() is None:
            raise
        return None  # a template's error may not survive pickling: raised again by the caller
    return done


def _stream(batch: _Batch, processes: int, meanwhile: Iterable[Iterable[None]] = (), *,
            helping: bool = False) -> Iterator[Rendered]:
    """Every page of the batch rendered into its staging folder, over `processes` forked
    workers (they inherit the site, the templates and the calls noted so far; 0: here).
    `meanwhile`: work for this process while the workers render, run piece by piece (each
    iterable to its end), the pages that came taken between two pieces. `helping`: once that
    work is done, this process renders the pages no worker has taken yet (see _shared)."""
    global _BATCH
    chunks = [list(range(start, min(start + CHUNK, len(batch.jobs)))) for start in range(0, len(batch.jobs), CHUNK)]
    _BATCH = batch
    try:
        if processes > 0:
            gc.freeze()  # the workers' collector leaves the inherited objects alone (copied pages)
            heap.give_back()  # nor do they start with this process's free heap (sitegen.heap)
            try:
                with multiprocessing.get_context("fork").Pool(processes) as pool:
                    if helping:
                        yield from _shared(pool, processes, chunks, meanwhile)
                        return
                    arriving = pool.imap(_render_into, chunks)
                    taken = 0
                    for _piece in itertools.chain.from_iterable(meanwhile):
                        while taken < len(chunks):
                            try:
                                done = arriving.next(timeout=0)
                            except multiprocessing.TimeoutError:
                                break
                            rows = _render_into(chunks[taken]) if done is None else done  # None: raises here
                            taken += 1
                            yield from rows or ()
                    for chunk, done in zip(chunks[taken:], arriving, strict=True):
                        rows = _render_into(chunk) if done is None else done
                        yield from rows or ()
            finally:
                gc.unfreeze()
        else:
            for _piece in itertools.chain.from_iterable(meanwhile):
                pass
            for chunk in chunks:
                yield from _render_into(chunk) or ()
    finally:
        _BATCH = None


def _shared(pool: Any, processes: int, chunks: list[list[int]], meanwhile: Iterable[Iterable[None]]) -> Iterator[Rendered]:
    """The chunks rendered by the pool's workers (two queued for each) from the last chunk
    back and, once this process has done its own work (`meanwhile`), by this process too from
    the first: neither waits while the other still has pages to render (a cold build at 5,000
    posts: this process's own work ends ~1 s before the worker's). The pages listing posts
    (home pages, tags: last in the batch) so go to the workers, which render each post's entry
    in a list once and use it on every list page after; this process takes the posts' own
    pages, which need none of those entries."""
    left = collections.deque(reversed(chunks))
    sent: collections.deque[tuple[list[int], Any]] = collections.deque()

    def send() -> None:
        while left and len(sent) < 2 * processes:
            chunk = left.popleft()
            sent.append((chunk, pool.apply_async(_render_into, (chunk,))))

    def take() -> Iterator[Rendered]:
        chunk, result = sent.popleft()
        done = result.get()
        send()
        yield from (_render_into(chunk) if done is None else done) or ()  # None: raises here

    send()
    for _piece in itertools.chain.from_iterable(meanwhile):
        while sent and sent[0][1].ready():
            yield from take()
    while left:
        yield from _render_into(left.pop()) or ()
        while sent and sent[0][1].ready():
            yield from take()
    while sent:
        yield from take()


def page_paths(site: Site) -> set[str]:
    """The output path of every page `render_site` makes of the site, found without making a
    context (tests/sitegen/test_render.py holds the two to the same list)."""
    config = site.config
    paths = {document.url + "index.html" for document in site.documents}
    for side in sides(site):
        chunks = max(1, -(-len(side.documents) // config.per_page))
        paths.update(side.prefix + ("index.html" if number == 1 else f"page/{number}/index.html") for number in range(1, chunks + 1))
        paths.update((side.prefix + "tags/index.html", side.prefix + "404.html"))
        paths.update(f"{side.prefix}tags/{group.tag.slug}/index.html" for group in side.tags)
    return paths


def render_site(site: Site, theme: Theme, store: PageStore | None = None, *, stage: Path | None = None,
                workers: int = 1, meanwhile: Callable[[], Iterable[None]] = lambda: ()) -> dict[str, bytes | Kept | Copied | Staged]:
    """With a `store`, a page whose template context, globals and templates digest the same as
    when the store saw it is taken from there instead of rendered (sitegen.fingerprint).
    With a `stage` (output.new_stage) and at least STREAM_AT pages to render, they are rendered
    in forked processes (`workers`, one fewer in a cold build: see below) and written there as
    they come (`Staged`): never all held at once.
    The cyclic collector is off meanwhile: a render at 5,000 posts leaves no cyclic garbage
    and keeps ~300,000 new objects to its end, which the collector walked (with the site) ~650
    times for nothing (~0.7 s of CPU). `meanwhile()` is a generator run to its end once,
    while the pages are rendered in other processes if they are (the build makes its feeds
    then); the pages that came are taken each time it yields (not held until it ends)."""
    if not gc.isenabled():
        return _render_site(site, theme, store, stage=stage, workers=workers, meanwhile=meanwhile)
    gc.disable()
    try:
        return _render_site(site, theme, store, stage=stage, workers=workers, meanwhile=meanwhile)
    finally:
        gc.enable()


def _render_site(site: Site, theme: Theme, store: PageStore | None, *, stage: Path | None,
                 workers: int, meanwhile: Callable[[], Iterable[None]]) -> dict[str, bytes | Kept | Copied | Staged]:
    config = site.config
    files: dict[str, bytes | Kept | Copied | Staged] = {}
    # with a stage: (template, path, context, inputs, reached, what); `what` (the page's inputs
    # as render_site digests them) when its digest and reach are still to be taken
    deferred: list[tuple[str, str, dict[str, Any], str, frozenset[str], Any]] = []
    # nothing stored to reuse (a cold build): every page is rendered, and its digest and reach
    # are taken while the workers render, not before they start (~0.5 s at 5,000 posts)
    fresh = stage is not None and store is not None and getattr(store, "empty", lambda: False)()
    env = theme.env
    env.begin()  # what sitegen.reading walks and the shared fragments made, for this build only
    all_sides = sides(site)
    urls = theme.urls  # what `static` reads of the theme (its closure is digested: sitegen.fingerprint)
    # by kind and slug, not by date: the same table when a post's date moves it (sitegen.likeness)
    groups = dict(sorted(((group.primary.kind, group.slug), group.documents) for group in (*site.posts, *site.pages)))
    env.globals.update(
        site=config,
        url=lambda path="": _url(config, path),
        absolute=config.absolute,
        css=_url(config, theme.urls.get("style.css", "")),
        static=lambda name: _url(config, urls[name]),
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
            made = env.render(template, context).encode("utf-8")
            if "doc" in context:
                env.reading.add(str(context["doc"].source))
            return made, frozenset(env.reading)
        finally:
            env.reading = None

    def page(template: str, path: str, side: Side, later: Callable[[], dict[str, Any]] | None = None, **context: Any) -> None:
        """`later()`: more of the context, asked for only when the page is not untouched."""
        nonlocal calls, shared, shared_reach
        untouched = store.untouched(path) if store is not None else None
        if store is not None and untouched is not None:  # as the last build left it (sitegen.live): no context needed
            store.count("pages untouched")
            files[path] = untouched
            return
        context = {"alternates": [], "x_default": None, "around": None, **context, **(later() if later is not None else {})}
        context = dict(
            lang=side.language if "doc" not in context else context["doc"].language,
            t=strings(side.language if "doc" not in context else context["doc"].language),
            root=side.prefix, path=path,
            canonical=config.absolute(path.removesuffix("index.html")), **context,
        )
        if store is not None:
            settled = store.settled(path, template, context)
            if settled is not None:  # the last build's page shows the same (sitegen.live)
                store.count("pages untouched")
                files[path] = settled
                return
        if store is None:
            if stage is not None:
                deferred.append((template, path, context, "", frozenset(), None))
                return
            files[path] = env.render(template, context).encode("utf-8")
            return
        if calls is None:
            # the functions whose closures lead to documents (`versions`: every post's
            # translations) have their calls noted, so that a page depends on the documents it
            # asked about only; the others (url: the settings; human_date: nothing) are digested
            # with the globals, closures and all, and called as they are
            # (found by the environment's walk, which hashes nothing: sitegen.reading)
            functions = {k: v for k, v in env.globals.items() if isinstance(v, types.FunctionType) and env.walker.reach(v)}
            calls = Calls(prints, functions)
            env.begin(calls)
            env.globals.update({name: calls.wrap(name) for name in functions})
            env.settle(env.globals)
            data = {k: v for k, v in env.globals.items() if k not in functions}
            everything = (templates_digest(theme.folders), data, dict(env.filters), dict(env.tests), calls.code())
            shared_reach = prints.reach(everything)
            shared = prints.of(everything)
        what = (shared, template, path, context)
        if fresh and digests:
            store.count("pages rendered")
            deferred.append((template, path, context, "", frozenset(), what))
            return
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
        if stage is not None:
            deferred.append((template, path, context, inputs, reached, None))
            return
        render_here(template, path, context, inputs, reached)

    def render_here(template: str, path: str, context: dict[str, Any], inputs: str, reached: frozenset[str]) -> None:
        """Render a page in this process, noting its calls, and remember it and its reach."""
        assert calls is not None and store is not None
        calls.noted = {}
        made, reading = made_reading(template, context)
        files[path] = made
        noted, calls.noted = list(calls.noted), None
        store.remember(path, inputs, made, noted, reading)
        store.reached(path, reached | calls.reach(noted), reading)

    def listing_versions(path: str, having: list[Side]) -> list[Version]:
        """The same listing page on every side that has it: hreflang and the language switch."""
        found = [Version(side.language, side.prefix + path) for side in having]
        return found if len(found) > 1 else []

    def related(side: Side) -> list[list[int]]:
        tags = side_tags(side)
        if store is None:
            return related_indexes(tags)
        return store.related(tags)

    contexts: dict[str, dict[int, PostContext]] = {}  # by side, made when a page that is rendered needs it

    def around(side: Side, document: Document) -> dict[str, Any]:
        if side.language not in contexts:
            contexts[side.language] = post_contexts(side, related(side))
        return {"around": contexts[side.language].get(id(document))}

    # the posts' Markdown files to stage: while the workers render the pages, not before (a
    # fifth of what this process did before they could start, at 5,000 posts)
    staging = store is not None and stage is not None and getattr(store, "stage", None) == stage
    sources: list[Document] = []

    def publish_sources() -> Iterator[None]:
        if store is None:
            return
        for index, document in enumerate(sources, 1):
            files[document.source_url] = store.publish(document.source_url, document.raw_utf8)
            if index % 64 == 0:
                yield  # (the workers' pages taken meanwhile: _stream)
        sources.clear()

    by_language = {side.language: side for side in all_sides}
    for group in (*site.posts, *site.pages):
        for document in group.documents:
            out = document.url + "index.html"
            alternates = [d for d in group.documents]
            side = by_language.get(document.language) or side_of(all_sides, document.language)
            page(
                "post.html" if document.kind == "post" else "page.html",
                out,
                side,
                functools.partial(around, side, document),
                doc=document,
                alternates=alternates if len(alternates) > 1 else [],
                x_default=group.version(config.default_language),
            )
            published = store.untouched(document.source_url) if store is not None else None  # its Markdown, as written
            if published is not None:
                files[document.source_url] = published
            elif staging:  # written into the stage once the pages' workers are under way (its place kept)
                files[document.source_url] = None  # type: ignore[assignment]
                sources.append(document)
            else:
                data = document.raw_utf8
                files[document.source_url] = store.publish(document.source_url, data) if store is not None else data
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

    if stage is not None and len(deferred) >= STREAM_AT:
        batch = _Batch(env, calls, [job[:3] for job in deferred], stage, store is not None,
                       frozenset(getattr(store, "folders", ()) if getattr(store, "stage", None) == stage else ()))
        # in a cold build this process has about a core's worth of its own while the pages
        # render (every page's digest and reach, the posts' Markdown staged, the feeds made, the
        # images copied): one worker fewer than the cores (at 5,000 posts on two cores, a
        # second worker made the render ~0.8 s slower: three busy processes on two cores, and
        # one more copy of the site's pages touched), and this process renders pages too once
        # its own work is done; else one worker per core
        forks = workers > 1 and "fork" in multiprocessing.get_all_start_methods()
        processes = (workers - 1 if fresh else workers) if forks else 0
        for index, html_digest, packed, noted, reading, reach, stat in _stream(batch, processes, (publish_sources(), meanwhile()),
                                                                               helping=fresh):
            _template, path, _context, inputs, reached, what = deferred[index]
            if what is not None:
                inputs, reached = prints.of(what), prints.reach(what) | shared_reach
            files[path] = Staged(html_digest, stage / safe_path(path), stat)
            if store is not None:
                store.remember_packed(path, inputs, html_digest, packed, noted, reading)
                store.reached(path, reached | reach, reading)
    else:
        for _piece in itertools.chain(publish_sources(), meanwhile()):
            pass
        for template, path, context, inputs, reached, what in deferred:  # a few: rendered here, as without a stage
            if what is not None:
                inputs, reached = prints.of(what), prints.reach(what) | shared_reach
            if store is None or calls is None:
                files[path] = env.render(template, context).encode("utf-8")
                continue
            render_here(template, path, context, inputs, reached)
    files.update(theme.static)
    # the walks' memos keep every page's context and every object digested alive (~40 MB at
    # 5,000 posts), and the environment outlives the build in its result: let them go now
    deferred.clear()
    env.finish()
    env.walker = Fingerprints(digests=False)
    for memo in (prints.memo, prints.reached, prints.objects, *((calls.reached, calls.confirmed) if calls else ())):
        memo.clear()
    return files


__all__ = ["Theme", "render_site", "human_date", "fingerprint"]
