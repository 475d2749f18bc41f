"""Sign-In with Ethereum (EIP-4361): parse, print and verify sign-in messages.

Our own implementation of the EIP-4361 grammar (the PyPI `siwe` package does not work with
current dependencies). URIs are checked with `rfc3986-validator`, EIP-55 addresses with
eth-utils, and signatures (EIP-191 personal_sign) are recovered with eth-account, which
uses coincurve's native secp256k1 when it is installed. Nothing here knows about HTTP.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import secrets
import string
from dataclasses import dataclass, field, fields, replace
from typing import Any, Callable

from eth_account import Account
from eth_account.messages import encode_defunct
from rfc3986_validator import validate_rfc3986

try:  # native secp256k1; eth-account (pure Python fallback) when it is missing
    import coincurve
    from Crypto.Hash.keccak import new as keccak_new
except ImportError:  # pragma: no cover
    coincurve = None  # type: ignore[assignment]

__all__ = ["SiweError", "SiweMessage", "generate_nonce", "recover_address", "parse_datetime"]

HEADER = " wants you to sign in with your Ethereum account:"
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+\-.]*$")
STATEMENT = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;= ]*$")
ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
NONCE = re.compile(r"^[A-Za-z0-9]{8,}$")
CHAIN_ID = re.compile(r"^[0-9]+$")
REQUEST_ID = re.compile(r"^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})*$")
DATE_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2}))$"
)
NONCE_ALPHABET = string.ascii_letters + string.digits


class SiweError(ValueError):
    """A message that breaks the EIP-4361 grammar or fails verification; says which part."""


def generate_nonce(length: int = 17) -> str:
    """A fresh random nonce of letters and digits (EIP-4361 asks for at least 8)."""
    if length < 8:
        raise ValueError("a nonce has at least 8 characters")
    # 8 random bits per character for ~5.95 bits of base-62 digit: uniform to within 2**-35.
    number = int.from_bytes(secrets.token_bytes(length))
    digits = []
    for _ in range(length):
        number, digit = divmod(number, 62)
        digits.append(NONCE_ALPHABET[digit])
    return "".join(digits)


def parse_datetime(value: str, what: str = "time") -> dt.datetime:
    """An RFC 3339 date-time, checked for real dates and times, as an aware datetime."""
    match = DATE_TIME.match(value)
    if not match:
        raise SiweError(f"{what} is not an RFC 3339 date-time: {value!r}")
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    fraction = match.group(7) or ""
    if match.group(8) in ("Z", "z"):
        offset = dt.timedelta(0)
    else:
        off_h, off_m = int(match.group(10)), int(match.group(11))
        if off_h > 23 or off_m > 59:
            raise SiweError(f"{what} has an impossible UTC offset: {value!r}")
        offset = dt.timedelta(hours=off_h, minutes=off_m) * (-1 if match.group(9) == "-" else 1)
    leap = second == 60
    try:
        moment = dt.datetime(year, month, day, hour, minute, 59 if leap else second,
                             int((fraction[1:] + "000000")[:6] or 0), tzinfo=dt.timezone(offset))
    except ValueError:
        raise SiweError(f"{what} is not a real date and time: {value!r}") from None
    return moment + dt.timedelta(seconds=1) if leap else moment


# A service sees the same few domains and URIs in every message: remember the verdicts.
@functools.lru_cache(maxsize=1024)
def _is_uri(value: str) -> bool:
    return bool(value) and bool(validate_rfc3986(value, rule="URI"))


@functools.lru_cache(maxsize=1024)
def _is_authority(value: str) -> bool:
    """domain = RFC 3986 authority: [userinfo "@"] host [":" port]."""
    return bool(value) and not any(c in value for c in "/?#") and bool(validate_rfc3986(f"x://{value}", rule="URI"))


def _check_uri(value: str, what: str) -> None:
    if not _is_uri(value):
        raise SiweError(f"{what} is not an RFC 3986 URI: {value!r}")


def _check_authority(value: str) -> None:
    if not _is_authority(value):
        raise SiweError(f"domain is not an RFC 3986 authority: {value!r}")


def _keccak(data: bytes) -> bytes:
    return keccak_new(digest_bits=256, data=data).digest()


def _checksum(address: bytes) -> str:
    """EIP-55 mixed-case spelling of a 20-byte address."""
    plain = address.hex()
    digest = _keccak(plain.encode()).hex()
    return "0x" + "".join([c.upper() if d in "89abcdef" else c for c, d in zip(plain, digest, strict=False)])


def eip191_digest(text: str) -> bytes:
    """The hash a personal_sign signature of `text` signs (EIP-191 version 0x45); what an
    EIP-1271 contract wallet is asked about."""
    message = text.encode("utf-8")
    return _keccak(b"\x19Ethereum Signed Message:\n" + str(len(message)).encode() + message)


# Asks a contract wallet (EIP-1271) whether it signed: (address, digest, signature) -> bool.
ContractWallet = Callable[[str, bytes, bytes], bool]


def _recover_native(text: str, raw: bytes) -> bytes:
    """coincurve's secp256k1 directly: a third of eth-account's time for the same answer."""
    digest = eip191_digest(text)
    try:
        public = coincurve.PublicKey.from_signature_and_message(raw[:64] + bytes([raw[64] - 27]), digest, hasher=None)
    except Exception as exc:  # coincurve raises ValueError / its own errors for bad signatures
        raise SiweError(f"signature cannot be recovered: {exc}") from None
    return _keccak(public.format(compressed=False)[1:])[-20:]


def recover_address(text: str, signature: str | bytes) -> str:
    """The EIP-55 address that made an EIP-191 personal_sign signature of text."""
    return _checksum(_signer(text, signature))


def _any_bytes(signature: str | bytes) -> bytes | None:
    """A signature of any length (contract wallets make their own shapes), or None if it is
    not hex."""
    if isinstance(signature, bytes):
        return signature
    hex_part = signature[2:] if signature[:2] in ("0x", "0X") else signature
    return bytes.fromhex(hex_part) if re.fullmatch(r"(?:[0-9a-fA-F]{2})+", hex_part) else None


def _signer(text: str, signature: str | bytes) -> bytes:
    """The 20 bytes of the address that made an EIP-191 personal_sign signature of text."""
    if isinstance(signature, str):
        hex_part = signature[2:] if signature[:2] in ("0x", "0X") else signature
        if not re.fullmatch(r"[0-9a-fA-F]{130}", hex_part):
            raise SiweError("signature must be 65 bytes of hex (0x + 130 hex digits)")
        raw = bytes.fromhex(hex_part)
    else:
        raw = bytes(signature)
        if len(raw) != 65:
            raise SiweError("signature must be 65 bytes")
    if raw[64] in (0, 1):  # some wallets give the recovery id without the +27
        raw = raw[:64] + bytes([raw[64] + 27])
    if raw[64] not in (27, 28):
        raise SiweError("signature has an invalid recovery byte (v must be 27 or 28)")
    if coincurve is not None:
        return _recover_native(text, raw)
    try:
        return bytes.fromhex(Account.recover_message(encode_defunct(text=text), signature=raw)[2:])
    except Exception as exc:  # eth-keys raises several types for bad signatures
        raise SiweError(f"signature cannot be recovered: {exc}") from None


@dataclass(frozen=True)
class SiweMessage:
    domain: str
    address: str
    uri: str
    version: str
    chain_id: int
    nonce: str
    issued_at: str
    statement: str | None = None
    scheme: str | None = None
    expiration_time: str | None = None
    not_before: str | None = None
    request_id: str | None = None
    resources: list[str] | None = field(default=None)

    def __post_init__(self) -> None:
        if self.resources is not None:
            if isinstance(self.resources, str) or not all(isinstance(r, str) for r in self.resources):
                raise SiweError("resources must be a list of URIs")
            object.__setattr__(self, "resources", list(self.resources))
        self.validate()

    # --- grammar -----------------------------------------------------------------------

    def validate(self) -> None:
        """Raise SiweError unless every field follows the EIP-4361 grammar."""
        if self.scheme is not None and not SCHEME.match(self.scheme):
            raise SiweError(f"scheme is not an RFC 3986 scheme: {self.scheme!r}")
        if not isinstance(self.domain, str):
            raise SiweError("domain is missing")
        _check_authority(self.domain)
        if not isinstance(self.address, str) or not ADDRESS.match(self.address):
            raise SiweError(f"address is not 0x followed by 40 hex digits: {self.address!r}")
        if _checksum(bytes.fromhex(self.address[2:])) != self.address:
            raise SiweError(f"address not EIP-55 (mixed-case checksum): {self.address!r}")
        if self.statement is not None and (not isinstance(self.statement, str) or not STATEMENT.match(self.statement)):
            raise SiweError("statement may hold only letters, digits, spaces and URI punctuation, on one line")
        _check_uri(self.uri if isinstance(self.uri, str) else "", "uri")
        if self.version != "1":
            raise SiweError(f"version must be 1, not {self.version!r}")
        if isinstance(self.chain_id, bool) or not isinstance(self.chain_id, int) or self.chain_id < 0:
            raise SiweError(f"chain id must be a non-negative integer, not {self.chain_id!r}")
        if not isinstance(self.nonce, str) or not NONCE.match(self.nonce):
            raise SiweError("nonce must be at least 8 letters or digits")
        if not isinstance(self.issued_at, str):
            raise SiweError("issued-at is missing")
        self.times  # noqa: B018 -- parses and checks the three times once
        if self.request_id is not None and not REQUEST_ID.match(self.request_id):
            raise SiweError(f"request id has characters outside RFC 3986 pchar: {self.request_id!r}")
        for resource in self.resources or ():
            _check_uri(resource, "resource")

    @classmethod
    def from_fields(cls, data: dict[str, Any]) -> "SiweMessage":
        """From a dict with EIP-4361 field names in snake_case or camelCase."""
        names = {f.name for f in fields(cls)}
        camel = {"chainId": "chain_id", "issuedAt": "issued_at", "expirationTime": "expiration_time",
                 "notBefore": "not_before", "requestId": "request_id"}
        values = {camel.get(k, k): v for k, v in data.items()}
        missing = [n for n in ("domain", "address", "uri", "version", "chain_id", "nonce", "issued_at") if n not in values]
        if missing:
            raise SiweError(f"missing field: {missing[0]}")
        unknown = set(values) - names
        if unknown:
            raise SiweError(f"unknown field: {sorted(unknown)[0]}")
        return cls(**values)

    @classmethod
    def parse(cls, text: str) -> "SiweMessage":
        if not isinstance(text, str):
            raise SiweError("a sign-in message is text")
        lines = text.split("\n")
        position = 0

        def take(label: str, what: str, *, optional: bool = False) -> str | None:
            nonlocal position
            if position < len(lines) and lines[position].startswith(label):
                position += 1
                return lines[position - 1][len(label):]
            if optional:
                return None
            raise SiweError(f"expected {what} at line {position + 1} (a line starting with {label!r})")

        first = lines[0]
        if not first.endswith(HEADER):
            raise SiweError(f"line 1 must end with {HEADER.strip()!r}")
        origin = first[: -len(HEADER)]
        scheme = None
        if "://" in origin:
            scheme, origin = origin.split("://", 1)
        position = 1
        if len(lines) < 2:
            raise SiweError("missing address on line 2")
        address = lines[1]
        position = 2
        if position >= len(lines) or lines[position] != "":
            raise SiweError("expected an empty line after the address")
        position += 1
        statement: str | None
        if position + 1 < len(lines) and lines[position] == "" and lines[position + 1].startswith("URI: "):
            statement = None
            position += 1
        else:
            if position + 1 >= len(lines) or lines[position + 1] != "":
                raise SiweError("expected a one-line statement followed by an empty line")
            statement = lines[position]
            position += 2
        uri = take("URI: ", "URI")
        version = take("Version: ", "version")
        chain = take("Chain ID: ", "chain id")
        nonce = take("Nonce: ", "nonce")
        issued_at = take("Issued At: ", "issued-at")
        expiration = take("Expiration Time: ", "expiration-time", optional=True)
        not_before = take("Not Before: ", "not-before", optional=True)
        request_id = take("Request ID: ", "request id", optional=True)
        resources: list[str] | None = None
        if position < len(lines) and lines[position] == "Resources:":
            position += 1
            resources = []
            while position < len(lines) and lines[position].startswith("- "):
                resources.append(lines[position][2:])
                position += 1
        if position != len(lines):
            raise SiweError(f"unexpected text at line {position + 1}: {lines[position][:40]!r} (fields out of order?)")
        if not chain or not CHAIN_ID.match(chain):
            raise SiweError(f"chain id must be a decimal number, not {chain!r}")
        message = cls(
            scheme=scheme, domain=origin, address=address, statement=statement, uri=uri or "",
            version=version or "", chain_id=int(chain), nonce=nonce or "", issued_at=issued_at or "",
            expiration_time=expiration, not_before=not_before, request_id=request_id,
            resources=resources,
        )
        if message.to_text() != text:
            raise SiweError("the message does not print back to the same text (stray spaces or line endings?)")
        return message

    def to_text(self) -> str:
        origin = f"{self.scheme}://{self.domain}" if self.scheme else self.domain
        parts = [f"{origin}{HEADER}", self.address, ""]
        # Without a statement the grammar leaves two empty lines before the URI.
        parts += [self.statement, ""] if self.statement is not None else [""]
        parts += [
            f"URI: {self.uri}", f"Version: {self.version}", f"Chain ID: {self.chain_id}",
            f"Nonce: {self.nonce}", f"Issued At: {self.issued_at}",
        ]
        if self.expiration_time is not None:
            parts.append(f"Expiration Time: {self.expiration_time}")
        if self.not_before is not None:
            parts.append(f"Not Before: {self.not_before}")
        if self.request_id is not None:
            parts.append(f"Request ID: {self.request_id}")
        if self.resources is not None:
            parts.append("Resources:")
            parts += [f"- {r}" for r in self.resources]
        return "\n".join(parts)

    @functools.cached_property
    def times(self) -> tuple[dt.datetime, dt.datetime | None, dt.datetime | None]:
        """(issued-at, expiration-time, not-before) as aware datetimes, parsed once."""
        return (
            parse_datetime(self.issued_at, "issued-at"),
            None if self.expiration_time is None else parse_datetime(self.expiration_time, "expiration-time"),
            None if self.not_before is None else parse_datetime(self.not_before, "not-before"),
        )

    # --- verification ------------------------------------------------------------------

    def verify(
        self,
        signature: str | bytes,
        *,
        domain: str | None = None,
        nonce: str | None = None,
        now: dt.datetime | None = None,
        chain_id: int | None = None,
        uri: str | None = None,
        scheme: str | None = None,
        skew: dt.timedelta = dt.timedelta(0),
        contract_wallet: ContractWallet | None = None,
    ) -> None:
        """Raise SiweError unless the message is bound to what was asked, is valid at `now`
        (allowing `skew` either way), and was signed by its address: by its key, or, when
        that fails and `contract_wallet` is given, by the contract at the address (EIP-1271:
        Safe, Argent and other smart accounts sign with signatures of their own shape)."""
        if domain is not None and self.domain != domain:
            raise SiweError(f"domain {self.domain!r} is not {domain!r}: this message was made for another site")
        if scheme is not None and self.scheme not in (None, scheme):
            raise SiweError(f"scheme {self.scheme!r} is not {scheme!r}")
        if uri is not None and self.uri != uri:
            raise SiweError(f"uri {self.uri!r} is not {uri!r}")
        if chain_id is not None and self.chain_id != chain_id:
            raise SiweError(f"chain id {self.chain_id} is not {chain_id}")
        if nonce is not None and self.nonce != nonce:
            raise SiweError("nonce does not match the one issued")
        moment = now or dt.datetime.now(dt.timezone.utc)
        if moment.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        _issued, expires, not_before = self.times
        if expires is not None and moment - skew >= expires:
            raise SiweError("message expired: sign in again")
        if not_before is not None and moment + skew < not_before:
            raise SiweError("message not yet valid (not-before is in the future)")
        text = self.to_text()
        try:
            if _signer(text, signature) == bytes.fromhex(self.address[2:]):
                return
            failure = SiweError("signature does not match the address in the message")
        except SiweError as error:
            failure = error
        raw = _any_bytes(signature)
        if contract_wallet is None or raw is None or not contract_wallet(self.address, eip191_digest(text), raw):
            raise failure

    def with_(self, **changes: Any) -> "SiweMessage":
        return replace(self, **changes)

