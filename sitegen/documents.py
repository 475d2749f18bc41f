"""Content files -> Documents and assets, reusing the build cache and every core.

Rendering Markdown is most of a cold build (~1.5 ms a post: sitegen.markdown, sitegen.mdtree),
so each body is rendered once per distinct input: the cache key is a digest of the body, the
site host, the line offset and the link prefix, and the entry also records which images the
render asked about and what their sizes were, so an entry is reused only when those sizes are
still the same. What the cache lacks is rendered in a pool of worker processes, one per core;
each worker also packs the cache entry (sitegen.cache.pack) and sends back the Rendered itself,
so the one process that collects the results does little more than store them. A worker
also asks the safety screen's quick question of the HTML it made (sitegen.safety): a document
with nothing the screen looks for is not read again by the build's one process.
YAML frontmatter is cached the same way (a digest of its text -> its values).
"""

from __future__ import annotations

import bisect
import collections
import io
import itertools
import json
import multiprocessing
import os
import time
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Callable, Iterable, Iterator, Mapping

import imagesize

from . import plainyaml, records, safety
from .cache import Cache, Unstorable, decode, digest, encode, pack
from .config import SiteConfig, is_language_tag
from .content import Document, load_frontmatter, parse_document, split_frontmatter
from .errors import Problem
from .fingerprint import Fingerprints
from .i18n import reading_minutes
from .markdown import Rendered, render_markdown, rendered_from_json, rendered_to_json
from .site import locate
from .sources import Contents, SourceFile

Size = tuple[int, int] | None


def image_size(data: bytes | None) -> Size:
    if data is None:
        return None
    try:
        width, height = imagesize.get(io.BytesIO(data))
    except Exception:
        return None
    return (round(width), round(height)) if width > 0 and height > 0 else None


class Images:
    """Sizes of the content's files, each measured once: what `![..](src)` in a folder gets."""

    def __init__(self, files: Mapping[PurePosixPath, bytes]):
        self.files = files
        self.sizes: dict[PurePosixPath, Size] = {}

    def at(self, path: PurePosixPath) -> Size:
        if path not in self.sizes:
            self.sizes[path] = image_size(self.files.get(path))
        return self.sizes[path]

    def lookup(self, folder: PurePosixPath) -> Callable[[str], Size]:
        return lambda src: None if src.startswith("/") else self.at(PurePosixPath(folder, src))


class Subtree:
    """The files under a folder (at any depth), found by bisecting the sorted paths."""

    def __init__(self, names: Iterable[str]):
        self.names = sorted(names)

    def get(self, folder: PurePosixPath, default: list[PurePosixPath] | None = None) -> list[PurePosixPath]:
        if str(folder) == ".":
            return [PurePosixPath(name) for name in self.names]
        prefix = f"{folder}/"
        start = bisect.bisect_left(self.names, prefix)
        end = bisect.bisect_left(self.names, prefix[:-1] + "0")  # "0" follows "/"
        return [PurePosixPath(name) for name in self.names[start:end]]


@dataclass(frozen=True)
class Job:
    """One Markdown body to render, with everything the render reads. The body is sent as
    its file's bytes and where it starts in their text (`body`): the bytes are held until
    the parse ends anyway, while a body cut out in this process would be a copy of its text,
    and pickling a str caches its UTF-8 form on it (~120 MB at 5,000 Korean posts)."""

    key: str
    data: bytes  # UTF-8 (a BOM kept: `start` counts it)
    start: int  # where the body starts in data.decode("utf-8")
    site_host: str | None
    line_offset: int
    link_prefix: str
    language: str
    folder: str
    sizes: dict[str, Size]  # the files under the folder that have a size
    held: int = -1  # >= 0: `data` is empty and the bytes are _HELD[held], inherited by a forked worker

    @property
    def body(self) -> str:
        return (self.data if self.held < 0 else _HELD[self.held]).decode("utf-8")[self.start:]


@dataclass(frozen=True)
class Done:
    """A job's result: its render and reading time, the images it measured and drawings it
    looked up ([asked, found] pairs), its cache entry packed (None: beyond JSON, not to be
    stored), and whether its HTML has nothing the safety screen looks for
    (safety.might_be_unsafe). The render is held as that entry (records.StoredRendered)
    whenever there is one: the build then never holds every post's HTML at once."""

    rendered: Rendered
    minutes: int
    images: list[list[Any]]
    drawings: list[list[Any]]
    entry: bytes | None
    quiet: bool


