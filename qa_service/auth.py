"""Sign-In with Ethereum for the service: single-use nonces, verification of the signed
message against this service's domain, URI and chain, and revocable sessions.

Tokens are random; only their SHA-256 is stored, so a database leak opens no session.
Statements are built once, here: SQLAlchemy then reuses their compiled form and cache key,
and a call only binds parameters (building them per call cost three times the statements'
own run time on SQLite).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import Engine, bindparam, delete, insert, select, update

from .db import AsyncStatements, single_statement
from .errors import AuthError
from .models import SIGN_INS
from .settings import Settings
from .siwe import ContractWallet, SiweError, SiweMessage, generate_nonce

ADD_NONCE = insert(SIGN_INS)
# Nonces never used, and sessions, a day after they expired. Both are found through the
# index on nonce_expires_at: a session ends at most session_ttl after its nonce's expiry.
FORGET_EXPIRED = delete(SIGN_INS).where(
    SIGN_INS.c.nonce_expires_at < bindparam("unused_before"),
    SIGN_INS.c.token_hash.is_(None) | (SIGN_INS.c.nonce_expires_at < bindparam("sessions_before")),
)
# Signing in: burns the nonce and opens the session in one conditional UPDATE, so of two
# requests carrying the same message (even in two processes) exactly one matches.
OPEN_SESSION = (
    update(SIGN_INS)
    .where(SIGN_INS.c.nonce == bindparam("issued"), SIGN_INS.c.token_hash.is_(None),
           SIGN_INS.c.nonce_expires_at > bindparam("now"))
    .values(token_hash=bindparam("hash"), address=bindparam("signer"), signed_in_at=bindparam("now"),
            expires_at=bindparam("until"))
)
NONCE_OPEN = select(SIGN_INS.c.nonce).where(
    SIGN_INS.c.nonce == bindparam("issued"), SIGN_INS.c.token_hash.is_(None), SIGN_INS.c.nonce_expires_at > bindparam("now")
)
SESSION_ADDRESS = select(SIGN_INS.c.address).where(
    SIGN_INS.c.token_hash == bindparam("hash"), SIGN_INS.c.revoked_at.is_(None), SIGN_INS.c.expires_at > bindparam("now")
)
REVOKE_SESSION = update(SIGN_INS).where(SIGN_INS.c.token_hash == bindparam("hash")).values(revoked_at=bindparam("now"))

STATEMENT = "Sign in to ask the author a question. This is a signature, not a transaction: it costs nothing."


@dataclass(frozen=True)
class Session:
    address: str
    token: str
    expires_at: dt.datetime


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_nonce(statements: AsyncStatements, *, settings: Settings, now: dt.datetime) -> str:
    value = generate_nonce()
    await statements.run(ADD_NONCE, {"nonce": value, "issued_at": now,
                                     "nonce_expires_at": now + dt.timedelta(seconds=settings.nonce_ttl_seconds)})
    if secrets.randbelow(100) == 0:  # now and then
        await forget_expired(statements, settings=settings, now=now)
    return value


async def forget_expired(statements: AsyncStatements, *, settings: Settings, now: dt.datetime) -> int:
    """Delete nonces never used and sessions a day after they expired; returns rows deleted."""
    day = dt.timedelta(days=1)
    return (await statements.run(FORGET_EXPIRED, {
        "unused_before": now - day,
        "sessions_before": now - day - dt.timedelta(seconds=settings.session_ttl_seconds),
    }))[0]


def message_for(address: str, nonce: str, *, settings: Settings, now: dt.datetime) -> SiweMessage:
    """The exact message this service asks an address to sign."""
    return SiweMessage(
        scheme=None,
        domain=settings.domain,
        address=address,
        statement=STATEMENT,
        uri=settings.uri,
        version="1",
        chain_id=settings.chain_id,
        nonce=nonce,
        issued_at=now.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        expiration_time=(now + dt.timedelta(seconds=settings.nonce_ttl_seconds)).astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def checked(*, settings: Settings, message: str, signature: str, now: dt.datetime,
            contract_wallet: ContractWallet | None = None) -> SiweMessage:
    """The message, if it is well formed, bound to this service, valid now and signed by its
    address (or, through `contract_wallet`, by the contract at it); else AuthError with the
    reason. No database: the nonce is checked by signing in."""
    skew = dt.timedelta(seconds=settings.clock_skew_seconds)
    try:
        parsed = SiweMessage.parse(message)
        parsed.verify(signature, domain=settings.domain, uri=settings.uri, chain_id=settings.chain_id,
                      scheme=urlsplit(settings.uri).scheme, now=now, skew=skew, contract_wallet=contract_wallet)
        issued, expires, _not_before = parsed.times
    except SiweError as exc:
        raise AuthError(f"sign-in refused: {exc}") from None
    _within_what_was_issued(parsed, issued, expires, settings=settings, now=now, skew=skew)
    return parsed


def _within_what_was_issued(parsed: SiweMessage, issued: dt.datetime, expires: dt.datetime | None, *,
                            settings: Settings, now: dt.datetime, skew: dt.timedelta) -> None:
    """A message this service could have issued: its statement, issued no earlier than a
    nonce lives and not in the future, expiring no later than the session it opens would."""
    if parsed.statement != STATEMENT:
        raise AuthError("sign-in refused: the statement is not the one this service asks to sign; ask for a new message")
    if issued > now + skew:
        raise AuthError("sign-in refused: issued-at is in the future; check your clock")
    if issued < now - dt.timedelta(seconds=settings.nonce_ttl_seconds) - skew:
        raise AuthError(f"sign-in refused: issued-at is older than a nonce lives ({settings.nonce_ttl_seconds} s); "
                        "ask for a new message")
    if expires is not None and expires > now + dt.timedelta(seconds=settings.session_ttl_seconds) + skew:
        raise AuthError("sign-in refused: expiration-time is later than a session may last; ask for a new message")


def _new_session(parsed: SiweMessage, *, settings: Settings, now: dt.datetime) -> tuple[Session, dict[str, object]]:
    """A session for the message's address, and the parameters of OPEN_SESSION that open it."""
    token = secrets.token_urlsafe(32)
    session = Session(parsed.address, token, now + dt.timedelta(seconds=settings.session_ttl_seconds))
    return session, {"issued": parsed.nonce, "now": now, "hash": token_hash(token), "signer": parsed.address,
                     "until": session.expires_at}


