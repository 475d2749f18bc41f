"""`sitegen build` after some posts' text changed: the last build taken up where it stopped.

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
handed to `live.patch`, which redoes only what those files' text changes or says it cannot.
Anything else is a full build, which leaves the state for the next one.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path, PurePosixPath
from typing import Any, Mapping

from . import live, output, records, snapshot
from .build import BuildResult, problems_json
from .cache import Cache
from .config import SiteConfig
from .options import BuildOptions
from .render import Theme
from .site import assemble, locate
from .sources import Contents, SourceFile, ignored

KIND = "resume"
VERSION = 1


def state(last: live.Last, inputs: snapshot.Snapshot) -> dict[str, Any] | None:
    """What `load` needs to make `last` again, as JSON values (None: it cannot be stored)."""
    if inputs.listing is None:
        return None
    documents = []
    for document in last.site.documents:
        record = records.record_of(document, document.markdown)
        if record is None or not document.markdown:
            return None
        documents.append(record)
    return {
        "version": VERSION,
        "frame": [inputs.frame, inputs.taken_ns, inputs.frame_newest_ns],
        "files": {str(rel): [str(source.path), *source.stat] for rel, source in last.sources.items() if source.stat},
        "documents": documents,
        "hidden_drafts": last.site.hidden_drafts,
        "reaches": {path: [sorted(reach), None if reading is None else sorted(reading)]
                    for path, (reach, reading) in last.reaches.items()},
        "llms_full": list(last.llms_full),
    }


def left(options: BuildOptions, result: BuildResult, inputs: snapshot.Snapshot) -> dict[str, Any] | None:
    """What a full build leaves for the next one to resume from (None: nothing to resume)."""
    last = live.Last.of(options, result)
    return state(last, inputs) if last is not None else None


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
    listing = {rel: stat for rel, stat in inputs.listing.items() if not ignored(PurePosixPath(rel))}
    if len(listing) != len(files):
        return None
    found = []
    for rel, stat in listing.items():
        before = files.get(rel)
        if before is None:
            return None  # a new file (or one whose name is not written as the build wrote it)
        if tuple(before[1:]) != stat or before[2] >= taken - snapshot.RACY_NS:
            found.append(rel)
    return found


def load(options: BuildOptions, saved: Mapping[str, Any], manifest: output.Manifest, cache: Cache) -> live.Last:
    """The saved build's `Last`: its documents resting (their text and render read on demand)."""
    config = SiteConfig.load(options.config, base_url=options.base_url)
    sources = {PurePosixPath(rel): SourceFile(PurePosixPath(rel), Path(path), None, (size, mtime, inode))
               for rel, (path, size, mtime, inode) in saved["files"].items()}
    shelf = records.Shelf(cache.blobs)
    documents = [records.resting(record, shelf) for record in saved["documents"]]
    site, problems = assemble(config, documents, Contents(s for rel, s in sources.items() if locate(rel) is None),
                              drafts=options.drafts)
    if problems:
        raise records.Gone("the saved documents no longer make a site")
    site = dataclasses.replace(site, hidden_drafts=int(saved["hidden_drafts"]))
    reaches = {path: (frozenset(reach), None if reading is None else frozenset(reading))
               for path, (reach, reading) in saved["reaches"].items()}
    return live.Last(options, site, sources, Theme.load(options.theme_dir), reaches, manifest, tuple(saved["llms_full"]))


def attempt(options: BuildOptions, cache: Cache, key: str, inputs: snapshot.Snapshot) -> BuildResult | None:
    """The build of options.out (`key`: its key in the cache), redoing only what changed since
    the last one, when it can (see the module's docstring); None when it must be a full build.
    What it stores is the caller's to commit, without pruning."""
    if cache.path is None or cache.warnings:
        return None
    start = time.perf_counter()
    saved = cache.get(KIND, key)
    if not (isinstance(saved, dict) and saved.get("version") == VERSION):
        return None
    paths = changed(saved, inputs)
    manifest = cache.get("output", key)
    if paths is None or not output.still_written(options.out.resolve(), manifest):
        return None
    timings = {"compare": time.perf_counter() - start}
    try:
        start = time.perf_counter()
        last = load(options, saved, manifest, cache)
        timings["load"] = time.perf_counter() - start
        patched = live.patch(last, [options.content / rel for rel in paths], cache)
    except records.Gone:
        return None
    if patched is None:
        return None
    result, last = patched
    result.timings.update(timings)
    start = time.perf_counter()
    cache.put("record", key, {"inputs": inputs.to_json(), "warnings": problems_json(result.warnings),
                              "pages": result.pages, "files": result.file_count})
    cache.put(KIND, key, state(last, inputs))
    result.timings["store"] = time.perf_counter() - start
    return result
