"""The contracts' tests run on one real EVM per test (tests/evm.py)."""

from __future__ import annotations

import pytest
from web3 import Web3

from .. import evm


@pytest.fixture
def w3() -> Web3:
    return evm.chain()
