"""`sitegen serve`'s rebuild after a save: only what the saved Markdown changed is redone.

The dev server keeps what its last good build left (`Last`: the site, every content file it
read, the theme, each page's reach and the manifest it wrote). When the only files that changed
since are Markdown files that were read then and are still there, only they are read, parsed
and rendered (through the build cache, as in a build), and then one of two ways:

- Their text alone changed (body, render, reading time; not the title, date, tags, language,
  publish or any other frontmatter): the site keeps its shape, the same posts in the same
  order, the same lists, tags, pages, sides and related posts.
  - Only pages that read one of them beyond its settled fields are made again
    (sitegen.reading: noted while the page rendered; for a page this process has not rendered
    and the cache does not say, its reach: every document its context and template calls led
    to, sitegen.fingerprint); every other page stays on disk (a list of titles, a tag page ...).
  - The generated files that read only the settled fields (`build.SETTLED`: sitemap, robots,
    web manifest, llms.txt) stay, and so do the feeds when no changed post is among their
    newest.
- Their frontmatter changed too (a title, tags, a date ...): the site is assembled again from
  the last one's documents with the changed ones in their place, and every page's context is
  made for the old site and the new. A page stays on disk when its template, its context and
  the templates' globals show the same as then (sitegen.likeness: an unchanged document is the
  very same object in both, a changed one stands for its old self) and its reach holds none of
  the changed documents; every other page is made again, a new one (a new tag's page) too.
  Every generated file is made again. A page that would go (a tag no post has any more, a post
  now a draft) leaves it to the full build, whose link check covers every document.

Either way llms-full.txt is spliced (only the changed pieces made, the rest copied in the
kernel; made whole when the documents' order changed), _headers made again, the changed
documents' links checked as in a build, and the changed files switched in place
(sitegen.output).

The output is the one a full build of the same files makes, byte for byte (tests/sitegen/
test_live.py compares them). Anything else (a new, removed or renamed file, an image, the
theme, site.toml, a problem to report, an offline site) goes to `build.build_site`, which then
gives the next `Last`.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterable, Mapping

from . import build, feeds, meta, output, safety, staging
from .build import BuildResult, CachedPages, related_key
from .context import related_again, related_indexes
from .cache import Cache
from .content import Document
from .diagrams import Mermaid
from .languages import sides
from .documents import parse_documents, worker_count
from .fingerprint import EVERYTHING
from .markdown import render_markdown
from .options import BuildOptions
from .reading import TEXT
from .references import broken, check_references
from .render import Theme, page_paths, render_site
from .likeness import Likeness
from .site import AssetData, Post, Site, TagGroup, assemble
from .sources import Contents, Listing, SourceFile, ignored, read_file, relative



@dataclass(frozen=True)
class Last:
    """What the last good build left, as a patch needs it."""

    options: BuildOptions
    site: Site
    sources: Mapping[PurePosixPath, SourceFile]
    theme: Theme
    reaches: Mapping[str, tuple[frozenset[str], frozenset[str] | None]]  # page -> (reach, reading)
    manifest: output.Manifest
    llms_full: tuple[int, ...]  # the length of each piece of llms-full.txt (meta.llms_full_parts)

    @classmethod
    def of(cls, options: BuildOptions, result: BuildResult) -> "Last | None":
        """From a full build's result (None when it cannot serve as one: nothing rebuilt,
        no cache, an offline site)."""
        site = result.site
        if (site is None or result.theme is None or result.manifest is None or not result.reaches
                or site.config.offline or not options.cache):
            return None
        return cls(options, site, {source.rel: source for source in result.sources}, result.theme,
                   result.reaches, result.manifest,
                   result.llms_full or tuple(len(part) for part in meta.llms_full_parts(site)))


def warm(last: Last) -> None:
    """Do now what the first patch would otherwise wait for: compile the templates (a build
    that reused every page compiled none) and load the Markdown renderer."""
    for name in last.theme.env.list_templates(filter_func=lambda name: name.endswith(".html")):
        try:
            last.theme.env.get_template(name)
        except Exception:  # a template that does not compile: the build that uses it says so
            continue
    render_markdown("# x\n\n*y* [z](z/)\n\n```python\nx = 1\n```\n")


def settled(document: Document) -> tuple[Any, ...]:
    """Everything about a document but what its text decides."""
    return tuple(getattr(document, item.name) for item in dataclasses.fields(document) if item.name not in TEXT)


def saved_markdown(last: Last, paths: Iterable[Path]) -> dict[PurePosixPath, SourceFile] | None:
    """The Markdown files among `paths` read again, when every path is one the last build read
    (or one that came and went, or a hidden or backup file it leaves out); None otherwise."""
    root = last.options.content
    inside = root.resolve()
    found: dict[PurePosixPath, SourceFile] = {}
    for path in paths:
        try:
            rel = relative(inside, path.resolve())
        except ValueError:
            return None  # the theme, site.toml ...
        if ignored(rel):
            continue
        if rel not in last.sources:
            if path.exists() or path.is_symlink():
                return None  # a new file
            continue  # came and went (an editor's scratch file)
        if rel.suffix != ".md" or not path.is_file() or path.is_symlink():
            return None
        try:
            found[rel] = read_file(root, root / Path(*rel.parts))
        except OSError:
            return None
    return found


def patch(last: Last, paths: Iterable[Path], cache: Cache | None = None) -> tuple[BuildResult, Last] | None:
    """The rebuild after `paths` changed, redoing only what they change; None when it has to
    be a full build (see the module's docstring). `cache`: the build cache, open, which the
    caller commits (`prune=False`: only part of the site was made) and closes; else the
    patch opens and commits its own."""
    start = time.perf_counter()
    options = last.options
    saved = saved_markdown(last, paths)
    if saved is None:
        return None
    sources = last.sources.updated(saved) if isinstance(last.sources, Listing) else {**last.sources, **saved}
    own = cache is None
    cache = options.open_cache() if cache is None else cache
    spliced = output.in_place_temporary(options.out.resolve() / "llms-full.txt")  # by _llms_full
    try:
        made = _patch(last, saved, sources, cache)
        if made is None:
            return None
        files, site, store, warnings, lengths = made
        manifest = output.write_site(files, options.out, last.manifest, strays=False)
        key = build.digest(str(options.out.resolve()))
        cache.put("output", key, manifest)
        cache.put("record", key, None)  # the next `sitegen build` checks the inputs itself
        if own:
            cache.commit(prune=False)
    finally:
        spliced.unlink(missing_ok=True)  # renamed into place unless the patch stopped
        if own:
            cache.close()
    reaches = {path: reach for path, reach in {**last.reaches, **store.reaches}.items()
               if path in files or path not in last.manifest}  # (a page gone: its reach too)
    result = BuildResult(site, {}, warnings, {"patch": time.perf_counter() - start}, dict(cache.counts),
                         summary=(sum(1 for path in files if path.endswith(".html")), len(files)),
                         sources=tuple(saved.values()), theme=last.theme, reaches=reaches, manifest=manifest)
    return result, dataclasses.replace(last, site=site, sources=sources, reaches=reaches, manifest=manifest, llms_full=lengths)


def restore(last: Last, cache: Cache) -> tuple[BuildResult, Last] | None:
    """The output folder written again as the last build left it, when nothing it read has
    changed since but the folder is gone or was touched: each page from the build cache by the
    digest the last write recorded (the feeds, sitemap and llms.txt too), each copied file (an
    image, a post's Markdown published as written) copied, and llms-full.txt made, all into a
    staging folder by two forked processes (sitegen.staging) while this one renders what the
    cache lacks; None when it has to be a full build. `cache`: open; the caller commits and
    closes it."""
    start = time.perf_counter()
    options, site = last.options, last.site
    out = options.out.resolve()
    try:
        stage = output.new_stage(out)
    except OSError:
        return None  # the full build says why
    writing = None
    try:
        copied = _copied(site, last.manifest) or build.copied_files(site, cache)
        store = _Restored(cache, last.manifest, last.reaches, stage, {**_published(last), **copied},
                          also=lambda: output.stage_parts(stage, "llms-full.txt", meta.llms_full_parts(site)))
        writing = store.writing  # pages and copies written by two processes while this one goes on
        try:
            files: dict[str, Any] = dict(render_site(site, last.theme, store))
        except Exception:  # noqa: BLE001 (a template failing now failed the last build too: the full build says where)
            return None
        for asset in site.assets:
            files[asset.url] = store.untouched(asset.url) or site.asset_data[asset.url]
        # a generated file the last build left in the cache (by its digest, as pages) is
        # written by the writers too, and so is llms-full.txt (every post's text, made by one
        # of them from the site they forked with); any other is made here
        made, _ = build.generated(site, keep=lambda path: store.untouched(path) or (LATER if path == "llms-full.txt" else None))
        whole, damaged, llms_full = writing.finish()
        if damaged:  # a damaged cache is discarded: the full build starts cold
            cache.damaged("html", *damaged[0])
        if not whole or llms_full is None:
            return None
        made["llms-full.txt"], lengths = llms_full
        files.update(made)
        files["_headers"] = meta.headers(site, files)
        if set(files) != set(last.manifest):
            return None
        manifest = output.write_site(files, options.out, last.manifest, stage)
    finally:
        if writing is not None:
            writing.finish()  # (no writer left behind, whatever happened)
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
    key = build.digest(str(out))
    cache.put("output", key, manifest)
    result = BuildResult(site, {}, (), {"restore": time.perf_counter() - start}, dict(cache.counts),
                         summary=(sum(1 for path in files if path.endswith(".html")), len(files)),
                         theme=last.theme, reaches=store.reaches, manifest=manifest)
    return result, dataclasses.replace(last, reaches=store.reaches, manifest=manifest, llms_full=lengths)


def _copied(site: Site, manifest: output.Manifest) -> dict[str, output.Copied]:
    """The copied files (images ...) of a site restored from the state its last build left
    (sitegen.resume: every content file has the metadata it had then), each with the digest
    that build's write recorded: nothing looked up or made per file (build.copied_files
    made 10,000 paths and cache keys and decoded as many entries at 5,000 posts, 0.6 s). A
    file whose size is not the one written, or any other listing, is left to the caller."""
    data = site.asset_data
    if not isinstance(data, AssetData) or not isinstance(data.files, Contents) or not isinstance(data.files.files, Listing):
        return {}
    rows = data.files.files.rows
    copied: dict[str, output.Copied] = {}
    for url, rel in data.urls.items():
        entry, row = manifest.get(url), rows.get(str(rel))
        if isinstance(entry, list) and len(entry) == 4 and row is not None and row[1] == entry[1]:
            copied[url] = output.Copied(entry[0], row[0])
    return copied


def _published(last: Last) -> dict[str, output.Copied]:
    """Each post's Markdown, published as written: its file copied (in the kernel, not read
    and decoded), when it is the one the last build published (unchanged since, sitegen.resume;
    the same size: no byte-order mark left out; else the page store makes it)."""
    rows = last.sources.rows if isinstance(last.sources, Listing) else {}
    found: dict[str, output.Copied] = {}
    for document in last.site.documents:
        entry, row = last.manifest.get(document.source_url), rows.get(str(document.source))
        if not isinstance(entry, list) or len(entry) != 4:
            continue
        try:
            size = row[1] if row is not None else os.stat(document.display).st_size
        except OSError:
            continue
        if size == entry[1]:
            found[document.source_url] = output.Copied(entry[0], document.display)
    return found


LATER = output.Kept("", "")  # (what `build.generated` publishes for llms-full.txt until the writers have made it)


class _Restored(CachedPages):
    """The page store of `restore`: a page the last build wrote comes from the build cache by
    the digest its write recorded, a copied file from its content file, both written into the
    staging folder by other processes (sitegen.staging) as this one goes on; any other page is
    made again."""

    digests = False

    def __init__(self, cache: Any, manifest: output.Manifest,
                 before: Mapping[str, tuple[frozenset[str], frozenset[str] | None]], stage: Path,
                 copies: Mapping[str, output.Copied], also: Callable[[], Any] | None = None):
        """`copies`: output path -> the content file it is a copy of; `also`: for a writer to
        run too (sitegen.staging)."""
        super().__init__(cache, None, manifest, stage)
        self.before = before
        # every page whose reach is known, and the generated files (feeds, sitemap ...) the last build left in the cache
        wanted = {path: entry[0] for path, entry in manifest.items()
                  if (path in before or not path.endswith(".html")) and path not in copies and path != "llms-full.txt"  # (`also`)
                  and isinstance(entry, list) and entry}
        blobs = cache.blobs("html", wanted.values(), most=True)
        pages = [(path, key, blobs[key]) for path, key in wanted.items() if key in blobs]  # any other: rendered again
        # said staged now, written before the write (`writing.finish`)
        # (plain strings, where write_site looks for them: 23,000 paths at 5,000 posts)
        base = f"{stage}{os.sep}"
        self.staged: dict[str, output.Staged] = {path: output.Staged(key, base + output.safe_path(path)) for path, key, _ in pages}
        self.staged.update((path, output.Staged(copy.digest, base + output.safe_path(path))) for path, copy in copies.items())
        self.writing = staging.start(stage, pages, sorted(copies.items()), workers=min(2, os.cpu_count() or 1), also=also)

    def untouched(self, path: str) -> output.Staged | None:
        found = self.staged.get(path)
        if found is not None and path in self.before:
            self.reaches[path] = self.before[path]
        return found


class _Untouched(CachedPages):
    """The page store of a patch: a page that reached no changed document is left on disk,
    any other is made again (neither looked up nor remembered by digest: the next `sitegen
    build` finds its cache entry stale and makes it again too)."""

    digests = False

    def __init__(self, cache: Any, out: Path, manifest: output.Manifest,
                 before: Mapping[str, tuple[frozenset[str], frozenset[str] | None]], changed: set[str]):
        super().__init__(cache, out, manifest)
        self.before = before
        self.changed = changed

    def untouched(self, path: str) -> output.Kept | None:
        known = self.before.get(path)
        entry = self.manifest.get(path)
        if known is None or entry is None:
            return None
        reach, reading = known
        looked = reach if reading is None else reading
        if EVERYTHING in reach or EVERYTHING in looked or not looked.isdisjoint(self.changed):
            return None  # it reached a changed document and read its text, or may have
        self.reaches[path] = known
        return output.Kept(entry[0], f"{self.out}/{path}")


def _patch(last: Last, saved: Mapping[PurePosixPath, SourceFile], sources: Mapping[PurePosixPath, SourceFile],
           cache: Any) -> tuple[dict[str, Any], Site, _Untouched, tuple[Any, ...], tuple[int, ...]] | None:
    options, site = last.options, last.site
    config = site.config
    before = {document.source: document for document in site.documents}
    if any(rel not in before for rel in saved):
        return None  # a draft left out, a file that did not parse ...
    diagrams = Mermaid.beside(options.config)
    figures = diagrams.figures(list(saved.values()))
    parsed, _assets, problems = parse_documents(list(saved.values()), config, cache, workers=options.jobs or worker_count(),
                                                diagrams=figures, around=sources)
    screened, unsafe = safety.screen(parsed, host=config.host, mode=config.unsafe_html)
    if problems or unsafe or diagrams.warnings or len(screened) != len(saved):
        return None  # the full build reports them
    new = {document.source: document for document in screened}
    reshaped = any(settled(document) != settled(before[rel]) for rel, document in new.items())
    changed = {str(rel) for rel, document in new.items() if document.inputs != before[rel].inputs}
    out = options.out.resolve()
    store: _Untouched
    going: set[str] = set()  # pages the edit takes away (a tag no post has now ...)
    if reshaped:  # a title, tags, a date ...: the lists, tag pages and neighbours may change
        new = {rel: document for rel, document in new.items() if str(rel) in changed}  # the others stay as they were
        reassembled = _reassembled(last, new)
        if reassembled is None:
            return None  # the full build reports the problem
        going = page_paths(site) - page_paths(reassembled)  # (every document's links are checked below)
        shown = _Shown(cache, last.theme.env)
        try:
            render_site(site, last.theme, shown)  # the last build's contexts, nothing rendered
        except Exception:  # noqa: BLE001 (it rendered then: a failure now is the full build's to report)
            return None
        counterparts = {id(before[rel]): document for rel, document in new.items()}
        site = reassembled
        store = _Reshaped(cache, out, last.manifest, last.reaches, changed, shown, Likeness(counterparts))
    else:
        site = _swapped(site, new)
        store = _Untouched(cache, out, last.manifest, last.reaches, changed)
    try:
        files: dict[str, Any] = dict(render_site(site, last.theme, store))
    except Exception:  # a template failing on the new text: the full build says where
        return None
    def kept(path: str) -> output.Kept:
        return output.Kept(last.manifest[path][0], f"{out}/{path}")

    llms_full = _llms_full(last, site, changed)

    read = feeds.texts_read(site) if not reshaped else {}
    same_feeds = _feeds_alike(last.site, site, [*new.values(), *(before[rel] for rel in new)]) if reshaped else set()

    def keep(path: str) -> Any:
        if not reshaped and (path in build.SETTLED or (path in read and read[path].isdisjoint(changed))):
            return kept(path)
        if path in same_feeds:
            return kept(path)
        return llms_full[0] if path == "llms-full.txt" and llms_full is not None else None

    if any(asset.url not in last.manifest for asset in site.assets):
        return None
    for asset in site.assets:
        files[asset.url] = kept(asset.url)
    made, remade = build.generated(site, keep=keep)
    files.update(made)
    files["_headers"] = meta.headers(site, files)
    paths, before_paths = set(files), set(last.manifest)
    gone = before_paths - paths
    if not gone <= going or (paths != before_paths and not reshaped):
        return None  # a file gone that no edit of titles or tags takes away, or not the same files: a full build decides
    # the other documents' links were checked by the last build, against the same files or
    # more; when pages go, theirs are checked against what is left (_links_stand), and one
    # that breaks leaves it to the full build, which says where
    errors, warnings = check_references(site, files, strict_alt=options.strict_alt, documents=list(new.values()))
    if errors or (gone and not _links_stand(site, files, new, cache)):
        return None
    lengths = llms_full[1] if llms_full is not None else remade
    assert lengths is not None
    return files, site, store, tuple(warnings), lengths


def _links_stand(site: Site, files: Mapping[str, Any], new: Mapping[PurePosixPath, Document], cache: Any) -> bool:
    """Whether every link and image of the documents not parsed again still points at a file
    of `files`, from the targets each render left in the build cache beside it ("links"): no
    render is decoded (all of them, to read their references, took ~1 s and ~300 MB at 5,000
    posts). False when one breaks or a render's targets are not there."""
    others = [document for document in site.documents if document.source not in new]
    keys = [document.markdown for document in others]
    if not all(keys):
        return False
    found = cache.get_many("links", keys)
    base = site.config.base_path
    for document in others:
        targets = found.get(document.markdown)
        if not isinstance(targets, list) or any(broken(document, target, base, files) for target in targets):
            return False
    return True


