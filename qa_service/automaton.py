"""The automaton: readers talk to the author's model with their credits, choose the reply
most like the author (or none), and the author writes the reply he would have given.

A reply is made in three steps, so no database connection is held while the model thinks:
`plan` reads (the conversation, the daily limit, the balance, a replay of the same key),
the caller asks the model (`model_server.candidates`), and `record` charges and stores the
turn in one transaction. A model failure never reaches `record`: nothing is charged and
nothing stored. The charge's idempotency key is the request's, so a retried request finds
its turn and pays once.

What the model is sent: the system turn, then every earlier exchange with the author's
correction as the assistant turn if he wrote one, else the candidate the reader chose; an
exchange where none was chosen (and not corrected) has no assistant turn, and its message
joins the next one, so the roles alternate as every chat template wants.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from . import credits
from .db import storable, writing
from .errors import Conflict, Invalid, NotFound, PaymentRequired, RateLimited
from .i18n import N_
from .language import detect
from .models import CONVERSATIONS, TURNS
from .questions import LANGUAGE_TAG, clean_text, post_slug
from .settings import Settings

Message = dict[str, str]
MAX_KEY = 100


@dataclass(frozen=True)
class TurnView:
    id: int
    conversation_id: int
    asker: str
    position: int
    message: str
    language: str
    prompt: list[Message]
    candidates: list[str]
    chosen: int | None
    chosen_at: dt.datetime | None
    model: str
    model_version: str | None
    charged: int
    correction: str | None
    corrected_at: dt.datetime | None
    created_at: dt.datetime

    @property
    def choice_made(self) -> bool:
        return self.chosen_at is not None

    @property
    def reply(self) -> str | None:
        """What the conversation continues from: the author's words, else the chosen candidate."""
        if self.correction is not None:
            return self.correction
        return self.candidates[self.chosen] if self.chosen is not None else None


@dataclass(frozen=True)
class ConversationView:
    id: int
    asker: str
    post: str | None
    language: str
    consent_to_training: bool
    public: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    turns: list[TurnView] = field(default_factory=list)

    @property
    def waiting_for_choice(self) -> TurnView | None:
        return self.turns[-1] if self.turns and not self.turns[-1].choice_made else None


@dataclass(frozen=True)
class Plan:
    """What `plan` found: the messages to send, or the turn a replayed key already made."""

    messages: list[Message]
    position: int
    language: str
    message: str
    replay: tuple[ConversationView, TurnView] | None = None


@dataclass(frozen=True)
class Reply:
    conversation: ConversationView
    turn: TurnView
    balance: int


def conversation_messages(turns: list[TurnView], message: str | None, *, system: str | None,
                          author_only: bool = False) -> list[Message]:
    """The chat so far as the model reads it, ending on `message` (a user turn) when given.
    author_only: only the author's corrections count as replies (model candidates never
    appear): the sft rows' history."""
    messages: list[Message] = [{"role": "system", "content": system}] if system else []
    waiting: list[str] = []
    for turn in turns:
        waiting.append(turn.message)
        reply = turn.correction if author_only else turn.reply
        if reply is not None:
            messages += [{"role": "user", "content": "\n\n".join(waiting)}, {"role": "assistant", "content": reply}]
            waiting = []
    if message is not None:
        messages.append({"role": "user", "content": "\n\n".join([*waiting, message])})
    return messages


def adapter_name(settings: Settings, address: str) -> str | None:
    """The reader's own LoRA adapter, as the server names it: QA_AUTOMATON_ADAPTERS followed by
    his keyed pseudonym (the export's `asker`), never anything of his address."""
    if not settings.automaton_adapters:
        return None
    from .dataset.rows import pseudonym

    return settings.automaton_adapters + pseudonym(address, settings.key)


def _turn(row: Any) -> TurnView:
    values = dict(row._mapping)
    values["prompt"] = json.loads(values["prompt"])
    values["candidates"] = json.loads(values["candidates"])
    for name in ("spend_key", "corrected_by"):
        values.pop(name, None)
    return TurnView(**values)


def _conversations(db: Connection, rows: list[Any]) -> list[ConversationView]:
    ids = [row.id for row in rows]
    turns: dict[int, list[TurnView]] = {i: [] for i in ids}
    if ids:
        for row in db.execute(select(TURNS).where(TURNS.c.conversation_id.in_(ids)).order_by(TURNS.c.position)):
            turns[row.conversation_id].append(_turn(row))
    return [ConversationView(**row._mapping, turns=turns[row.id]) for row in rows]


