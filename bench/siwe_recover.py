"""Sign-in message costs: parse + print, and EIP-191 signature recovery with coincurve's
native secp256k1 against eth-keys' pure-Python backend, in the same run.

    .venv/bin/python bench/siwe_recover.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import time

from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_defunct
from eth_keys.datatypes import Signature
from eth_keys.backends import CoinCurveECCBackend, NativeECCBackend

from qa_service.siwe import SiweMessage, generate_nonce, recover_address


def per_call(fn, rounds: int) -> float:  # type: ignore[no-untyped-def]
    """Median µs per call over 5 batches."""
    batches = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(rounds):
            fn()
        batches.append((time.perf_counter() - start) / rounds * 1e6)
    return statistics.median(batches)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=400)
    rounds = parser.parse_args().rounds
    account = Account.create()
    message = SiweMessage(domain="blog.example", address=account.address, uri="https://blog.example/ask", version="1",
                          chain_id=1, nonce=generate_nonce(), issued_at="2026-11-22T12:00:00Z",
                          statement="Sign in to ask the author a question.")
    text = message.to_text()
    signed = account.sign_message(encode_defunct(text=text))
    signature = signed.signature
    digest = _hash_eip191_message(encode_defunct(text=text))
    raw = signature[:64] + bytes([signature[64] - 27])

    def recover_with(backend) -> str:  # type: ignore[no-untyped-def]
        return Signature(raw, backend=backend).recover_public_key_from_msg_hash(digest).to_checksum_address()

    native, coincurve = NativeECCBackend(), CoinCurveECCBackend()
    assert recover_with(native) == recover_with(coincurve) == account.address
    rows = [
        ("parse + to_text (SiweMessage)", per_call(lambda: SiweMessage.parse(text).to_text(), rounds)),
        ("eth-keys recovery, coincurve backend", per_call(lambda: recover_with(coincurve), rounds)),
        ("eth-keys recovery, pure-Python backend", per_call(lambda: recover_with(native), max(20, rounds // 20))),
        ("eth-account Account.recover_message", per_call(lambda: Account.recover_message(encode_defunct(text=text), signature=signature), rounds)),
        ("ours: recover_address (coincurve directly; verify skips its EIP-55 spelling)", per_call(lambda: recover_address(text, signature), rounds)),
        ("verify (parse + checks + recovery)", per_call(lambda: SiweMessage.parse(text).verify(signature), rounds)),
    ]
    print("| operation | µs per call |")
    print("|---|---:|")
    for name, micros in rows:
        print(f"| {name} | {micros:,.1f} |")
    print(f"\ncoincurve is {rows[2][1] / rows[1][1]:.0f}x faster than pure Python; ours is {rows[3][1] / rows[4][1]:.1f}x "
          f"faster than eth-account's; target < 150 µs per recovery: {'met' if rows[4][1] < 150 else 'MISSED'}")


if __name__ == "__main__":
    main()
