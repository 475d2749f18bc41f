"""The rows of each dataset config (SPEC section 4), from the blog's posts and the answered
questions. Pure: no clock, no disk, no database; the same input gives the same rows.

- posts: one row per section of a published post (each language version), cut at its
  headings, with the path of headings above it and a URL that lands on it.
- sft: one conversation per answered question (an optional system turn, the question, the
  answer), in the chat format TRL's SFTTrainer and `apply_chat_template` take.
- preference: the answer against each lower-ranked alternative, conversational
  prompt/chosen/rejected as TRL's DPOTrainer expects.
- rewards: every completion alone with a label and a reward, for KTO and offline RL: the
  answer is desirable (label true, reward 1.0); the alternative ranked r of n is not (label
  false, reward -r/n, so the worst draft scores -1.0).

Rows of one question (or one post) carry its key in `question_id` (or `slug`); the split
hashes that key, so a question's rows never straddle train and test, and a row never moves
when more data comes.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, Iterable

from sitegen.site import Site

from ..questions import QuestionView

Row = dict[str, Any]


def pseudonym(address: str, key: bytes) -> str:
    """A stable name for an asker that does not reveal his address (HMAC-SHA256 with the
    service's secret key): the same asker has the same pseudonym in every export."""
    return "asker-" + hmac.new(key, address.lower().encode(), hashlib.sha256).hexdigest()[:16]


def split_of(key: str, *, test_percent: int) -> str:
    """"test" for about test_percent of keys, "train" for the rest; fixed for a key forever."""
    bucket = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % 100
    return "test" if bucket < test_percent else "train"


def post_rows(site: Site) -> list[Row]:
    rows: list[Row] = []
    config = site.config
    for post in site.posts:
        for document in post.documents:
            anchors = {heading.line: heading.id for heading in document.rendered.headings if heading.id}
            page = config.absolute(document.url)
            for index, section in enumerate(document.rendered.sections):
                anchor = anchors.get(section.line - 1)  # the heading just above the section
                rows.append({
                    "id": f"{post.slug}/{document.language}/{index}",
                    "slug": post.slug,
                    "language": document.language,
                    "title": document.title,
                    "heading_path": list(section.heading_path),
                    "tags": [tag.name for tag in document.tags],
                    "revision": document.revision,
                    "date": document.date.isoformat(),
                    "url": f"{page}#{anchor}" if anchor else page,
                    "text": section.markdown,
                })
    return rows


def _turn(role: str, content: str) -> list[dict[str, str]]:
    return [{"role": role, "content": content}]


def _common(question: QuestionView, key: bytes) -> Row:
    return {"question_id": question.id, "language": question.language, "asker": pseudonym(question.asker, key)}


def sft_rows(questions: Iterable[QuestionView], *, key: bytes, system: str | None = None) -> list[Row]:
    prefix = _turn("system", system) if system else []
    return [
        {"id": f"q{q.id}", **_common(q, key),
         "messages": prefix + _turn("user", q.text) + _turn("assistant", q.answer or "")}
        for q in questions
    ]


def preference_rows(questions: Iterable[QuestionView], *, key: bytes) -> list[Row]:
    return [
        {"id": f"q{q.id}-alt{draft.rank}", **_common(q, key), "rank": draft.rank,
         "prompt": _turn("user", q.text), "chosen": _turn("assistant", q.answer or ""),
         "rejected": _turn("assistant", draft.text)}
        for q in questions
        for draft in q.alternatives
    ]


def reward_rows(questions: Iterable[QuestionView], *, key: bytes) -> list[Row]:
    rows: list[Row] = []
    for q in questions:
        prompt = _turn("user", q.text)
        rows.append({"id": f"q{q.id}-answer", **_common(q, key), "rank": 0, "prompt": prompt,
                     "completion": _turn("assistant", q.answer or ""), "label": True, "reward": 1.0})
        n = len(q.alternatives)
        for draft in q.alternatives:
            rows.append({"id": f"q{q.id}-alt{draft.rank}", **_common(q, key), "rank": draft.rank, "prompt": prompt,
                         "completion": _turn("assistant", draft.text), "label": False, "reward": -draft.rank / n})
    return rows
