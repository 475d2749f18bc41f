"""A real EVM for the tests: eth-tester with py-evm at the Cancun fork the contracts are
compiled for (contracts/compile.js), answering reverts as a JSON-RPC node does, and the
checked-in contract artifacts."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

from eth.vm.forks import CancunVM
from eth_tester import EthereumTester, PyEVMBackend
from eth_tester.exceptions import TransactionFailed
from web3 import EthereumTesterProvider, Web3
from web3.contract import Contract

REPO = Path(__file__).resolve().parents[1]
ANSWER_NFT = REPO / "qa_service/contracts/AnswerNFT.json"
OWNED_WALLET = REPO / "tests/contracts/OwnedWallet.json"  # test-only: an EIP-1271 wallet


def artifact(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


class NodeLikeProvider(EthereumTesterProvider):
    """eth-tester answering a revert as a JSON-RPC node does (error code 3 with the revert
    data), where web3's tester provider raises eth-tester's own exception instead: the
    service then meets the errors it meets in production."""

    def make_request(self, method, params):  # type: ignore[no-untyped-def]
        try:
            return super().make_request(method, params)
        except TransactionFailed as failed:
            reason = str(failed.args[0]).removeprefix("execution reverted: ")
            data = ast.literal_eval(reason) if reason.startswith(("b'", 'b"')) else b""
            return {"jsonrpc": "2.0", "id": 0,
                    "error": {"code": 3, "message": "execution reverted", "data": "0x" + data.hex()}}


def chain() -> Web3:
    return Web3(NodeLikeProvider(EthereumTester(PyEVMBackend(vm_configuration=((0, CancunVM),)))))


def deploy_wallet(w3: Web3, owner: str) -> Contract:
    """tests/contracts/OwnedWallet.json: an EIP-1271 contract wallet that `owner`'s key signs for."""
    wallet = artifact(OWNED_WALLET)
    factory = w3.eth.contract(abi=wallet["abi"], bytecode=wallet["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor(owner).transact({"from": w3.eth.accounts[0]}))
    return w3.eth.contract(address=receipt["contractAddress"], abi=wallet["abi"])