_FIGURES: Mapping[str, str] = {}  # the build's mermaid drawings; set before the workers fork
# the files' bytes of the bodies to render, set before the workers fork: a job names its file
# by its place here instead of carrying it through a pipe (~70 MB pickled, written and read at
# 5,000 posts)
_HELD: list[bytes] = []


class Asked(Mapping[str, str]):
    """The drawings, noting each one the render looked up (and what it found)."""

    def __init__(self, figures: Mapping[str, str], asked: list[list[Any]]):
        self.figures = figures
        self.asked = asked

    def __getitem__(self, key: str) -> str:
        found = self.figures.get(key)
        self.asked.append([key, found])
        if found is None:
            raise KeyError(key)
        return found

    def __iter__(self) -> Iterator[str]:
        raise TypeError("the drawings are looked up one by one, never listed")

    def __len__(self) -> int:
        return len(self.figures)

    def __bool__(self) -> bool:
        return True  # `env.get("diagrams") or {}` must keep this one


def render_job(job: Job) -> Done:
    """Render one body (in a worker process); also say which images it measured and which
    drawings it looked up, so that a cached result is reused only while they are the same."""
    asked: list[list[Any]] = []
    drawings: list[list[Any]] = []

    def size(src: str) -> Size:
        found = None if src.startswith("/") else job.sizes.get(str(PurePosixPath(job.folder, src)))
        asked.append([src, list(found) if found else None])
        return found

    body = job.body
    rendered = render_markdown(
        body, site_host=job.site_host, line_offset=job.line_offset, image_size=size, link_prefix=job.link_prefix,
        language=job.language, diagrams=Asked(_FIGURES, drawings),
    )
    minutes = reading_minutes(body)  # the post's reading time, kept with its render
    quiet = not safety.might_be_unsafe(rendered.html)
    data = rendered_to_json(rendered)
    data["minutes"] = minutes
    try:
        entry = pack({"rendered": data, "images": asked, "diagrams": drawings})
    except (TypeError, ValueError):  # beyond JSON: simply not cached (as Cache.put)
        return Done(rendered, minutes, asked, drawings, None, quiet)
    return Done(records.StoredRendered(entry, rendered.references), minutes, asked, drawings, entry, quiet)


def worker_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _render_chunk(jobs: list[Job]) -> list[Done]:
    return [render_job(job) for job in jobs]


