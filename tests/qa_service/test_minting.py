"""`qa-service deploy-nft` and `qa-service mint` on a real EVM (eth-tester with py-evm, at the
Cancun fork the contract is compiled for; the commands' connection to QA_RPC_URL is pointed
at it): the contract is deployed from the checked-in artifact, every answered question's
token lands in its asker's wallet once, and nothing is ever minted twice."""

from __future__ import annotations

import re
from typing import Callable, Iterator

import pytest
from eth_account import Account
from fastapi.testclient import TestClient
from sqlalchemy import select
from web3 import Web3

from qa_service import chain, minting
from qa_service.cli import main
from qa_service.db import dispose, make_engine

from .. import evm
from .conftest import ORIGIN, Wallet


@pytest.fixture
def node(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Web3]]:
    w3 = evm.chain()
    url = "http://127.0.0.1:8545"
    monkeypatch.setattr(chain, "connect", lambda rpc_url: w3 if rpc_url == url else pytest.fail(rpc_url))
    yield url, w3


@pytest.fixture
def minter(node: tuple[str, Web3]):  # type: ignore[no-untyped-def]
    """A fresh key holding 10 ETH on the test chain."""
    _url, w3 = node
    account = Account.create()
    funded = w3.eth.send_transaction({"from": w3.eth.accounts[0], "to": account.address, "value": 10**19})
    assert w3.eth.wait_for_transaction_receipt(funded)["status"] == 1
    return account