def _load(db: Connection, conversation_id: int, *, address: str | None) -> ConversationView:
    row = db.execute(select(CONVERSATIONS).where(CONVERSATIONS.c.id == conversation_id)).first()
    if row is None or (address is not None and row.asker != address):
        raise NotFound(N_("no conversation %(id)d of yours"), id=conversation_id)
    return _conversations(db, [row])[0]


def get(engine: Engine, *, conversation_id: int, address: str | None) -> ConversationView:
    """A conversation of `address` (any, for address None: the author)."""
    with engine.connect() as db, db.begin():
        return _load(db, conversation_id, address=address)


def mine(engine: Engine, *, address: str) -> list[ConversationView]:
    with engine.connect() as db, db.begin():
        rows = list(db.execute(select(CONVERSATIONS).where(CONVERSATIONS.c.asker == address)
                               .order_by(CONVERSATIONS.c.id.desc())))
        return _conversations(db, rows)


def for_admin(engine: Engine, *, limit: int = 100) -> list[ConversationView]:
    """The latest conversations, newest first."""
    with engine.connect() as db, db.begin():
        rows = list(db.execute(select(CONVERSATIONS).order_by(CONVERSATIONS.c.id.desc()).limit(limit)))
        return _conversations(db, rows)


def for_training(engine: Engine) -> list[ConversationView]:
    """Conversations whose askers consented to training, oldest first, with their turns."""
    with engine.connect() as db, db.begin():
        rows = list(db.execute(select(CONVERSATIONS).where(CONVERSATIONS.c.consent_to_training.is_(True))
                               .order_by(CONVERSATIONS.c.id)))
        return _conversations(db, rows)


def _clean_key(key: str) -> str:
    key = storable(key, what=N_("idempotency_key")).strip()
    if not key or len(key) > MAX_KEY:
        raise Invalid(N_("idempotency_key must be 1 to %(limit)d characters"), limit=MAX_KEY)
    return key


def _replayed(db: Connection, *, address: str, key: str) -> tuple[ConversationView, TurnView] | None:
    row = db.execute(select(TURNS.c.id, TURNS.c.conversation_id)
                     .where(TURNS.c.asker == address, TURNS.c.spend_key == key)).first()
    if row is None:
        return None
    conversation = _load(db, row.conversation_id, address=address)
    return conversation, next(t for t in conversation.turns if t.id == row.id)


def day_start(now: dt.datetime) -> dt.datetime:
    return now.astimezone(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)


def replies_today(engine: Engine, *, address: str, now: dt.datetime) -> int:
    with engine.connect() as db, db.begin():
        return _today(db, address=address, now=now)


def _today(db: Connection, *, address: str, now: dt.datetime) -> int:
    return int(db.execute(select(func.count()).select_from(TURNS).where(
        TURNS.c.asker == address, TURNS.c.created_at >= day_start(now))).scalar_one())


