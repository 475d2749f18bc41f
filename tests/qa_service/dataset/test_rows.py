"""Rows from threads: keyed ids only, rewards by rank alone, the same system turn in every
config, and threads of several exchanges (follow-ups) already shaped right."""

from __future__ import annotations

import dataclasses
import datetime as dt

from qa_service.dataset.rows import (
    QUESTION_CONFIGS, Exchange, Text, Thread, draft_reward, ilql_rows, reward_rows, sft_rows, thread_of,
)
from qa_service.questions import Draft, QuestionView

KEY = bytes(range(32))
NOW = dt.datetime(2026, 11, 30, tzinfo=dt.timezone.utc)


def question(qid: int, drafts: int, text: str = "What is a token?") -> QuestionView:
    return QuestionView(id=qid, asker="0x52908400098527886E0F7030069857D2E4169EE7", text=text, language="en",
                        consent_to_training=True, public=False, status="answered", post=None, created_at=NOW,
                        updated_at=NOW, answer="A piece of text.", token_id=qid,
                        alternatives=[Draft(rank, f"Draft {rank}.") for rank in range(1, drafts + 1)])


def test_a_lone_draft_scores_as_the_best_of_three() -> None:
    lone = {r["rank"]: r["reward"] for r in reward_rows(thread_of(question(1, 1), key=KEY))}
    three = {r["rank"]: r["reward"] for r in reward_rows(thread_of(question(2, 3), key=KEY))}
    assert lone == {0: 1.0, 1: -0.5}
    assert three == {0: 1.0, 1: -0.5, 2: -0.75, 3: -0.875}
    assert [draft_reward(r) for r in range(1, 6)] == sorted([draft_reward(r) for r in range(1, 6)], reverse=True)
    assert all(-1.0 < draft_reward(r) < 0 for r in range(1, 30))


def test_rows_carry_keyed_ids_never_the_question_or_token_id() -> None:
    qid = 123457
    thread = thread_of(question(qid, 2), key=KEY)
    for make in QUESTION_CONFIGS.values():
        for row in make(thread):
            assert "question_id" not in row and "token_id" not in row
            assert str(qid) not in repr(row) and "0x5290840009" not in repr(row).lower()
            assert row["thread"] == thread.id and row["id"].startswith(thread.id)
    assert thread_of(question(qid, 0), key=KEY).id == thread.id, "stable for one key"
    assert thread_of(question(qid, 0), key=bytes(32)).id != thread.id, "meaningless without it"


def test_the_system_turn_is_the_same_in_every_config() -> None:
    system = Text("You are the author's automaton.")
    plain = thread_of(question(7, 2), key=KEY)
    about_a_post = dataclasses.replace(plain, post="why", post_title="Why I write")
    for thread, expected in ((plain, system.text), (about_a_post, f"{system.text}\n\nPost: Why I write")):
        for name, make in QUESTION_CONFIGS.items():
            for row in make(thread, system=system):
                if name == "trees":  # one tree per thread: the system turn its conversations start with
                    assert row["system"] == expected, name
                    continue
                messages = row["messages"] if name == "sft" else row["prompt"]
                assert messages[0] == {"role": "system", "content": expected}, name


def test_a_thread_of_follow_ups_gives_one_row_per_turn() -> None:
    first = Exchange(Text("Q1?"), Text("A1."), (Text("worse A1."),))
    second = Exchange(Text("Q2 with x@y.org?"), Text("A2."), ())
    thread = Thread("t-x", "asker-y", "en", (first, Exchange(Text("Q2 <EMAIL>?", ("email",)), second.answer, ())))
    early, sft = sft_rows(thread)  # one conversation per answer: the thread up to it
    assert [m["content"] for m in early["messages"]] == ["Q1?", "A1."] and early["pii"] == [] and early["turn"] == 0
    assert [m["content"] for m in sft["messages"]] == ["Q1?", "A1.", "Q2 <EMAIL>?", "A2."] and sft["pii"] == ["email"]
    turns = list(ilql_rows(thread))
    author = [r for r in turns if r["trajectory"] == "t-x-0"]
    assert [(r["turn"], r["done"], r["reward"]) for r in author] == [(0, False, 1.0), (1, True, 1.0)]
    assert [m["content"] for m in author[1]["prompt"]] == ["Q1?", "A1.", "Q2 <EMAIL>?"]
    assert author[0]["pii"] == [] and author[1]["pii"] == ["email"], "pii lists what is in the row's own texts"
    [branch] = [r for r in turns if r["rank"] == 1]
    assert branch["done"] and branch["reward"] == -0.5 and branch["completion"][0]["content"] == "worse A1."