def _feeds_alike(then: Site, now: Site, changed: Iterable[Document]) -> set[str]:
    """The feeds of a reshaped site (titles, tags or dates changed) that show what they showed:
    a side's feeds list its newest posts, each with its language versions, and the newest date
    of the side. They are the same when those posts are the very same documents as in the last
    site (an unchanged document is the same object in both), none of them a changed one or a
    version of one, and the newest date is the same."""
    limit = now.config.feed_limit
    groups = {(document.kind, document.slug) for document in changed}
    before = {side.prefix: side for side in sides(then)}
    alike: set[str] = set()
    for side in sides(now):
        old = before.get(side.prefix)
        if old is None or old.language != side.language:
            continue
        newest, was = side.documents[:limit], old.documents[:limit]
        if len(newest) != len(was) or any(a is not b or (a.kind, a.slug) in groups for a, b in zip(newest, was, strict=True)):
            continue
        if max((d.date for d in side.documents), default=None) != max((d.date for d in old.documents), default=None):
            continue
        alike.update((f"{side.prefix}feed.xml", f"{side.prefix}rss.xml"))
    return alike


def _llms_full(last: Last, site: Site, changed: set[str]) -> tuple[output.Staged, tuple[int, ...]] | None:
    """llms-full.txt as the last build wrote it, with the pieces of the changed documents made
    again (the same documents in the same order: only their text differs), written beside it
    under the name a small change renames from (output.in_place_temporary): the unchanged
    runs copied in the kernel, the rest of it never read. None when the file on disk is not the
    one the lengths describe. Its digest is made from the last one and the new pieces (not
    from its bytes, which are never all read): a file spliced from another history may carry
    another digest for the same bytes, which only means writing it once more."""
    documents = meta.llms_full_order(site)
    entry = last.manifest.get("llms-full.txt")
    if len(documents) + 1 != len(last.llms_full) or entry is None \
            or [d.source for d in documents] != [d.source for d in meta.llms_full_order(last.site)]:
        return None
    source = last.options.out.resolve() / "llms-full.txt"
    try:
        if os.stat(source).st_size != sum(last.llms_full):
            return None
    except OSError:
        return None
    pieces: list[tuple[int, int] | bytes] = []
    lengths = [last.llms_full[0]]
    digests = [str(entry[0])]
    start, end = 0, last.llms_full[0]  # the run of unchanged pieces not yet taken
    for index, (document, length) in enumerate(zip(documents, last.llms_full[1:], strict=True)):
        if str(document.source) in changed:
            made = meta.llms_full_part(site.config, document)
            pieces += [(start, end - start), made]
            lengths.append(len(made))
            digests.append(f"{index}:{output.file_digest(made)}")
            start = end = end + length
        else:
            lengths.append(length)
            end += length
    pieces.append((start, end - start))
    target = output.in_place_temporary(source)
    try:
        output.splice(source, target, pieces)
    except OSError:
        target.unlink(missing_ok=True)
        return None
    return output.Staged(output.file_digest("\n".join(digests).encode()), target), tuple(lengths)