class Renders:
    """The renders of a parse's bodies, by slot: those the cache had, and those made now,
    which arrive as the parse asks for them. The bodies to render go to a pool of worker
    processes a few chunks at a time, and each job is made (its images measured) only when
    its chunk is sent: the build's one process reads the frontmatter, stores the entries and
    makes the Documents of the first bodies while the workers render the next (before, it
    made every job, waited for every render, then made every Document, and the other core
    had nothing to do for ~2 s of a cold build at 5,000 posts)."""

    CHUNK = 16  # bodies sent to a worker at once
    AHEAD = 3  # chunks in flight per worker

    def __init__(self, cache: Cache):
        self.cache = cache
        self.result: dict[Slot, Rendered] = {}
        self.inputs: dict[Slot, str] = {}
        self.minutes: dict[Slot, int] = {}
        self.quiet: set[Slot] = set()
        self.keys: dict[Slot, tuple[str, int]] = {}  # each predicted body's markdown cache key and length
        self.coming: set[Slot] = set()  # sent to be rendered, not arrived yet
        self.passed: set[PurePosixPath] = set()  # the files the requests have gone past (predicted or not)
        self.exhausted = False  # every request gone through
        self.jobs: Iterator[tuple[Slot, Job]] = iter(())
        self.flight: collections.deque[tuple[list[tuple[Slot, Job]], Future[list[Done]] | None]] = collections.deque()
        self.pool: ProcessPoolExecutor | None = None
        self.workers = 1
        self.decided = False  # whether the bodies go to worker processes
        self.ahead = 1
        self.holds = False  # _HELD was set for this parse (let go of in close)
        self.reused = 0  # renders taken from the cache
        self.rendered = 0  # renders sent to be made now

    def start(self, jobs: Iterator[tuple[Slot, Job]], workers: int, figures: Mapping[str, str],
              held: list[bytes] | None = None) -> None:
        """Render `jobs`, made lazily as they are sent (going through the requests: those the
        cache has are taken as they are passed): in `workers` processes once a first chunk
        of them is full, else here, as they are asked for. `held`: the bytes the jobs name
        by their place (Job.held), kept in _HELD for the workers to inherit."""
        global _FIGURES
        _FIGURES = figures
        self.jobs = jobs
        self.workers = workers
        if held is not None:  # (before a worker forks: they inherit it)
            _HELD[:] = held
            self.holds = True
        self._send()

    @staticmethod
    def forks(workers: int, jobs: int) -> bool:
        """Whether `start` renders in worker processes; forked ones inherit _HELD."""
        return workers > 1 and jobs >= Renders.CHUNK

    @staticmethod
    def inherits() -> bool:
        return "fork" in multiprocessing.get_all_start_methods()

    def _send(self) -> None:
        while len(self.flight) < self.ahead:
            chunk = list(itertools.islice(self.jobs, self.CHUNK))
            if not self.decided:
                self.decided = True
                if self.forks(self.workers, len(chunk)):
                    methods = multiprocessing.get_all_start_methods()
                    context = multiprocessing.get_context("fork" if "fork" in methods else None)
                    self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
                    self.ahead = self.AHEAD * self.workers
            if not chunk:
                self.exhausted = True
                return
            future = self.pool.submit(_render_chunk, [job for _slot, job in chunk]) if self.pool is not None else None
            self.flight.append((chunk, future))

    def _pull(self) -> bool:
        """Go on through the requests: the oldest chunk taken (its place given to the next),
        or the next sent. False when there is nothing left to go through."""
        if self.flight:
            self._arrive()
            return True
        if not self.exhausted:
            self._send()
        return bool(self.flight)

    def _arrive(self) -> None:
        """The oldest chunk's renders, stored."""
        chunk, future = self.flight.popleft()
        done = future.result() if future is not None else _render_chunk([job for _slot, job in chunk])
        self._send()
        for (slot, job), finished in zip(chunk, done, strict=True):
            self.coming.discard(slot)
            self.result[slot] = finished.rendered
            self.inputs[slot] = digest(job.key, json.dumps([finished.images, finished.drawings]))
            self.minutes[slot] = finished.minutes
            if finished.quiet:
                self.quiet.add(slot)
            if finished.entry is not None:
                self.cache.put_packed("markdown", job.key, finished.entry)
                # its links and images alone, for a rebuild that takes a page away (sitegen.live)
                self.cache.put("links", job.key, [r.target for r in finished.rendered.references])

    def has(self, slot: Slot) -> bool:
        """Whether the slot's render is here or coming (then it is waited for)."""
        while slot not in self.result:
            if slot not in self.coming and (slot[0] in self.passed or self.exhausted):
                return False  # not asked for as this (a wrong guess): the caller renders it
            if not self._pull():
                return False
        return True

    def passing(self, rel: PurePosixPath) -> None:
        """The requests gone past `rel` (its frontmatter read ahead, kept for the parse)."""
        while rel not in self.passed and not self.exhausted and self._pull():
            pass

    def update(self, other: "Renders") -> None:
        other.finish()
        self.result.update(other.result)
        self.inputs.update(other.inputs)
        self.minutes.update(other.minutes)
        self.quiet.update(other.quiet)
        self.keys.update(other.keys)

    def finish(self) -> None:
        """Every render arrived and stored (those the parse did not ask for too), the workers gone."""
        try:
            while self._pull():
                pass
        finally:
            self.close()
        self.cache.count("markdown reused", self.reused)
        self.cache.count("markdown rendered", self.rendered)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        self.flight.clear()
        if self.holds:
            _HELD.clear()
            self.holds = False


@dataclass
class Memory:
    """What parse_documents remembered (sitegen.records) and what it can record: a document's
    display path -> (record key, markdown cache key); and the documents rendered now whose
    HTML the safety screen need not read (its quick check, made in the worker, found nothing)."""

    remembered: set[str] = field(default_factory=set)
    recordable: dict[str, tuple[str, str]] = field(default_factory=dict)
    quiet: set[str] = field(default_factory=set)


def markdown_key(body: str, host: str | None, offset: int, prefix: str, language: str, folder: PurePosixPath) -> str:
    """The markdown cache's key: everything a render reads but the images and drawings, and
    the folder whose images it measures: two posts with the same text keep one render each
    (a record takes its document's render by this key, sitegen.records)."""
    return digest(body, host or "", str(offset), prefix, language, str(folder))


