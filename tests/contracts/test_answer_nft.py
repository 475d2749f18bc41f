"""AnswerNFT on a real EVM: the checked-in artifact (qa_service/contracts/AnswerNFT.json),
deployed on py-evm at the fork it was compiled for, mints question ids to askers, names their
metadata, and refuses everyone but its owner."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError

from .. import evm

BASE = "https://qa.example/nft/"
MAX_UINT256 = 2**256 - 1


@pytest.fixture(scope="module")
def artifact() -> dict[str, Any]:
    return evm.artifact(evm.ANSWER_NFT)


@pytest.fixture
def owner(w3: Web3) -> str:
    return w3.eth.accounts[0]


@pytest.fixture
def asker(w3: Web3) -> str:
    return w3.eth.accounts[1]


@pytest.fixture
def stranger(w3: Web3) -> str:
    return w3.eth.accounts[2]


def deploy(w3: Web3, artifact: dict[str, Any], owner: str) -> Contract:
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    tx = factory.constructor("Answers", "ANS", BASE, owner).transact({"from": owner})
    receipt = w3.eth.wait_for_transaction_receipt(tx)
    assert receipt["status"] == 1
    return w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])


@pytest.fixture
def nft(w3: Web3, artifact: dict[str, Any], owner: str) -> Contract:
    return deploy(w3, artifact, owner)


def send(w3: Web3, call: Any, sender: str) -> Any:
    receipt = w3.eth.wait_for_transaction_receipt(call.transact({"from": sender}))
    assert receipt["status"] == 1
    return receipt


@contextmanager
def reverts_with(signature: str, *args: Any) -> Iterator[None]:
    """The call or transaction reverts with exactly this custom error and these arguments."""
    types = signature[signature.index("(") + 1 : -1]
    expected = function_signature_to_4byte_selector(signature) + encode([t for t in types.split(",") if t], list(args))
    with pytest.raises(ContractLogicError) as caught:  # the chain answers reverts as a node does
        yield
    assert caught.value.data == "0x" + expected.hex(), f"expected {signature}{args}"


def test_deploy_sets_name_symbol_and_owner(w3: Web3, artifact: dict[str, Any], asker: str, stranger: str) -> None:
    # The minter key deploys, but the owner can be any address (here: not the deployer).
    nft = deploy(w3, artifact, stranger)
    assert artifact["contractName"] == "AnswerNFT"
    assert w3.eth.get_code(nft.address).to_0x_hex() == artifact["deployedBytecode"]
    assert nft.functions.name().call() == "Answers"
    assert nft.functions.symbol().call() == "ANS"
    assert nft.functions.owner().call() == stranger
    assert nft.functions.balanceOf(asker).call() == 0


def test_owner_mints_a_question_id_to_the_asker(w3: Web3, nft: Contract, owner: str, asker: str) -> None:
    receipt = send(w3, nft.functions.mint(asker, 17), owner)

    assert nft.functions.ownerOf(17).call() == asker
    assert nft.functions.balanceOf(asker).call() == 1
    assert nft.functions.balanceOf(owner).call() == 0
    assert nft.functions.tokenURI(17).call() == "https://qa.example/nft/17.json"
    (transfer,) = nft.events.Transfer().process_receipt(receipt)
    assert dict(transfer["args"]) == {"from": "0x" + "00" * 20, "to": asker, "tokenId": 17}


def test_token_uri_is_the_decimal_id(w3: Web3, nft: Contract, owner: str, asker: str) -> None:
    for token_id in (0, 10**20, MAX_UINT256):
        send(w3, nft.functions.mint(asker, token_id), owner)
        assert nft.functions.tokenURI(token_id).call() == f"{BASE}{token_id}.json"


def test_only_the_owner_mints(w3: Web3, nft: Contract, asker: str, stranger: str) -> None:
    with reverts_with("OwnableUnauthorizedAccount(address)", stranger):
        nft.functions.mint(stranger, 17).transact({"from": stranger})
    with reverts_with("OwnableUnauthorizedAccount(address)", asker):
        nft.functions.mintBatch([asker], [17]).transact({"from": asker})
    with reverts_with("ERC721NonexistentToken(uint256)", 17):
        nft.functions.ownerOf(17).call()


def test_a_question_is_minted_once(w3: Web3, nft: Contract, owner: str, asker: str, stranger: str) -> None:
    send(w3, nft.functions.mint(asker, 17), owner)
    with reverts_with("ERC721InvalidSender(address)", "0x" + "00" * 20):
        nft.functions.mint(stranger, 17).transact({"from": owner})
    assert nft.functions.ownerOf(17).call() == asker


def test_minting_to_the_zero_address_reverts(nft: Contract, owner: str) -> None:
    with reverts_with("ERC721InvalidReceiver(address)", "0x" + "00" * 20):
        nft.functions.mint("0x" + "00" * 20, 17).transact({"from": owner})


def test_minting_to_a_contract_without_a_receiver_hook_succeeds(
    w3: Web3, artifact: dict[str, Any], nft: Contract, owner: str
) -> None:
    # mint uses _mint, not _safeMint: a contract wallet cannot block (or re-enter) minting.
    wallet = deploy(w3, artifact, owner).address  # a contract with no onERC721Received
    send(w3, nft.functions.mint(wallet, 17), owner)
    assert nft.functions.ownerOf(17).call() == wallet


def test_token_uri_of_a_missing_token_reverts(w3: Web3, nft: Contract, owner: str, asker: str) -> None:
    send(w3, nft.functions.mint(asker, 17), owner)
    with reverts_with("ERC721NonexistentToken(uint256)", 18):
        nft.functions.tokenURI(18).call()


def test_owner_sets_the_base_uri_and_tells_indexers(w3: Web3, nft: Contract, owner: str, asker: str) -> None:
    send(w3, nft.functions.mint(asker, 17), owner)
    receipt = send(w3, nft.functions.setBaseURI("ipfs://bafy/"), owner)

    assert nft.functions.tokenURI(17).call() == "ipfs://bafy/17.json"
    (update,) = nft.events.BatchMetadataUpdate().process_receipt(receipt)
    assert dict(update["args"]) == {"_fromTokenId": 0, "_toTokenId": MAX_UINT256}


def test_only_the_owner_sets_the_base_uri(w3: Web3, nft: Contract, owner: str, asker: str, stranger: str) -> None:
    send(w3, nft.functions.mint(asker, 17), owner)
    with reverts_with("OwnableUnauthorizedAccount(address)", stranger):
        nft.functions.setBaseURI("https://evil.example/").transact({"from": stranger})
    assert nft.functions.tokenURI(17).call() == "https://qa.example/nft/17.json"


@pytest.mark.parametrize(
    ("interface_id", "supported"),
    [
        ("0x01ffc9a7", True),  # ERC-165
        ("0x80ac58cd", True),  # ERC-721
        ("0x5b5e139f", True),  # ERC-721 Metadata
        ("0x49064906", True),  # ERC-4906 metadata updates
        ("0x780e9d63", False),  # ERC-721 Enumerable: not built
        ("0xffffffff", False),  # ERC-165 says never
    ],
)
def test_supports_interface(nft: Contract, interface_id: str, supported: bool) -> None:
    assert nft.functions.supportsInterface(bytes.fromhex(interface_id[2:])).call() is supported


def test_owner_mints_a_batch(w3: Web3, nft: Contract, owner: str, asker: str, stranger: str) -> None:
    receipt = send(w3, nft.functions.mintBatch([asker, stranger, asker], [3, 5, 8]), owner)

    assert [nft.functions.ownerOf(i).call() for i in (3, 5, 8)] == [asker, stranger, asker]
    assert nft.functions.balanceOf(asker).call() == 2
    transfers = nft.events.Transfer().process_receipt(receipt)
    assert [(t["args"]["to"], t["args"]["tokenId"]) for t in transfers] == [(asker, 3), (stranger, 5), (asker, 8)]


def test_a_batch_of_unequal_lengths_reverts(nft: Contract, owner: str, asker: str) -> None:
    with reverts_with("LengthMismatch(uint256,uint256)", 2, 1):
        nft.functions.mintBatch([asker, asker], [3]).transact({"from": owner})


def test_a_batch_with_a_minted_id_mints_nothing(w3: Web3, nft: Contract, owner: str, asker: str, stranger: str) -> None:
    send(w3, nft.functions.mint(asker, 5), owner)
    with reverts_with("ERC721InvalidSender(address)", "0x" + "00" * 20):
        nft.functions.mintBatch([stranger, stranger], [4, 5]).transact({"from": owner})
    assert nft.functions.balanceOf(stranger).call() == 0
    with reverts_with("ERC721NonexistentToken(uint256)", 4):
        nft.functions.ownerOf(4).call()


def test_a_batch_costs_less_than_single_mints(w3: Web3, artifact: dict[str, Any], owner: str) -> None:
    # The figures the service's gas budget rests on; deterministic for one fork and compiler.
    # Both contracts start empty and mint the same ten ids to the same nine wallets.
    wallets = w3.eth.accounts[1:]
    recipients = [wallets[i % len(wallets)] for i in range(10)]
    one_by_one, batched = deploy(w3, artifact, owner), deploy(w3, artifact, owner)
    single = [send(w3, one_by_one.functions.mint(to, 100 + i), owner)["gasUsed"] for i, to in enumerate(recipients)]
    batch = send(w3, batched.functions.mintBatch(recipients, list(range(100, 110))), owner)["gasUsed"]
    print(f"gas: mint {single[0]} (to an empty wallet), ten mints {sum(single)}, mintBatch of ten {batch}")
    assert [batched.functions.ownerOf(100 + i).call() for i in range(10)] == recipients
    assert single[0] < 100_000
    assert batch < sum(single)


def test_minted_tells_which_ids_exist_without_reverting(w3: Web3, nft: Contract, owner: str, asker: str) -> None:
    send(w3, nft.functions.mintBatch([asker, asker], [3, 7]), owner)
    assert nft.functions.minted([3, 4, 7, 2**256 - 1]).call() == [True, False, True, False]
    assert nft.functions.minted([]).call() == []
