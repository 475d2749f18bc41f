"""Questions and answers: ask, withdraw, list, answer (with ranked alternatives), reject,
and delete everything an asker left. Each function owns its transaction.

Public functions take the Engine and hold a pooled connection only while their own
statements run (never across an await); they use SQLAlchemy Core, because on this service's
hot paths the ORM Session cost three times as much as the statements themselves.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterator

from sqlalchemy import Connection, Engine, case, delete, insert, literal, literal_column, select, update

from . import credits
from .db import AsyncStatements, storable, writing
from .language import detect
from .errors import Conflict, Invalid, NotFound, TooLarge
from .i18n import N_
from .models import ACCOUNTS, ALTERNATIVES, CONVERSATIONS, DELETED_TOKENS, LEDGER, MINTS, QUESTIONS, SIGN_INS, TURNS
from .settings import Settings

STATUSES = (N_("pending"), N_("answered"), N_("rejected"), N_("withdrawn"))
ADD_QUESTION = insert(QUESTIONS).returning(QUESTIONS.c.id)


@dataclass(frozen=True)
class Draft:
    rank: int
    text: str


@dataclass(frozen=True)
class QuestionView:
    id: int
    asker: str
    text: str
    language: str
    consent_to_training: bool
    public: bool
    status: str
    post: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    post_revision: int | None = None
    thread_id: int | None = None  # the thread's first question; None on that question itself
    reply_to: int | None = None  # the answered question this one follows up
    answer: str | None = None
    answered_by: str | None = None
    answered_at: dt.datetime | None = None
    reject_reason: str | None = None
    token_id: int | None = None
    alternatives: list[Draft] = field(default_factory=list)
    # The answered follow-ups that continue this thread, in order (filled by `training_batches`
    # and `published`, which hand out whole threads).
    follow_ups: list[QuestionView] = field(default_factory=list)

    @property
    def thread(self) -> int:
        """The id of the question that started this one's thread (its own id if it did)."""
        return self.thread_id or self.id


@dataclass(frozen=True)
class AnswerResult:
    question: QuestionView
    answer: str
    credits_awarded: int
    token_id: int


LANGUAGE_TAG = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"  # BCP 47, as far as a question needs
# A post's slug: its folder name, as in the blog's URL (Hangul kept; nothing a URL would escape).
SLUG = re.compile(r"[^\s/?#%<>\"'\\`{}|^\[\]]{1,200}")
MAX_REVISION = 1_000_000


def post_slug(value: str) -> tuple[str, str | None]:
    """(slug, language) of a post named by its slug or by the path of its page on the blog:
    "why-i-write", "why-i-write/", "/why-i-write/en-GB/" (a translation: its language too).
    Invalid when it names no post."""
    parts = [part for part in storable(value, what=N_("post")).strip().split("/") if part]
    language = None
    if len(parts) >= 2 and re.fullmatch(LANGUAGE_TAG, parts[-1]):
        language = parts.pop()
    if not parts or not SLUG.fullmatch(parts[-1]):
        raise Invalid(N_("%(post)r is not a post's slug such as why-i-write"), post=value[:60])
    return parts[-1], language


def clean_text(text: str, *, limit: int, what: str) -> str:
    """What a reader or the author wrote, as stored: storable, newlines normalised, trimmed,
    not empty and within `limit` characters (else a 4xx naming `what`)."""
    text = storable(text, what=what).replace("\r\n", "\n").strip()
    if not text:
        raise Invalid(N_("%(what)s is empty"), what=what)
    if len(text) > limit:
        raise TooLarge(N_("%(what)s is %(length)d characters; the limit is %(limit)d"), what=what, length=len(text),
                       limit=limit)
    return text


def _views(db: Connection, rows: list) -> list[QuestionView]:  # type: ignore[type-arg]
    """Rows of the questions table, with their alternatives, as views."""
    ids = [row.id for row in rows]
    drafts: dict[int, list[Draft]] = {i: [] for i in ids}
    if ids:
        found = db.execute(select(ALTERNATIVES).where(ALTERNATIVES.c.question_id.in_(ids)).order_by(ALTERNATIVES.c.rank))
        for alt in found:
            drafts[alt.question_id].append(Draft(alt.rank, alt.text))
    return [QuestionView(**row._mapping, alternatives=drafts[row.id]) for row in rows]


