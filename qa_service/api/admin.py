"""/api/admin: the author's review queue: list, answer (with ranked alternatives), reject."""

from __future__ import annotations

from fastapi import APIRouter

from .. import questions
from ..schemas import AnswerIn, AnswerOut, QuestionOut, RejectIn, question_out
from .deps import AdminAddress, DbDep, Now, ReadDbDep, SettingsDep

router = APIRouter(prefix="/api/admin", tags=["admin"])


@router.get("/questions", response_model=list[QuestionOut])
def list_questions(admin: AdminAddress, db: ReadDbDep, status: str | None = "pending") -> list[QuestionOut]:
    return [question_out(q, with_asker=True) for q in questions.list_for_admin(db, status=status or None)]


@router.post("/questions/{question_id}/answer", response_model=AnswerOut)
def answer(question_id: int, body: AnswerIn, admin: AdminAddress, db: DbDep, settings: SettingsDep, now: Now) -> AnswerOut:
    result = questions.answer(db, settings=settings, question_id=question_id, text=body.text,
                              alternatives=[a.text for a in body.alternatives], admin=admin, now=now)
    return AnswerOut(question=question_out(result.question, with_asker=True), answer=result.answer,
                     credits_awarded=result.credits_awarded, token_id=result.token_id)


@router.post("/questions/{question_id}/reject", response_model=QuestionOut)
def reject(question_id: int, body: RejectIn, admin: AdminAddress, db: DbDep, now: Now) -> QuestionOut:
    return question_out(questions.reject(db, question_id=question_id, reason=body.reason, admin=admin, now=now),
                        with_asker=True)
