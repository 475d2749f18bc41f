"""`qa-service export`: the blog's posts, the answered questions and the automaton's
conversations as a Hugging Face dataset folder (SPEC section 4, plus `choices`).

The pipeline, top to bottom: read the posts (sitegen); stream the answered questions from the
database in batches; in two worker processes (batch i to worker i % 2), turn each into a
thread whose texts went through the PII scrubber, make the rows of every config, and send
each row to the worker's own Parquet file of its split, a row group at a time;
name each file by its content hash; list the questions gone since the previous export
(removed.jsonl); write the dataset card; swap the finished folder in for the old one. A
failure anywhere leaves the previous export as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
from collections import Counter
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from multiprocessing import Queue
from pathlib import Path
from typing import Iterable, Iterator, Literal

import pyarrow.parquet as pq
from sqlalchemy import Engine

from sitegen.build import BuildOptions, read_site
from sitegen.output import staged
from sitegen.site import Site

from .. import automaton, questions
from ..questions import QuestionView
from .by_asker import split_by_asker
from .card import Export, card
from .choices import automaton_rows
from .posts import MAX_CHARS, post_rows
from .rows import QUESTION_CONFIGS, Row, Text, Thread, Titles, split_of, thread_of
from .tables import ParquetSink

CONFIGS = ("posts", "sft", "preference", "rewards", "ilql", "trees", "choices")
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
    by_asker: bool = False  # also by-asker/<asker>/: each asker's rows alone (per-reader adapters)


@dataclass
class Tally:
    """What went where: rows per config and split, rows per PII kind, rows dropped."""

    rows: dict[str, Counter[str]] = field(default_factory=lambda: {config: Counter() for config in CONFIGS})
    pii: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)
    threads: set[str] = field(default_factory=set)
    languages: set[str] = field(default_factory=set)

    def merge(self, other: Tally) -> None:
        for config, splits in other.rows.items():
            self.rows.setdefault(config, Counter()).update(splits)
        self.pii.update(other.pii)
        self.dropped.update(other.dropped)
        self.threads |= other.threads
        self.languages |= other.languages


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


class Router:
    """Rows to their split's Parquet file in `staging`, counted as they go."""

    def __init__(self, staging: Path, options: ExportOptions, part: int = 0) -> None:
        self.staging, self.options, self.part = staging, options, part
        self.tally = Tally()
        self.sinks: dict[tuple[str, str], ParquetSink] = {}

    def route(self, config: str, split: str, row: Row) -> bool:
        if row["pii"] and self.options.pii == "drop":
            self.tally.dropped[config] += 1
            return False
        sink = self.sinks.get((config, split))
        if sink is None:
            sink = self.sinks[(config, split)] = ParquetSink(self.staging, config, split, part=self.part)
        sink.add(row)
        self.tally.rows[config][split] += 1
        if row["pii"]:
            self.tally.pii.update(row["pii"])
        return True

    def close(self) -> dict[str, dict[str, list[str]]]:
        """config -> split -> its files (this router's one)."""
        files: dict[str, dict[str, list[str]]] = {config: {} for config in CONFIGS}
        for (config, split), sink in sorted(self.sinks.items()):
            files[config][split] = [sink.close()]
        return files


def write_posts(site: Site, router: Router) -> None:
    options = router.options
    for row in post_rows(site, max_chars=options.post_chars):
        router.route("posts", split_of(f"post:{row['slug']}", test_percent=options.test_percent), row)


WORKERS = 2  # fixed, not the machine's core count: the files' contents must not depend on the machine


def write_questions(threads: Iterable[Thread], router: Router) -> None:
    options = router.options
    system = Text.scrubbed(options.system) if options.system else None
    for thread in threads:
        split = split_of(thread.id, test_percent=options.test_percent)
        for config, make in QUESTION_CONFIGS.items():
            for row in make(thread, system=system):
                if router.route(config, split, row):
                    router.tally.threads.add(thread.id)
                    router.tally.languages.add(thread.language)


def write_automaton(conversations: Iterable[automaton.ConversationView], router: Router, *, key: bytes) -> None:
    """The automaton's conversations (consenting askers'): choices, and their ilql and sft rows."""
    options = router.options
    system = Text.scrubbed(options.system) if options.system else None
    for conversation in conversations:
        for config, row in automaton_rows(conversation, key=key, system=system):
            if router.route(config, split_of(row["thread"], test_percent=options.test_percent), row):
                router.tally.threads.add(row["thread"])
                router.tally.languages.add(row["language"])


