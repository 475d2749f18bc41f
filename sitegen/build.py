"""The build, as a list of named stages over the content graph.

    config -> sources -> documents (-> safety) -> site -> pages -> feeds & meta -> references -> output

Every stage but the first two and the last is pure; problems from all stages are collected
and reported together, and the output folder is only replaced when there are none.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from . import feeds, heap, meta, offline, output, records, safety, sitemap, snapshot, unchanged
from .cache import Cache, digest, pack_bytes
from .config import SiteConfig
from .context import related_indexes
from .options import BuildOptions
from .diagrams import Mermaid
from .documents import Memory, parse_documents, worker_count
from .errors import BuildError, Problem
from .references import check_references
from .render import Theme, render_site
from .site import AssetData, Site, assemble
from .sources import Contents, SourceFile, read_listed, read_sources
from .theme import missing_theme, template_problem


@dataclass(frozen=True)
class BuildResult:
    site: Site | None  # None: nothing changed since the last build, which was not redone
    files: dict[str, bytes | output.Kept | output.Copied | output.Staged]  # Kept: a page left as it is on disk (build_site)
    warnings: tuple[Problem, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # what the cache saved: "pages reused" ...
    config: SiteConfig | None = None
    summary: tuple[int, int] | None = None  # (pages, files) when `files` is not given
    # what sitegen.live keeps to redo only part of the next build: every content file read,
    # the theme, each page's reach (sitegen.fingerprint) and the manifest written (build_site)
    sources: tuple[SourceFile, ...] = ()
    theme: Theme | None = None
    reaches: Mapping[str, tuple[frozenset[str], frozenset[str] | None]] = field(default_factory=dict)
    manifest: output.Manifest | None = None
    llms_full: tuple[int, ...] = ()  # the length of each piece of llms-full.txt (meta.llms_full_parts)
    recording: records.Recording | None = None  # the documents' records it stored (sitegen.resume takes them again)

    @property
    def pages(self) -> int:
        return self.summary[0] if self.summary else sum(1 for path in self.files if path.endswith(".html"))

    @property
    def file_count(self) -> int:
        return self.summary[1] if self.summary else len(self.files)

    @property
    def site_config(self) -> SiteConfig:
        if self.site is not None:
            return self.site.config
        assert self.config is not None
        return self.config


class CachedPages:
    """The build cache as a page store: path -> (digest of its inputs, the template-function
    calls it made, the digest of its HTML), and the HTML by its digest. Given the folder the
    last build wrote and that build's manifest, a page that is still there, untouched, is
    not even loaded: it is `Kept` (sitegen.output)."""

    def __init__(self, cache: Cache, out: Path | None = None, manifest: output.Manifest | None = None,
                 stage: Path | None = None, intact: bool = False):
        """`stage`: a staging folder (output.new_stage) that a page taken from the cache is
        written into at once, rather than held until the write (`Staged`). `intact`: `out` was
        found to hold exactly what `manifest` lists, untouched (output.still_written), so a page
        is there as written when the manifest says so."""
        self.cache = cache
        self.intact = intact
        self.stage = stage
        self.folders: set[str] = set()
        self.out = out
        self.manifest = manifest or {}
        self.known: dict[str, bytes] | None = None  # page entries as stored, each decoded when its page is asked for
        self.reaches: dict[str, tuple[frozenset[str], frozenset[str] | None]] = {}  # page -> (reach, reading): sitegen.live

    digests = True  # pages are looked up and remembered by digest

    def untouched(self, path: str) -> output.Kept | output.Staged | output.Copied | None:
        return None

    def settled(self, path: str, template: str, context: dict[str, Any]) -> output.Kept | None:
        return None

    def reached(self, path: str, documents: frozenset[str], reading: frozenset[str] | None) -> None:
        self.reaches[path] = (documents, reading)

    def reuse(self, path: str, inputs: str) -> tuple[bytes | output.Kept | output.Staged, list[str], frozenset[str] | None] | None:
        if self.known is None:
            self.known = self.cache.stored("page")
        blob = self.known.pop(path, None)
        entry = self.cache.unpacked("page", path, blob) if blob is not None else None
        if blob is not None and entry is None:  # damaged: the cache was discarded, trust none of it
            self.known = {}
        if not (isinstance(entry, list) and len(entry) in (3, 4)) or entry[0] != inputs:
            return None
        calls, html_digest = list(entry[1]), str(entry[2])
        reading = frozenset(entry[3]) if len(entry) == 4 else None
        self.cache.used.update((("page", path), ("html", html_digest)))
        if self.out is not None and self.there(path, html_digest):
            return output.Kept(html_digest, f"{self.out}/{path}"), calls, reading
        html = self.cache.get_bytes("html", html_digest)
        if html is None:
            return None
        if self.stage is not None:
            return output.stage_file(self.stage, path, html, html_digest, self.folders), calls, reading
        return html, calls, reading

    def empty(self) -> bool:
        """No page is stored to be reused (a cold build)."""
        if self.known is None:
            self.known = self.cache.stored("page")
        return not self.known

    def there(self, path: str, digest: str) -> bool:
        """out/path is the file the last write made with this digest, untouched since."""
        entry = self.manifest.get(path)
        assert self.out is not None
        return output.written_as(entry, digest) if self.intact else output.still_there(self.out, path, entry, digest)

    def remember(self, path: str, inputs: str, data: bytes, calls: list[str], reading: frozenset[str]) -> None:
        html_digest = output.file_digest(data)
        self.cache.put("page", path, [inputs, calls, html_digest, sorted(reading)])
        self.cache.put_packed("html", html_digest, pack_bytes(data))

    def remember_packed(self, path: str, inputs: str, html_digest: str, packed: bytes, calls: list[str],
                        reading: frozenset[str]) -> None:
        """`remember`, the HTML's digest taken and the HTML packed (cache.pack_bytes) in a worker."""
        self.cache.put("page", path, [inputs, calls, html_digest, sorted(reading)])
        self.cache.put_packed("html", html_digest, packed)

    def count(self, what: str) -> None:
        self.cache.count(what)

    def publish(self, path: str, data: bytes) -> bytes | output.Kept | output.Staged:
        found = output.file_digest(data)
        if self.out is not None and self.there(path, found):
            return output.Kept(found, f"{self.out}/{path}")
        if self.stage is not None:
            return output.stage_file(self.stage, path, data, found, self.folders)
        return data

    def memo(self, kind: str, key: str, compute: Callable[[], Any]) -> Any:
        """A pure computation's result remembered by the digest of its input."""
        found = self.cache.get(kind, key)
        if found is None:
            found = compute()
            self.cache.put(kind, key, found)
        return found

    def related(self, tags: list[list[str]]) -> list[list[int]]:
        """context.related_indexes(tags), remembered by the tags."""
        return self.memo("related", related_key(tags), lambda: related_indexes(tags))


