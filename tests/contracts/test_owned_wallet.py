"""OwnedWallet, the test-only EIP-1271 contract wallet (contracts/test/OwnedWallet.sol), on
py-evm at the fork it was compiled for: isValidSignature answers the magic value 0x1626ba7e
for its owner's signature and 0xffffffff for anything else, without reverting."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_defunct
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3 import Web3
from web3.contract import Contract

from .. import evm

MAGIC_VALUE = bytes.fromhex("1626ba7e")  # bytes4(keccak256("isValidSignature(bytes32,bytes)"))
INVALID = bytes.fromhex("ffffffff")
ZERO_ADDRESS = "0x" + "00" * 20
# secp256k1's group order: s and n - s are both valid for one signature; OpenZeppelin takes the lower.
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
TEXT = "qa.example wants you to sign in with your Ethereum account"


@pytest.fixture(scope="module")
def artifact() -> dict[str, Any]:
    return evm.artifact(evm.OWNED_WALLET)


@pytest.fixture
def owner() -> LocalAccount:
    # A fresh key, not one of eth-tester's funded accounts: the wallet's owner never sends a
    # transaction, it only signs (as a Safe owner's key does).
    return Account.create()


@pytest.fixture
def stranger() -> LocalAccount:
    return Account.create()


def deploy(w3: Web3, artifact: dict[str, Any], owner: str) -> Contract:
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor(owner).transact({"from": w3.eth.accounts[0]}))
    assert receipt["status"] == 1
    return w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])


@pytest.fixture
def wallet(w3: Web3, artifact: dict[str, Any], owner: LocalAccount) -> Contract:
    return deploy(w3, artifact, owner.address)


def personal_sign(account: LocalAccount, text: str) -> tuple[bytes, bytes]:
    """(digest, 65-byte signature) of EIP-191 personal_sign, as a browser wallet signs SIWE."""
    signable = encode_defunct(text=text)
    message = text.encode()
    digest = keccak(b"\x19Ethereum Signed Message:\n" + str(len(message)).encode() + message)
    assert _hash_eip191_message(signable) == digest  # the digest the service will pass to the wallet
    return digest, bytes(account.sign_message(signable).signature)


def sign_hash(account: LocalAccount, digest: bytes) -> bytes:
    """A bare secp256k1 signature of `digest` (no EIP-191 prefix), with either eth-account API."""
    sign = getattr(Account, "unsafe_sign_hash", None) or Account._sign_hash  # unsafe_sign_hash: 0.13+
    return bytes(sign(digest, private_key=account.key).signature)


def is_valid(wallet: Contract, digest: bytes, signature: bytes) -> bytes:
    # A plain eth_call: a revert would raise here, so every answer below is also "no revert".
    return bytes(wallet.functions.isValidSignature(digest, signature).call())


def test_deploy_sets_the_owner(w3: Web3, artifact: dict[str, Any], wallet: Contract, owner: LocalAccount) -> None:
    assert artifact["contractName"] == "OwnedWallet"
    # The runtime code is the artifact's with the immutable owner filled in (the artifact has
    # zeros where the constructor writes it).
    code = w3.eth.get_code(wallet.address).to_0x_hex()
    slot = owner.address[2:].lower().rjust(64, "0")
    assert slot in code
    assert code.replace(slot, "0" * 64) == artifact["deployedBytecode"]
    assert wallet.functions.owner().call() == owner.address


def test_the_owners_signature_is_valid(wallet: Contract, owner: LocalAccount) -> None:
    digest, signature = personal_sign(owner, TEXT)
    assert is_valid(wallet, digest, signature) == MAGIC_VALUE


def test_a_strangers_signature_is_invalid(wallet: Contract, stranger: LocalAccount) -> None:
    digest, signature = personal_sign(stranger, TEXT)
    assert is_valid(wallet, digest, signature) == INVALID


def test_the_owners_signature_over_another_digest_is_invalid(wallet: Contract, owner: LocalAccount) -> None:
    digest, _ = personal_sign(owner, TEXT)
    _, other = personal_sign(owner, TEXT + " (nonce 2)")
    assert is_valid(wallet, digest, other) == INVALID


def test_a_raw_hash_signature_is_not_a_personal_sign(wallet: Contract, owner: LocalAccount) -> None:
    # The wallet checks the hash it is given: signing the digest of the text without the
    # EIP-191 prefix (eth_sign of a bare hash) does not pass for the prefixed digest.
    digest, _ = personal_sign(owner, TEXT)
    signature = sign_hash(owner, keccak(TEXT.encode()))
    assert is_valid(wallet, digest, signature) == INVALID
    assert is_valid(wallet, keccak(TEXT.encode()), signature) == MAGIC_VALUE


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"\x00" * 10,
        b"\x00" * 65,  # ecrecover finds no signer
        b"\xff" * 65,
        b"\x00" * 66,
        b"\x01" * 200,
    ],
    ids=["empty", "10 zero bytes", "65 zero bytes", "65 0xff bytes", "66 zero bytes", "200 bytes"],
)
def test_garbage_is_invalid_without_reverting(wallet: Contract, owner: LocalAccount, garbage: bytes) -> None:
    digest, _ = personal_sign(owner, TEXT)
    assert is_valid(wallet, digest, garbage) == INVALID


def test_a_valid_signature_with_a_byte_more_or_less_is_invalid(wallet: Contract, owner: LocalAccount) -> None:
    digest, signature = personal_sign(owner, TEXT)
    assert is_valid(wallet, digest, signature + b"\x00") == INVALID  # 66 bytes
    assert is_valid(wallet, digest, signature[:64]) == INVALID  # no v; OZ 5 takes no EIP-2098 short form


def test_a_bent_signature_of_the_owner_is_invalid(wallet: Contract, owner: LocalAccount) -> None:
    digest, signature = personal_sign(owner, TEXT)
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    assert v in (27, 28)
    # v as 0/1 (what some signers emit) is not recovered by ecrecover.
    assert is_valid(wallet, digest, r + s.to_bytes(32, "big") + bytes([v - 27])) == INVALID
    # The malleable twin (n - s, other v) recovers the owner in ecrecover; OpenZeppelin refuses it.
    twin = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])
    assert Account._recover_hash(digest, signature=twin) == owner.address
    assert is_valid(wallet, digest, twin) == INVALID


def test_a_wallet_owned_by_the_zero_address_accepts_nothing(w3: Web3, artifact: dict[str, Any]) -> None:
    # ecrecover answers address(0) for a signature it cannot recover; tryRecover turns that
    # into an error, so it never "matches" an owner of address(0).
    nobody = deploy(w3, artifact, ZERO_ADDRESS)
    assert is_valid(nobody, b"\x11" * 32, b"\x00" * 65) == INVALID
    assert is_valid(nobody, b"\x11" * 32, b"") == INVALID


def test_the_wallet_answers_a_raw_eth_call_with_a_padded_bytes4(w3: Web3, wallet: Contract, owner: LocalAccount) -> None:
    # What a service that does not decode through web3's ABI sees: 32 bytes, the magic value
    # left-aligned (EIP-1271 callers compare the first four bytes).
    digest, signature = personal_sign(owner, TEXT)
    data = wallet.encode_abi("isValidSignature", args=[digest, signature])
    assert bytes(w3.eth.call({"to": wallet.address, "data": data})) == MAGIC_VALUE + b"\x00" * 28