def get(db: Connection, question_id: int) -> QuestionView:
    row = db.execute(select(QUESTIONS).where(QUESTIONS.c.id == question_id)).first()
    if row is None:
        raise NotFound(N_("no question %(id)d"), id=question_id)
    return _views(db, [row])[0]


async def ask(statements: AsyncStatements, *, settings: Settings, address: str, text: str,
              consent_to_training: bool, public: bool = False, language: str | None = None, post: str | None = None,
              post_revision: int | None = None, now: dt.datetime) -> QuestionView:
    """Store a pending question (one INSERT, awaited: the API's hot path). `post` is the slug
    (or page path) of the post it was asked from, `post_revision` the revision read. Without
    a language, the question's is detected from its text."""
    text = clean_text(text, limit=settings.max_question_chars, what=N_("question"))
    language = language or detect(text)
    if not re.fullmatch(LANGUAGE_TAG, language):
        raise Invalid(N_("language %(language)r is not a language tag such as en or ko-KR"), language=language[:40])
    if post is not None:
        post, _language = post_slug(post)
    if post_revision is not None and (post is None or not 1 <= post_revision <= MAX_REVISION):
        raise Invalid(N_("post_revision must be a whole number from 1, given with the post it is of"))
    values: dict[str, Any] = dict(asker=address, text=text, language=language, consent_to_training=consent_to_training,
                                  public=public, status="pending", post=post, post_revision=post_revision,
                                  created_at=now, updated_at=now)
    _count, row = await statements.run(ADD_QUESTION, values)
    assert row is not None  # INSERT ... RETURNING id
    return QuestionView(id=int(row[0]), **values)


def withdraw(engine: Engine, *, address: str, question_id: int, now: dt.datetime) -> QuestionView:
    """Take a question back, only while it is pending: an answered one has paid its credits
    and carries a token that must keep its meaning, a rejected one is closed. Withdrawing
    twice is no change; another's question or a missing one is NotFound."""
    with writing(engine) as db:
        changed = db.execute(
            update(QUESTIONS)
            .where(QUESTIONS.c.id == question_id, QUESTIONS.c.asker == address, QUESTIONS.c.status == "pending")
            .values(status="withdrawn", updated_at=now)
        ).rowcount
        row = db.execute(select(QUESTIONS.c.asker, QUESTIONS.c.status).where(QUESTIONS.c.id == question_id)).first()
        if row is None or row.asker != address:
            raise NotFound(N_("no question %(id)d of yours"), id=question_id)
        if not changed and row.status != "withdrawn":
            raise Conflict(N_("question %(id)d is %(status)s: a question can be withdrawn only while it is pending"),
                           id=question_id, status=row.status)
        return get(db, question_id)


def follow_up(engine: Engine, *, settings: Settings, address: str, reply_to: int, text: str,
              language: str | None = None, now: dt.datetime) -> QuestionView:
    """The asker replies to an answer of his with a follow-up: a pending question in the same
    thread, with the thread's consent, publicity and post. Only the latest answer of a
    thread can be followed up (one conversation, however deep); a follow-up that was rejected
    or withdrawn leaves that answer open to another."""
    text = clean_text(text, limit=settings.max_question_chars, what=N_("question"))
    if language is not None and not re.fullmatch(LANGUAGE_TAG, language):
        raise Invalid(N_("language %(language)r is not a language tag such as en or ko-KR"), language=language[:40])
    with writing(engine) as db:
        # The answer's row is locked (PostgreSQL; SQLite's writers are serialised already), so
        # of two follow-ups sent at once the second sees the first.
        parent = db.execute(select(QUESTIONS).where(QUESTIONS.c.id == reply_to).with_for_update()).first()
        if parent is None or parent.asker != address:
            raise NotFound(N_("no question %(id)d of yours"), id=reply_to)
        if parent.status != "answered":
            raise Conflict(N_("question %(id)d is %(status)s: only an answer can be followed up"), id=reply_to,
                           status=parent.status)
        if db.execute(select(QUESTIONS.c.id).where(QUESTIONS.c.reply_to == reply_to,
                                                   QUESTIONS.c.status.in_(("pending", "answered")))).first():
            raise Conflict(N_("answer %(id)d already has a follow-up: reply to the latest answer of the thread"),
                           id=reply_to)
        values: dict[str, Any] = dict(
            asker=address, text=text, language=language or parent.language, consent_to_training=parent.consent_to_training,
            public=parent.public, status="pending", post=parent.post, post_revision=parent.post_revision,
            thread_id=parent.thread_id or parent.id, reply_to=reply_to, created_at=now, updated_at=now)
        new_id = db.execute(ADD_QUESTION, values).scalar_one()
    return QuestionView(id=int(new_id), **values)


