"""Sign-in for contract wallets (EIP-1271) through QA_SIGNIN_RPC_URL, on a real EVM: a
smart account whose owner's key signed is let in under the account's own address; anyone
else, and a node that cannot be reached, get a 401 with the reason."""

from __future__ import annotations

import datetime as dt
from typing import Callable

import pytest
from eth_account import Account
from fastapi.testclient import TestClient
from web3 import Web3

from qa_service import auth, chain

from .. import evm
from .conftest import sign

RPC = "http://127.0.0.1:8545"


@pytest.fixture
def w3(monkeypatch: pytest.MonkeyPatch) -> Web3:
    node = evm.chain()
    monkeypatch.setattr(chain, "connect", lambda url: node if url == RPC else pytest.fail(url))
    return node


def signed_in(client: TestClient, address: str, signer, *, signature: Callable[[str], str] | None = None):  # type: ignore[no-untyped-def]
    nonce = client.get("/api/auth/nonce").json()["nonce"]
    text = auth.message_for(address, nonce, settings=client.app.state.settings, now=dt.datetime.now(dt.timezone.utc)).to_text()
    return client.post("/api/auth/verify", json={"message": text, "signature": (signature or (lambda t: sign(signer, t)))(text)})


def test_a_contract_wallet_signs_in_with_its_owners_key(make_client, w3: Web3) -> None:  # type: ignore[no-untyped-def]
    owner = Account.create()
    wallet = evm.deploy_wallet(w3, owner.address)
    client = make_client(signin_rpc_url=RPC, chain_id=w3.eth.chain_id)
    response = signed_in(client, wallet.address, owner)
    assert response.status_code == 200, response.text
    assert response.json()["address"] == wallet.address, "the session is the wallet's, not its owner's key's"
    token = response.json()["token"]
    assert client.post("/api/questions", json={"text": "From my Safe", "consent_to_training": True},
                       headers={"Authorization": f"Bearer {token}"}).status_code == 201
    assert signed_in(client, owner.address, owner).status_code == 200, "plain keys still sign in as before"


def test_anyone_else_is_refused_with_the_reason(make_client, w3: Web3) -> None:  # type: ignore[no-untyped-def]
    owner, stranger = Account.create(), Account.create()
    wallet = evm.deploy_wallet(w3, owner.address)
    client = make_client(signin_rpc_url=RPC, chain_id=w3.eth.chain_id)
    for signature in (lambda t: sign(stranger, t), lambda t: "0x" + "ab" * 66, lambda t: "0x" + "00" * 300):
        refused = signed_in(client, wallet.address, owner, signature=signature)
        assert refused.status_code == 401 and "signature" in refused.json()["detail"], refused.text
    plain = Account.create()  # an address without code: nothing to ask, the key's signature decides
    assert signed_in(client, plain.address, stranger).status_code == 401
    without_node = make_client(chain_id=w3.eth.chain_id)
    assert signed_in(without_node, wallet.address, owner).status_code == 401, "no QA_SIGNIN_RPC_URL: keys only"


def test_a_node_that_cannot_be_reached_is_a_401_with_the_reason(make_client, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from web3 import HTTPProvider

    down = Web3(HTTPProvider("http://127.0.0.1:9", request_kwargs={"timeout": 2}))  # nothing listens on port 9
    monkeypatch.setattr(chain, "connect", lambda url: down)
    client = make_client(signin_rpc_url=RPC)
    owner = Account.create()
    refused = signed_in(client, Account.create().address, owner)
    assert refused.status_code == 401 and "could not ask the contract wallet" in refused.json()["detail"]
    assert signed_in(client, owner.address, owner).status_code == 200, "keys need no node"


def test_the_contract_is_asked_only_about_a_message_that_could_sign_in(make_client, w3: Web3) -> None:  # type: ignore[no-untyped-def]
    owner = Account.create()
    wallet = evm.deploy_wallet(w3, owner.address)
    client = make_client(signin_rpc_url=RPC, chain_id=w3.eth.chain_id)
    asked: list[str] = []
    ask = client.app.state.contract_wallets
    client.app.state.contract_wallets = lambda address, digest, signature: asked.append(address) or ask(address, digest, signature)
    text = auth.message_for(wallet.address, "neverIssued123", settings=client.app.state.settings,
                            now=dt.datetime.now(dt.timezone.utc)).to_text()
    refused = client.post("/api/auth/verify", json={"message": text, "signature": sign(owner, text)})
    assert refused.status_code == 401 and asked == [], "no node call for a nonce never issued"
    response = signed_in(client, wallet.address, owner)
    assert response.status_code == 200 and asked == [wallet.address]


def test_a_node_of_another_chain_is_not_asked(make_client, w3: Web3) -> None:  # type: ignore[no-untyped-def]
    owner = Account.create()
    wallet = evm.deploy_wallet(w3, owner.address)
    client = make_client(signin_rpc_url=RPC, chain_id=1)  # messages name mainnet; the node is the test chain
    refused = signed_in(client, wallet.address, owner)
    assert refused.status_code == 401 and f"serves chain {w3.eth.chain_id}, not 1" in refused.json()["detail"]