def related_key(tags: list[list[str]]) -> str:
    return hashlib.blake2b(json.dumps(tags).encode(), digest_size=20).hexdigest()


def _stat(path: Path | None) -> str:
    try:
        st = path.stat() if path is not None else None
    except OSError:
        return "-"
    return f"{st.st_size}:{st.st_mtime_ns}" if st else "-"


def copied_files(site: Site, cache: Cache) -> dict[str, output.Copied]:
    """The site's copied files (images ...) that can be published without holding their
    bytes: url -> Copied, with each file's digest remembered in the cache by its metadata
    (read once when the metadata is new; never trusted for a file modified just now)."""
    data = site.asset_data
    if cache.path is None or not isinstance(data, AssetData) or not isinstance(data.files, Contents):
        return {}
    recent = time.time_ns() - snapshot.RACY_NS
    keys: dict[str, str] = {}
    for url in data:
        source = data.files.files[data.source(url)]
        if source.stat is not None and source.stat[1] < recent:
            keys[url] = digest(str(source.path), *(str(n) for n in source.stat))
    known = cache.get_many("file", keys.values())
    copied: dict[str, output.Copied] = {}
    for url, key in keys.items():
        source = data.files.files[data.source(url)]
        found = known.get(key)
        if not isinstance(found, str):
            found = output.file_digest(source.data)
            source.forget()  # read again when written
            cache.put("file", key, found)
        copied[url] = output.Copied(found, source.path)
    return copied


