"""`sitegen build` after some posts changed: the last build taken up where it stopped.

`sitegen serve` keeps its last build in memory and redoes only what a saved post changes
(sitegen.live). A `sitegen build` starts a new process each time, so a build leaves the same
thing at rest in the build cache, small enough to load in a fraction of a second:

  - the metadata of every content file it read (size, mtime, inode) and the digest of every
    other input (the theme, site.toml, the options, sitegen itself: sitegen.snapshot's frame);
  - each document's record (sitegen.records: its small fields, the key of its render in the
    cache, the line where its body starts), but not its text or render;
  - each page's reach and reading (sitegen.reading) and the lengths of llms-full.txt's pieces.

The next build compares the content folder's metadata with it (`changed`). When every other
input is the same, the output folder still holds what the last build wrote, and the only
files that differ are Markdown files that were read then, the site is assembled again from the
records (`Resting` documents read their text and render only if a page asks for them) and
handed to `live.patch`, which redoes only what those files change (their text, their titles,
tags or dates) or says it cannot.
Anything else is a full build, which leaves the state for the next one.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any, Mapping

from . import live, output, records, snapshot
from .build import BuildResult, problems_json
from .cache import Cache
from .config import SiteConfig
from .content import Document
from .errors import Problem
from .options import BuildOptions
from .render import Theme
from .site import assemble
from .sources import Contents, Listing, ignored
from .unchanged import RESUME

KIND = RESUME
VERSION = 1


def state(last: live.Last, inputs: snapshot.Snapshot, loaded: "Reaches | None" = None, *,
          recording: records.Recording | None = None) -> dict[str, Any] | None:
    """What `load` needs to make `last` again, as JSON values (None: it cannot be stored).
    `loaded`: the reaches of the state `last` was made from (a page whose reach is still the
    one loaded keeps its saved row, when the documents are numbered as then). `recording`: the
    records the build stored, whose documents' resting records are those less their references."""
    if inputs.listing is None:
        return None
    documents = []
    resting = recording.resting if recording is not None else records.resting_record
    for document in last.site.documents:
        record = resting(document)
        if record is None or not document.markdown:
            return None
        documents.append(record)
    names = [str(record["document"]["source"]) for record in documents]
    number = {name: index for index, name in enumerate(names)}
    rows = loaded.loaded if loaded is not None and loaded.names == names else None  # a date moved a post: all numbered again

    def numbered(names: frozenset[str]) -> list[int | str]:
        """Documents by number (in order: the same reach, the same row), anything else by name."""
        found = [number.get(name, name) for name in names]
        return [*sorted(n for n in found if type(n) is int), *sorted(n for n in found if type(n) is str)]

    reaches = {}
    for path, reach in last.reaches.items():
        row = rows.get(path) if rows is not None else None
        reaches[path] = row[1] if row is not None and row[0] is reach else \
            [numbered(reach[0]), None if reach[1] is None else numbered(reach[1])]
    return {
        "version": VERSION,
        "frame": [inputs.frame, inputs.taken_ns, inputs.frame_newest_ns],
        "files": last.sources.rows if isinstance(last.sources, Listing) else
        {str(rel): [str(source.path), *source.stat] for rel, source in last.sources.items() if source.stat},
        "assets": [str(asset.source) for asset in last.site.assets],
        "documents": documents,
        "hidden_drafts": last.site.hidden_drafts,
        "reaches": reaches,
        "llms_full": list(last.llms_full),
    }


def left(options: BuildOptions, result: BuildResult, inputs: snapshot.Snapshot) -> dict[str, Any] | None:
    """What a full build leaves for the next one to resume from (None: nothing to resume)."""
    last = live.Last.of(options, result)
    return state(last, inputs, recording=result.recording) if last is not None else None


def changed(saved: Mapping[str, Any], inputs: snapshot.Snapshot) -> list[str] | None:
    """The content files (paths under the content folder) that may differ from the ones the
    saved build read, when nothing else does: no other input changed, no file came or went
    (but hidden and backup files, which no build reads); None otherwise. A file whose
    metadata was too recent to trust when the build read it counts as changed (sitegen.snapshot)."""
    frame, taken, newest = saved["frame"]
    if inputs.listing is None or frame != inputs.frame or newest >= taken - snapshot.RACY_NS \
            or inputs.frame_newest_ns >= inputs.taken_ns - snapshot.RACY_NS:
        return None
    files: Mapping[str, list[Any]] = saved["files"]
    found = []
    matched = 0
    racy = taken - snapshot.RACY_NS
    for rel, stat in inputs.listing.items():
        before = files.get(rel)
        if before is None:
            if ignored(rel):  # (asked only of files the build did not read: most are not)
                continue
            return None  # a new file (or one whose name is not written as the build wrote it)
        matched += 1
        if before[1] != stat[0] or before[2] != stat[1] or before[3] != stat[2] or before[2] >= racy:
            found.append(rel)
    return found if matched == len(files) else None  # else a file went