def _opened(rowcount: int, session: Session) -> Session:
    if rowcount != 1:
        raise AuthError("sign-in refused: unknown, expired or already used nonce; ask for a new message")
    return session


async def sign_in(statements: AsyncStatements, *, settings: Settings, message: str, signature: str,
                  now: dt.datetime, contract_wallet: ContractWallet | None = None) -> Session:
    """Check everything, burn the nonce, open a session. Any failure: AuthError with the reason.

    A signature that is not the address's own key's is put to the contract at the address
    (EIP-1271) when `contract_wallet` is given: in a worker thread, as it waits on a node, and
    only for a message whose nonce could still sign in (no node call for replays or junk)."""
    try:
        parsed = checked(settings=settings, message=message, signature=signature, now=now)
    except AuthError as refused:
        if contract_wallet is None:
            raise
        if not await _nonce_open(statements, message, now=now):
            raise refused
        parsed = await asyncio.to_thread(checked, settings=settings, message=message, signature=signature, now=now,
                                         contract_wallet=contract_wallet)
    session, params = _new_session(parsed, settings=settings, now=now)
    return _opened((await statements.run(OPEN_SESSION, params))[0], session)


async def _nonce_open(statements: AsyncStatements, message: str, *, now: dt.datetime) -> bool:
    try:
        nonce = SiweMessage.parse(message).nonce
    except SiweError:
        return False
    return (await statements.run(NONCE_OPEN, {"issued": nonce, "now": now}, write=False))[1] is not None


async def session_address(statements: AsyncStatements, *, token: str, now: dt.datetime) -> str | None:
    """The address a live session token belongs to, or None (expired, signed out, unknown)."""
    _count, row = await statements.run(SESSION_ADDRESS, {"hash": token_hash(token), "now": now}, write=False)
    return None if row is None else str(row[0])


def sign_out(engine: Engine, *, token: str, now: dt.datetime) -> None:
    with single_statement(engine) as db:
        db.execute(REVOKE_SESSION, {"hash": token_hash(token), "now": now})
