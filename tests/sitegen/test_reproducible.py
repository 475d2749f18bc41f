"""Byte-identical builds across processes: Python randomises str hashes per process, so any
set or dict order that leaks into a file differs from one `sitegen build` to the next. Two
builds in one process share the seed and can never show it; these run the CLI in separate
processes with PYTHONHASHSEED 1, 2 and 3 and compare every file byte for byte."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO

SEEDS = ("1", "2", "3")


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def differences(trees: dict[str, dict[str, bytes]]) -> list[str]:
    """Each file that is missing from one tree or differs between two, named with the seeds."""
    (first_seed, first), *others = trees.items()
    found = []
    for seed, other in others:
        found += [f"{path}: only in seed {first_seed if path in first else seed}" for path in sorted(first.keys() ^ other.keys())]
        found += [f"{path}: seed {first_seed} and seed {seed} differ" for path in sorted(first.keys() & other.keys()) if first[path] != other[path]]
    return found


def in_processes(command: list[str], outs: dict[str, Path], cwd: Path) -> None:
    """Run `command + [out]` once per seed, all at once, each in its own interpreter."""
    runs = {}
    for seed, out in outs.items():
        env = {**os.environ, "PYTHONHASHSEED": seed, "SOURCE_DATE_EPOCH": "1780000000"}
        runs[seed] = subprocess.Popen([*command, str(out)], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for seed, run in runs.items():
        output, _ = run.communicate(timeout=300)
        assert run.returncode == 0, f"seed {seed}: {output}"


@pytest.mark.parametrize("offline", [False, True], ids=["example", "example-offline"])
def test_builds_with_three_hash_seeds_are_byte_identical(tmp_path: Path, offline: bool) -> None:
    config = REPO / "site.toml"
    if offline:  # the service worker and its registration script are in every file list too
        config = tmp_path / "site.toml"
        config.write_text((REPO / "site.toml").read_text(encoding="utf-8").replace("offline = false", "offline = true"), encoding="utf-8")
        assert "offline = true" in config.read_text(encoding="utf-8")
    outs = {seed: tmp_path / f"seed-{seed}" for seed in SEEDS}
    in_processes([sys.executable, "-m", "sitegen", "build", "--content", str(REPO / "content"), "--config", str(config),
                  "--theme", str(REPO / "theme"), "--no-cache", "--out"], outs, tmp_path)
    trees = {seed: tree(out) for seed, out in outs.items()}
    assert len(trees["1"]) >= 20 and "_headers" in trees["1"] and ("sw.js" in trees["1"]) == offline
    assert differences(trees) == []
