"""Answer NFTs on chain (`qa-service deploy-nft`, `qa-service mint`): deploy the AnswerNFT
contract (contracts/, compiled into contracts/AnswerNFT.json beside this module), and mint
every answered question's token to its asker, in batches, recording each mint in `mints`
once its transaction is in a block.

Nothing is ever minted twice: the contract refuses an id that exists; a token recorded in
`mints` is skipped; a token found on chain but not recorded (the process died between
sending and recording) is recorded without sending. Transactions are signed here with the
minter's key (QA_MINTER_KEY) and sent raw, so any JSON-RPC node will do.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select

from .db import InsertIgnore, writing
from .errors import ServiceError
from .models import MINTS, QUESTIONS

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from web3 import Web3

RECORD = InsertIgnore(MINTS)


class ChainError(ServiceError):
    """A transaction failed or the node refused it: nothing was recorded for it."""


@dataclass(frozen=True)
class Minted:
    token_id: int
    owner: str
    tx_hash: str  # "" when found on chain already (minted by an earlier run that died)


@lru_cache(maxsize=1)
def artifact() -> dict[str, Any]:
    return json.loads(Path(__file__).with_name("contracts").joinpath("AnswerNFT.json").read_text(encoding="utf-8"))


HINTS = {
    "OwnableUnauthorizedAccount": "QA_MINTER_KEY must be the key of the contract's owner (who deployed it)",
    "ERC721InvalidSender": "a token id is minted already",
}


def explain(revert_data: str) -> str:
    """A revert's custom error as `Name(args)` from the contract's ABI, with what to do."""
    from eth_abi import decode
    from eth_utils import function_signature_to_4byte_selector

    data = bytes.fromhex(revert_data.removeprefix("0x"))
    for item in artifact()["abi"]:
        if item["type"] != "error":
            continue
        types = [field["type"] for field in item["inputs"]]
        if data[:4] == function_signature_to_4byte_selector(f"{item['name']}({','.join(types)})"):
            args = ", ".join(str(value) for value in decode(types, data[4:]))
            hint = HINTS.get(item["name"])
            return f"the contract refused: {item['name']}({args})" + (f"; {hint}" if hint else "")
    return f"the contract refused (revert data {revert_data or 'empty'})"


def _send(w3: Web3, minter: LocalAccount, call: Any) -> dict[str, Any]:
    """Sign `call` (a contract function or constructor call) with the minter's key, send it,
    and wait for its receipt; ChainError if it reverts."""
    tx = call.build_transaction({"from": minter.address, "chainId": w3.eth.chain_id,
                                 "nonce": w3.eth.get_transaction_count(minter.address, "pending")})
    signed = minter.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = dict(w3.eth.wait_for_transaction_receipt(tx_hash, timeout=300))
    if receipt["status"] != 1:
        raise ChainError(f"transaction 0x{bytes(tx_hash).hex()} reverted: nothing recorded; check the minter and the contract")
    return receipt


def deploy(w3: Web3, minter: LocalAccount, *, name: str, symbol: str, base_uri: str) -> str:
    """A new AnswerNFT owned by the minter; returns its address."""
    factory = w3.eth.contract(abi=artifact()["abi"], bytecode=artifact()["bytecode"])
    receipt = _send(w3, minter, factory.constructor(name, symbol, base_uri, minter.address))
    return str(receipt["contractAddress"])


def unminted(engine: Engine) -> list[tuple[int, str]]:
    """(token id, asker) of every answered question not yet recorded as minted, oldest first."""
    query = (select(QUESTIONS.c.token_id, QUESTIONS.c.asker)
             .where(QUESTIONS.c.status == "answered", QUESTIONS.c.token_id.is_not(None),
                    ~select(MINTS.c.token_id).where(MINTS.c.token_id == QUESTIONS.c.token_id).exists())
             .order_by(QUESTIONS.c.token_id))
    with engine.connect() as db:
        return [(int(row.token_id), str(row.asker)) for row in db.execute(query)]


def mint_pending(engine: Engine, w3: Web3, minter: LocalAccount, *, contract_address: str, now: dt.datetime,
                 batch: int = 20) -> list[Minted]:
    """Mint every unminted answer's token to its asker, `batch` tokens a transaction."""
    from web3 import Web3

    contract = w3.eth.contract(address=Web3.to_checksum_address(contract_address), abi=artifact()["abi"])
    chain_id = w3.eth.chain_id
    done: list[Minted] = []
    strangers: list[tuple[Minted, str]] = []
    todo = unminted(engine)
    for start in range(0, len(todo), batch):
        chunk = todo[start:start + batch]
        on_chain = contract.functions.minted([token_id for token_id, _asker in chunk]).call()
        found = [(Minted(token_id, str(contract.functions.ownerOf(token_id).call()), ""), asker)
                 for (token_id, asker), there in zip(chunk, on_chain, strict=True) if there]
        # A token on chain is recorded only as its own asker's: one held by anyone else was
        # minted for another question (a database restored from an old backup, or another
        # service's records), and recording it would give this asker's token to that holder.
        already = [token for token, asker in found if token.owner == asker]
        strangers += [(token, asker) for token, asker in found if token.owner != asker]
        fresh = [(token_id, asker) for (token_id, asker), there in zip(chunk, on_chain, strict=True) if not there]
        minted: list[Minted] = []
        if fresh:
            receipt = _send(w3, minter, contract.functions.mintBatch([a for _t, a in fresh], [t for t, _a in fresh]))
            tx_hash = "0x" + bytes(receipt["transactionHash"]).hex()
            minted = [Minted(token_id, asker, tx_hash) for token_id, asker in fresh]
        _record(engine, already + minted, chain_id=chain_id, contract=contract.address, now=now)
        done += already + minted
    if strangers:
        listed = "; ".join(f"token {token.token_id} is held by {token.owner}, not its asker {asker}" for token, asker in strangers)
        raise ChainError(f"{listed}: not recorded, nothing sent for them ({len(done)} other token(s) done); "
                         "check that QA_NFT_CONTRACT and the database belong together")
    return done


def _record(engine: Engine, mints: list[Minted], *, chain_id: int, contract: str, now: dt.datetime) -> None:
    if not mints:
        return
    with writing(engine) as db:
        db.execute(RECORD.on(db), [{"token_id": m.token_id, "chain_id": chain_id, "contract": contract, "owner": m.owner,
                             "tx_hash": m.tx_hash, "minted_at": now} for m in mints])
