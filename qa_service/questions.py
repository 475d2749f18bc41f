"""Questions and answers: ask, withdraw, list, answer (with ranked alternatives), reject,
and delete everything an asker left. Each function owns its transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session as DbSession

from . import credits
from .errors import Conflict, Invalid, NotFound, TooLarge
from .models import Account, Alternative, CreditEntry, Question, Session
from .settings import Settings

STATUSES = ("pending", "answered", "rejected", "withdrawn")


@dataclass(frozen=True)
class AnswerResult:
    question: Question
    answer: str
    credits_awarded: int
    token_id: int


def _clean(text: str, *, limit: int, what: str) -> str:
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise Invalid(f"{what} is empty")
    if len(text) > limit:
        raise TooLarge(f"{what} is {len(text)} characters; the limit is {limit}")
    return text


def ask(db: DbSession, *, settings: Settings, address: str, text: str, consent_to_training: bool,
        public: bool = False, language: str = "en", post: str | None = None, now: dt.datetime) -> Question:
    text = _clean(text, limit=settings.max_question_chars, what="question")
    values = dict(asker=address, text=text, language=language, consent_to_training=consent_to_training,
                  public=public, status="pending", post=post, created_at=now, updated_at=now)
    with db.begin():
        new_id = db.execute(insert(Question).values(**values).returning(Question.id)).scalar_one()
    return Question(id=new_id, alternatives=[], **values)


def get(db: DbSession, question_id: int) -> Question:
    question = db.get(Question, question_id)
    if question is None:
        raise NotFound(f"no question {question_id}")
    return question


def withdraw(db: DbSession, *, address: str, question_id: int, now: dt.datetime) -> Question:
    with db.begin():
        question = get(db, question_id)
        if question.asker != address:
            raise NotFound(f"no question {question_id} of yours")
        if question.status == "withdrawn":
            return question
        question.status = "withdrawn"
        question.updated_at = now
    return question


def mine(db: DbSession, *, address: str) -> list[Question]:
    rows = list(db.execute(select(Question).where(Question.asker == address).order_by(Question.id.desc())).scalars())
    db.rollback()
    return rows


def list_for_admin(db: DbSession, *, status: str | None = "pending", limit: int = 200) -> list[Question]:
    if status is not None and status not in STATUSES:
        raise Invalid(f"status must be one of {', '.join(STATUSES)}")
    query = select(Question).order_by(Question.id)
    if status:
        query = query.where(Question.status == status)
    rows = list(db.execute(query.limit(limit)).scalars())
    db.rollback()
    return rows


def _decide(db: DbSession, question_id: int, **values: object) -> Question:
    """Move a pending question on, inside the caller's transaction. One conditional UPDATE
    claims it, so of two concurrent decisions (even in two processes) exactly one wins."""
    changed = db.execute(
        update(Question)
        .where(Question.id == question_id, Question.status == "pending")
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    question = db.get(Question, question_id, populate_existing=True)
    if question is None:
        raise NotFound(f"no question {question_id}")
    if changed != 1:
        raise Conflict(f"question {question_id} is {question.status}, not pending")
    return question


def answer(db: DbSession, *, settings: Settings, question_id: int, text: str, alternatives: list[str],
           admin: str, now: dt.datetime) -> AnswerResult:
    """Answer a pending question once: store it with its ranked alternatives, pay the asker
    exactly once and give the answer its token id. A second answer is a 409."""
    text = _clean(text, limit=settings.max_answer_chars, what="answer")
    if len(alternatives) > settings.max_alternatives:
        raise Invalid(f"at most {settings.max_alternatives} alternatives")
    drafts = [_clean(a, limit=settings.max_answer_chars, what=f"alternative {i}") for i, a in enumerate(alternatives, 1)]
    with db.begin():
        question = _decide(db, question_id, status="answered", answer=text, answered_by=admin, answered_at=now,
                           updated_at=now, token_id=question_id)
        for rank, draft in enumerate(drafts, 1):
            db.add(Alternative(question_id=question_id, rank=rank, text=draft))
        amount = credits.award_amount(len(question.text), len(text), settings=settings)
        if not credits.record_award(db, address=question.asker, question_id=question_id, amount=amount, now=now):
            amount = 0
        db.flush()
        db.refresh(question)
    return AnswerResult(question, text, amount, question_id)


def reject(db: DbSession, *, question_id: int, reason: str, admin: str, now: dt.datetime) -> Question:
    reason = reason.strip()[:2000]
    with db.begin():
        return _decide(db, question_id, status="rejected", reject_reason=reason, answered_by=admin, updated_at=now)


def delete_account(db: DbSession, *, address: str) -> int:
    """Remove every trace of an asker: questions, answers, credits, sessions. Returns questions removed."""
    with db.begin():
        removed = db.execute(delete(Question).where(Question.asker == address)).rowcount
        db.execute(delete(CreditEntry).where(CreditEntry.address == address))
        db.execute(delete(Session).where(Session.address == address))
        db.execute(delete(Account).where(Account.address == address))
    return removed

