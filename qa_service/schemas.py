"""The JSON shapes of the HTTP API (SPEC section 3)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from .questions import LANGUAGE_TAG


class Strict(BaseModel):
    """A request body: unknown fields refused. (What may be stored is the domain's to check.)"""
    model_config = ConfigDict(extra="forbid")


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Refusal(BaseModel):
    """Every 4xx answer: what was refused and why. A 422 for a malformed body also lists each
    field's problem in `errors`, as FastAPI does in its own `detail`."""
    detail: str
    errors: list[FieldError] | None = None


class NonceOut(BaseModel):
    nonce: str


class VerifyIn(Strict):
    message: str = Field(max_length=4000)
    signature: str = Field(max_length=4000)  # a key's is 132 characters; contract wallets' (EIP-1271) are longer


class SignInOut(BaseModel):
    address: str
    token: str
    expires_at: dt.datetime


class QuestionIn(Strict):
    text: str
    consent_to_training: StrictBool
    public: StrictBool = False
    language: str | None = Field(default=None, pattern=LANGUAGE_TAG, max_length=35)  # None: detected from the text
    post: str | None = Field(default=None, max_length=300)  # the slug of the post asked from
    post_revision: int | None = Field(default=None, ge=1, le=1_000_000, strict=True)  # the revision read


class FollowUpIn(Strict):
    """A reply to an answer: the next question of its thread (consent, publicity and post are
    the thread's)."""
    text: str
    language: str | None = Field(default=None, pattern=LANGUAGE_TAG, max_length=35)  # None: the answered question's


class AlternativeIn(Strict):
    text: str


class AlternativeOut(BaseModel):
    rank: int
    text: str


class QuestionOut(BaseModel):
    id: int
    status: str
    text: str
    language: str
    consent_to_training: bool
    public: bool
    post: str | None = None
    post_revision: int | None = None
    thread_id: int | None = None  # the thread's first question (None: this one)
    reply_to: int | None = None  # the answered question this one follows up
    created_at: dt.datetime
    answer: str | None = None
    answered_at: dt.datetime | None = None
    reject_reason: str | None = None
    token_id: int | None = None
    asker: str | None = None
    alternatives: list[AlternativeOut] = []


class AnswerIn(Strict):
    text: str
    alternatives: list[AlternativeIn] = []


class AnswerOut(BaseModel):
    question: QuestionOut
    answer: str
    credits_awarded: int
    token_id: int


class RejectIn(Strict):
    reason: str = Field(default="", max_length=2000)


class CreditEntryOut(BaseModel):
    key: str
    amount: int
    reason: str
    question_id: int | None
    created_at: dt.datetime


class CreditsOut(BaseModel):
    address: str
    balance: int
    entries: list[CreditEntryOut]


class SpendIn(Strict):
    amount: int = Field(gt=0, le=10**9, strict=True)
    idempotency_key: str = Field(min_length=1, max_length=150)
    reason: str = Field(default="", max_length=500)


class BalanceOut(BaseModel):
    address: str
    balance: int


def question_out(question, *, with_asker: bool = False) -> QuestionOut:  # type: ignore[no-untyped-def]
    return QuestionOut(
        id=question.id, status=question.status, text=question.text, language=question.language,
        consent_to_training=question.consent_to_training, public=question.public, post=question.post,
        post_revision=question.post_revision, thread_id=question.thread_id, reply_to=question.reply_to,
        created_at=question.created_at, answer=question.answer, answered_at=question.answered_at,
        reject_reason=question.reject_reason, token_id=question.token_id,
        asker=question.asker if with_asker else None,
        alternatives=[AlternativeOut(rank=a.rank, text=a.text) for a in question.alternatives],
    )


class AccountDeletedOut(BaseModel):
    address: str
    questions_deleted: int


class NftAttribute(BaseModel):
    trait_type: str
    value: str | int
    display_type: str | None = None  # "number" or "date" (seconds since 1970), as marketplaces read them


class NftMetadata(BaseModel):
    """EIP-721's ERC721 Metadata JSON Schema, with the `attributes` marketplaces show."""
    name: str
    description: str
    image: str
    attributes: list[NftAttribute]


class AutomatonStartIn(Strict):
    """A new conversation with the author's model, and its first message."""
    message: str
    idempotency_key: str = Field(min_length=1, max_length=100)  # a retry with the same key pays once
    post: str | None = Field(default=None, max_length=300)  # the slug of the post it starts from
    consent_to_training: StrictBool = False
    public: StrictBool = False
    language: str | None = Field(default=None, pattern=LANGUAGE_TAG, max_length=35)


class AutomatonTurnIn(Strict):
    message: str
    idempotency_key: str = Field(min_length=1, max_length=100)
    language: str | None = Field(default=None, pattern=LANGUAGE_TAG, max_length=35)


class ChoiceIn(Strict):
    chosen: int | None = Field(ge=0, le=7, strict=True)  # a candidate's 0-based index; null: none is like the author


class CorrectionIn(Strict):
    reply: str  # what the author would have answered


class TurnOut(BaseModel):
    id: int
    conversation_id: int
    position: int
    message: str
    language: str
    candidates: list[str]
    chosen: int | None
    choice_made: bool
    model: str
    model_version: str | None
    charged: int
    correction: str | None
    created_at: dt.datetime


class ConversationOut(BaseModel):
    id: int
    post: str | None
    language: str
    consent_to_training: bool
    public: bool
    created_at: dt.datetime
    turns: list[TurnOut]
    asker: str | None = None


class AutomatonReplyOut(BaseModel):
    conversation: ConversationOut
    turn: TurnOut
    balance: int  # the caller's credits after paying for this reply


def turn_out(turn) -> TurnOut:  # type: ignore[no-untyped-def]
    return TurnOut(id=turn.id, conversation_id=turn.conversation_id, position=turn.position, message=turn.message,
                   language=turn.language, candidates=turn.candidates, chosen=turn.chosen, choice_made=turn.choice_made,
                   model=turn.model, model_version=turn.model_version, charged=turn.charged,
                   correction=turn.correction, created_at=turn.created_at)


def conversation_out(conversation, *, with_asker: bool = False) -> ConversationOut:  # type: ignore[no-untyped-def]
    return ConversationOut(id=conversation.id, post=conversation.post, language=conversation.language,
                           consent_to_training=conversation.consent_to_training, public=conversation.public,
                           created_at=conversation.created_at, turns=[turn_out(t) for t in conversation.turns],
                           asker=conversation.asker if with_asker else None)