def load(options: BuildOptions, saved: Mapping[str, Any], manifest: output.Manifest, cache: Cache) -> live.Last:
    """The saved build's `Last`: its documents resting (their text and render read on demand)."""
    config = SiteConfig.load(options.config, base_url=options.base_url)
    rows = saved["files"]
    sources = Listing(rows)
    shelf = records.Shelf(cache.blobs)
    documents: list[Document] = [records.resting(record, shelf) for record in saved["documents"]]
    assets = Contents(Listing({name: rows[name] for name in saved["assets"]}))
    site, problems = assemble(config, documents, assets, drafts=options.drafts)
    if problems:
        raise records.Gone("the saved documents no longer make a site")
    site = dataclasses.replace(site, hidden_drafts=int(saved["hidden_drafts"]))
    reaches = Reaches(saved["reaches"], [record["document"]["source"] for record in saved["documents"]])
    return live.Last(options, site, sources, Theme.load(options.theme_dir, options.compiled_templates()), reaches, manifest, tuple(saved["llms_full"]))


class Reaches(dict[str, tuple[frozenset[str], frozenset[str] | None]]):
    """Each page's reach and reading as saved (documents by number), and the saved rows, which
    `state` takes again for the pages whose reach is still the one loaded."""

    def __init__(self, rows: Mapping[str, list[Any]], names: list[str]):
        take = names.__getitem__
        made: dict[tuple[int | str, ...], frozenset[str]] = {}  # the same numbers, the same set (most are one or two)

        def named(numbers: list[int | str]) -> frozenset[str]:
            if len(numbers) > 8:
                if type(numbers[-1]) is int:  # numbers only (they come first): mapped in C
                    return frozenset(map(take, numbers))  # type: ignore[arg-type]
                return frozenset(names[n] if isinstance(n, int) else n for n in numbers)
            key = tuple(numbers)
            found = made.get(key)
            if found is None:
                found = made[key] = frozenset(names[n] if isinstance(n, int) else n for n in numbers)
            return found

        super().__init__()
        self.names = names
        self.loaded: dict[str, tuple[Any, list[Any]]] = {}
        for path, row in rows.items():
            reach = self[path] = (named(row[0]), None if row[1] is None else named(row[1]))
            self.loaded[path] = (reach, row)


def attempt(options: BuildOptions, cache: Cache, key: str, inputs: snapshot.Snapshot,
            intact: bool | None = None, saved: Any = None, manifest: Any = None) -> BuildResult | None:
    """The build of options.out (`key`: its key in the cache), redoing only what changed since
    the last one, when it can (see the module's docstring); None when it must be a full build.
    What it stores is the caller's to commit, without pruning. `intact`: output.still_written
    of the folder and its manifest, when the caller has asked it already; `saved`, `manifest`:
    the cache's entries, when the caller has read them already."""
    if cache.path is None or cache.warnings:
        return None
    start = time.perf_counter()
    saved = saved if saved is not None else cache.get(KIND, key)
    if not (isinstance(saved, dict) and saved.get("version") == VERSION):
        return None
    manifest = manifest if manifest is not None else cache.get("output", key)
    record = cache.get("record", key)
    before = record.get("warnings", []) if isinstance(record, dict) else []
    try:
        paths = changed(saved, inputs)
        if paths is None or not isinstance(manifest, dict):
            return None
        if intact is None:
            intact = output.still_written(options.out.resolve(), manifest)
        if paths and not intact:
            return None
        timings = {"compare": time.perf_counter() - start}
        start = time.perf_counter()
        last = load(options, saved, manifest, cache)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        return None  # a state this version did not write: the full build writes a new one
    timings["load"] = time.perf_counter() - start
    try:
        if intact:
            patched = live.patch(last, [options.content / rel for rel in paths], cache)
        else:  # the output folder is gone or was touched, and nothing else changed
            patched = live.restore(last, cache)
        loaded = last.reaches if isinstance(last.reaches, Reaches) else None
    except records.Gone:
        return None
    if patched is None:
        return None
    result, last = patched
    result.timings.update(timings)
    # the warnings of the files not read again stand as the last build gave them
    again = {str(options.content / rel) for rel in paths}
    warnings = (*(Problem(path, line, message) for path, line, message in before if path not in again), *result.warnings)
    result = dataclasses.replace(result, warnings=warnings)
    start = time.perf_counter()
    cache.put("record", key, {"inputs": inputs.to_json(), "warnings": problems_json(result.warnings),
                              "pages": result.pages, "files": result.file_count})
    cache.put(KIND, key, state(last, inputs, loaded))
    result.timings["store"] = time.perf_counter() - start
    return result