def _within_limits(db: Connection, *, settings: Settings, address: str, now: dt.datetime) -> None:
    """RateLimited past the daily limit (until 00:00 UTC); PaymentRequired when the balance
    cannot pay a reply."""
    limit = settings.automaton_daily_limit
    if limit:
        if _today(db, address=address, now=now) >= limit:
            wait = int((day_start(now) + dt.timedelta(days=1) - now).total_seconds()) + 1
            raise RateLimited(N_("you have had the %(limit)d replies a day the automaton gives; more from 00:00 UTC, "
                                 "in %(hours)d h %(minutes)d min"), wait, limit=limit, hours=wait // 3600,
                              minutes=wait % 3600 // 60)
    balance = credits.balance(db, address=address)
    if balance < settings.automaton_price:
        raise PaymentRequired(N_("a reply costs %(price)d credits and your balance is %(balance)d: ask the author a "
                                 "question on the Ask page; his answer earns you credits"),
                              price=settings.automaton_price, balance=balance)


def plan(engine: Engine, *, settings: Settings, address: str, message: str, idempotency_key: str,
         conversation_id: int | None, language: str | None = None, post: str | None = None,
         now: dt.datetime) -> Plan:
    """Check that a reply can be made and paid for, and what the model is to be sent; or
    find the turn this key already made (`replay`). Every value is checked here, before the
    model is asked."""
    message = clean_text(message, limit=settings.max_question_chars, what=N_("message"))
    key = _clean_key(idempotency_key)
    if post:
        post_slug(post)
    if language is not None and not re.fullmatch(LANGUAGE_TAG, language):
        raise Invalid(N_("language %(language)r is not a language tag such as en or ko-KR"), language=language[:40])
    with engine.connect() as db, db.begin():
        replay = _replayed(db, address=address, key=key)
        if replay is not None:
            return Plan([], replay[1].position, replay[1].language, message, replay)
        turns: list[TurnView] = []
        if conversation_id is not None:
            conversation = _load(db, conversation_id, address=address)
            _choice_made(conversation)
            turns = conversation.turns
        _within_limits(db, settings=settings, address=address, now=now)
    messages = conversation_messages(turns, message, system=settings.automaton_system)
    return Plan(messages, len(turns), language or detect(message), message)


def _choice_made(conversation: ConversationView) -> None:
    waiting = conversation.waiting_for_choice
    if waiting is not None:
        raise Conflict(N_("choose the reply most like the author's (or none) before you go on"))


def record(engine: Engine, *, settings: Settings, address: str, plan: Plan, candidates: list[str], model: str,
           model_version: str | None, idempotency_key: str, conversation_id: int | None, post: str | None = None,
           consent_to_training: bool = False, public: bool = False, now: dt.datetime) -> Reply:
    """Charge the reply and store the turn (and a new conversation), in one transaction: both
    or neither. The account row is locked first, so a concurrent request with the same key
    waits and then finds this turn."""
    key = _clean_key(idempotency_key)
    slug = post_slug(post)[0] if post else None
    with writing(engine) as db:
        credits.lock_account(db, address=address, now=now)
        replay = _replayed(db, address=address, key=key)
        if replay is not None:
            return Reply(*replay, credits.balance(db, address=address))
        if conversation_id is None:
            conversation_id = db.execute(insert(CONVERSATIONS).returning(CONVERSATIONS.c.id), dict(
                asker=address, post=slug, language=plan.language, consent_to_training=consent_to_training,
                public=public, created_at=now, updated_at=now)).scalar_one()
        else:
            conversation = _load(db, conversation_id, address=address)
            _choice_made(conversation)
            if len(conversation.turns) != plan.position:
                raise Conflict(N_("the conversation went on meanwhile: reload it and send your message again"))
            db.execute(update(CONVERSATIONS).where(CONVERSATIONS.c.id == conversation_id).values(updated_at=now))
        _within_limits(db, settings=settings, address=address, now=now)
        left = credits.debit(db, address=address, amount=settings.automaton_price, idempotency_key=f"automaton:{key}",
                             reason=f"automaton reply in conversation {conversation_id}", now=now)
        db.execute(insert(TURNS).values(
            conversation_id=conversation_id, asker=address, position=plan.position, message=plan.message,
            language=plan.language, prompt=json.dumps(plan.messages, ensure_ascii=False),
            candidates=json.dumps(candidates, ensure_ascii=False), chosen=None, chosen_at=None,
            model=model[:200], model_version=model_version[:200] if model_version else None,
            charged=settings.automaton_price, spend_key=key, created_at=now))
        conversation = _load(db, conversation_id, address=address)
        return Reply(conversation, conversation.turns[-1], left)


def choose(engine: Engine, *, address: str, turn_id: int, chosen: int | None, now: dt.datetime) -> TurnView:
    """The reader's choice at a turn: the index of the candidate most like the author, or
    None (none is). Made once; the same choice again is no change, another is a Conflict."""
    with writing(engine) as db:
        row = db.execute(select(TURNS).where(TURNS.c.id == turn_id)).first()
        if row is None or row.asker != address:
            raise NotFound(N_("no reply %(id)d of yours"), id=turn_id)
        turn = _turn(row)
        if chosen is not None and not 0 <= chosen < len(turn.candidates):
            raise Invalid(N_("chosen must be a candidate's number from 0 to %(last)d, or null for none"),
                          last=len(turn.candidates) - 1)
        if turn.choice_made:
            if turn.chosen != chosen:
                raise Conflict(N_("you chose at this reply already"))
            return turn
        db.execute(update(TURNS).where(TURNS.c.id == turn_id).values(chosen=chosen, chosen_at=now))
        return _turn(db.execute(select(TURNS).where(TURNS.c.id == turn_id)).one())


def correct(engine: Engine, *, settings: Settings, turn_id: int, reply: str, admin: str, now: dt.datetime) -> TurnView:
    """The author's own reply at a turn (written again, it replaces the earlier one): author
    data, which the export gives as sft; the model's candidates stay model data."""
    reply = clean_text(reply, limit=settings.max_answer_chars, what=N_("reply"))
    with writing(engine) as db:
        changed = db.execute(update(TURNS).where(TURNS.c.id == turn_id).values(
            correction=reply, corrected_by=admin, corrected_at=now)).rowcount
        if not changed:
            raise NotFound(N_("no reply %(id)d"), id=turn_id)
        return _turn(db.execute(select(TURNS).where(TURNS.c.id == turn_id)).one())
