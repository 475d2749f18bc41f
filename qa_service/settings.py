"""Service settings: one typed object built from QA_* environment variables (or a .env
file) at the edge and passed to `create_app`; nothing reads the environment elsewhere."""

from __future__ import annotations

import base64
import math
import re
import secrets
import warnings
import zlib
from collections import Counter
from functools import cached_property
from urllib.parse import urlsplit

from eth_utils import is_address, to_checksum_address
from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def new_secret() -> str:
    """32 random bytes as 64 hex digits: what `qa-service secret` prints."""
    return secrets.token_hex(32)


def secret_bytes(value: str) -> bytes:
    """The key's bytes: hex and base64 (url-safe or not) are decoded, anything else is taken as UTF-8."""
    text = value.strip()
    if re.fullmatch(r"(?:[0-9a-fA-F]{2})+", text):
        return bytes.fromhex(text)
    if re.fullmatch(r"[A-Za-z0-9+/_-]+={0,2}", text):
        try:
            return base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_") + "=" * (-len(text) % 4))
        except ValueError:
            pass
    return text.encode()


def strong_secret(value: str) -> bool:
    """At least 32 bytes, and random-looking: a key must not be guessable from the public list
    of NFT holders. The test is the characters' empirical entropy (>= 128 bits in all, >= 3.5
    bits a character) and its compressibility (a repeated pattern shrinks), which a short
    word, a repeated pattern or a padded string fails and a key from `qa-service secret`,
    `openssl rand -hex 32` or `-base64 32` passes."""
    if len(secret_bytes(value)) < 32:
        return False
    counts = Counter(value)
    per_char = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
    repeats = len(zlib.compress(value.encode(), 9)) < 0.8 * len(value)
    return per_char >= 3.5 and per_char * len(value) >= 128 and not repeats


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QA_", env_file=".env", extra="ignore", frozen=True)

    database_url: str = "sqlite:///qa.sqlite3"
    domain: str = "127.0.0.1:8001"  # what a sign-in message must name as its domain
    uri: str = "http://127.0.0.1:8001"  # ... and as its URI
    chain_id: int = 1
    admin_addresses: str = ""  # comma-separated; they review and answer
    secret_key: str = ""  # keys the dataset's pseudonyms: at least 32 random bytes (`qa-service secret` makes one)
    site_url: str | None = None  # the blog, for a link back

    session_ttl_seconds: int = 7 * 24 * 3600
    nonce_ttl_seconds: int = 600
    clock_skew_seconds: int = 60
    max_body_bytes: int = 64 * 1024
    max_question_chars: int = 4000
    max_answer_chars: int = 20000
    max_alternatives: int = 8

    # Requests per minute: per client IP (every call), per signed-in address (writes).
    rate_ip_per_minute: int = 600
    rate_nonce_per_minute: int = 60
    rate_address_per_minute: int = 60
    redis_url: str | None = None  # redis://host:port/db: rate limits shared by every process and instance
    redis_prefix: str = "qa:rate:"  # the limits' keys in Redis (one prefix per service sharing a server)

    # What `qa-service serve` accepts of a connection before the app sees it (see serve.py).
    max_header_bytes: int = 16 * 1024  # request line and headers together; 431 over it
    header_timeout_seconds: float = 15.0  # to send the request line and headers; closed after it
    max_connections: int = 1000  # open connections per process; more are closed at once

    # Credits for an answered question: base + (question chars + answer chars) // chars_per_credit,
    # at most credits_max.
    credits_base: int = 10
    credits_chars_per_credit: int = 20
    credits_max: int = 500

    signin_rpc_url: str | None = None  # a node of chain_id: sign-in for contract wallets (EIP-1271)
    nft_collection: str = "Automata answers"  # the NFTs' name before "#<id>", in metadata and images
    rpc_url: str | None = None
    minter_key: str | None = None
    nft_contract: str | None = None

    # The automaton: readers talk to a model of the author served by any OpenAI-compatible
    # server (vLLM, llama.cpp's server, Ollama, `transformers serve`). Unset URL: no automaton.
    automaton_url: str | None = None  # base URL; the service calls {URL}/v1/chat/completions
    automaton_model: str = "automaton"  # the `model` the server knows it as
    automaton_key: str | None = None  # sent as a bearer token, when the server wants one
    automaton_timeout: float = 60.0  # seconds for one reply's candidates, all calls together
    automaton_candidates: int = 3  # candidates per reply, among which the reader picks
    automaton_price: int = 1  # credits per reply (not per candidate)
    automaton_daily_limit: int = 50  # replies per asker per UTC day; 0: no limit
    automaton_max_tokens: int = 256  # `max_tokens` asked of the server per candidate
    automaton_system: str | None = None  # the system turn: the author's voice (as `export --system`)
    automaton_adapters: str | None = None  # a prefix: a reader's model is <prefix><his asker pseudonym>

    @field_validator("admin_addresses")
    @classmethod
    def _admins_are_addresses(cls, value: str) -> str:
        for item in filter(None, (part.strip() for part in value.split(","))):
            if not is_address(item):
                raise ValueError(f"QA_ADMIN_ADDRESSES: {item!r} is not an Ethereum address")
        return value

    @field_validator("secret_key")
    @classmethod
    def _secret_is_strong(cls, value: str) -> str:
        if value and not strong_secret(value):
            raise ValueError("QA_SECRET_KEY must be at least 32 random bytes (64 hex digits or 43 base64 characters); "
                             "`qa-service secret` prints a new one")
        return value

    @field_validator("uri")
    @classmethod
    def _uri_is_absolute(cls, value: str) -> str:
        if urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc:
            raise ValueError(f"QA_URI must be an absolute http(s) URL, got {value!r}")
        return value.rstrip("/")

    @field_validator("automaton_url")
    @classmethod
    def _automaton_url(cls, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise ValueError(f"QA_AUTOMATON_URL must be the http(s) base URL of an OpenAI-compatible server, such as "
                             f"http://127.0.0.1:8000 (the service adds /v1/chat/completions), got {value!r}")
        base = value.strip().rstrip("/")
        return base.removesuffix("/v1")

    @field_validator("automaton_model")
    @classmethod
    def _automaton_model(cls, value: str) -> str:
        if not value.strip() or len(value) > 200 or any(c.isspace() for c in value.strip()):
            raise ValueError(f"QA_AUTOMATON_MODEL must be the model's name on the server (1-200 characters, no spaces), "
                             f"got {value!r}")
        return value.strip()

    @field_validator("automaton_timeout")
    @classmethod
    def _automaton_timeout(cls, value: float) -> float:
        if not 0 < value <= 3600:
            raise ValueError(f"QA_AUTOMATON_TIMEOUT must be seconds above 0 and at most 3600, got {value}")
        return value

    @field_validator("automaton_candidates")
    @classmethod
    def _automaton_candidates(cls, value: int) -> int:
        if not 1 <= value <= 8:
            raise ValueError(f"QA_AUTOMATON_CANDIDATES must be from 1 to 8 (the reader reads them all), got {value}")
        return value

    @field_validator("automaton_price")
    @classmethod
    def _automaton_price(cls, value: int) -> int:
        if not 1 <= value <= 1_000_000:
            raise ValueError(f"QA_AUTOMATON_PRICE must be a whole number of credits from 1 to 1000000, got {value}")
        return value

    @field_validator("automaton_daily_limit")
    @classmethod
    def _automaton_daily_limit(cls, value: int) -> int:
        if value < 0:
            raise ValueError(f"QA_AUTOMATON_DAILY_LIMIT must be 0 (no limit) or more replies a day, got {value}")
        return value

    @field_validator("automaton_max_tokens")
    @classmethod
    def _automaton_max_tokens(cls, value: int) -> int:
        if not 1 <= value <= 100_000:
            raise ValueError(f"QA_AUTOMATON_MAX_TOKENS must be from 1 to 100000, got {value}")
        return value

    @field_validator("automaton_adapters")
    @classmethod
    def _automaton_adapters(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not re.fullmatch(r"[A-Za-z0-9._:/-]{1,100}", value.strip()):
            raise ValueError(f"QA_AUTOMATON_ADAPTERS must be an adapter-name prefix of letters, digits and . _ : / - "
                             f"(at most 100), such as reader-; got {value!r}")
        return value.strip()

    @property
    def automaton(self) -> bool:
        """Whether readers can talk to the author's model (QA_AUTOMATON_URL is set)."""
        return self.automaton_url is not None

    @cached_property
    def admins(self) -> frozenset[str]:
        return frozenset(to_checksum_address(a.strip()) for a in self.admin_addresses.split(",") if a.strip())

    @cached_property
    def key(self) -> bytes:
        if self.secret_key:
            return secret_bytes(self.secret_key)
        warnings.warn("QA_SECRET_KEY is not set: using a random key for this process only", RuntimeWarning, stacklevel=2)
        return secrets.token_bytes(32)

    @property
    def origin(self) -> str:
        """scheme://host[:port] of the service, from QA_URI: what browsers send as Origin."""
        parts = urlsplit(self.uri)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def secure_cookies(self) -> bool:
        host = urlsplit(self.uri).hostname or ""
        return urlsplit(self.uri).scheme == "https" or host not in ("localhost", "127.0.0.1", "::1")