def parse_documents(
    sources: list[SourceFile], config: SiteConfig, cache: Cache, *, workers: int = 1,
    diagrams: Mapping[str, str] | None = None, renderer: str = "", memory: Memory | None = None,
    around: Mapping[PurePosixPath, SourceFile] | None = None,
) -> tuple[list[Document], Contents, list[Problem]]:
    """Markdown files become Documents; everything else is an asset copied as it is.
    `diagrams`: {mermaid source: figure HTML} drawn by the build (sitegen.diagrams).
    With `memory`, documents recorded by an earlier build whose files and folders have the
    same metadata are taken from their records (sitegen.records: `renderer` names the diagram
    renderer), and `memory` says which, and what may be recorded once screened.
    `around`: every content file, when `sources` are only some of them to parse again (the
    others are there for images and links to look up; assets are then not collected)."""
    figures = diagrams or {}
    by_rel = Contents(sources if around is None else around)  # read when asked: an image only when a render measures it
    images = Images(by_rel)
    problems: list[Problem] = []
    asset_files: dict[PurePosixPath, SourceFile] = {}
    assets = Contents(asset_files)
    # each file's text, let go of (None) as soon as its Document holds it packed (content.PackedText)
    texts: list[tuple[SourceFile, Any, str] | None] = []
    for source in sources:
        where = locate(source.rel)
        if where is None:
            if source.rel.suffix == ".md" and source.rel.parts[0] == "blog" and len(source.rel.parts) == 2:
                problems.append(Problem(source.display, None, f"a post needs its own folder: move it to blog/{source.rel.stem}/index.md"))
                continue
            if source.rel.parts[0] == "assets":
                problems.append(Problem(source.display, None, "content/assets/ is where the theme's fingerprinted files go: rename the folder (e.g. files/)"))
                continue
            if around is None:
                asset_files[source.rel] = source
            continue
        try:
            text = source.data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = source.data[: exc.start].count(b"\n") + 1
            problems.append(Problem(source.display, line, "not UTF-8 text: save the file as UTF-8"))
            continue
        texts.append((source, where, text.removeprefix("\ufeff")))

    settings = Fingerprints().of(config)
    remembered: dict[PurePosixPath, Document] = {}
    keys: Mapping[PurePosixPath, str] = {}
    if memory is not None and cache.path is not None and all(source.stat is not None for source in sources):
        signatures = records.Signatures({source.rel: source.stat for source in sources if source.stat}, time.time_ns())
        keys = records.Keys({source.rel: source.display for source, _where, _text in texts}, signatures,  # type: ignore[misc]
                            settings, renderer)
        # a cache holding no document's record (a cold build) has nothing to look up: each
        # key is then taken as its document is parsed, while the workers render
        if cache.holds("doc"):
            keys = dict(keys.items())
            found_records = cache.get_many("doc", keys.values())
            blobs = cache.blobs("markdown", [str(r["markdown"]) for r in found_records.values()])
            everything = [entry[0] for entry in texts if entry is not None]
            for index, (source, _where, text) in enumerate(texts):  # type: ignore[misc]
                record = found_records.get(keys.get(source.rel, ""))
                if record is not None and record["markdown"] in blobs:
                    document = records.from_record(record, text, blobs[record["markdown"]], source.rel)
                    if document is not None:
                        remembered[source.rel] = document
                        memory.remembered.add(source.display)
                        texts[index] = None
        cache.count("documents remembered", len(remembered))
    if remembered:
        texts = [entry for entry in texts if entry is not None]

    stored: dict[str, Any] = {}  # each frontmatter is asked for twice (_predict, parse_document)
    ahead: dict[str, Any] = {}  # what _predict read (and did not change), handed to parse_document

    def peek_yaml(yaml_text: str) -> Any:
        """load_yaml for _predict, which only reads the values: they are kept for the parse."""
        ahead[yaml_text] = meta = load_yaml(yaml_text)
        return meta

    def load_yaml(yaml_text: str) -> Any:
        kept = ahead.pop(yaml_text, None)
        if kept is not None:
            return kept
        plain = plainyaml.values(yaml_text)  # most frontmatter: cheaper read than looked up
        if plain is not None:
            return plain
        key = digest(yaml_text)
        hit = stored[key] if key in stored else cache.get("yaml", key)
        if hit is not None:
            stored[key] = hit
            return decode(hit)  # fresh values every time
        meta = load_frontmatter(yaml_text)
        try:
            stored[key] = encoded = encode(meta)  # the second ask decodes, without the cache too (--no-cache)
            cache.put("yaml", key, encoded)
        except Unstorable:
            pass
        return meta

    going: list[tuple[SourceFile, Any, str] | None] = [entry for entry in texts if entry]
    held = [entry[0].data for entry in going if entry is not None]
    renders = _rendered(_predict(going, config, peek_yaml), config, cache, images, by_rel, workers, figures, held)
    del going, held
    try:
        documents = _parsed(texts, config, settings, renders, by_rel, cache, images, figures, load_yaml, memory, keys, problems)
    finally:
        renders.close()
    if remembered:  # back in the order of the files
        parsed = {document.source: document for document in documents}
        documents = [d for source in everything if (d := remembered.get(source.rel) or parsed.get(source.rel)) is not None]
    return documents, assets, problems


