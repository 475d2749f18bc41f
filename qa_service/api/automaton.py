"""/api/automaton: talk to the author's model with your credits, choose the reply most like
him; /api/admin/automaton: the author reads the conversations and writes his own replies.
Mounted only when QA_AUTOMATON_URL is set (otherwise every path here is a 404)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter

from .. import automaton, credits, model_server
from ..schemas import (AutomatonReplyOut, AutomatonStartIn, AutomatonTurnIn, ChoiceIn, ConversationOut, CorrectionIn,
                       TurnOut, conversation_out, turn_out)
from .deps import Admin, Caller, ConversationId, Me, TurnId, refusals

router = APIRouter(tags=["automaton"], responses=refusals(401))
PAID = refusals(402, 403, 404, 409, 413, 415, 422, 429, 502, 504)


async def reply(me: Caller, *, message: str, idempotency_key: str, conversation_id: int | None,
                language: str | None = None, post: str | None = None, consent_to_training: bool = False,
                public: bool = False) -> automaton.Reply:
    """Plan, ask the model (no connection held while it thinks), then charge and store: the
    pages' forms and the API both go through here."""
    settings = me.settings
    plan = await asyncio.to_thread(automaton.plan, me.read_db, settings=settings, address=me.address, message=message,
                                   idempotency_key=idempotency_key, conversation_id=conversation_id,
                                   language=language, post=post, now=me.now)
    if plan.replay is not None:
        conversation, turn = plan.replay
        return automaton.Reply(conversation, turn, await asyncio.to_thread(_balance, me))
    answer = await model_server.candidates(settings, plan.messages, model=automaton.adapter_name(settings, me.address))
    return await asyncio.to_thread(
        automaton.record, me.db, settings=settings, address=me.address, plan=plan, candidates=answer.texts,
        model=answer.model, model_version=answer.version, idempotency_key=idempotency_key,
        conversation_id=conversation_id, post=post, consent_to_training=consent_to_training, public=public, now=me.now)


def _balance(me: Caller) -> int:
    with me.read_db.connect() as db, db.begin():
        return credits.balance(db, address=me.address)


def _out(result: automaton.Reply) -> AutomatonReplyOut:
    return AutomatonReplyOut(conversation=conversation_out(result.conversation), turn=turn_out(result.turn),
                             balance=result.balance)


@router.post("/api/automaton/conversations", status_code=201, response_model=AutomatonReplyOut, responses=PAID)
async def start(body: AutomatonStartIn, me: Me) -> AutomatonReplyOut:
    """Start a conversation with the author's model: its first reply's candidates. Costs
    QA_AUTOMATON_PRICE credits; a retry with the same `idempotency_key` returns the same
    conversation and pays nothing more."""
    return _out(await reply(me, message=body.message, idempotency_key=body.idempotency_key, conversation_id=None,
                            language=body.language, post=body.post, consent_to_training=body.consent_to_training,
                            public=body.public))


@router.post("/api/automaton/conversations/{conversation_id}/turns", status_code=201,
             response_model=AutomatonReplyOut, responses=PAID)
async def go_on(conversation_id: ConversationId, body: AutomatonTurnIn, me: Me) -> AutomatonReplyOut:
    """The next message of a conversation of yours, once the last reply's choice is made: the
    model is sent the conversation as it went on from the chosen replies."""
    return _out(await reply(me, message=body.message, idempotency_key=body.idempotency_key,
                            conversation_id=conversation_id, language=body.language))


@router.post("/api/automaton/turns/{turn_id}/choice", response_model=TurnOut,
             responses=refusals(403, 404, 409, 415, 422))
async def choose(turn_id: TurnId, body: ChoiceIn, me: Me) -> TurnOut:
    """Which candidate is most like the author (its index), or none (null)."""
    return turn_out(await asyncio.to_thread(automaton.choose, me.db, address=me.address, turn_id=turn_id,
                                            chosen=body.chosen, now=me.now))


@router.get("/api/automaton/conversations", response_model=list[ConversationOut])
async def mine(me: Me) -> list[ConversationOut]:
    return [conversation_out(c) for c in automaton.mine(me.read_db, address=me.address)]


@router.get("/api/automaton/conversations/{conversation_id}", response_model=ConversationOut,
            responses=refusals(404, 422))
async def one(conversation_id: ConversationId, me: Me) -> ConversationOut:
    return conversation_out(automaton.get(me.read_db, conversation_id=conversation_id, address=me.address))


@router.get("/api/admin/automaton", response_model=list[ConversationOut], tags=["admin"], responses=refusals(403))
async def for_admin(admin: Admin) -> list[ConversationOut]:
    """The latest automaton conversations, newest first, with their askers."""
    return [conversation_out(c, with_asker=True) for c in automaton.for_admin(admin.read_db)]


@router.post("/api/admin/automaton/turns/{turn_id}/correction", response_model=TurnOut, tags=["admin"],
             responses=refusals(403, 404, 413, 415, 422))
async def correct(turn_id: TurnId, body: CorrectionIn, admin: Admin) -> TurnOut:
    """The reply the author would have given at this turn (author data; it replaces an
    earlier one of his). Later turns of the conversation continue from it."""
    return turn_out(await asyncio.to_thread(automaton.correct, admin.db, settings=admin.settings, turn_id=turn_id,
                                            reply=body.reply, admin=admin.address, now=admin.now))