def _reassembled(last: Last, new: Mapping[PurePosixPath, Document]) -> Site | None:
    """The site again from the last one's documents, `new` in place of those they replace
    (None when it has problems: duplicate slugs ...). The drafts it left out stay out."""
    site = last.site
    documents = [new.get(document.source, document) for document in site.documents]
    # the copied files are the last build's (a patch changes Markdown files only): not listed again
    reassembled, problems = assemble(site.config, documents, {}, drafts=last.options.drafts)
    if problems:
        return None
    return dataclasses.replace(reassembled, assets=site.assets, asset_data=site.asset_data,
                               hidden_drafts=site.hidden_drafts + reassembled.hidden_drafts)


class _Shown(CachedPages):
    """The page store that renders nothing: it notes each page's template and context, and
    the globals the templates saw (the last build's, for `_Reshaped`)."""

    digests = False
    _NOTHING = output.Kept("", "")

    def __init__(self, cache: Any, env: Any):
        super().__init__(cache)
        self.env = env
        self.globals: dict[str, Any] | None = None
        self.pages: dict[str, tuple[str, dict[str, Any]]] = {}
        self.ranked: list[tuple[list[list[str]], list[list[int]]]] = []  # each side's tags and related posts

    def untouched(self, path: str) -> output.Kept | None:
        return self._NOTHING if path.endswith(".md") else None  # a post's Markdown: not read

    def settled(self, path: str, template: str, context: dict[str, Any]) -> output.Kept | None:
        if self.globals is None:
            self.globals = dict(self.env.globals)
        self.pages[path] = (template, context)
        return self._NOTHING

    def related(self, tags: list[list[str]]) -> list[list[int]]:
        found = super().related(tags)
        self.ranked.append((tags, found))
        return found