def _parsed(texts: list[tuple[SourceFile, Any, str] | None], config: SiteConfig, settings: str, renders: "Renders",
            by_rel: Contents, cache: Cache, images: Images, figures: Mapping[str, str],
            load_yaml: Callable[[str], Any], memory: Memory | None, keys: Mapping[PurePosixPath, str],
            problems: list[Problem]) -> list[Document]:
    """The Documents of `texts` (each let go of as it is parsed), their renders taken from
    `renders` as they arrive."""

    def beside(folder: PurePosixPath) -> Callable[[str], bool]:
        return lambda name: PurePosixPath(folder, name) in by_rel

    def reuse(rel: PurePosixPath) -> Callable[[str, int, str, str], Rendered]:
        def render(body: str, offset: int, prefix: str, language: str) -> Rendered:
            slot = (rel, offset, prefix, language)
            if not renders.has(slot):  # only when parse_document chose otherwise than predicted
                renders.update(_rendered([(rel, (rel, body, 0, None, offset, prefix, language, -1))], config, cache, images, by_rel, 1,
                                         figures))
            used[rel] = renders.inputs[slot]
            if slot in renders.quiet:
                clean.add(rel)
            reading[rel] = renders.minutes[slot]
            known = renders.keys.get(slot)  # the body predicted for this slot: its key is known
            markdown[rel] = known[0] if known is not None and known[1] == len(body) else \
                markdown_key(body, config.host, offset, prefix, language, rel.parent)
            return renders.result[slot]
        return render

    used: dict[PurePosixPath, str] = {}
    reading: dict[PurePosixPath, int] = {}
    markdown: dict[PurePosixPath, str] = {}
    clean: set[PurePosixPath] = set()
    documents: list[Document] = []
    for index, (source, where, text) in enumerate(texts):  # type: ignore[misc]
        texts[index] = None
        renders.passing(source.rel)  # (its frontmatter read ahead: read once)
        data = source.data  # (the text is its UTF-8 decoded, a byte order mark left out)
        document, found = parse_document(
            source.rel, text, config, where, display=source.display,
            asset_exists=beside(source.rel.parent), render=reuse(source.rel), load_yaml=load_yaml,
            utf8=data[3:] if data.startswith(b"\xef\xbb\xbf") else data,
        )
        problems.extend(found)
        if document is not None:
            # what it was made of: the file, the settings, its place, and what its render read
            document = _amended(document, inputs=digest(source.data, settings, repr(where), source.display, used[source.rel]),
                                minutes=reading[source.rel], markdown=markdown[source.rel])
            documents.append(document)
            if memory is not None and source.rel in keys:
                memory.recordable[source.display] = (keys[source.rel], markdown[source.rel])
            if memory is not None and source.rel in clean:
                memory.quiet.add(source.display)
    renders.finish()  # (renders predicted and not asked for are stored too)
    return documents


def _amended(document: Document, **changes: Any) -> Document:
    """dataclasses.replace for fields that are not the text: a copy sharing the packed text
    (replace would unpack it and pack it again: content.PackedText)."""
    made = object.__new__(type(document))
    made.__dict__.update(document.__dict__, **changes)
    return made


# source, its text, where the body starts in it, the file's bytes (None: the text's UTF-8), line
# offset, link prefix, language, the bytes' place in the parse's `held` list (-1: none): the
# body is not cut out of the text (a copy) until it is read
Request = tuple[PurePosixPath, str, int, bytes | None, int, str, str, int]
Slot = tuple[PurePosixPath, int, str, str]


