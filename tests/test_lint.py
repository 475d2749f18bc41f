"""The code base stays clean: ruff's pyflakes and bugbear rules and mypy's type checks
(pyproject.toml) pass."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import require

REPO = Path(__file__).resolve().parents[1]


def test_ruff_finds_nothing() -> None:
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    require(Path(ruff).exists(), "ruff is not installed (it is in the [test] extra)")
    result = subprocess.run([ruff, "check", "--output-format", "concise", "."], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing() -> None:
    mypy = Path(sys.executable).with_name("mypy")
    require(mypy.exists(), "mypy is not installed (it is in the [test] extra)")
    result = subprocess.run([str(mypy)], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
