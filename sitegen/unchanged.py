"""Whether a build can be skipped: nothing it reads changed since the last build into the
same folder (by file metadata, sitegen.snapshot), and the folder still holds what that build
wrote. Light on purpose (no Markdown, no templates): `sitegen build` asks here before it
imports the rest, so an unchanged blog of thousands of posts answers in a fraction of a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from . import output, snapshot
from .cache import Cache, digest, stamp
from .config import SiteConfig
from .errors import Problem
from .options import BuildOptions
from .programs import MERMAID, find_chromium, find_upwards

if TYPE_CHECKING:
    from .survey import Survey

RESUME = "resume"  # the kind of sitegen.resume's entry in the cache
BUILTIN_THEME = Path(__file__).resolve().parent / "default_theme"


@dataclass(frozen=True)
class Unchanged:
    """What the last build reported, which still holds."""

    pages: int
    files: int
    warnings: tuple[Problem, ...]
    config: SiteConfig


def inputs_snapshot(options: BuildOptions) -> snapshot.Snapshot:
    """Everything a build reads, by file metadata: the content, the author's theme and the
    built-in one, site.toml, the diagram renderer, sitegen's code and libraries, the options."""
    folder = options.config.resolve().parent
    script = find_upwards(folder, MERMAID)
    chromium = find_chromium()
    return snapshot.take(
        [options.content, options.theme_dir, BUILTIN_THEME],
        [options.config, *(p for p in (script, chromium) if p is not None)],
        [stamp(), f"mermaid={script}", f"chromium={chromium}", *snapshot.options_facts(options)],
        listed=options.content,
    )


def check(options: BuildOptions, cache: Cache, key: str, inputs: snapshot.Snapshot,
          present: "Callable[[], output.Present | None] | None" = None, manifest: Any = None) -> Unchanged | None:
    """The last build's report when it can stand for this one (the cache is then closed:
    nothing is stored), else None. `key`: the output folder's key in the cache; `present`:
    where the output folder's listing comes from, when the build has one (sitegen.survey);
    `manifest`: the last write's, when the caller has read it."""
    if cache.path is None or cache.warnings:
        return None
    record = cache.get("record", key)
    if not (isinstance(record, dict) and snapshot.same(record.get("inputs"), inputs)
            and output.still_written(options.out.resolve(), manifest if manifest is not None else cache.get("output", key),
                                     present() if present is not None else False)):
        return None
    cache.close()  # nothing to store: the cache keeps every entry as it is
    config = SiteConfig.load(options.config, base_url=options.base_url)
    warnings = tuple(Problem(path, line, message) for path, line, message in record["warnings"])
    return Unchanged(int(record["pages"]), int(record["files"]), warnings, config)


@dataclass
class Ahead:
    """What a build that goes on was given by `check_build`: the cache, open, and the last
    build's resume state (sitegen.resume) and output manifest, read while the survey's child
    walked the inputs."""

    cache: Cache
    saved: Any
    manifest: Any


def check_build(options: BuildOptions, survey: "Survey") -> tuple[Unchanged | None, Ahead | None]:
    """`check` for a `sitegen build` about to start, with its survey (sitegen.survey: the
    output folder is listed only when the inputs are the last build's). Unchanged: the cache
    is closed; else it is handed on, open (`Ahead`; None with --no-cache)."""
    if not options.cache:
        return None, None
    cache = options.open_cache()
    try:
        key = digest(str(options.out.resolve()))
        # read while the child walks (the parent would wait idle): ~0.15 s at 5,000 posts,
        # which a build that goes on would spend after the walk
        usable = cache.path is not None and not cache.warnings
        saved = cache.get(RESUME, key) if usable else None
        manifest = cache.get("output", key) if usable else None
        same = check(options, cache, key, survey.inputs(), survey.present, manifest)
    except BaseException:
        cache.close()
        raise
    return (same, None) if same is not None else (None, Ahead(cache, saved, manifest))


__all__ = ["Unchanged", "Ahead", "inputs_snapshot", "check", "check_build", "RESUME"]
