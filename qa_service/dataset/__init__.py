"""`qa-service export`: the blog's posts and the answered questions as a Hugging Face dataset
folder (SPEC section 4).

The pipeline, top to bottom: read the posts (sitegen); stream the answered questions from the
database in batches; turn each into a thread whose texts went through the PII scrubber; make
the rows of every config; send each row to its split's Parquet file a row group at a time;
name each file by its content hash; list the questions gone since the previous export
(removed.jsonl); write the dataset card; swap the finished folder in for the old one. A
failure anywhere leaves the previous export as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Iterable, Literal

import pyarrow.parquet as pq
from sqlalchemy import Engine

from sitegen.build import BuildOptions, read_site
from sitegen.output import swap_in
from sitegen.site import Site

from .. import questions
from ..questions import QuestionView
from .card import Export, card
from .posts import MAX_CHARS, post_rows
from .rows import QUESTION_CONFIGS, Row, Text, Titles, split_of, thread_of
from .tables import ParquetSink

CONFIGS = ("posts", "sft", "preference", "rewards", "ilql", "trees")
SPLITS = ("train", "test")
REMOVED = "removed.jsonl"


@dataclass(frozen=True)
class ExportOptions:
    content: Path = Path("content")
    config: Path = Path("site.toml")
    out: Path = Path("dataset")
    test_percent: int = 10
    system: str | None = None  # a system turn put before every conversation, in every config
    pii: Literal["scrub", "drop"] = "scrub"  # drop: leave out every row in which the scrubber found something
    post_chars: int = MAX_CHARS  # posts: sections longer than this are split at paragraphs
    batch: int = 1000  # questions read from the database at a time
    now: dt.datetime | None = None  # the export date; default: SOURCE_DATE_EPOCH, else the clock


@dataclass
class Tally:
    """What went where: rows per config and split, rows per PII kind, rows dropped."""

    rows: dict[str, Counter[str]] = field(default_factory=lambda: {config: Counter() for config in CONFIGS})
    pii: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)
    threads: set[str] = field(default_factory=set)
    languages: set[str] = field(default_factory=set)


def export_date(options: ExportOptions) -> dt.datetime:
    if options.now is not None:
        return options.now
    epoch = os.environ.get("SOURCE_DATE_EPOCH")  # reproducible builds' convention
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def previous_threads(folder: Path) -> tuple[set[str], list[dict[str, str]]]:
    """The threads a previous export in `folder` held, and its removed.jsonl entries."""
    threads: set[str] = set()
    for path in sorted(folder.glob("*/*.parquet")) if folder.is_dir() else []:
        parquet = pq.ParquetFile(path)
        if "thread" not in parquet.schema_arrow.names:
            continue
        for group in range(parquet.num_row_groups):
            threads.update(parquet.read_row_group(group, columns=["thread"]).column("thread").to_pylist())
    entries: list[dict[str, str]] = []
    if (folder / REMOVED).is_file():
        entries = [json.loads(line) for line in (folder / REMOVED).read_text(encoding="utf-8").splitlines() if line.strip()]
    return threads, entries


def removed_entries(folder: Path, present: set[str], *, when: str) -> list[dict[str, str]]:
    """Every thread a trainer should delete from his copies: those in the previous export and
    not in this one (dated now), and those listed before that did not come back."""
    before, listed = previous_threads(folder)
    kept = [entry for entry in listed if entry.get("thread") not in present]
    known = {entry.get("thread") for entry in kept}
    kept += [{"thread": thread, "removed": when} for thread in sorted(before - present - known)]
    return kept


def post_titles(site: Site) -> Titles:
    """slug -> language -> title of every published post ("" keys the post's own language)."""
    titles: dict[str, dict[str, str]] = {}
    for post in site.posts:
        for document in post.documents:
            found = titles.setdefault(post.slug, {})
            found[document.language] = document.title
            found.setdefault(document.language.split("-")[0], document.title)
            if not document.is_translation:
                found[""] = document.title
    return titles


def write_rows(staging: Path, site_rows: Iterable[Row], batches: Iterable[list[QuestionView]], *,
               options: ExportOptions, key: bytes, titles: Titles | None = None) -> tuple[Tally, dict[str, dict[str, str]]]:
    """Write every config's rows into `staging`; returns the tally and config -> split -> file."""
    tally = Tally()
    sinks: dict[tuple[str, str], ParquetSink] = {}
    system = Text.scrubbed(options.system) if options.system else None

    def route(config: str, group: str, row: Row) -> bool:
        if row["pii"] and options.pii == "drop":
            tally.dropped[config] += 1
            return False
        split = split_of(group, test_percent=options.test_percent)
        sink = sinks.get((config, split)) or sinks.setdefault((config, split), ParquetSink(staging, config, split))
        sink.add(row)
        tally.rows[config][split] += 1
        tally.pii.update(row["pii"])
        return True

    for row in site_rows:
        route("posts", f"post:{row['slug']}", row)
    for batch in batches:
        for question in batch:
            thread = thread_of(question, key=key, titles=titles)
            for config, make in QUESTION_CONFIGS.items():
                for row in make(thread, system=system):
                    if route(config, thread.id, row):
                        tally.threads.add(thread.id)
                        tally.languages.add(thread.language)
    files: dict[str, dict[str, str]] = {config: {} for config in CONFIGS}
    for (config, split), sink in sorted(sinks.items()):
        files[config][split] = sink.close()
    return tally, files


def export(options: ExportOptions, engine: Engine, *, key: bytes) -> Export:
    site = read_site(BuildOptions(content=options.content, config=options.config))
    out = options.out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        tally, files = write_rows(staging, post_rows(site, max_chars=options.post_chars),
                                  questions.training_batches(engine, batch=options.batch), options=options, key=key,
                                  titles=post_titles(site))
        when = export_date(options)
        removed = removed_entries(out, tally.threads, when=when.isoformat())
        (staging / REMOVED).write_text("".join(json.dumps(entry, sort_keys=True) + "\n" for entry in removed), encoding="utf-8")
        summary = Export(
            title=site.config.title, license=str(site.config.extra.get("license") or ""), date=when,
            exporter=_exporter(), languages=sorted({d.language for d in site.documents} | tally.languages),
            rows={config: dict(splits) for config, splits in tally.rows.items()}, files=files,
            sizes={name: (staging / name).stat().st_size for splits in files.values() for name in splits.values()},
            test_percent=options.test_percent, system=options.system, pii_mode=options.pii, pii=dict(tally.pii),
            dropped=dict(tally.dropped), removed=len(removed), post_chars=options.post_chars,
            posts=len(site.posts),
        )
        (staging / "README.md").write_text(card(summary), encoding="utf-8")
        os.chmod(staging, 0o755)
        swap_in(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return summary


def _exporter() -> str:
    try:
        return f"automata {version('automata')}"
    except PackageNotFoundError:  # run from a checkout that was not installed
        return "automata"
