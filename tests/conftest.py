"""Shared test helpers: CI=true turns a missing tool or server into a failure, not a skip."""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, reason: str) -> None:
    """Skip with the reason locally; fail under CI, where every tool must be there."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: missing tools and servers fail the run)")
    pytest.skip(reason)
