"""/api/credits: balance with its ledger, and spending (idempotent, never below zero)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter

from .. import credits
from ..schemas import BalanceOut, CreditEntryOut, CreditsOut, SpendIn
from .deps import Me, refusals

router = APIRouter(prefix="/api/credits", tags=["credits"], responses=refusals(401))


@router.get("", response_model=CreditsOut)
async def show(me: Me) -> CreditsOut:
    entries = credits.entries(me.read_db, address=me.address)
    total = sum(e.amount for e in entries)
    return CreditsOut(address=me.address, balance=total, entries=[CreditEntryOut(**e.__dict__) for e in entries])


@router.post("/spend", response_model=BalanceOut, responses=refusals(400, 403, 409, 415, 422))
async def spend(body: SpendIn, me: Me) -> BalanceOut:
    left = await asyncio.to_thread(credits.spend, me.db, address=me.address, amount=body.amount,  # waits for the writer lock
                                   idempotency_key=body.idempotency_key, reason=body.reason, now=me.now)
    return BalanceOut(address=me.address, balance=left)
