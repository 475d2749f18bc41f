"""The automaton with real parts only: the tiny model `qa-service train --tiny` made from an
export, served by `transformers serve` in its own process, a `qa-service serve` process
talking to it over HTTP, a reader who signs in with his wallet, earns credits, talks three
turns and picks among the candidates (none once), runs out of credits, loses the model server
mid-reply (SIGKILL) and talks on once it is back; the author corrects a turn; then the
export that follows, read through `datasets`, and the training that reads it.

The stub model server of test_automaton.py covers every refusal on SQLite and PostgreSQL;
this is one reader's whole story on SQLite, because each step costs real generation."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account

from qa_service.cli import main
from qa_service.dataset.pii import scrub
from qa_service.dataset.rows import pseudonym
from qa_service.settings import secret_bytes

from .automaton_model import SYSTEM, export
from .conftest import ADMIN, ORIGIN, Wallet, http_sign_in
from .servers import SECRET_KEY, ModelServer, service

pytestmark = [pytest.mark.filterwarnings(f"ignore::{category}") for category in ("FutureWarning", "UserWarning", "DeprecationWarning")]
CORRECTION = "I write so that one day a machine that thinks like me reads it."
MESSAGES = ["Why do you write?", "Do you write every day?", "What do you read?", "Do you like machines?"]
PICKS = [0, None, 2, 1]  # the reader's choice at each turn: None is "none of them is like him"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def earn(url: str, reader: dict[str, str], author: dict[str, str], question: str) -> int:
    """The reader asks, the author answers: the credits the answer awarded."""
    asked = httpx.post(f"{url}/api/questions", headers=reader, json={"text": question, "consent_to_training": True})
    assert asked.status_code == 201, asked.text
    answered = httpx.post(f"{url}/api/admin/questions/{asked.json()['id']}/answer", headers=author,
                          json={"text": f"An answer to: {question}", "alternatives": []})
    assert answered.status_code == 200, answered.text
    return int(answered.json()["credits_awarded"])


def balance(url: str, reader: dict[str, str]) -> int:
    return int(httpx.get(f"{url}/api/credits", headers=reader).json()["balance"])


def earn_here(client, reader: dict[str, str], author: dict[str, str]) -> int:  # type: ignore[no-untyped-def]
    """earn() through a TestClient."""
    asked = client.post("/api/questions", headers=reader, json={"text": "Will you learn my ways?", "consent_to_training": True})
    answered = client.post(f"/api/admin/questions/{asked.json()['id']}/answer", headers=author, json={"text": "A few."})
    assert answered.status_code == 200, answered.text
    return int(answered.json()["credits_awarded"])


def choose(url: str, reader: dict[str, str], turn: dict[str, Any], pick: int | None) -> None:
    chosen = httpx.post(f"{url}/api/automaton/turns/{turn['id']}/choice", headers=reader, json={"chosen": pick})
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["choice_made"] and chosen.json()["chosen"] == pick


def test_a_reader_talks_to_the_served_automaton_and_the_export_learns_from_his_choices(
        served: ModelServer, automaton_model: Path, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'qa.sqlite3'}"
    env = {"QA_DATABASE_URL": database, "QA_URI": ORIGIN, "QA_DOMAIN": ORIGIN.split("//")[1], "QA_SECRET_KEY": SECRET_KEY,
           "QA_ADMIN_ADDRESSES": ADMIN.address, "QA_RATE_IP_PER_MINUTE": "0", "QA_RATE_ADDRESS_PER_MINUTE": "0",
           "QA_RATE_NONCE_PER_MINUTE": "0",
           # an answer earns 3 credits whatever its length; a reply costs 1: three replies per answer
           "QA_CREDITS_BASE": "3", "QA_CREDITS_CHARS_PER_CREDIT": "100000",
           "QA_AUTOMATON_URL": served.url, "QA_AUTOMATON_MODEL": str(automaton_model), "QA_AUTOMATON_CANDIDATES": "3",
           "QA_AUTOMATON_PRICE": "1", "QA_AUTOMATON_MAX_TOKENS": "200", "QA_AUTOMATON_TIMEOUT": "120",
           "QA_AUTOMATON_SYSTEM": SYSTEM}
    shown: list[list[str]] = []  # the candidates the reader saw, turn by turn
    with service(env) as url:
        reader = bearer(http_sign_in(url, Account.create()))
        author = bearer(http_sign_in(url, ADMIN))

        # No credits yet: refused, told how to earn them.
        start = {"message": MESSAGES[0], "idempotency_key": "turn-0", "consent_to_training": True}
        poor = httpx.post(f"{url}/api/automaton/conversations", headers=reader, json=start)
        assert poor.status_code == 402, poor.text
        assert "your balance is 0: ask the author a question" in poor.json()["detail"]

        assert earn(url, reader, author, "Why do you keep a blog?") == 3
        assert balance(url, reader) == 3

        # Three turns, a candidate picked each time but once, when none was like the author.
        before = served.received()
        reply = httpx.post(f"{url}/api/automaton/conversations", headers=reader, json=start, timeout=150)
        assert reply.status_code == 201, reply.text
        conversation = reply.json()["conversation"]["id"]
        for position in range(3):
            if position:
                reply = httpx.post(f"{url}/api/automaton/conversations/{conversation}/turns", headers=reader, timeout=150,
                                   json={"message": MESSAGES[position], "idempotency_key": f"turn-{position}"})
                assert reply.status_code == 201, reply.text
            turn = reply.json()["turn"]
            assert reply.json()["balance"] == 2 - position == balance(url, reader), "one price per reply"
            assert turn["position"] == position and turn["message"] == MESSAGES[position]
            assert len(turn["candidates"]) == 3 and all(isinstance(c, str) for c in turn["candidates"])
            assert turn["model"] == str(automaton_model)  # what transformers serve answered as
            shown.append(turn["candidates"])
            choose(url, reader, turn, PICKS[position])
        # transformers serve ignores `n`: one call per candidate.
        assert served.received() - before == 9

        # Out of credits: refused, told how to earn more, nothing charged, nothing stored.
        more = {"message": MESSAGES[3], "idempotency_key": "turn-3"}
        poor = httpx.post(f"{url}/api/automaton/conversations/{conversation}/turns", headers=reader, json=more)
        assert poor.status_code == 402, poor.text
        assert "your balance is 0: ask the author a question" in poor.json()["detail"] and balance(url, reader) == 0
        assert earn(url, reader, author, "What do you read?") == 3

        # The model server dies mid-reply (SIGKILL): a clear 502, nothing charged, no turn stored.
        before, answer = served.received(), {}

        def ask() -> None:
            answer["response"] = httpx.post(f"{url}/api/automaton/conversations/{conversation}/turns", headers=reader,
                                            json=more, timeout=150)

        asking = threading.Thread(target=ask)
        asking.start()
        deadline = time.monotonic() + 60
        while served.received() == before and time.monotonic() < deadline:
            time.sleep(0.005)
        assert served.received() > before, "the model server never got the request"
        served.kill()
        asking.join(timeout=150)
        died = answer["response"]
        assert died.status_code == 502, died.text
        assert "nothing was charged" in died.json()["detail"]
        assert balance(url, reader) == 3
        turns = httpx.get(f"{url}/api/automaton/conversations/{conversation}", headers=reader).json()["turns"]
        assert len(turns) == 3

        # Back up: the same request goes through, charged once.
        served.start()
        reply = httpx.post(f"{url}/api/automaton/conversations/{conversation}/turns", headers=reader, json=more, timeout=150)
        assert reply.status_code == 201, reply.text
        assert reply.json()["balance"] == 2 == balance(url, reader)
        shown.append(reply.json()["turn"]["candidates"])
        choose(url, reader, reply.json()["turn"], PICKS[3])

        # The author corrects the third turn in admin: his words, whatever the reader picked.
        listed = httpx.get(f"{url}/api/admin/automaton", headers=author)
        assert listed.status_code == 200, listed.text
        [mine] = [c for c in listed.json() if c["id"] == conversation]
        corrected = httpx.post(f"{url}/api/admin/automaton/turns/{mine['turns'][2]['id']}/correction", headers=author,
                               json={"reply": CORRECTION})
        assert corrected.status_code == 200, corrected.text
        assert corrected.json()["correction"] == CORRECTION

    # The export that follows, as a trainer loads it.
    import datasets

    folder = export(tmp_path, database, tmp_path / "dataset")
    choices = sorted(datasets.load_dataset(str(folder), "choices", split="train", cache_dir=str(tmp_path / "cache")),
                     key=lambda row: row["turn"])
    assert [row["turn"] for row in choices] == [0, 1, 2, 3]
    assert [row["chosen"] for row in choices] == PICKS
    shown = [[scrub(candidate)[0] for candidate in turn] for turn in shown]  # every exported text is scrubbed
    assert [row["candidates"] for row in choices] == shown
    assert [row["correction"] for row in choices] == [None, None, CORRECTION, None]
    for row, message in zip(choices, MESSAGES, strict=True):
        assert row["prompt"][0] == {"role": "system", "content": SYSTEM}
        # (after a turn where none was picked, its message opens the next user turn)
        assert row["prompt"][-1]["role"] == "user" and row["prompt"][-1]["content"].endswith(message)
        assert not row["asker"].startswith("0x") and row["asker"].startswith("asker-")
    sft = datasets.load_dataset(str(folder), "sft", split="train", cache_dir=str(tmp_path / "cache"))
    said = [m["content"] for row in sft for m in row["messages"]]
    authored = [row["messages"][-1]["content"] for row in sft]
    assert CORRECTION in authored
    assert {"An answer to: Why do you keep a blog?", "An answer to: What do you read?"} <= set(authored)
    candidates = {c for turn in shown for c in turn if c.strip()}
    assert not candidates & set(said), "a candidate is the model's words, never the author's"

    # ... and the training that reads it: the correction over all three candidates of its turn,
    # each pick over the two others, nothing from the turn where none was picked.
    model = tmp_path / "retrained"
    assert main(["train", "--dataset", str(folder), "--out", str(model), "--tiny", "--max-steps", "1"]) == 0
    trained = json.loads((model / "automaton.json").read_text(encoding="utf-8"))
    assert trained["rows"]["choices"] == 4
    def over(best: str, others: list[str]) -> int:
        return sum(other != best for other in others)

    assert trained["rows"]["dpo"] == (over(shown[0][0], shown[0][1:]) + over(CORRECTION, shown[2])
                                      + over(shown[3][1], shown[3][:1] + shown[3][2:]))
    assert trained["rows"]["dpo"] >= 3 and trained["steps"] == {"sft": 1, "dpo": 1}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_reader_with_his_own_model_talks_to_it_named_by_his_pseudonym(served: ModelServer, automaton_model: Path,
                                                                        make_client, wallet: Wallet, admin: Wallet,  # type: ignore[no-untyped-def]
                                                                        tmp_path: Path) -> None:
    """QA_AUTOMATON_ADAPTERS with transformers serve: the prefix is a folder path, each reader's
    model the author's merged with his LoRA adapter (`train --lora --merge`), in the folder named
    by his pseudonym, the one the export's `asker` column shows."""
    readers = tmp_path / "readers"
    client = make_client(automaton_url=served.url, automaton_model=str(automaton_model), automaton_candidates=2,
                         automaton_max_tokens=16, automaton_adapters=f"{readers}/reader-")
    me, author = bearer(wallet.sign_in(client)), bearer(admin.sign_in(client))
    assert earn_here(client, me, author) > 0
    his = pseudonym(wallet.address, secret_bytes(SECRET_KEY))
    # His model: the author's, with a LoRA adapter trained on a reader's folder of `export --by-asker`
    # (the session's one reader, not him: what it learnt does not matter here, whose name it has does).
    # No model of his yet: transformers serve answers 500 for a folder it cannot find (vLLM 404);
    # the author's model answers him instead.
    before = client.post("/api/automaton/conversations", headers=me, timeout=150,
                         json={"message": "Anyone?", "idempotency_key": "adapter-0", "consent_to_training": True})
    assert before.status_code == 201, before.text
    assert before.json()["turn"]["model"] == str(automaton_model)
    dataset = Path(json.loads((automaton_model / "automaton.json").read_text(encoding="utf-8"))["dataset"])
    [someone] = (dataset / "by-asker").iterdir()
    assert main(["train", "--dataset", str(someone), "--base", str(automaton_model), "--lora", "--merge",
                 "--max-steps", "1", "--out", str(readers / f"reader-{his}")]) == 0
    reply = client.post("/api/automaton/conversations", headers=me, timeout=150,
                        json={"message": "Hello, me?", "idempotency_key": "adapter-1", "consent_to_training": True})
    assert reply.status_code == 201, reply.text
    assert reply.json()["turn"]["model"] == f"{readers}/reader-{his}"
