"""The way to an Ethereum node (web3.py, the `chain` extra), shared by minting and by
sign-in with contract wallets: connecting, what a node's failures look like, and the
EIP-1271 question "did this contract sign that?"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import AuthError
from .siwe import ContractWallet

if TYPE_CHECKING:
    from web3 import Web3

EIP1271_MAGIC = bytes.fromhex("1626ba7e")  # isValidSignature(bytes32,bytes)'s selector, and its "yes"


def connect(rpc_url: str) -> Web3:
    from web3 import HTTPProvider, Web3

    return Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": 60}))


def _node_errors() -> tuple[type[BaseException], ...]:
    """What a node or the way to it can raise: web3's own errors, HTTP and socket failures,
    and JSON-RPC errors (web3 raises ValueError for some)."""
    try:
        from requests import RequestException
        from web3.exceptions import Web3Exception
    except ImportError:  # the chain extra is not installed: callers say so before any call
        return (OSError, ValueError)
    return (Web3Exception, RequestException, OSError, ValueError)


def _reverts() -> tuple[type[BaseException], ...]:
    try:
        from web3.exceptions import ContractLogicError
    except ImportError:
        return ()
    return (ContractLogicError,)  # ContractCustomError and ContractPanicError are ContractLogicErrors


NODE_ERRORS = _node_errors()
REVERTS = _reverts()


def contract_wallets(w3: Web3, *, chain_id: int) -> ContractWallet:
    """EIP-1271 through `w3`: the contract at an address signed a digest if its
    isValidSignature(digest, signature) answers the magic value. An address without code
    (a plain key) or a contract that reverts has not signed; a node that cannot be reached,
    or that serves another chain than the messages name, refuses the sign-in with the
    reason (AuthError)."""
    from eth_abi import encode

    served: list[int] = []  # the node's chain id, asked once

    def signed(address: str, digest: bytes, signature: bytes) -> bool:
        try:
            if not served:
                served.append(int(w3.eth.chain_id))
            if served[0] != chain_id:
                raise AuthError(f"sign-in refused: the node at QA_SIGNIN_RPC_URL serves chain {served[0]}, "
                                f"not {chain_id} (QA_CHAIN_ID): contract wallets cannot be asked")
            wallet = w3.to_checksum_address(address)
            if not w3.eth.get_code(wallet):
                return False
            answer = w3.eth.call({"to": wallet, "data": EIP1271_MAGIC + encode(["bytes32", "bytes"], [digest, signature])})
        except REVERTS:
            return False
        except NODE_ERRORS as error:
            raise AuthError(f"sign-in refused: could not ask the contract wallet {address} ({type(error).__name__}); "
                            "try again later") from None
        return bytes(answer[:4]) == EIP1271_MAGIC

    return signed