def read_site(options: BuildOptions, lap: Callable[[str], None] = lambda _stage: None, cache: Cache | None = None, *,
              diagrams: Mermaid | None = None, warnings: list[Problem] | None = None,
              read: list[SourceFile] | None = None, inputs: snapshot.Snapshot | None = None,
              recording: records.Recording | None = None) -> Site:
    """The content graph of options.content, or BuildError naming every problem in it.
    With `diagrams`, mermaid fences become the SVG it draws (its warnings stay on it).
    Raw HTML that would run a script is refused here (or, with unsafe_html = "warn", added
    to `warnings` and published as text): see safety.py. `read` gets every content file read.
    `inputs`: the build's snapshot, taken just before; its listing of the content folder
    spares the walk when it is whole (Snapshot.plain). `recording`: where the storing of the
    documents' records (sitegen.records) is left for the caller to run, once the site stands
    (build_files: while the pages render), rather than done here."""
    config = SiteConfig.load(options.config, base_url=options.base_url)
    listed = inputs.listing if inputs is not None and inputs.plain else None
    sources, problems = read_sources(options.content) if listed is None else read_listed(options.content, listed)
    if read is not None:
        read.extend(sources)
    lap("read")
    figures = diagrams.figures(sources) if diagrams is not None else {}
    lap("diagrams")
    own = cache is None
    cache = options.open_cache() if cache is None else cache
    memory = Memory()
    renderer = "" if diagrams is None else f"{diagrams.script}|{diagrams.chromium}|{_stat(diagrams.script)}"
    try:
        documents, assets, found = parse_documents(sources, config, cache, workers=options.jobs or worker_count(), diagrams=figures,
                                                   renderer=renderer, memory=memory)
        problems += found
        for source in sources:  # each Document holds its text: the files' bytes are not needed twice
            if source.rel.suffix == ".md":
                source.forget()
        # a remembered document was screened when it was recorded (sitegen.records); a quiet
        # one has nothing the screen looks for (asked in the worker that rendered it)
        fresh = [document for document in documents if document.display not in memory.remembered]
        screened, found = safety.screen([d for d in fresh if d.display not in memory.quiet], host=config.host, mode=config.unsafe_html)
        by_display = {document.display: document for document in screened}
        documents = [by_display.get(document.display, document) for document in documents]
        if config.unsafe_html == "refuse":
            problems += found
        elif warnings is not None:
            warnings += found
        troubled = {problem.path for problem in (*problems, *found)}
        recordable = [(document, keys) for document in (by_display.get(document.display, document) for document in fresh)
                      if (keys := memory.recordable.get(document.display)) is not None and document.display not in troubled]
        if recording is not None and not problems:
            recording.pending.extend(recordable)  # (stored by the caller once the site stands)
        else:
            records.Recording(recordable).store(cache)
    finally:
        if own:
            cache.commit()
            cache.close()
    heap.give_back()  # what the parse let go of (sitegen.heap)
    lap("parse")
    site, found = assemble(config, documents, assets, drafts=options.drafts)
    problems += found
    lap("assemble")
    if problems:
        raise BuildError(problems)
    return site


