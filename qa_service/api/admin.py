"""/api/admin: the author's review queue: list, answer (with ranked alternatives), reject."""

from __future__ import annotations

from fastapi import APIRouter

from .. import questions
from ..schemas import AnswerIn, AnswerOut, QuestionOut, RejectIn, question_out
from .deps import Admin, QuestionId, refusals

router = APIRouter(prefix="/api/admin", tags=["admin"], responses=refusals(401, 403))


@router.get("/questions", response_model=list[QuestionOut], responses=refusals(422))
def list_questions(admin: Admin, status: str | None = "pending") -> list[QuestionOut]:
    return [question_out(q, with_asker=True) for q in questions.list_for_admin(admin.read_db, status=status or None)]


@router.post("/questions/{question_id}/answer", response_model=AnswerOut, responses=refusals(400, 404, 409, 413, 415, 422))
def answer(question_id: QuestionId, body: AnswerIn, admin: Admin) -> AnswerOut:
    result = questions.answer(admin.db, settings=admin.settings, question_id=question_id, text=body.text,
                              alternatives=[a.text for a in body.alternatives], admin=admin.address, now=admin.now)
    return AnswerOut(question=question_out(result.question, with_asker=True), answer=result.answer,
                     credits_awarded=result.credits_awarded, token_id=result.token_id)


@router.post("/questions/{question_id}/reject", response_model=QuestionOut, responses=refusals(400, 404, 409, 415, 422))
def reject(question_id: QuestionId, body: RejectIn, admin: Admin) -> QuestionOut:
    return question_out(questions.reject(admin.db, question_id=question_id, reason=body.reason, admin=admin.address,
                                         now=admin.now), with_asker=True)
