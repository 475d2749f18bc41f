"""`qa-service export --by-asker`: the export's rows again, one dataset folder per asker
pseudonym (`by-asker/<asker>/`), to train each reader's own LoRA adapter on his rows alone
(QA_AUTOMATON_ADAPTERS then names it as his model). Each folder has its own small card, so
`load_dataset("dataset/by-asker/asker-…", "choices")` loads his rows of that config.

It reads the finished files of the export (in its staging folder, before the swap), so the
rows are exactly the export's: scrubbed, consented, keyed.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Mapping

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

FOLDER = "by-asker"


def split_by_asker(staging: Path, files: Mapping[str, Mapping[str, list[str]]]) -> dict[str, int]:
    """Write `by-asker/<asker>/<config>/<split>.parquet` for every config with an `asker`
    column; returns rows per asker."""
    tables: dict[tuple[str, str, str], list[pa.Table]] = defaultdict(list)
    for config, splits in sorted(files.items()):
        for split, names in sorted(splits.items()):
            for name in sorted(names):
                table = pq.read_table(staging / name)
                if "asker" not in table.column_names:
                    break
                for asker in sorted(a for a in pc.unique(table.column("asker")).to_pylist() if a):
                    tables[(asker, config, split)].append(table.filter(pc.equal(table.column("asker"), asker)))
    rows: dict[str, int] = defaultdict(int)
    configs: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for (asker, config, split), parts in sorted(tables.items()):
        table = pa.concat_tables(parts)
        path = staging / FOLDER / asker / config / f"{split}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path, compression="zstd")
        rows[asker] += table.num_rows
        configs[asker][config].append(split)
    for asker, found in configs.items():
        header = {"configs": [{"config_name": config, "data_files": [
            {"split": split, "path": f"{config}/{split}.parquet"} for split in splits]} for config, splits in found.items()]}
        (staging / FOLDER / asker / "README.md").write_text(
            "---\n" + yaml.safe_dump(header, sort_keys=False) + "---\n\n"
            f"# The rows of asker `{asker}`\n\nPart of the export one folder up (see its README for every field), "
            "for training this reader's own adapter.\n", encoding="utf-8")
    return dict(rows)
