"""The award formula, as the README documents it, and as settings change it; spending from
many processes at once never overdraws."""

from __future__ import annotations

import datetime as dt
import multiprocessing
from typing import Any

from qa_service import credits
from qa_service.credits import award_amount
from qa_service.db import dispose, make_engine, migrate, writing
from qa_service.errors import Conflict

from .conftest import make_settings


def test_award_is_base_plus_one_credit_per_twenty_characters_capped_at_500() -> None:
    settings = make_settings("sqlite://")
    assert award_amount(100, 300, settings=settings) == 10 + 400 // 20
    assert award_amount(0, 19, settings=settings) == 10
    assert award_amount(4000, 20000, settings=settings) == 500


def test_award_follows_the_settings() -> None:
    settings = make_settings("sqlite://", credits_base=0, credits_chars_per_credit=100, credits_max=7)
    assert award_amount(150, 160, settings=settings) == 3
    assert award_amount(4000, 20000, settings=settings) == 7


ROUNDS = 12
SPENDERS = 8
FUNDS = 10
PRICE = 4  # two spends fit in FUNDS, a third would overdraw


def _spender(url: str, addresses: list[str], barrier: Any, results: Any, number: int) -> None:
    """One process: for each account, wait until every spender is ready, then spend at once."""
    engine = make_engine(url)
    try:
        for address in addresses:
            barrier.wait(timeout=60)
            try:
                credits.spend(engine, address=address, amount=PRICE, idempotency_key=f"spender-{number}", reason="race",
                              now=dt.datetime.now(dt.timezone.utc))
                results.put((address, "spent"))
            except Conflict:
                results.put((address, "refused"))
            except Exception as exc:  # a lock timeout or a deadlock is a failure too: say which
                results.put((address, f"{type(exc).__name__}: {exc}"))
    finally:
        dispose(engine)


def test_spends_at_once_from_many_processes_never_overdraw(db_url: str) -> None:
    """SPENDERS processes, each with its own engine and connections, spend PRICE from the
    same funded account at the same moment (a barrier releases them together), ROUNDS times
    on fresh accounts. Exactly FUNDS // PRICE spends may succeed on each account; without
    the account row lock in credits.spend, PostgreSQL lets several read the same balance and
    all of them spend it (this test then fails in most rounds). On SQLite BEGIN IMMEDIATE and
    the writer lock serialise writers across processes."""
    engine = make_engine(db_url)
    migrate(engine)
    now = dt.datetime.now(dt.timezone.utc)
    addresses = [f"0x{round_:040x}" for round_ in range(1, ROUNDS + 1)]
    with writing(engine) as db:
        for number, address in enumerate(addresses):
            db.execute(credits.ADD_ACCOUNT.on(db), {"address": address, "created_at": now})
            assert credits.record_award(db, address=address, question_id=number + 1, amount=FUNDS, now=now)
    dispose(engine)  # no pooled connection is inherited by the children

    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(SPENDERS)
    results = context.Queue()
    spenders = [context.Process(target=_spender, args=(db_url, addresses, barrier, results, n)) for n in range(SPENDERS)]
    for process in spenders:
        process.start()
    outcomes: dict[str, list[str]] = {address: [] for address in addresses}
    for _ in range(ROUNDS * SPENDERS):
        address, outcome = results.get(timeout=120)
        outcomes[address].append(outcome)
    for process in spenders:
        process.join(timeout=60)
        assert process.exitcode == 0

    engine = make_engine(db_url)
    try:
        with engine.connect() as db:
            balances = {address: credits.balance(db, address=address) for address in addresses}
    finally:
        dispose(engine)
    overdrawn = {a: (balances[a], outcomes[a].count("spent")) for a in addresses if outcomes[a].count("spent") != FUNDS // PRICE}
    assert not overdrawn, f"(balance, spends that succeeded) per account, where not exactly {FUNDS // PRICE}: {overdrawn}"
    for address in addresses:
        assert sorted(outcomes[address]) == ["refused"] * (SPENDERS - FUNDS // PRICE) + ["spent"] * (FUNDS // PRICE)
        assert balances[address] == FUNDS - PRICE * (FUNDS // PRICE)