def _predict(texts: list[tuple[SourceFile, Any, str] | None], config: SiteConfig,
             load_yaml: Callable[[str], Any]) -> Iterator[tuple[PurePosixPath, Request | None]]:
    """What parse_document will ask to render, file by file (None: nothing), so that the
    bodies can go to the workers ahead of it (a wrong guess costs only time: parse_document's
    request is rendered then). `load_yaml`'s values are read, never changed. Each text is let
    go of here once its request is made (the parse holds it too, until it is parsed)."""
    for index, entry in enumerate(texts):
        texts[index] = None
        assert entry is not None
        source, where, text = entry
        yaml_text, body_line, body = split_frontmatter(text)
        if yaml_text is None:
            yield source.rel, None
            continue
        try:
            meta = load_yaml(yaml_text) if yaml_text.strip() else {}
        except Exception:
            yield source.rel, None
            continue
        language = meta.get("language", where.language_from_name or config.default_language) if isinstance(meta, dict) else None
        language = language if isinstance(language, str) and is_language_tag(language) else config.default_language
        yield source.rel, (source.rel, text, len(text) - len(body), source.data, body_line - 1,
                           "../" if where.language_from_name else "", language, index)


def _rendered(
    requests: Iterable[tuple[PurePosixPath, Request | None]], config: SiteConfig, cache: Cache, images: Images,
    by_rel: Contents, workers: int, figures: Mapping[str, str], held: list[bytes] | None = None,
) -> Renders:
    """Every body's Rendered (from the cache when its input, images and drawings are unchanged,
    else rendered), a digest of what each render read, its reading time in minutes, and the
    renders made now whose HTML has nothing the safety screen looks for: see Renders.
    The requests are gone through as the renders are asked for: the first bodies go to the
    workers while this process reads the next files' frontmatter (at 5,000 posts the workers
    started ~0.5 s later when every request was made and looked up first). `held`: the files'
    bytes, a request's by its place (when the workers can inherit them)."""
    renders = Renders(cache)
    held = held if held is not None and workers > 1 and Renders.inherits() else None

    under: Subtree | None = None

    def jobs() -> Iterator[tuple[Slot, Job]]:
        window: list[tuple[PurePosixPath, Request | None]] = []
        for item in requests:
            window.append(item)
            if len(window) < 64:  # looked up in the cache 64 at a time
                continue
            yield from missing(window)
            window = []
        yield from missing(window)

    def missing(window: list[tuple[PurePosixPath, Request | None]]) -> Iterator[tuple[Slot, Job]]:
        nonlocal under
        keys = [markdown_key(r[1][r[2]:], config.host, r[4], r[5], r[6], r[0].parent) if r is not None else ""
                for _rel, r in window]
        hits = cache.get_many("markdown", [key for key in keys if key])
        for (passed, request), key in zip(window, keys, strict=True):
            if request is None:
                renders.passed.add(passed)
                continue
            rel, text, start, data, offset, prefix, language, index = request
            slot = (rel, offset, prefix, language)
            renders.keys[slot] = (key, len(text) - start)
            hit = hits.get(key)
            if hit is not None:
                measure = images.lookup(rel.parent)
                if all(measure(src) == (tuple(size) if size else None) for src, size in hit["images"]) and all(
                    figures.get(source) == figure for source, figure in hit["diagrams"]
                ):
                    renders.result[slot] = rendered_from_json(hit["rendered"])
                    renders.inputs[slot] = digest(key, json.dumps([hit["images"], hit["diagrams"]]))
                    renders.minutes[slot] = int(hit["rendered"]["minutes"])
                    renders.reused += 1
                    renders.passed.add(rel)
                    continue
            if under is None:
                under = Subtree(by_rel.names())
            folder = rel.parent
            sizes = {str(path): images.at(path) for path in under.get(folder, [])}
            inherited = held is not None and data is not None and index >= 0
            if data is None:
                data, start = text[start:].encode("utf-8"), 0
            elif data.startswith(b"\xef\xbb\xbf"):  # the text is the file's without its BOM
                start += 1
            renders.rendered += 1
            renders.coming.add(slot)
            renders.passed.add(rel)
            yield slot, Job(key, b"" if inherited else data, start, config.host, offset, prefix, language, str(folder),
                            {k: v for k, v in sizes.items() if v}, index if inherited else -1)

    renders.start(jobs(), workers, figures, held)
    return renders


__all__ = ["parse_documents", "render_job", "worker_count", "Images", "image_size"]
