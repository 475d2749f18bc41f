"""Tables. The credit ledger is append-only: a balance is the sum of an address's entries,
and a unique (address, key) makes every award and spend happen at most once."""

from __future__ import annotations

import datetime as dt

from typing import cast

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    type_annotation_map = {dt.datetime: DateTime(timezone=True)}


class SignIn(Base):
    """One sign-in, from the nonce issued to the session it became (if it did).

    Issuing a nonce inserts the row; the signed message coming back fills in the token hash,
    address and session expiry with one conditional UPDATE that also burns the nonce."""

    __tablename__ = "sign_ins"
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    issued_at: Mapped[dt.datetime]
    nonce_expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # SHA-256 of the session token
    address: Mapped[str | None] = mapped_column(String(42), index=True)
    signed_in_at: Mapped[dt.datetime | None]
    expires_at: Mapped[dt.datetime | None]  # of the session
    revoked_at: Mapped[dt.datetime | None]


class Account(Base):
    """One row per address that ever spent: the row `credits.spend` locks to serialise its spends."""

    __tablename__ = "accounts"
    address: Mapped[str] = mapped_column(String(42), primary_key=True)
    created_at: Mapped[dt.datetime]


class Question(Base):
    """A question; its id is also its answer NFT's token id, so ids are never reused
    (AUTOINCREMENT on SQLite, a sequence on PostgreSQL)."""

    __tablename__ = "questions"
    __table_args__ = {"sqlite_autoincrement": True}
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asker: Mapped[str] = mapped_column(String(42), index=True)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(35))
    consent_to_training: Mapped[bool] = mapped_column(Boolean)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending answered rejected withdrawn
    post: Mapped[str | None] = mapped_column(String(300))  # the slug of the blog post it was asked from
    post_revision: Mapped[int | None]  # the revision of that post the reader saw
    # A follow-up replies to an answer: the question answered, and the thread's first question
    # (both NULL on a thread's first question: every thread starts as a one-turn one).
    thread_id: Mapped[int | None] = mapped_column(Integer, index=True)
    reply_to: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(42))
    answered_at: Mapped[dt.datetime | None]
    reject_reason: Mapped[str | None] = mapped_column(Text)
    token_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    alternatives: Mapped[list["Alternative"]] = relationship(
        order_by="Alternative.rank", cascade="all, delete-orphan", lazy="selectin"
    )


class Alternative(Base):
    """A lower-ranked draft of an answer (rank 1 = best after the answer): preference data."""

    __tablename__ = "alternatives"
    __table_args__ = (UniqueConstraint("question_id", "rank"), {"sqlite_autoincrement": True})
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int]
    text: Mapped[str] = mapped_column(Text)


class Mint(Base):
    """An answer NFT minted on chain (`qa-service mint`): which contract, to whom, in which transaction."""

    __tablename__ = "mints"
    token_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chain_id: Mapped[int] = mapped_column(BigInteger)  # EIP-155 ids outgrow 32 bits
    contract: Mapped[str] = mapped_column(String(42))
    owner: Mapped[str] = mapped_column(String(42), index=True)
    tx_hash: Mapped[str] = mapped_column(String(66))
    minted_at: Mapped[dt.datetime]


class DeletedToken(Base):
    """The token id of an answer whose asker deleted his account: its NFT keeps answering,
    as deleted, instead of going blank or (were the id reused) changing meaning."""

    __tablename__ = "deleted_tokens"
    token_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    deleted_at: Mapped[dt.datetime]


class CreditEntry(Base):
    __tablename__ = "credit_entries"
    __table_args__ = (UniqueConstraint("address", "key", name="uq_credit_entries_address_key"), {"sqlite_autoincrement": True})
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    address: Mapped[str] = mapped_column(String(42), index=True)
    key: Mapped[str] = mapped_column(String(200))  # "answer:<question id>" or "spend:<idempotency key>"
    amount: Mapped[int]  # > 0 awards, < 0 spends
    reason: Mapped[str] = mapped_column(Text)
    question_id: Mapped[int | None]
    created_at: Mapped[dt.datetime]


class AutomatonConversation(Base):
    """A reader's conversation with the author's model (the automaton): consent and
    publicity as a question's, the post it started from."""

    __tablename__ = "automaton_conversations"
    __table_args__ = {"sqlite_autoincrement": True}
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asker: Mapped[str] = mapped_column(String(42), index=True)
    post: Mapped[str | None] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(35))
    consent_to_training: Mapped[bool] = mapped_column(Boolean)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class AutomatonTurn(Base):
    """One paid reply: the reader's message, the messages the model was sent (`prompt`, JSON),
    its N candidates (JSON list), the reader's choice (`chosen_at` set; `chosen` NULL = none
    was like the author) and the author's own reply (`correction`). `spend_key` is the
    request's idempotency key: a retried request finds its turn instead of paying again."""

    __tablename__ = "automaton_turns"
    __table_args__ = (UniqueConstraint("conversation_id", "position", name="uq_automaton_turns_position"),
                      UniqueConstraint("asker", "spend_key", name="uq_automaton_turns_spend_key"),
                      {"sqlite_autoincrement": True})
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("automaton_conversations.id", ondelete="CASCADE"), index=True)
    asker: Mapped[str] = mapped_column(String(42))
    position: Mapped[int]  # 0-based, in its conversation
    message: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(35))
    prompt: Mapped[str] = mapped_column(Text)  # JSON: the messages sent to the model
    candidates: Mapped[str] = mapped_column(Text)  # JSON: list of the model's replies
    chosen: Mapped[int | None]
    chosen_at: Mapped[dt.datetime | None]
    model: Mapped[str] = mapped_column(String(200))  # as the server reported it
    model_version: Mapped[str | None] = mapped_column(String(200))
    charged: Mapped[int]
    spend_key: Mapped[str] = mapped_column(String(200))
    correction: Mapped[str | None] = mapped_column(Text)  # the author's reply: author data
    corrected_by: Mapped[str | None] = mapped_column(String(42))
    corrected_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(index=True)


def _table(model: type[Base]) -> Table:
    """A model's Core table, typed as one (SQLAlchemy types `__table__` as any FromClause)."""
    return cast(Table, model.__table__)


# The tables the domain modules run Core statements on.
SIGN_INS = _table(SignIn)
ACCOUNTS = _table(Account)
QUESTIONS = _table(Question)
ALTERNATIVES = _table(Alternative)
LEDGER = _table(CreditEntry)
MINTS = _table(Mint)
DELETED_TOKENS = _table(DeletedToken)
CONVERSATIONS = _table(AutomatonConversation)
TURNS = _table(AutomatonTurn)
