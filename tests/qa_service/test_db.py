"""Schema migrations keep what is stored; several processes share one SQLite file."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic import command
from eth_account import Account
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, select

from qa_service import auth
from qa_service.app import create_app
from qa_service.db import alembic_config, dispose, make_engine, migrate

from .conftest import ORIGIN, awaited, make_settings, sign


def test_sign_ins_migration_keeps_open_sessions_and_unused_nonces(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine, "0001")
    old = MetaData()
    old.reflect(engine, only=["nonces", "sessions"])
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    token = "a-session-token-made-before-the-migration"
    with engine.begin() as db:
        db.execute(old.tables["nonces"].insert(), [
            {"value": "unusedNonce123", "issued_at": now, "expires_at": now + dt.timedelta(minutes=10), "used_at": None},
            {"value": "usedNonce45678", "issued_at": now, "expires_at": now + dt.timedelta(minutes=10), "used_at": now},
        ])
        db.execute(old.tables["sessions"].insert(), {"token_hash": auth.token_hash(token), "address": "0x" + "Ab" * 20,
                                                     "created_at": now, "expires_at": now + dt.timedelta(days=1),
                                                     "revoked_at": None})
    migrate(engine)
    with engine.connect() as db:
        rows = {r.nonce: r for r in db.execute(select(auth.SIGN_INS))}
    assert "unusedNonce123" in rows and rows["unusedNonce123"].token_hash is None
    assert "usedNonce45678" not in rows, "a used nonce without its session is dropped, never made usable again"
    assert awaited(engine, lambda st: auth.session_address(st, token=token, now=now)) == "0x" + "Ab" * 20

    app = create_app(make_settings(db_url))
    with TestClient(app, base_url=ORIGIN, headers={"Origin": ORIGIN}) as client:
        assert client.get("/api/credits", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        asker = Account.create()
        text = auth.message_for(asker.address, "unusedNonce123", settings=app.state.settings, now=now).to_text()
        signed = client.post("/api/auth/verify", json={"message": text, "signature": sign(asker, text)})
        assert signed.status_code == 200, signed.text

    command.downgrade(alembic_config(engine), "0001")  # and back: the sessions come out as they went in
    back = MetaData()
    back.reflect(engine, only=["nonces", "sessions"])
    with engine.connect() as db:
        hashes = {r.token_hash for r in db.execute(select(back.tables["sessions"]))}
    assert auth.token_hash(token) in hashes and len(hashes) == 2
    dispose(engine)


def test_forget_expired_keeps_what_can_still_be_used(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth.secrets, "randbelow", lambda _n: 1)  # issue_nonce's own clean-up stays out of it
    settings = make_settings(db_url, nonce_ttl_seconds=600, session_ttl_seconds=7 * 86400)
    engine = make_engine(db_url)
    migrate(engine)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    old_unused = awaited(engine, lambda st: auth.issue_nonce(st, settings=settings, now=start))
    old_session_nonce = awaited(engine, lambda st: auth.issue_nonce(st, settings=settings, now=start))
    asker = Account.create()
    text = auth.message_for(asker.address, old_session_nonce, settings=settings, now=start).to_text()
    session = awaited(engine, lambda st: auth.sign_in(st, settings=settings, message=text,
                                                      signature=sign(asker, text), now=start))
    two_days = start + dt.timedelta(days=2)
    fresh_unused = awaited(engine, lambda st: auth.issue_nonce(st, settings=settings, now=two_days))

    assert awaited(engine, lambda st: auth.forget_expired(st, settings=settings, now=two_days)) == 1  # only the old unused nonce
    assert awaited(engine, lambda st: auth.session_address(st, token=session.token, now=two_days)) == asker.address
    later = start + dt.timedelta(days=9)  # the session ended on day 7; a day has passed since
    assert awaited(engine, lambda st: auth.forget_expired(st, settings=settings, now=later)) == 2  # the session and the nonce of day 2
    with engine.connect() as db:
        left = {r.nonce for r in db.execute(select(auth.SIGN_INS))}
    assert left == set() and old_unused != fresh_unused
    dispose(engine)


def test_migrations_build_exactly_the_models_schema(db_url: str) -> None:
    """What Alembic's migrations create is what the models describe: no table, column, index
    or constraint only one of them has."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from qa_service.models import Base

    engine = make_engine(db_url)
    migrate(engine)
    with engine.connect() as db:
        differences = compare_metadata(MigrationContext.configure(db), Base.metadata)
    dispose(engine)
    assert [d for d in differences if d[0] != "remove_table" or d[1].name != "alembic_version"] == []


def test_ids_migration_keeps_rows_and_never_hands_out_a_minted_token_again(db_url: str) -> None:
    """Before 0004 a SQLite database handed out max(id) + 1: a question deleted with its
    account (and its minted token) could come back as someone else's. After it, every row is
    kept, alternatives included, and the next id is past every token ever minted."""
    from qa_service.models import ALTERNATIVES, LEDGER, MINTS, QUESTIONS

    engine = make_engine(db_url)
    migrate(engine, "0003")
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    question = dict(asker="0x" + "Ab" * 20, text="kept", language="en", consent_to_training=True, public=False,
                    status="answered", post=None, created_at=now, updated_at=now, answer="yes", answered_by=None,
                    answered_at=now, reject_reason=None)
    with engine.begin() as db:
        db.execute(QUESTIONS.insert(), [{**question, "id": 1, "token_id": 1}, {**question, "id": 2, "token_id": 2}])
        db.execute(ALTERNATIVES.insert(), {"question_id": 1, "rank": 1, "text": "a draft"})
        db.execute(LEDGER.insert(), {"address": question["asker"], "key": "answer:1", "amount": 12, "reason": "r",
                                     "question_id": 1, "created_at": now})
        db.execute(MINTS.insert(), [{"token_id": t, "chain_id": 1, "contract": "0x" + "00" * 20, "owner": "0x" + "Cd" * 20,
                                     "tx_hash": "0x" + "00" * 32, "minted_at": now} for t in (2, 3)])
        db.execute(QUESTIONS.delete().where(QUESTIONS.c.id == 2))  # the newest, gone with its account
        db.execute(MINTS.delete().where(MINTS.c.token_id == 2))  # as delete_account did; token 3's question
    migrate(engine)                                                # went some other way
    with engine.begin() as db:
        assert [r.text for r in db.execute(select(ALTERNATIVES).where(ALTERNATIVES.c.question_id == 1))] == ["a draft"]
        assert db.execute(select(LEDGER.c.amount)).scalar_one() == 12
        added = db.execute(QUESTIONS.insert().returning(QUESTIONS.c.id), {**question, "token_id": None}).scalar_one()
    assert added == 4, "past every id used (2) and every token minted (3)"
    app = create_app(make_settings(db_url))
    with TestClient(app, base_url=ORIGIN) as client:
        assert client.get("/nft/3.json").json()["attributes"] == [{"trait_type": "Status", "value": "deleted"}]
        assert client.get("/nft/1.json").json()["name"].endswith("#1")
    dispose(engine)
