"""Rows -> Parquet files, one typed Arrow schema per config (the types do not depend on the
rows at hand), and every export of the same rows is byte-identical."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from .rows import Row

MESSAGES = pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))
_QUESTION = [("id", pa.string()), ("question_id", pa.int64()), ("language", pa.string()), ("asker", pa.string())]

SCHEMAS: dict[str, pa.Schema] = {
    "posts": pa.schema([
        ("id", pa.string()), ("slug", pa.string()), ("language", pa.string()), ("title", pa.string()),
        ("heading_path", pa.list_(pa.string())), ("tags", pa.list_(pa.string())), ("revision", pa.int32()),
        ("date", pa.string()), ("url", pa.string()), ("text", pa.string()),
    ]),
    "sft": pa.schema([*_QUESTION, ("messages", MESSAGES)]),
    "preference": pa.schema([*_QUESTION, ("rank", pa.int32()), ("prompt", MESSAGES), ("chosen", MESSAGES),
                             ("rejected", MESSAGES)]),
    "rewards": pa.schema([*_QUESTION, ("rank", pa.int32()), ("prompt", MESSAGES), ("completion", MESSAGES),
                          ("label", pa.bool_()), ("reward", pa.float64())]),
}

# Where the splits land: the Hub's own naming, so the dataset card's globs find them.
FILE = "{config}/{split}-00000-of-00001.parquet"
PATTERN = "{config}/{split}-*.parquet"


def parquet(config: str, rows: list[Row]) -> bytes:
    schema = SCHEMAS[config]
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), sink, compression="zstd")
    return sink.getvalue().to_pybytes()