class _Reshaped(_Untouched):
    """The page store of a patch after titles, tags or dates changed: a page is left on disk
    when its template, context and globals show the same as the last build's (sitegen.likeness)
    and it reached no changed document; any other is made again."""

    def __init__(self, cache: Any, out: Path, manifest: output.Manifest,
                 before: Mapping[str, tuple[frozenset[str], frozenset[str] | None]], changed: set[str],
                 shown: _Shown, likeness: Likeness):
        super().__init__(cache, out, manifest, before, changed)
        self.shown = shown
        self.likeness = likeness
        self.same_globals: bool | None = None

    def untouched(self, path: str) -> output.Kept | None:
        return super().untouched(path) if path.endswith(".md") else None  # a page: by its context (below)

    def related(self, tags: list[list[str]]) -> list[list[int]]:
        """Ranked again only where the changed tags can change it (context.related_again),
        from the same side's ranking in the last build."""
        key = related_key(tags)
        found = self.cache.get("related", key)
        if found is None:
            for then, ranked in self.shown.ranked:
                found = related_again(tags, then, ranked)
                if found is not None:
                    break
            else:
                found = related_indexes(tags)
            self.cache.put("related", key, found)
        return found

    def settled(self, path: str, template: str, context: dict[str, Any]) -> output.Kept | None:
        if self.same_globals is None:
            self.same_globals = self.shown.globals is not None and self.likeness.same(self.shown.globals, dict(self.shown.env.globals))
        then = self.shown.pages.get(path)
        known = self.before.get(path)
        entry = self.manifest.get(path)
        if not self.same_globals or then is None or known is None or entry is None or then[0] != template:
            return None
        if EVERYTHING in known[0] or not known[0].isdisjoint(self.changed) or not self.likeness.same(then[1], context):
            return None
        self.reaches[path] = known
        return output.Kept(entry[0], f"{self.out}/{path}")


def _swapped(site: Site, new: Mapping[PurePosixPath, Document]) -> Site:
    """The same site with some documents replaced by others of the same settled fields."""
    def swap(documents: tuple[Document, ...]) -> tuple[Document, ...]:
        return tuple(new.get(document.source, document) for document in documents)

    return dataclasses.replace(
        site,
        posts=tuple(Post(post.slug, swap(post.documents)) for post in site.posts),
        pages=tuple(Post(page.slug, swap(page.documents)) for page in site.pages),
        tags=tuple(TagGroup(group.tag, swap(group.documents)) for group in site.tags),
    )


__all__ = ["Last", "patch", "settled", "saved_markdown", "warm"]
