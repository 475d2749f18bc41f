"""Credits: a pure award formula and an append-only ledger.

An award's key is "answer:<question id>" and a spend's is "spend:<idempotency key>"; the
unique (address, key) makes retries and concurrent requests pay at most once. Spending
locks the address's account row, so two spends can't both see the same balance.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from .errors import Conflict, Invalid
from .db import InsertIgnore, storable, writing
from .models import ACCOUNTS, LEDGER
from .settings import Settings

ADD_ACCOUNT = InsertIgnore(ACCOUNTS)


def award_amount(question_chars: int, answer_chars: int, *, settings: Settings) -> int:
    """base + (question chars + answer chars) // chars_per_credit, capped at credits_max."""
    earned = settings.credits_base + (question_chars + answer_chars) // settings.credits_chars_per_credit
    return min(earned, settings.credits_max)


@dataclass(frozen=True)
class Entry:
    key: str
    amount: int
    reason: str
    question_id: int | None
    created_at: dt.datetime


def balance(db: Connection, *, address: str) -> int:
    return int(db.execute(select(func.coalesce(func.sum(LEDGER.c.amount), 0)).where(LEDGER.c.address == address)).scalar_one())


def entries(engine: Engine, *, address: str) -> list[Entry]:
    with engine.connect() as db, db.begin():
        rows = db.execute(select(LEDGER).where(LEDGER.c.address == address).order_by(LEDGER.c.id))
        return [Entry(r.key, r.amount, r.reason, r.question_id, r.created_at) for r in rows]


def record_award(db: Connection, *, address: str, question_id: int, amount: int, now: dt.datetime) -> bool:
    """Inside the caller's transaction: add the award once; False if it was already there."""
    try:
        with db.begin_nested():
            db.execute(insert(LEDGER).values(address=address, key=f"answer:{question_id}", amount=amount,
                                             reason=f"answer to question {question_id}", question_id=question_id,
                                             created_at=now))
    except IntegrityError:
        return False
    return True


def lock_account(db: Connection, *, address: str, now: dt.datetime) -> None:
    """Inside the caller's transaction: create the address's account row if needed and lock
    it, so the balance this transaction reads stays true until it commits."""
    db.execute(ADD_ACCOUNT.on(db), {"address": address, "created_at": now})
    db.execute(select(ACCOUNTS.c.address).where(ACCOUNTS.c.address == address).with_for_update())


def debit(db: Connection, *, address: str, amount: int, idempotency_key: str, reason: str, now: dt.datetime) -> int:
    """Inside the caller's transaction (the account locked by `lock_account`): spend once per
    idempotency key and return the balance left; a replay spends nothing. Never below zero:
    Conflict when the balance is short."""
    if amount <= 0:
        raise Invalid("amount must be a positive whole number")
    key = f"spend:{storable(idempotency_key, what='idempotency_key')}"
    storable(reason, what="reason")
    existing = db.execute(select(LEDGER.c.amount).where(LEDGER.c.address == address, LEDGER.c.key == key)).scalar()
    if existing is not None:
        if existing != -amount:
            raise Conflict("idempotency_key was already used for a different amount")
        return balance(db, address=address)
    current = balance(db, address=address)
    if current < amount:
        raise Conflict(f"not enough credits: balance {current}, asked {amount}")
    db.execute(insert(LEDGER).values(address=address, key=key, amount=-amount, reason=reason, question_id=None,
                                     created_at=now))
    return current - amount


def spend(engine: Engine, *, address: str, amount: int, idempotency_key: str, reason: str, now: dt.datetime) -> int:
    """Spend credits once per idempotency key; a replay returns the balance again. Never below zero."""
    if amount <= 0:
        raise Invalid("amount must be a positive whole number")
    storable(idempotency_key, what="idempotency_key")
    storable(reason, what="reason")
    with writing(engine) as db:
        lock_account(db, address=address, now=now)
        return debit(db, address=address, amount=amount, idempotency_key=idempotency_key, reason=reason, now=now)