def post_titles(site: Site) -> Titles:
    """slug -> language -> title of every published post ("" keys the post's own language):
    the context an sft conversation about a post starts with."""
    titles: dict[str, dict[str, str]] = {}
    for post in site.posts:
        for document in post.documents:
            found = titles.setdefault(post.slug, {})
            found[document.language] = document.title
            found.setdefault(document.language.split("-")[0], document.title)
            if not document.is_translation:
                found[""] = document.title
    return titles


def question_worker(part: int, staging: Path, options: ExportOptions, key: bytes, inbox: Queue, outbox: Queue,  # type: ignore[type-arg]
                    titles: Titles | None = None) -> None:
    """One worker process: scrub the batches it is given, in order, write their rows into its
    own file of each split, and send back its tally and files (or the error that stopped it)."""
    try:
        router = Router(staging, options, part)

        def threads() -> Iterator[Thread]:
            while (batch := inbox.get()) is not None:
                yield from (thread_of(question, key=key, titles=titles) for question in batch)

        write_questions(threads(), router)
        outbox.put((part, router.tally, router.close(), None))
    except BaseException as error:  # noqa: B036  (reported to the parent, which raises it)
        outbox.put((part, None, None, f"{type(error).__name__}: {error}"))


def write_all_questions(staging: Path, batches: Iterable[list[QuestionView]], options: ExportOptions,
                        key: bytes, titles: Titles | None = None) -> list[tuple[Tally, dict[str, dict[str, list[str]]]]]:
    """Batch i goes to worker i % WORKERS (so the files are the same on every run); this process
    only reads the database. At most two batches wait per worker: memory stays flat."""
    forks = "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork") if forks else multiprocessing.get_context("spawn")
    inboxes = [context.Queue(maxsize=2) for _ in range(WORKERS)]
    outbox = context.Queue()
    workers = [context.Process(target=question_worker, args=(part, staging, options, key, inboxes[part], outbox, titles))
               for part in range(WORKERS)]
    for worker in workers:
        worker.start()
    try:
        for index, batch in enumerate(batches):
            inboxes[index % WORKERS].put(batch)
        for inbox in inboxes:
            inbox.put(None)
        results = sorted((outbox.get() for _ in workers), key=lambda result: result[0])
        for worker in workers:
            worker.join()
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
                worker.join()
    failed = [error for _, _, _, error in results if error]
    if failed:
        raise RuntimeError(f"the export's worker failed: {failed[0]}")
    return [(tally, files) for _, tally, files, _ in results]


def export(options: ExportOptions, engine: Engine, *, key: bytes) -> Export:
    """Write the dataset folder. The blog is read first (sitegen renders it on every core and
    keeps its build cache); then this process reads the questions in batches and two worker
    processes scrub them and write their rows; last, this process writes the automaton's."""
    site = read_site(BuildOptions(content=options.content, config=options.config))
    out = options.out.resolve()
    with staged(out) as staging:
        router = Router(staging, options, part=0)
        write_posts(site, router)
        tally, files = router.tally, router.close()
        for part_tally, part_files in write_all_questions(
                staging, questions.training_batches(engine, batch=options.batch), options, key, post_titles(site)):
            tally.merge(part_tally)
            for config, splits in part_files.items():
                for split, names in splits.items():
                    files[config].setdefault(split, []).extend(names)
        talks = Router(staging, options, part=WORKERS)  # the automaton's rows: few, written here
        write_automaton(automaton.for_training(engine), talks, key=key)
        tally.merge(talks.tally)
        for config, splits in talks.close().items():
            for split, names in splits.items():
                files[config].setdefault(split, []).extend(names)
        askers = split_by_asker(staging, files) if options.by_asker else {}
        when = export_date(options)
        removed = removed_entries(out, tally.threads, when=when.isoformat())
        (staging / REMOVED).write_text("".join(json.dumps(entry, sort_keys=True) + "\n" for entry in removed), encoding="utf-8")
        summary = Export(
            title=site.config.title, license=str(site.config.extra.get("license") or ""), date=when,
            exporter=_exporter(), languages=sorted({d.language for d in site.documents} | tally.languages),
            rows={config: dict(splits) for config, splits in tally.rows.items()}, files=files,
            sizes={name: (staging / name).stat().st_size for splits in files.values() for names in splits.values()
                   for name in names},
            test_percent=options.test_percent, system=options.system, pii_mode=options.pii, pii=dict(tally.pii),
            dropped=dict(tally.dropped), removed=len(removed), post_chars=options.post_chars, posts=len(site.posts),
            askers=len(askers),
        )
        (staging / "README.md").write_text(card(summary), encoding="utf-8")
    return summary


def _exporter() -> str:
    try:
        return f"automata {version('automata')}"
    except PackageNotFoundError:  # run from a checkout that was not installed
        return "automata"