def build_files(options: BuildOptions, cache: Cache | None = None, written: output.Manifest | None = None,
                *, lazy: bool = False, stage: Path | None = None, intact: bool = False,
                inputs: snapshot.Snapshot | None = None) -> BuildResult:
    """Everything but the write: the whole site as {output path: bytes}, or BuildError.
    `written`: the manifest of what the last build wrote into options.out; pages still there
    as they were are then `Kept` instead of loaded (not for offline sites, whose worker digests
    every page as rendered). `lazy`: copied files (images ...) come as `Copied`, read only
    when written, instead of bytes. `stage`: a staging folder (output.new_stage) that a large
    render writes its pages into as they come, over the cores (`Staged`; not for offline
    sites, whose pages are rewritten after). `intact`: options.out was found to hold exactly
    what `written` lists, untouched (output.still_written): a page is kept by its digest alone.
    `inputs`: the build's snapshot (read_site)."""
    if cache is None:
        cache = options.open_cache()
        try:
            return build_files(options, cache, written, lazy=lazy, stage=stage, intact=intact, inputs=inputs)
        finally:
            cache.commit()
            cache.close()
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = now - clock
        clock = now

    diagrams = Mermaid.beside(options.config)
    unsafe: list[Problem] = []
    sources: list[SourceFile] = []
    recording = records.Recording()
    site = read_site(options, lap, cache, diagrams=diagrams, warnings=unsafe, read=sources, inputs=inputs, recording=recording)
    problems: list[Problem] = []
    if options.theme is not None and not options.theme.is_dir():
        raise missing_theme(options.theme)
    theme = Theme.load(options.theme_dir, options.compiled_templates())
    early: list[tuple[dict[str, Any], tuple[int, ...] | None]] = []
    copied: dict[str, output.Copied | output.Staged] = {}

    def meanwhile() -> Iterator[None]:
        """While the pages render in other processes: the feeds, sitemap and llms files made,
        and, when there is no output folder to link unchanged files from (a cold build), the
        copied files (images ...) copied into the staging folder (~0.4 s at 5,000 posts). First,
        the documents' records stored."""
        recording.store(cache)
        yield
        try:
            early.append(generated(site, stage=None if site.config.offline else stage))
        except Exception:  # made again below, where its error is raised as before
            pass
        yield
        if lazy:
            copied.update(copied_files(site, cache))
            yield
            if stage is not None and not site.config.offline and not options.out.exists():
                folders = store.folders
                for index, (url, item) in enumerate(copied.items(), 1):
                    if isinstance(item, output.Copied):
                        copied[url] = output.stage_copy(stage, url, item, folders)
                    if index % 256 == 0:
                        yield
        if stage is not None:  # what was put so far stored while the pages render
            cache.store_ahead()

    try:
        keep = written is not None and not site.config.offline
        store = CachedPages(cache, options.out.resolve() if keep else None, written if keep else None,
                            None if site.config.offline else stage, intact=keep and intact)
        files = render_site(site, theme, store if cache.path is not None else None,
                            stage=None if site.config.offline else stage, workers=options.jobs or worker_count(),
                            meanwhile=meanwhile)
    except Exception as error:  # a template the author wrote or edited: one line, never a traceback
        problem = template_problem(error, theme.folders)
        if problem is None:
            raise
        raise BuildError([problem]) from None
    recording.store(cache)  # (when there was no `meanwhile`)
    if lazy and not copied:
        copied.update(copied_files(site, cache))
    for asset in site.assets:
        if asset.url in files:
            problems.append(Problem(str(options.content / asset.source), None, f"two files claim /{asset.url}: the build writes a page there; rename the file"))
        files[asset.url] = copied.get(asset.url) or site.asset_data[asset.url]
    lap("render")
    made, lengths = early[0] if early else generated(site, stage=None if site.config.offline else stage)
    for path, data in made.items():
        if path in files:
            problems.append(Problem(str(options.content), None, f"two files claim {path}: rename the content file"))
        files[path] = data
        if isinstance(data, bytes) and not site.config.offline:  # (the feeds, sitemap ...: ~4 MB at 5,000 posts)
            cache.put_packed("html", output.file_digest(data), pack_bytes(data))  # by digest, as pages: sitegen.live.restore
    if site.config.offline:
        files.update(offline.offline_files(files, site.config))
    files["_headers"] = meta.headers(site, files)
    lap("generate")
    errors, warnings = check_references(site, files, strict_alt=options.strict_alt)
    warnings = [*diagrams.warnings, *unsafe, *warnings]
    problems += errors
    lap("check")
    if problems:
        raise BuildError(problems)
    return BuildResult(site, files, (*cache.warnings, *warnings), timings, cache.counts,
                       sources=tuple(sources), theme=theme, reaches=store.reaches, llms_full=lengths or (), recording=recording)


# Generated files that read only what `sitegen.live` calls a document's settled fields (its
# place, title, date, tags, language ... not its text, render or reading time): a rebuild
# after a change to posts' text alone keeps them (tests/sitegen/test_live.py checks the claim).
SETTLED = {
    "sitemap.xml": sitemap.sitemap,
    "robots.txt": meta.robots,
    "manifest.webmanifest": meta.manifest,
    "llms.txt": meta.llms,
}


def generated(site: Site, keep: Callable[[str], Any] | None = None, *,
              stage: Path | None = None) -> tuple[dict[str, Any], tuple[int, ...] | None]:
    """Feeds, sitemap, robots.txt, the web manifest and the llms files, by output path; and
    the length of each piece of llms-full.txt when it was made here (sitegen.live splices it).
    `keep(path)`: what to publish instead of making the file again, or None (sitegen.live).
    `stage`: the build's staging folder, which llms-full.txt (every post's text) is written
    into piece by piece rather than held (`Staged`)."""
    made: dict[str, Any] = feeds.feeds(site, keep)
    for path, make in SETTLED.items():
        found = keep(path) if keep is not None else None
        made[path] = found if found is not None else make(site)
    found = keep("llms-full.txt") if keep is not None else None
    if found is not None:
        made["llms-full.txt"] = found
        return made, None
    if stage is None:
        made["llms-full.txt"] = b"".join(parts := list(meta.llms_full_parts(site)))
        return made, tuple(map(len, parts))
    made["llms-full.txt"], lengths = output.stage_parts(stage, "llms-full.txt", meta.llms_full_parts(site))
    return made, lengths


