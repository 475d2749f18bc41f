"""/api/credits: balance with its ledger, and spending (idempotent, never below zero)."""

from __future__ import annotations

from fastapi import APIRouter

from .. import credits
from ..schemas import BalanceOut, CreditEntryOut, CreditsOut, SpendIn
from .deps import CurrentAddress, DbDep, Now, ReadDbDep

router = APIRouter(prefix="/api/credits", tags=["credits"])


@router.get("", response_model=CreditsOut)
async def show(address: CurrentAddress, db: ReadDbDep) -> CreditsOut:
    entries = credits.entries(db, address=address)
    total = sum(e.amount for e in entries)
    return CreditsOut(address=address, balance=total, entries=[CreditEntryOut(**e.__dict__) for e in entries])


@router.post("/spend", response_model=BalanceOut)
async def spend(body: SpendIn, address: CurrentAddress, db: DbDep, now: Now) -> BalanceOut:
    left = credits.spend(db, address=address, amount=body.amount, idempotency_key=body.idempotency_key,
                         reason=body.reason, now=now)
    return BalanceOut(address=address, balance=left)
