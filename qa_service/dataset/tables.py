"""Rows -> Parquet, one typed Arrow schema per config (the types do not depend on the rows at
hand). Rows stream in: each (config, split) file is written a row group at a time, so memory
holds one row group per file, never a whole config. Every export of the same rows is
byte-identical, and a file's name carries the hash of its bytes: `datasets` caches a local
folder by the names its card lists, so new rows mean new names and a fresh load."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .rows import Row

MESSAGES = pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))
PII = ("pii", pa.list_(pa.string()))
_THREAD = [("id", pa.string()), ("thread", pa.string()), ("language", pa.string()), ("asker", pa.string()),
           ("post", pa.string()), ("post_revision", pa.int32())]
NODES = pa.list_(pa.struct([("message_id", pa.string()), ("parent_id", pa.string()), ("role", pa.string()),
                            ("text", pa.string()), ("lang", pa.string()), ("rank", pa.int32()), ("turn", pa.int32())]))
_TURN = [("turn", pa.int32()), ("rank", pa.int32()), ("prompt", MESSAGES)]

SCHEMAS: dict[str, pa.Schema] = {
    "posts": pa.schema([
        ("id", pa.string()), ("slug", pa.string()), ("language", pa.string()), ("title", pa.string()),
        ("heading_path", pa.list_(pa.string())), ("tags", pa.list_(pa.string())), ("revision", pa.int32()),
        ("date", pa.string()), ("url", pa.string()), ("text", pa.string()), PII,
    ]),
    "sft": pa.schema([*_THREAD, ("turn", pa.int32()), ("post_title", pa.string()), ("messages", MESSAGES), PII]),
    "preference": pa.schema([*_THREAD, *_TURN, ("chosen", MESSAGES), ("rejected", MESSAGES), PII]),
    "rewards": pa.schema([*_THREAD, *_TURN, ("completion", MESSAGES), ("label", pa.bool_()), ("reward", pa.float64()), PII]),
    "ilql": pa.schema([*_THREAD, ("trajectory", pa.string()), *_TURN, ("completion", MESSAGES), ("reward", pa.float64()),
                       ("done", pa.bool_()), PII]),
    "choices": pa.schema([*_THREAD, ("turn", pa.int32()), ("prompt", MESSAGES), ("candidates", pa.list_(pa.string())),
                          ("chosen", pa.int32()), ("correction", pa.string()), ("corrected", pa.bool_()),
                          ("model", pa.string()), ("model_version", pa.string()), PII]),
    "trees": pa.schema([*_THREAD, ("message_tree_id", pa.string()), ("tree_state", pa.string()), ("post_title", pa.string()),
                        ("system", pa.string()), ("tree", pa.string()), ("nodes", NODES), PII]),
}

ROW_GROUP = 2_000  # rows a file holds in memory before writing them: 10 files x 2,000 rows stay small
PATTERN = "{config}/{split}-*.parquet"


class ParquetSink:
    """One part of a split, a Parquet file written a row group at a time into `folder`, then
    named by its content hash (`<config>/<split>-<part>-<sha256[:16]>.parquet`) when closed."""

    def __init__(self, folder: Path, config: str, split: str, *, part: int = 0, row_group: int = ROW_GROUP) -> None:
        self.folder, self.config, self.split, self.part, self.row_group = folder, config, split, part, row_group
        self.schema = SCHEMAS[config]
        self.path = folder / config / f".{split}-{part}.parquet.partial"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.writer = pq.ParquetWriter(self.path, self.schema, compression="zstd")
        self.pending: list[Row] = []
        self.rows = 0

    def add(self, row: Row) -> None:
        self.pending.append(row)
        self.rows += 1
        if len(self.pending) >= self.row_group:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.writer.write_table(pa.Table.from_pylist(self.pending, schema=self.schema), row_group_size=self.row_group)
            self.pending = []

    def close(self) -> str:
        """Finish the file and give it its final name; returns that name, relative to the folder."""
        self.flush()
        self.writer.close()
        digest = hashlib.sha256()
        with open(self.path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        name = f"{self.config}/{self.split}-{self.part}-{digest.hexdigest()[:16]}.parquet"
        os.replace(self.path, self.folder / name)
        return name
