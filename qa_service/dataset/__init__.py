"""`qa-service export`: the blog's posts and the answered questions as a Hugging Face dataset
folder (SPEC section 4). Read the posts (sitegen) and the questions (the database), make the
rows of each config, split them, and write Parquet files and a dataset card, swapped into
place whole (sitegen's writer), so a failed export leaves the previous one as it was."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from sitegen.build import BuildOptions, read_site
from sitegen.output import write_site

from .. import questions
from .card import card
from .rows import Row, post_rows, preference_rows, reward_rows, sft_rows, split_of
from .tables import FILE, parquet

SPLITS = ("train", "test")


@dataclass(frozen=True)
class ExportOptions:
    content: Path = Path("content")
    config: Path = Path("site.toml")
    out: Path = Path("dataset")
    test_percent: int = 10
    system: str | None = None  # a system turn put before every sft conversation


def _group(config: str, row: Row) -> str:
    """What the split hashes: the post or the question a row comes from."""
    return f"post:{row['slug']}" if config == "posts" else f"question:{row['question_id']}"


def dataset_files(options: ExportOptions, engine: Engine, *, key: bytes) -> tuple[dict[str, bytes], dict[str, Counter[str]]]:
    """{path: bytes} of the whole dataset folder, and the rows per config and split."""
    site = read_site(BuildOptions(content=options.content, config=options.config))
    answered = questions.for_training(engine)
    configs = {
        "posts": post_rows(site),
        "sft": sft_rows(answered, key=key, system=options.system),
        "preference": preference_rows(answered, key=key),
        "rewards": reward_rows(answered, key=key),
    }
    files: dict[str, bytes] = {}
    counts: dict[str, Counter[str]] = {}
    for config, rows in configs.items():
        by_split: dict[str, list[Row]] = {split: [] for split in SPLITS}
        for row in rows:
            by_split[split_of(_group(config, row), test_percent=options.test_percent)].append(row)
        counts[config] = Counter({split: len(part) for split, part in by_split.items()})
        for split, part in by_split.items():
            if part:  # `datasets` cannot load a split without rows: an empty one is left out
                files[FILE.format(config=config, split=split)] = parquet(config, part)
    languages = sorted({d.language for d in site.documents} | {q.language for q in answered})
    files["README.md"] = card(title=site.config.title, languages=languages, counts=counts,
                              test_percent=options.test_percent).encode()
    return files, counts


def export(options: ExportOptions, engine: Engine, *, key: bytes) -> dict[str, Counter[str]]:
    files, counts = dataset_files(options, engine, key=key)
    write_site(files, options.out)
    return counts