def threads(engine: Engine, *, ids: list[int]) -> dict[int, list[QuestionView]]:
    """Every question of the threads started by `ids`, oldest first, by thread."""
    found: dict[int, list[QuestionView]] = {i: [] for i in ids}
    if not ids:
        return found
    with engine.connect() as db, db.begin():
        rows = list(db.execute(select(QUESTIONS).where(QUESTIONS.c.id.in_(ids) | QUESTIONS.c.thread_id.in_(ids))
                               .order_by(QUESTIONS.c.id)))
        for view in _views(db, rows):
            found[view.thread].append(view)
    return found


def _with_follow_ups(db: Connection, roots: list[QuestionView]) -> list[QuestionView]:
    """Each thread's first question with the answered follow-ups that continue it, in order:
    the conversation stops at the first turn that is not answered."""
    if not roots:
        return roots
    # Only the ids are bound: a batch of n threads costs one statement of n parameters.
    rows = list(db.execute(select(QUESTIONS).where(QUESTIONS.c.thread_id.in_([r.id for r in roots]),
                                                   QUESTIONS.c.status == literal_column("'answered'"))
                           .order_by(QUESTIONS.c.id)))
    answered_after = {turn.reply_to: turn for turn in _views(db, rows)}  # at most one answered reply per answer
    whole = []
    for root in roots:
        chain, at = [], root.id
        while at in answered_after:
            chain.append(answered_after[at])
            at = chain[-1].id
        whole.append(replace(root, follow_ups=chain))
    return whole


def mine(engine: Engine, *, address: str) -> list[QuestionView]:
    with engine.connect() as db, db.begin():
        rows = list(db.execute(select(QUESTIONS).where(QUESTIONS.c.asker == address).order_by(QUESTIONS.c.id.desc())))
        return _views(db, rows)


def answered(engine: Engine, *, token_id: int) -> QuestionView | None:
    """The answered question that carries `token_id` (its NFT); None when its asker deleted
    his account (the token stays, its words are gone); NotFound for any other token id."""
    with engine.connect() as db, db.begin():
        row = db.execute(select(QUESTIONS).where(QUESTIONS.c.token_id == token_id,
                                                 QUESTIONS.c.status == "answered")).first()
        if row is not None:
            return _views(db, [row])[0]
        if db.execute(select(DELETED_TOKENS.c.token_id).where(DELETED_TOKENS.c.token_id == token_id)).first():
            return None
        raise NotFound(f"no answer NFT {token_id}")


TRAINABLE = (QUESTIONS.c.status == "answered", QUESTIONS.c.consent_to_training.is_(True), QUESTIONS.c.thread_id.is_(None))


def for_training(engine: Engine) -> list[QuestionView]:
    """Answered threads whose askers consented to training, oldest first: each first question
    with its drafts and its answered follow-ups. Withdrawn, rejected and pending questions, and
    deleted accounts' questions, never appear."""
    return [question for batch in training_batches(engine) for question in batch]


def training_batches(engine: Engine, *, batch: int = 1000, public_only: bool = False) -> Iterator[list[QuestionView]]:
    """What `for_training` returns, `batch` threads at a time, read in one transaction by
    keyset pagination (id > the last one seen): no statement carries more than `batch` bound
    parameters (PostgreSQL allows 65,535), and memory holds one batch, whatever the table size.
    public_only: only threads whose askers let them be published."""
    conditions = TRAINABLE + ((QUESTIONS.c.public.is_(True),) if public_only else ())
    with engine.connect() as db, db.begin():
        last = 0
        while True:
            rows = list(db.execute(select(QUESTIONS).where(*conditions, QUESTIONS.c.id > last)
                                   .order_by(QUESTIONS.c.id).limit(batch)))
            if not rows:
                return
            yield _with_follow_ups(db, _views(db, rows))
            last = rows[-1].id


