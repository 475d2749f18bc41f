"""qa_service.auth with the clock in the test's hand: nonces and sessions end when they
should, a refused sign-in burns nothing, a revoked session is over, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Iterator

import pytest
from eth_account import Account
from sqlalchemy import Engine

from qa_service import auth
from qa_service.db import dispose, make_engine, migrate
from qa_service.errors import AuthError
from qa_service.settings import Settings

from .conftest import awaited, make_settings, sign

START = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    migrate(engine)
    yield engine
    dispose(engine)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_settings(db_url, nonce_ttl_seconds=600, session_ttl_seconds=3600, clock_skew_seconds=60)


def sign_in(engine: Engine, settings: Settings, account, *, nonce: str, issued: dt.datetime,  # type: ignore[no-untyped-def]
            at: dt.datetime) -> auth.Session:
    text = auth.message_for(account.address, nonce, settings=settings, now=issued).to_text()
    return awaited(engine, lambda st: auth.sign_in(st, settings=settings, message=text,
                                                   signature=sign(account, text), now=at))


def address_of(engine: Engine, token: str, at: dt.datetime) -> str | None:
    return awaited(engine, lambda st: auth.session_address(st, token=token, now=at))


def test_a_session_lasts_its_ttl_and_no_longer(engine: Engine, settings: Settings) -> None:
    asker = Account.create()
    nonce = awaited(engine, lambda st: auth.issue_nonce(st, settings=settings, now=START))
    session = sign_in(engine, settings, asker, nonce=nonce, issued=START, at=START)
    assert session.expires_at == START + dt.timedelta(hours=1)
    assert address_of(engine, session.token, START + dt.timedelta(minutes=59)) == asker.address
    assert address_of(engine, session.token, START + dt.timedelta(hours=1)) is None
    assert address_of(engine, "a-token-never-issued", START) is None


def test_signing_out_ends_only_that_session(engine: Engine, settings: Settings) -> None:
    asker = Account.create()
    first = sign_in(engine, settings, asker, nonce=awaited(engine, lambda st: auth.issue_nonce(st, settings=settings, now=START)),
                    issued=START, at=START)
    second = sign_in(engine, settings, asker, nonce=awaited(engine, lambda st: auth.issue_nonce(st, settings=settings, now=START)),
                     issued=START, at=START)
    auth.sign_out(engine, token=first.token, now=START)
    assert address_of(engine, first.token, START) is None
    assert address_of(engine, second.token, START) == asker.address


def test_an_expired_nonce_signs_no_one_in(engine: Engine, settings: Settings) -> None:
    """The message's own expiry is the nonce's, so a late message is refused by both checks;
    one that names no expiry, and a fresh issued-at, is still refused by the nonce row."""
    asker = Account.create()
    nonce = awaited(engine, lambda st: auth.issue_nonce(st, settings=settings, now=START))
    late = START + dt.timedelta(seconds=600 + 61)  # past the nonce's TTL and the clock skew
    with pytest.raises(AuthError, match="expired"):
        sign_in(engine, settings, asker, nonce=nonce, issued=START, at=late)
    text = auth.message_for(asker.address, nonce, settings=settings, now=late).with_(expiration_time=None).to_text()
    with pytest.raises(AuthError, match="expired or already used nonce"):
        awaited(engine, lambda st: auth.sign_in(st, settings=settings, message=text,
                                                signature=sign(asker, text), now=late))


def test_a_refused_sign_in_leaves_the_nonce_usable(engine: Engine, settings: Settings) -> None:
    asker, thief = Account.create(), Account.create()
    nonce = awaited(engine, lambda st: auth.issue_nonce(st, settings=settings, now=START))
    text = auth.message_for(asker.address, nonce, settings=settings, now=START).to_text()
    with pytest.raises(AuthError, match="signature"):  # signed by someone else than the address it names
        awaited(engine, lambda st: auth.sign_in(st, settings=settings, message=text,
                                                signature=sign(thief, text), now=START))
    assert sign_in(engine, settings, asker, nonce=nonce, issued=START, at=START).address == asker.address
    with pytest.raises(AuthError, match="already used"):
        sign_in(engine, settings, asker, nonce=nonce, issued=START, at=START)


def test_clock_skew_is_tolerated_up_to_the_setting(engine: Engine, settings: Settings) -> None:
    asker = Account.create()
    ahead = START + dt.timedelta(seconds=50)  # the wallet's clock runs 50 s fast
    nonce = awaited(engine, lambda st: auth.issue_nonce(st, settings=settings, now=START))
    assert sign_in(engine, settings, asker, nonce=nonce, issued=ahead, at=START).address == asker.address
    too_far = START + dt.timedelta(seconds=120)
    nonce = awaited(engine, lambda st: auth.issue_nonce(st, settings=settings, now=START))
    with pytest.raises(AuthError, match="future"):
        sign_in(engine, settings, asker, nonce=nonce, issued=too_far, at=START)
