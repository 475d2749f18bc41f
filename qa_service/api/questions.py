"""/api/questions: ask, list your own, withdraw; /api/account: delete your data."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response

from .. import questions
from ..schemas import AccountDeletedOut, FollowUpIn, QuestionIn, QuestionOut, question_out
from .deps import COOKIE, Me, QuestionId, documented, json_body, json_response, refusals, signed_in

router = APIRouter(tags=["questions"], responses=refusals(401))


@router.post("/api/questions", status_code=201, response_model=QuestionOut, openapi_extra=documented(QuestionIn),
             responses=refusals(403, 413, 415, 422))
async def ask(request: Request) -> Response:
    """A hot path: reads and answers by hand (see api/deps.py)."""
    me = await signed_in(request)
    body = await json_body(request, QuestionIn)
    question = await questions.ask(me.statements, settings=me.settings, address=me.address, text=body.text,
                                   consent_to_training=body.consent_to_training, public=body.public,
                                   language=body.language, post=body.post, post_revision=body.post_revision,
                                   now=me.now)
    return json_response(question_out(question), status_code=201)


@router.post("/api/questions/{question_id}/follow-ups", status_code=201, response_model=QuestionOut,
             responses=refusals(400, 403, 404, 409, 413, 415, 422))
def follow_up(question_id: QuestionId, body: FollowUpIn, me: Me) -> QuestionOut:
    """Reply to the answer of question `question_id` (yours, answered, the latest of its
    thread) with the thread's next question."""
    return question_out(questions.follow_up(me.db, settings=me.settings, address=me.address, reply_to=question_id,
                                            text=body.text, language=body.language, now=me.now))


@router.get("/api/questions/mine", response_model=list[QuestionOut])
async def mine(me: Me) -> list[QuestionOut]:
    return [question_out(q) for q in questions.mine(me.read_db, address=me.address)]


@router.post("/api/questions/{question_id}/withdraw", response_model=QuestionOut, responses=refusals(403, 404, 409, 422))
async def withdraw(question_id: QuestionId, me: Me) -> QuestionOut:
    return question_out(await asyncio.to_thread(questions.withdraw, me.db, address=me.address, question_id=question_id,
                                                now=me.now))


@router.delete("/api/account", response_model=AccountDeletedOut, responses=refusals(403))
def delete_account(me: Me) -> Response:
    removed = questions.delete_account(me.db, address=me.address, now=me.now)
    response = json_response(AccountDeletedOut(address=me.address, questions_deleted=removed))
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=me.settings.secure_cookies)
    return response