def list_for_admin(engine: Engine, *, status: str | None = "pending", limit: int = 200) -> list[QuestionView]:
    if status is not None and status not in STATUSES:
        raise Invalid(f"status must be one of {', '.join(STATUSES)}")
    query = select(QUESTIONS).order_by(QUESTIONS.c.id)
    if status:
        query = query.where(QUESTIONS.c.status == status)
    with engine.connect() as db, db.begin():
        return _views(db, list(db.execute(query.limit(limit))))


def _decide(db: Connection, question_id: int, **values: object) -> QuestionView:
    """Move a pending question on, inside the caller's transaction. One conditional UPDATE
    claims it, so of two concurrent decisions (even in two processes) exactly one wins."""
    changed = db.execute(
        update(QUESTIONS).where(QUESTIONS.c.id == question_id, QUESTIONS.c.status == "pending").values(**values)
    ).rowcount
    question = get(db, question_id)
    if changed != 1:
        raise Conflict(N_("question %(id)d is %(status)s, not pending"), id=question_id, status=question.status)
    return question


def answer(engine: Engine, *, settings: Settings, question_id: int, text: str, alternatives: list[str],
           admin: str, now: dt.datetime) -> AnswerResult:
    """Answer a pending question once: store it with its ranked alternatives, pay the asker
    exactly once and give the answer its token id. A second answer is a 409."""
    text = clean_text(text, limit=settings.max_answer_chars, what=N_("answer"))
    if len(alternatives) > settings.max_alternatives:
        raise Invalid(f"at most {settings.max_alternatives} alternatives")
    drafts = [clean_text(a, limit=settings.max_answer_chars, what=f"alternative {i}") for i, a in enumerate(alternatives, 1)]
    with writing(engine) as db:
        # One answer NFT per thread: the first question's answer carries it (token id = its id).
        question = _decide(db, question_id, status="answered", answer=text, answered_by=admin, answered_at=now,
                           updated_at=now, token_id=case((QUESTIONS.c.thread_id.is_(None), question_id), else_=None))
        if drafts:
            db.execute(insert(ALTERNATIVES), [{"question_id": question_id, "rank": rank, "text": draft}
                                              for rank, draft in enumerate(drafts, 1)])
        amount = credits.award_amount(len(question.text), len(text), settings=settings)
        if not credits.record_award(db, address=question.asker, question_id=question_id, amount=amount, now=now):
            amount = 0
        question = get(db, question_id)
    return AnswerResult(question, text, amount, question.token_id or question.thread)


def reject(engine: Engine, *, question_id: int, reason: str, admin: str, now: dt.datetime) -> QuestionView:
    """Turn a pending question down with the reason its asker will read (required)."""
    reason = storable(reason, what=N_("reason")).strip()[:2000]
    if not reason:
        raise Invalid(N_("give a reason for rejecting: the asker reads it"))
    with writing(engine) as db:
        return _decide(db, question_id, status="rejected", reject_reason=reason, answered_by=admin, updated_at=now)


def delete_account(engine: Engine, *, address: str, now: dt.datetime) -> int:
    """Remove every trace of an asker: questions, answers, automaton conversations, credits, sessions. Returns questions
    removed. His answers' token ids are kept, alone, in deleted_tokens: the NFTs stay on chain
    and their metadata then says "deleted" (ids are never reused, so no other question can
    take them over)."""
    with writing(engine) as db:
        db.execute(DELETED_TOKENS.insert().from_select(
            ["token_id", "deleted_at"],
            select(QUESTIONS.c.token_id, literal(now, DELETED_TOKENS.c.deleted_at.type))
            .where(QUESTIONS.c.asker == address, QUESTIONS.c.token_id.is_not(None))))
        removed = db.execute(delete(QUESTIONS).where(QUESTIONS.c.asker == address)).rowcount
        db.execute(delete(TURNS).where(TURNS.c.asker == address))  # his talks with the automaton
        db.execute(delete(CONVERSATIONS).where(CONVERSATIONS.c.asker == address))
        db.execute(delete(LEDGER).where(LEDGER.c.address == address))
        db.execute(delete(SIGN_INS).where(SIGN_INS.c.address == address))
        db.execute(delete(MINTS).where(MINTS.c.owner == address))  # the chain keeps its own record
        db.execute(delete(ACCOUNTS).where(ACCOUNTS.c.address == address))
    return removed
