"""The rows of each question config (SPEC section 4), built from threads. Pure: no clock, no
disk, no database; the same input gives the same rows.

A thread is what one asker asked and the author answered, as a list of exchanges (a question,
the author's answer, the lower-ranked drafts of it). Today every thread has one exchange;
follow-ups add exchanges, and each config already walks the list:

- sft: one conversation per thread (an optional system turn, then every question and answer).
- preference: at every exchange, the answer against each lower-ranked draft, with the
  conversation so far as the prompt (conversational prompt/chosen/rejected, as TRL's DPO).
- rewards: every completion alone with a label and a reward (KTO, reward models).
- ilql: one row per turn of a trajectory for offline RL: the author's answers are one
  trajectory, each draft is a one-step branch of it; `reward` is the turn's, `done` ends it.

Rewards depend on rank alone, never on how many drafts there were: the answer scores 1.0, the
draft ranked r scores -(1 - 2^-r) (-0.5, -0.75, -0.875 ...), so a lone draft and the best of
three both score -0.5.

Nothing here identifies a person: `id` and `thread` are keyed pseudonyms (HMAC-SHA256 with the
service's secret key) of the question, `asker` of the address; every text has been through
the PII scrubber, and `pii` lists the kinds replaced in the row's texts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from ..questions import QuestionView
from .pii import scrub

Row = dict[str, Any]


@dataclass(frozen=True)
class Text:
    """A scrubbed text and the PII kinds replaced in it."""

    text: str
    pii: tuple[str, ...] = ()

    @classmethod
    def scrubbed(cls, raw: str) -> Text:
        clean, kinds = scrub(raw)
        return cls(clean, tuple(kinds))


@dataclass(frozen=True)
class Exchange:
    question: Text
    answer: Text
    drafts: tuple[Text, ...]  # ranked: drafts[0] has rank 1


@dataclass(frozen=True)
class Thread:
    id: str
    asker: str
    language: str
    exchanges: tuple[Exchange, ...]
    post: str | None = None  # the slug of the post it was asked from
    post_revision: int | None = None  # the revision the asker read
    post_title: str | None = None  # that post's title (in the thread's language when it has one)


def keyed(kind: str, value: str, key: bytes) -> str:
    """A pseudonym that only the holder of `key` can tie back to `value`: stable from one
    export to the next, useless against the public list of NFT holders without the key."""
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:24]


def pseudonym(address: str, key: bytes) -> str:
    """The asker's name in the dataset: the same asker has the same pseudonym in every export."""
    return "asker-" + keyed("asker", address.lower(), key)


def thread_id(question_id: int, key: bytes) -> str:
    return "t-" + keyed("question", str(question_id), key)


def split_of(key: str, *, test_percent: int) -> str:
    """"test" for about test_percent of keys, "train" for the rest; fixed for a key forever."""
    bucket = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % 100
    return "test" if bucket < test_percent else "train"


def draft_reward(rank: int) -> float:
    """The reward of the draft ranked `rank` (1 = the best after the answer)."""
    return -(1.0 - 2.0 ** -rank)


ANSWER_REWARD = 1.0


Titles = Mapping[str, Mapping[str, str]]  # post slug -> language -> title ("" keys the post's own language)


def title_of(titles: Titles, slug: str | None, language: str) -> str | None:
    """A post's title in `language` when it was published in it, else in its own language."""
    found = titles.get(slug or "")
    if not found:
        return None
    return found.get(language) or found.get(language.split("-")[0]) or found.get("")


def thread_of(question: QuestionView, *, key: bytes, titles: Titles | None = None) -> Thread:
    """An answered thread (its first question and the answered follow-ups that continue it)
    with every text scrubbed, and the post it was asked from."""
    exchanges = tuple(
        Exchange(Text.scrubbed(turn.text), Text.scrubbed(turn.answer or ""),
                 tuple(Text.scrubbed(draft.text) for draft in turn.alternatives))
        for turn in (question, *question.follow_ups)
    )
    title = title_of(titles or {}, question.post, question.language) if question.post else None
    return Thread(thread_id(question.id, key), pseudonym(question.asker, key), question.language, exchanges,
                  post=question.post, post_revision=question.post_revision, post_title=title)


def _turn(role: str, text: Text) -> dict[str, str]:
    return {"role": role, "content": text.text}


def _pii(*texts: Text) -> list[str]:
    return sorted({kind for text in texts for kind in text.pii})


def _history(thread: Thread, upto: int, system: Text | None) -> tuple[list[dict[str, str]], list[Text]]:
    """The conversation before the author's turn of exchange `upto`: messages and their texts.
    Every config starts from here, so the system turn (with the post's title) is the same in all."""
    system = with_context(system, thread)
    messages = [_turn("system", system)] if system else []
    texts = [system] if system else []
    for exchange in thread.exchanges[:upto]:
        messages += [_turn("user", exchange.question), _turn("assistant", exchange.answer)]
        texts += [exchange.question, exchange.answer]
    messages.append(_turn("user", thread.exchanges[upto].question))
    texts.append(thread.exchanges[upto].question)
    return messages, texts


def _common(thread: Thread) -> Row:
    return {"thread": thread.id, "language": thread.language, "asker": thread.asker, "post": thread.post,
            "post_revision": thread.post_revision}


def with_context(system: Text | None, thread: Thread) -> Text | None:
    """The system turn of every row of a thread: the export's, then the post the thread was
    asked about (`Post: <title>`), when there is one."""
    if not thread.post_title:
        return system
    context = f"Post: {thread.post_title}"
    return Text(f"{system.text}\n\n{context}", system.pii) if system else Text(context)


