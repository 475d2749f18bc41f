"""/automaton and /admin/automaton: talking to the author's model with JavaScript off, in the
reader's language. Mounted only when QA_AUTOMATON_URL is set.

Every reply form carries a one-time key (a hidden field made when the page was shown): a
form sent twice (a reload, a double click, a retry after a lost answer) finds the reply the
first one paid for, and pays nothing more.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, Response

from .. import automaton, credits
from ..errors import ServiceError
from ..i18n import N_
from .automaton import reply
from .deps import Caller, Context, ConversationId, Ctx, TurnId
from .pages import _admin, _back, _page, _require, _signed_in, visit

router = APIRouter(include_in_schema=False)


def _caller(ctx: Context, address: str) -> Caller:
    return Caller(ctx.request, ctx.settings, ctx.db, ctx.read_db, ctx.statements, ctx.now, address)


def _standing(ctx: Context, address: str) -> dict[str, Any]:
    """The reader's balance and what is left of today's replies, for the page."""
    with ctx.read_db.connect() as db, db.begin():
        balance = credits.balance(db, address=address)
    limit = ctx.settings.automaton_daily_limit
    used = automaton.replies_today(ctx.read_db, address=address, now=ctx.now) if limit else 0
    return {"balance": balance, "price": ctx.settings.automaton_price, "limit": limit, "left_today": max(limit - used, 0),
            "key": secrets.token_urlsafe(18)}


@router.get("/automaton", response_class=HTMLResponse)
async def start_page(ctx: Ctx) -> HTMLResponse:
    me = await _signed_in(ctx)
    if me is None:
        return _page(ctx.request, "automaton.html", status=401)
    return _page(ctx.request, "automaton.html", me=me, conversations=automaton.mine(ctx.read_db, address=me),
                 conversation=None, **_standing(ctx, me))


@router.get("/automaton/{conversation_id}", response_class=HTMLResponse)
async def conversation_page(conversation_id: ConversationId, ctx: Ctx) -> HTMLResponse:
    me = await _signed_in(ctx)
    if me is None:
        return _page(ctx.request, "automaton.html", status=401)
    try:
        conversation = automaton.get(ctx.read_db, conversation_id=conversation_id, address=me)
    except ServiceError as missing:
        from .pages import error_page

        return error_page(ctx.request, missing)
    return _page(ctx.request, "automaton.html", me=me, conversations=[], conversation=conversation,
                 **_standing(ctx, me))


@router.post("/automaton/conversations")
async def start(ctx: Ctx, message: str = Form(max_length=100_000), key: str = Form(max_length=100),
                consent_to_training: bool = Form(False), public: bool = Form(False),
                post: str | None = Form(None, max_length=300)) -> Response:
    me = await _require(ctx)
    made = await reply(_caller(ctx, me), message=message, idempotency_key=key, conversation_id=None,
                       post=post or None, consent_to_training=consent_to_training, public=public)
    return _back(ctx.request, f"/automaton/{made.conversation.id}", done="replied", id=made.turn.id)


@router.post("/automaton/{conversation_id}/turns")
async def go_on(conversation_id: ConversationId, ctx: Ctx, message: str = Form(max_length=100_000),
                key: str = Form(max_length=100)) -> Response:
    me = await _require(ctx)
    made = await reply(_caller(ctx, me), message=message, idempotency_key=key, conversation_id=conversation_id)
    return _back(ctx.request, f"/automaton/{conversation_id}", done="replied", id=made.turn.id)


@router.post("/automaton/turns/{turn_id}/choice")
async def choose(turn_id: TurnId, ctx: Ctx, chosen: str = Form("", max_length=10)) -> Response:
    me = await _require(ctx)
    if chosen != "none" and not chosen.isdigit():
        raise ServiceError(N_("pick the reply most like the author, or “none is like him”"))
    turn = await asyncio.to_thread(automaton.choose, ctx.db, address=me, turn_id=turn_id,
                                   chosen=None if chosen == "none" else int(chosen), now=ctx.now)
    return _back(ctx.request, f"/automaton/{turn.conversation_id}", done="chosen", id=turn.id)


@router.get("/admin/automaton", response_class=HTMLResponse)
async def admin_page(ctx: Ctx) -> HTMLResponse:
    me = await _signed_in(ctx)
    if me is None:
        return _page(ctx.request, "admin_automaton.html", status=401)
    if me not in ctx.settings.admins:
        from .. import i18n

        return _page(ctx.request, "error.html", status=403, me=me,
                     detail=i18n.gettext(visit(ctx.request).lang, N_("%(address)s is not an admin (QA_ADMIN_ADDRESSES)"),
                                         address=me))
    return _page(ctx.request, "admin_automaton.html", me=me, conversations=automaton.for_admin(ctx.read_db))


@router.post("/admin/automaton/turns/{turn_id}/correction")
async def correct(turn_id: TurnId, ctx: Ctx, reply_text: str = Form(alias="reply", max_length=100_000)) -> Response:
    me = await _admin(ctx)
    turn = await asyncio.to_thread(automaton.correct, ctx.db, settings=ctx.settings, turn_id=turn_id, reply=reply_text,
                                   admin=me, now=ctx.now)
    return _back(ctx.request, "/admin/automaton", done="corrected", id=turn.id)


__all__ = ["router"]
