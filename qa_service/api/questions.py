"""/api/questions: ask, list your own, withdraw; /api/account: delete your data."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from .. import questions
from ..schemas import QuestionIn, QuestionOut, question_out
from .deps import COOKIE, CurrentAddress, DbDep, Now, ReadDbDep, SettingsDep

router = APIRouter(tags=["questions"])


@router.post("/api/questions", status_code=201, response_model=QuestionOut)
async def ask(body: QuestionIn, address: CurrentAddress, db: DbDep, settings: SettingsDep, now: Now) -> QuestionOut:
    question = questions.ask(db, settings=settings, address=address, text=body.text,
                             consent_to_training=body.consent_to_training, public=body.public,
                             language=body.language, post=body.post, now=now)
    return question_out(question)


@router.get("/api/questions/mine", response_model=list[QuestionOut])
async def mine(address: CurrentAddress, db: ReadDbDep) -> list[QuestionOut]:
    return [question_out(q) for q in questions.mine(db, address=address)]


@router.post("/api/questions/{question_id}/withdraw", response_model=QuestionOut)
async def withdraw(question_id: int, address: CurrentAddress, db: DbDep, now: Now) -> QuestionOut:
    return question_out(questions.withdraw(db, address=address, question_id=question_id, now=now))


@router.delete("/api/account", status_code=200)
def delete_account(address: CurrentAddress, db: DbDep, settings: SettingsDep) -> Response:
    removed = questions.delete_account(db, address=address)
    response = JSONResponse({"address": address, "questions_deleted": removed})
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=settings.secure_cookies)
    return response