@pytest.fixture
def cli(node: tuple[str, Web3], minter, db_url: str, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
        capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    monkeypatch.setenv("QA_DATABASE_URL", db_url)
    monkeypatch.setenv("QA_URI", ORIGIN)
    monkeypatch.setenv("QA_DOMAIN", ORIGIN.split("//")[1])
    monkeypatch.setenv("QA_RPC_URL", node[0])
    monkeypatch.setenv("QA_MINTER_KEY", minter.key.hex())

    def run(*args: str) -> tuple[int, str, str]:
        status = main(list(args))
        out, err = capsys.readouterr()
        return status, out, err

    return run


def answered(client: TestClient, admin: Wallet, *, count: int) -> list[tuple[int, str, str]]:
    """`count` questions from new askers, answered: [(token id, asker, asker's session)]."""
    reviewer = admin.sign_in(client)
    tokens = []
    for i in range(count):
        asker = Wallet(Account.create())
        token = asker.sign_in(client)
        question = client.post("/api/questions", json={"text": f"Question {i}?", "consent_to_training": i % 2 == 0},
                               headers={"Authorization": f"Bearer {token}"}).json()
        result = client.post(f"/api/admin/questions/{question['id']}/answer", json={"text": f"Answer {i}."},
                             headers={"Authorization": f"Bearer {reviewer}"}).json()
        tokens.append((int(result["token_id"]), asker.address, token))
    return tokens


def test_deploy_then_mint_each_answer_once_to_its_asker(client: TestClient, admin: Wallet, cli, node,  # type: ignore[no-untyped-def]
                                                        minter, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _url, w3 = node
    status, out, _err = cli("deploy-nft", "--symbol", "ANS")
    assert status == 0, out
    address = re.search(r"QA_NFT_CONTRACT=(0x[0-9a-fA-F]{40})", out).group(1)
    monkeypatch.setenv("QA_NFT_CONTRACT", address)
    nft = w3.eth.contract(address=address, abi=minting.artifact()["abi"])
    assert nft.functions.owner().call() == minter.address and nft.functions.symbol().call() == "ANS"
    assert nft.functions.name().call() == "Automata answers"

    tokens = answered(client, admin, count=5)
    session = Wallet(Account.create()).sign_in(client)
    withdrawn_id = client.post("/api/questions", json={"text": "Taken back", "consent_to_training": True},
                               headers={"Authorization": f"Bearer {session}"}).json()["id"]
    assert client.post(f"/api/questions/{withdrawn_id}/withdraw", headers={"Authorization": f"Bearer {session}"}).status_code == 200

    block = w3.eth.block_number
    status, out, _err = cli("mint", "--dry-run")
    assert status == 0 and "5 token(s) to mint" in out and w3.eth.block_number == block, "a dry run sends nothing"
    assert all(f"token {t} -> {a}" in out for t, a, _s in tokens)

    status, out, err = cli("mint", "--batch", "3")
    assert status == 0, err
    assert "5 token(s) minted" in out and len(set(re.findall(r" in (0x[0-9a-f]{64})", out))) == 2, "batches of 3"
    for token_id, asker, _session in tokens:
        assert nft.functions.ownerOf(token_id).call() == asker
        assert nft.functions.tokenURI(token_id).call() == f"{ORIGIN}/nft/{token_id}.json"
    assert client.get(f"/nft/{tokens[0][0]}.json").status_code == 200, "the tokenURI resolves on the service"

    block = w3.eth.block_number
    status, out, _err = cli("mint")
    assert status == 0 and "nothing to mint" in out and w3.eth.block_number == block, "a rerun sends nothing"

    engine = make_engine(db_url)
    with engine.begin() as db:  # as if the process died after sending, before recording
        db.execute(minting.MINTS.delete().where(minting.MINTS.c.token_id == tokens[0][0]))
    status, out, _err = cli("mint")
    assert status == 0 and "already on chain, now recorded" in out and w3.eth.block_number == block
    with engine.connect() as db:
        rows = {r.token_id: r for r in db.execute(select(minting.MINTS))}
    dispose(engine)
    assert set(rows) == {t for t, _a, _s in tokens} and withdrawn_id not in rows
    assert all(rows[t].owner == a for t, a, _s in tokens)
    assert all(r.contract == address and r.chain_id == w3.eth.chain_id for r in rows.values())

    gone, _asker, session = tokens[1]
    assert client.request("DELETE", "/api/account", headers={"Authorization": f"Bearer {session}"}).status_code == 200
    engine = make_engine(db_url)
    with engine.connect() as db:
        assert gone not in {r.token_id for r in db.execute(select(minting.MINTS))}, "deleting an account forgets its mints"
    dispose(engine)


def test_only_answered_questions_are_minted(client: TestClient, admin: Wallet, wallet: Wallet, db_url: str) -> None:
    tokens = answered(client, admin, count=2)
    token = wallet.sign_in(client)
    pending = client.post("/api/questions", json={"text": "pending", "consent_to_training": True},
                          headers={"Authorization": f"Bearer {token}"}).json()["id"]
    engine = make_engine(db_url)
    todo = minting.unminted(engine)
    dispose(engine)
    assert todo == [(t, a) for t, a, _s in tokens] and pending not in {t for t, _a in todo}


def test_a_minter_that_does_not_own_the_contract_records_nothing(client: TestClient, admin: Wallet, cli, node,  # type: ignore[no-untyped-def]
                                                                 db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _url, w3 = node
    status, out, _err = cli("deploy-nft")
    monkeypatch.setenv("QA_NFT_CONTRACT", re.search(r"QA_NFT_CONTRACT=(0x[0-9a-fA-F]{40})", out).group(1))
    answered(client, admin, count=1)
    intruder = Account.create()
    w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction({"from": w3.eth.accounts[0], "to": intruder.address, "value": 10**18}))
    monkeypatch.setenv("QA_MINTER_KEY", intruder.key.hex())
    status, out, err = cli("mint")
    assert status == 1 and "OwnableUnauthorizedAccount" in err and "contract's owner" in err and "nothing sent" in err, err
    engine = make_engine(db_url)
    assert len(minting.unminted(engine)) == 1
    dispose(engine)


def test_mint_names_what_is_missing(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("QA_NFT_CONTRACT", raising=False)
    status, _out, err = cli("mint")
    assert status == 2 and "QA_NFT_CONTRACT" in err
    monkeypatch.setenv("QA_NFT_CONTRACT", "0x" + "00" * 20)
    monkeypatch.setenv("QA_MINTER_KEY", "not-a-key")
    status, _out, err = cli("mint")
    assert status == 2 and "QA_MINTER_KEY" in err


def test_a_deleted_askers_token_is_never_given_to_the_next_asker(client: TestClient, admin: Wallet, cli, node,  # type: ignore[no-untyped-def]
                                                                 db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """On SQLite the next question reused a deleted account's newest id, which is its token id:
    the mint run then found that token on chain and recorded its old holder as the new
    asker's, and the new asker never got one."""
    _url, w3 = node
    status, out, _err = cli("deploy-nft")
    address = re.search(r"QA_NFT_CONTRACT=(0x[0-9a-fA-F]{40})", out).group(1)
    monkeypatch.setenv("QA_NFT_CONTRACT", address)
    nft = w3.eth.contract(address=address, abi=minting.artifact()["abi"])
    [(first, first_asker, session)] = answered(client, admin, count=1)
    assert cli("mint")[0] == 0 and nft.functions.ownerOf(first).call() == first_asker
    assert client.request("DELETE", "/api/account", headers={"Authorization": f"Bearer {session}"}).status_code == 200

    [(second, second_asker, _session)] = answered(client, admin, count=1)
    assert second != first
    status, out, err = cli("mint")
    assert status == 0 and f"token {second} -> {second_asker} in 0x" in out, out + err
    assert nft.functions.ownerOf(second).call() == second_asker
    engine = make_engine(db_url)
    with engine.connect() as db:
        owners = {r.token_id: r.owner for r in db.execute(select(minting.MINTS))}
    dispose(engine)
    assert owners == {second: second_asker}
    assert client.get(f"/nft/{first}.json").json()["attributes"] == [{"trait_type": "Status", "value": "deleted"}]


def test_a_token_held_by_someone_else_is_never_recorded_as_the_askers(client: TestClient, admin: Wallet, cli, node,  # type: ignore[no-untyped-def]
                                                                      minter, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _url, w3 = node
    status, out, _err = cli("deploy-nft")
    address = re.search(r"QA_NFT_CONTRACT=(0x[0-9a-fA-F]{40})", out).group(1)
    monkeypatch.setenv("QA_NFT_CONTRACT", address)
    [(token_id, _asker, _session)] = answered(client, admin, count=1)
    stranger = Account.create().address
    nft = w3.eth.contract(address=address, abi=minting.artifact()["abi"])
    minting._send(w3, minter, nft.functions.mintBatch([stranger], [token_id]))  # minted by something else
    status, _out, err = cli("mint")
    assert status == 1 and f"token {token_id} is held by {stranger}" in err, err
    engine = make_engine(db_url)
    assert minting.unminted(engine) == [(token_id, _asker)], "nothing recorded for it"
    dispose(engine)
