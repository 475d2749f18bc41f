"""The checked-in artifacts (qa_service/contracts/AnswerNFT.json, the service's; and
tests/contracts/OwnedWallet.json, the tests') are what contracts/compile.js makes now from
the sources and the pinned solc and OpenZeppelin."""

from __future__ import annotations

import shutil
import subprocess

from ..conftest import require
from ..evm import ANSWER_NFT, OWNED_WALLET, REPO


def test_checked_in_artifacts_are_a_fresh_compile() -> None:
    node = shutil.which("node")
    require(node is not None, "node is not installed (contracts/compile.js needs it)")
    require((REPO / "contracts" / "node_modules").is_dir(), "contracts/node_modules is missing: run npm ci in contracts/")
    assert node is not None
    result = subprocess.run([node, "contracts/compile.js", "--check"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    for artifact in (ANSWER_NFT, OWNED_WALLET):
        assert f"{artifact.relative_to(REPO)} is up to date" in result.stdout, result.stdout