def sft_rows(thread: Thread, *, system: Text | None = None) -> Iterator[Row]:
    """One conversation per answer: the whole thread up to and including it (a thread of n
    answered turns gives n rows, each a multi-turn conversation ending on the author)."""
    for turn, exchange in enumerate(thread.exchanges):
        messages, texts = _history(thread, turn, system)
        yield {"id": f"{thread.id}-{turn}", **_common(thread), "turn": turn, "post_title": thread.post_title,
               "messages": messages + [_turn("assistant", exchange.answer)], "pii": _pii(*texts, exchange.answer)}


def tree_rows(thread: Thread, *, system: Text | None = None) -> Iterator[Row]:
    """The thread as one conversation tree, as Open-Assistant publishes its trees: the first
    question is the prompt; every prompter message has the author's answer (rank 0) and its
    drafts (rank 1, 2 ...) as replies; the next question replies to the answer. `tree` is one
    line of Open-Assistant's trees.jsonl ({message_tree_id, tree_state, prompt}, every message
    with message_id, parent_id, text, role, lang, rank, replies); `nodes` is the same tree flat,
    parents first, for Arrow-typed access (Arrow has no recursive type)."""
    system = with_context(system, thread)
    nodes: list[Row] = []
    texts: list[Text] = []
    parent: str | None = None
    for turn, exchange in enumerate(thread.exchanges):
        asked = f"{thread.id}-{turn}-q"
        nodes.append({"message_id": asked, "parent_id": parent, "role": "prompter", "text": exchange.question.text,
                      "lang": thread.language, "rank": None, "turn": turn})
        replies = [(0, exchange.answer), *enumerate(exchange.drafts, 1)]
        for rank, reply in replies:
            nodes.append({"message_id": f"{thread.id}-{turn}-{rank}", "parent_id": asked, "role": "assistant",
                          "text": reply.text, "lang": thread.language, "rank": rank, "turn": turn})
        texts += [exchange.question, exchange.answer, *exchange.drafts]
        parent = f"{thread.id}-{turn}-0"  # the conversation goes on from the author's answer

    def nested(message_id: str) -> dict[str, Any]:
        node = next(n for n in nodes if n["message_id"] == message_id)
        children = [n["message_id"] for n in nodes if n["parent_id"] == message_id]
        return {key: node[key] for key in ("message_id", "parent_id", "text", "role", "lang", "rank")} | {
            "replies": [nested(child) for child in children]}

    yield {"id": thread.id, **_common(thread), "message_tree_id": thread.id, "tree_state": "ready_for_export",
           "post_title": thread.post_title, "system": system.text if system else None,
           "tree": json.dumps({"message_tree_id": thread.id, "tree_state": "ready_for_export",
                               "prompt": nested(nodes[0]["message_id"])}, ensure_ascii=False, sort_keys=True),
           "nodes": nodes, "pii": _pii(*texts, *([system] if system else []))}


def preference_rows(thread: Thread, *, system: Text | None = None) -> Iterator[Row]:
    for turn, exchange in enumerate(thread.exchanges):
        prompt, texts = _history(thread, turn, system)
        for rank, draft in enumerate(exchange.drafts, 1):
            yield {"id": f"{thread.id}-{turn}-{rank}", **_common(thread), "turn": turn, "rank": rank, "prompt": prompt,
                   "chosen": [_turn("assistant", exchange.answer)], "rejected": [_turn("assistant", draft)],
                   "pii": _pii(*texts, exchange.answer, draft)}


def reward_rows(thread: Thread, *, system: Text | None = None) -> Iterator[Row]:
    for turn, exchange in enumerate(thread.exchanges):
        prompt, texts = _history(thread, turn, system)
        scored = [(0, exchange.answer, True, ANSWER_REWARD)]
        scored += [(rank, draft, False, draft_reward(rank)) for rank, draft in enumerate(exchange.drafts, 1)]
        for rank, completion, label, reward in scored:
            yield {"id": f"{thread.id}-{turn}-{rank}", **_common(thread), "turn": turn, "rank": rank, "prompt": prompt,
                   "completion": [_turn("assistant", completion)], "label": label, "reward": reward,
                   "pii": _pii(*texts, completion)}


def ilql_rows(thread: Thread, *, system: Text | None = None) -> Iterator[Row]:
    """The author's trajectory, one row per turn (done on the last), then every draft as a
    one-step trajectory branching off at its turn (done at once)."""
    last = len(thread.exchanges) - 1
    for turn, exchange in enumerate(thread.exchanges):
        prompt, texts = _history(thread, turn, system)
        yield {"id": f"{thread.id}-{turn}-0", **_common(thread), "trajectory": f"{thread.id}-0", "turn": turn, "rank": 0,
               "prompt": prompt, "completion": [_turn("assistant", exchange.answer)], "reward": ANSWER_REWARD,
               "done": turn == last, "pii": _pii(*texts, exchange.answer)}
        for rank, draft in enumerate(exchange.drafts, 1):
            yield {"id": f"{thread.id}-{turn}-{rank}", **_common(thread), "trajectory": f"{thread.id}-{turn}-{rank}",
                   "turn": turn, "rank": rank, "prompt": prompt, "completion": [_turn("assistant", draft)],
                   "reward": draft_reward(rank), "done": True, "pii": _pii(*texts, draft)}


QUESTION_CONFIGS = {"sft": sft_rows, "preference": preference_rows, "rewards": reward_rows, "ilql": ilql_rows,
                    "trees": tree_rows}