def problems_json(problems: tuple[Problem, ...]) -> list[list[Any]]:
    return [[p.path, p.line, p.message] for p in problems]


def _without_collections(step: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`step` with the cyclic collector off: a resumed build at 5,000 posts allocates ~2 million
    objects, most of them kept to the end, which the collector walked 35 times for nothing
    (~0.1 s of a title edit; the peak RSS was the same without it)."""
    if not gc.isenabled():
        return step(*args, **kwargs)
    gc.disable()
    try:
        return step(*args, **kwargs)
    finally:
        gc.enable()


def build_site(options: BuildOptions, *, inputs: snapshot.Snapshot | None = None,
               present: "Callable[[], output.Present | None] | None" = None, ahead: unchanged.Ahead | None = None,
               resume: bool = True) -> BuildResult:
    """Build and swap the new site into options.out; on any problem the old output stays.
    Only files whose bytes changed are written (see output.py); the cache remembers what.
    When no input changed since the last build into the same folder (by their metadata,
    sitegen.snapshot) and the folder still holds what it wrote, nothing is redone. When only
    posts' text changed, or only the folder, the last build is taken up from the cache and only
    that is redone (sitegen.resume; `resume=False`: never, as `sitegen serve` wants a whole
    build to keep in memory). `inputs`, `present`: the build's survey (sitegen.survey: its
    snapshot, and where the output folder's listing comes from), when the caller has one;
    `ahead`: what unchanged.check_build handed on (the cache, open)."""
    start = time.perf_counter()
    cache = ahead.cache if ahead is not None else options.open_cache()
    saved = ahead.saved if ahead is not None else None
    if ahead is not None:
        ahead.saved = None  # (held here only: a full build frees it)
    key = digest(str(options.out.resolve()))
    inputs = inputs or unchanged.inputs_snapshot(options)  # taken before anything is read
    same = unchanged.check(options, cache, key, inputs, present) if ahead is None else None  # (check_build asked)
    if same is not None:
        return BuildResult(None, {}, same.warnings, {"unchanged": time.perf_counter() - start}, {"nothing changed": 1},
                           config=same.config, summary=(same.pages, same.files))
    from . import resume as resuming  # it builds on sitegen.live, which builds on this module

    previous = ahead.manifest if ahead is not None else cache.get("output", key)
    # the output folder, checked once: what it holds is then known from the manifest alone
    intact = isinstance(previous, dict) and output.still_written(options.out.resolve(), previous,
                                                                 present() if present is not None else False)
    resumed = _without_collections(resuming.attempt, options, cache, key, inputs, intact=intact, saved=saved,
                                   manifest=previous) if resume else None
    del saved  # (a full build holds no more than it needs)
    if resumed is not None:
        start = time.perf_counter()
        cache.commit(prune=False)
        cache.close()
        resumed.timings["cache"] = time.perf_counter() - start
        return resumed
    try:
        stage: Path | None = output.new_stage(options.out.resolve())
    except OSError:  # no folder can be made there: write_site says why
        stage = None
    try:
        result = build_files(options, cache, previous if isinstance(previous, dict) else None, lazy=True, stage=stage,
                             intact=intact, inputs=inputs)
        start = time.perf_counter()
        cache.store_ahead()  # the pages and renders stored while the output is written
        manifest = output.write_site(result.files, options.out, previous, stage, intact=intact)
        result = dataclasses.replace(result, manifest=manifest)
        cache.put(resuming.KIND, key, resuming.left(options, result, inputs))
        cache.put("output", key, manifest)
        # the content's warnings, which a build that does not redo everything gives again
        # (not the cache's own: it was discarded once)
        content_warnings = tuple(w for w in result.warnings if w not in cache.warnings)
        cache.put("record", key, {"inputs": inputs.to_json(), "warnings": problems_json(content_warnings),
                                  "pages": result.pages, "files": result.file_count})
        result.timings["write"] = time.perf_counter() - start
    finally:
        if stage is not None and stage.exists():  # not swapped in: a small change, or a failure
            shutil.rmtree(stage, ignore_errors=True)
        start = time.perf_counter()
        cache.commit()
        cache.close()
    result.timings["cache"] = time.perf_counter() - start
    return result
