"""The build, as a list of named stages over the content graph.

    config -> sources -> documents -> site -> pages -> feeds & meta -> references -> output

Every stage but the first two and the last is pure; problems from all stages are collected
and reported together, and the output folder is only replaced when there are none.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable, Mapping

import imagesize

from . import feeds, meta, offline, output, sitemap
from .config import SiteConfig
from .content import Document, parse_document
from .errors import BuildError, Problem
from .references import check_references
from .render import Theme, render_site
from .site import Site, assemble, locate
from .sources import SourceFile, read_sources
from .theme import missing_theme, template_problem


@dataclass(frozen=True)
class BuildOptions:
    content: Path = Path("content")
    out: Path = Path("public")
    config: Path = Path("site.toml")
    theme: Path | None = None  # default: theme/ beside the config file, else the built-in theme
    drafts: bool = False
    base_url: str | None = None
    strict_alt: bool = False  # missing alt text is a problem (sitegen check), not only a warning

    @property
    def theme_dir(self) -> Path:
        """The author's theme folder (it may not exist: then the built-in theme is used alone)."""
        return self.theme or self.config.parent / "theme"


@dataclass(frozen=True)
class BuildResult:
    site: Site
    files: dict[str, bytes]
    warnings: tuple[Problem, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)


def _image_size(files: dict[PurePosixPath, bytes], folder: PurePosixPath) -> Callable[[str], tuple[int, int] | None]:
    def size(src: str) -> tuple[int, int] | None:
        data = files.get(PurePosixPath(folder, src)) if not src.startswith("/") else None
        if data is None:
            return None
        try:
            width, height = imagesize.get(io.BytesIO(data))
        except Exception:
            return None
        return (round(width), round(height)) if width > 0 and height > 0 else None

    return size


def _beside(files: Mapping[PurePosixPath, bytes], folder: PurePosixPath) -> Callable[[str], bool]:
    """Whether a file of that name sits in `folder` of the content."""
    return lambda name: PurePosixPath(folder, name) in files


def parse_documents(sources: list[SourceFile], config: SiteConfig) -> tuple[list[Document], dict[PurePosixPath, bytes], list[Problem]]:
    """Markdown files become Documents; everything else is an asset copied as it is."""
    by_rel = {source.rel: source.data for source in sources}
    documents: list[Document] = []
    assets: dict[PurePosixPath, bytes] = {}
    problems: list[Problem] = []
    for source in sources:
        where = locate(source.rel)
        if where is None:
            if source.rel.suffix == ".md" and source.rel.parts[0] == "blog" and len(source.rel.parts) == 2:
                problems.append(Problem(source.display, None, f"a post needs its own folder: move it to blog/{source.rel.stem}/index.md"))
                continue
            if source.rel.parts[0] == "assets":
                problems.append(Problem(source.display, None, "content/assets/ is where the theme's fingerprinted files go: rename the folder (e.g. files/)"))
                continue
            assets[source.rel] = source.data
            continue
        try:
            text = source.data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = source.data[: exc.start].count(b"\n") + 1
            problems.append(Problem(source.display, line, "not UTF-8 text: save the file as UTF-8"))
            continue
        folder = source.rel.parent
        document, found = parse_document(
            source.rel, text.removeprefix("\ufeff"), config, where, display=source.display,
            image_size=_image_size(by_rel, folder),
            asset_exists=_beside(by_rel, folder),
        )
        problems.extend(found)
        if document is not None:
            documents.append(document)
    return documents, assets, problems


def read_site(options: BuildOptions, lap: Callable[[str], None] = lambda _stage: None) -> Site:
    """The content graph of options.content, or BuildError naming every problem in it."""
    config = SiteConfig.load(options.config, base_url=options.base_url)
    sources, problems = read_sources(options.content)
    lap("read")
    documents, assets, found = parse_documents(sources, config)
    problems += found
    lap("parse")
    site, found = assemble(config, documents, assets, drafts=options.drafts)
    problems += found
    lap("assemble")
    if problems:
        raise BuildError(problems)
    return site


def build_files(options: BuildOptions) -> BuildResult:
    """Everything but the write: the whole site as {output path: bytes}, or BuildError."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = now - clock
        clock = now

    site = read_site(options, lap)
    problems: list[Problem] = []
    if options.theme is not None and not options.theme.is_dir():
        raise missing_theme(options.theme)
    theme = Theme.load(options.theme_dir)
    try:
        files = render_site(site, theme)
    except Exception as error:  # a template the author wrote or edited: one line, never a traceback
        problem = template_problem(error, theme.folders)
        if problem is None:
            raise
        raise BuildError([problem]) from None
    for asset in site.assets:
        if asset.url in files:
            problems.append(Problem(str(options.content / asset.source), None, f"two files claim /{asset.url}: the build writes a page there; rename the file"))
        files[asset.url] = site.asset_data[asset.url]
    lap("render")
    generated = {
        "feed.xml": feeds.atom(site),
        "rss.xml": feeds.rss(site),
        "sitemap.xml": sitemap.sitemap(site),
        "robots.txt": meta.robots(site),
        "manifest.webmanifest": meta.manifest(site),
        "llms.txt": meta.llms(site),
        "llms-full.txt": meta.llms_full(site),
    }
    for path, data in generated.items():
        if path in files:
            problems.append(Problem(str(options.content), None, f"two files claim {path}: rename the content file"))
        files[path] = data
    if site.config.offline:
        files.update(offline.offline_files(files, site.config))
    files["_headers"] = meta.headers(site, files)
    lap("generate")
    errors, warnings = check_references(site, files, strict_alt=options.strict_alt)
    problems += errors
    lap("check")
    if problems:
        raise BuildError(problems)
    return BuildResult(site, files, tuple(warnings), timings)


def build_site(options: BuildOptions) -> BuildResult:
    """Build and swap the new site into options.out; on any problem the old output stays."""
    result = build_files(options)
    start = time.perf_counter()
    output.write_site(result.files, options.out)
    result.timings["write"] = time.perf_counter() - start
    return result
