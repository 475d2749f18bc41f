"""The rows the automaton's conversations give (consenting askers only). Pure: no clock, no
disk, no database; the same conversations give the same rows.

- choices: one row per turn the reader judged (or the author corrected): the prompt the model
  was sent, its candidates, the reader's pick (`chosen`, null: none was like the author) and
  the author's own reply if he wrote one (`correction`).
- ilql: the conversation as it went on is one trajectory (`<thread>-0`): at each turn the
  author's correction (reward +1.0) or else the reader's pick (+0.5); every other candidate
  is a one-step branch, -0.5 when it was not picked, -1.0 when the author corrected the turn
  (corrected away, even if the reader had picked it). chosen > not chosen > corrected away.
- sft: one conversation per correction, the author's words only: earlier turns show the
  author's corrections as the replies, never a candidate (a turn he did not correct leaves
  its message to join the next one). The candidates are the model's data, never the author's.

The texts pass the same PII scrubber as every other row; ids are keyed pseudonyms.
"""

from __future__ import annotations

from typing import Iterator

from ..automaton import ConversationView, TurnView, conversation_messages
from .rows import ANSWER_REWARD, Row, Text, keyed, pseudonym

CHOSEN_REWARD = 0.5  # the candidate the reader found most like the author
NOT_CHOSEN_REWARD = -0.5  # a candidate he did not pick (or none was like him)
CORRECTED_AWAY_REWARD = -1.0  # a candidate at a turn the author answered himself


def conversation_id(conversation: int, key: bytes) -> str:
    return "a-" + keyed("automaton", str(conversation), key)


def _judged(turn: TurnView) -> bool:
    return turn.choice_made or turn.correction is not None


def _scrubbed_messages(messages: list[dict[str, str]], system: Text | None) -> tuple[list[dict[str, str]], list[Text]]:
    """The messages with every text scrubbed, the export's system turn in place of the one the
    model was served with (so every config of one export starts alike)."""
    texts = [system] if system else []
    out = [{"role": "system", "content": system.text}] if system else []
    for message in messages:
        if message["role"] == "system":
            continue
        text = Text.scrubbed(message["content"])
        texts.append(text)
        out.append({"role": message["role"], "content": text.text})
    return out, texts


def _pii(*texts: Text) -> list[str]:
    return sorted({kind for text in texts for kind in text.pii})


def _common(conversation: ConversationView, thread: str, asker: str, turn: TurnView) -> Row:
    return {"thread": thread, "language": turn.language, "asker": asker, "post": conversation.post,
            "post_revision": None, "turn": turn.position}


def automaton_rows(conversation: ConversationView, *, key: bytes, system: Text | None = None) -> Iterator[tuple[str, Row]]:
    """(config, row) for every row a conversation gives."""
    thread = conversation_id(conversation.id, key)
    asker = pseudonym(conversation.asker, key)
    judged = [turn for turn in conversation.turns if _judged(turn)]
    on_path = [turn for turn in judged if turn.reply is not None]
    for turn in judged:
        common = _common(conversation, thread, asker, turn)
        prompt, texts = _scrubbed_messages(turn.prompt, system)
        candidates = [Text.scrubbed(c) for c in turn.candidates]
        correction = Text.scrubbed(turn.correction) if turn.correction is not None else None
        extra = [correction] if correction else []
        yield "choices", {"id": f"{thread}-{turn.position}", **common, "prompt": prompt,
                          "candidates": [c.text for c in candidates], "chosen": turn.chosen,
                          "correction": correction.text if correction else None, "corrected": correction is not None,
                          "model": turn.model, "model_version": turn.model_version,
                          "pii": _pii(*texts, *candidates, *extra)}
        # ilql: the path the conversation took, then the branches it did not take.
        taken: int | None = None
        if correction is not None:
            completion, reward, rank = correction, ANSWER_REWARD, 0
        elif turn.chosen is not None:
            taken = turn.chosen
            completion, reward, rank = candidates[turn.chosen], CHOSEN_REWARD, turn.chosen + 1
        if turn.reply is not None:
            yield "ilql", {"id": f"{thread}-{turn.position}-0", **common, "trajectory": f"{thread}-0", "rank": rank,
                           "prompt": prompt, "completion": [{"role": "assistant", "content": completion.text}],
                           "reward": reward, "done": turn is on_path[-1], "pii": _pii(*texts, completion)}
        for index, candidate in enumerate(candidates):
            if index == taken:
                continue
            branch_reward = CORRECTED_AWAY_REWARD if correction is not None else NOT_CHOSEN_REWARD
            yield "ilql", {"id": f"{thread}-{turn.position}-{index + 1}", **common,
                           "trajectory": f"{thread}-{turn.position}-{index + 1}", "rank": index + 1, "prompt": prompt,
                           "completion": [{"role": "assistant", "content": candidate.text}], "reward": branch_reward,
                           "done": True, "pii": _pii(*texts, candidate)}
        if correction is not None:
            earlier = conversation.turns[:turn.position]
            history = conversation_messages(earlier, turn.message, system=None, author_only=True)
            messages, history_texts = _scrubbed_messages(history, system)
            yield "sft", {"id": f"{thread}-{turn.position}", "thread": thread, "language": turn.language,
                          "asker": asker, "post": conversation.post, "post_revision": None, "turn": turn.position,
                          "post_title": None,
                          "messages": messages + [{"role": "assistant", "content": correction.text}],
                          "pii": _pii(*history_texts, correction)}
