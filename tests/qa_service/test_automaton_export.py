"""The automaton's conversations in `qa-service export`, as a trainer meets them: `choices`
rows, ilql rewards (author > chosen > not chosen > corrected away), corrections as sft rows
that never carry a candidate, consent respected, nothing that leads back to an address."""

from __future__ import annotations

import collections
from pathlib import Path

import pytest
from eth_account import Account
from fastapi.testclient import TestClient

from qa_service.dataset.rows import pseudonym

from .conftest import Wallet
from .test_automaton import fund, signed
from .test_dataset import KEY, POST, SITE_TOML, TRANSLATION, decoded_strings, load

SYSTEM = "You are the author of this blog."


@pytest.fixture
def export(db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    """`qa-service export` of a small blog and the test's database, into a folder."""
    from qa_service.cli import main

    from .servers import SECRET_KEY

    content = tmp_path / "content"
    for rel, text in {"blog/why/index.md": POST, "blog/why/en-GB.md": TRANSLATION}.items():
        (content / rel).parent.mkdir(parents=True, exist_ok=True)
        (content / rel).write_text(text, encoding="utf-8")
    (tmp_path / "site.toml").write_text(SITE_TOML, encoding="utf-8")
    monkeypatch.setenv("QA_DATABASE_URL", db_url)
    monkeypatch.setenv("QA_SECRET_KEY", SECRET_KEY)

    def run(out: Path, *extra: str) -> Path:
        assert main(["export", "--content", str(content), "--config", str(tmp_path / "site.toml"), "--out", str(out),
                     *extra]) == 0
        return out

    return run


def converse(client: TestClient, me: dict[str, str], messages: list[str], picks: list[int | None],
             *, consent: bool) -> tuple[int, list[dict]]:  # type: ignore[type-arg]
    """A conversation of len(messages) turns with these picks; its turns."""
    turns = []
    made = client.post("/api/automaton/conversations", headers=me, json={
        "message": messages[0], "idempotency_key": f"{messages[0]}-0", "consent_to_training": consent}).json()
    conversation = made["conversation"]["id"]
    for position, (message, pick) in enumerate(zip(messages, picks, strict=True)):
        if position:
            made = client.post(f"/api/automaton/conversations/{conversation}/turns", headers=me,
                               json={"message": message, "idempotency_key": f"{message}-{position}"}).json()
        turns.append(made["turn"])
        chose = client.post(f"/api/automaton/turns/{made['turn']['id']}/choice", headers=me, json={"chosen": pick})
        assert chose.status_code == 200, chose.text
    return conversation, turns


def test_conversations_export_as_choices_ilql_and_author_only_sft(talk, export, wallet: Wallet, admin: Wallet,  # type: ignore[no-untyped-def]
                                                                 tmp_path: Path) -> None:
    client: TestClient = talk()
    me = signed(client, wallet)
    fund(client, wallet, 10)
    _, turns = converse(client, me, ["Why write? mail me at alice@example.com", "Really?", "Thanks"], [1, None, 0],
                        consent=True)
    boss = signed(client, admin)
    corrected = client.post(f"/api/admin/automaton/turns/{turns[1]['id']}/correction", headers=boss,
                            json={"reply": "Because writing is thinking."})
    assert corrected.status_code == 200
    other = Wallet(Account.create())
    theirs = signed(client, other)
    fund(client, other, 5)
    _, private = converse(client, theirs, ["Keep this private"], [0], consent=False)
    pending = client.post("/api/automaton/conversations", headers=me, json={
        "message": "Not judged yet", "idempotency_key": "pending", "consent_to_training": True})
    assert pending.status_code == 201

    folder = export(tmp_path / "dataset", "--test-percent", "0", "--system", SYSTEM)
    strings = decoded_strings(folder)
    assert not [s for s in strings if wallet.address.lower()[2:] in s.lower() or other.address.lower()[2:] in s.lower()]
    assert not [s for s in strings if "alice@example.com" in s], "scrubbed as every text is"
    assert not [s for s in strings if "Keep this private" in s or "Not judged yet" in s]

    choices = load(folder, "choices", tmp_path)["train"]
    rows = sorted(choices, key=lambda row: row["turn"])
    assert [row["chosen"] for row in rows] == [1, None, 0]
    assert [row["corrected"] for row in rows] == [False, True, False]
    assert rows[1]["correction"] == "Because writing is thinking."
    assert rows[0]["candidates"] == [c.replace("alice@example.com", "<EMAIL>") for c in turns[0]["candidates"]]
    assert {row["model"] for row in rows} == {"automaton"} and {row["model_version"] for row in rows} == {"stub-v1"}
    assert {row["asker"] for row in rows} == {pseudonym(wallet.address, KEY)} and len({row["thread"] for row in rows}) == 1
    assert rows[0]["prompt"] == [{"role": "system", "content": SYSTEM},
                                 {"role": "user", "content": "Why write? mail me at <EMAIL>"}]
    # The third turn's prompt is what the model was sent: the pick of the first, the second joined.
    assert [m["role"] for m in rows[2]["prompt"]] == ["system", "user", "assistant", "user"]
    assert rows[2]["prompt"][3]["content"] == "Really?\n\nThanks"
    assert rows[0]["pii"] == ["email"]

    sft = [row for row in load(folder, "sft", tmp_path)["train"] if row["thread"] == rows[0]["thread"]]
    assert len(sft) == 1, "one sft row per correction"
    assert sft[0]["messages"] == [{"role": "system", "content": SYSTEM},
                                  {"role": "user", "content": "Why write? mail me at <EMAIL>\n\nReally?"},
                                  {"role": "assistant", "content": "Because writing is thinking."}]
    every_candidate = {c for turn in turns + private for c in turn["candidates"]}
    sft_strings = decoded_strings(folder / "sft")
    assert not [c for c in every_candidate for s in sft_strings if c.split(": ")[0] in s or c in s]
    for config in ("preference", "rewards", "trees"):
        if (folder / config).is_dir():
            assert not [s for s in decoded_strings(folder / config) if "automaton says" in s]

    ilql = [row for row in load(folder, "ilql", tmp_path)["train"] if row["thread"] == rows[0]["thread"]]
    path = sorted((row for row in ilql if row["trajectory"] == f"{row['thread']}-0"),
                  key=lambda row: row["turn"])
    assert [(row["turn"], row["reward"], row["done"]) for row in path] == [(0, 0.5, False), (1, 1.0, False),
                                                                          (2, 0.5, True)]
    assert path[1]["completion"][0]["content"] == "Because writing is thinking."
    branches = collections.Counter((row["turn"], row["reward"]) for row in ilql if row not in path)
    assert branches == {(0, -0.5): 2, (1, -1.0): 3, (2, -0.5): 2}, "chosen > not chosen > corrected away"
    assert all(row["done"] for row in ilql if row not in path)

    card = (folder / "README.md").read_text(encoding="utf-8")
    assert "config_name: choices" in card and "model data, never the author's words" in card
    assert "corrected away" in card


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_deleted_account_leaves_the_next_export(talk, export, wallet: Wallet, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client: TestClient = talk()
    me = signed(client, wallet)
    fund(client, wallet, 5)
    converse(client, me, ["Remember me"], [0], consent=True)
    first = export(tmp_path / "dataset", "--test-percent", "0")
    [thread] = {row["thread"] for row in load(first, "choices", tmp_path)["train"]}
    assert client.delete("/api/account", headers=me).status_code == 200
    again = export(tmp_path / "dataset", "--test-percent", "0")
    assert not (again / "choices").exists()
    assert thread in (again / "removed.jsonl").read_text(encoding="utf-8")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_export_splits_by_asker_for_per_reader_adapters(talk, export, wallet: Wallet, admin: Wallet,  # type: ignore[no-untyped-def]
                                                             tmp_path: Path) -> None:
    client: TestClient = talk()
    other = Wallet(Account.create())
    for who, words in ((wallet, "Mine"), (other, "Theirs")):
        me = signed(client, who)
        fund(client, who, 5)
        converse(client, me, [words, f"{words} again"], [0, 1], consent=True)
    folder = export(tmp_path / "dataset", "--test-percent", "0", "--by-asker")
    for who, words in ((wallet, "Mine"), (other, "Theirs")):
        name = pseudonym(who.address, KEY)
        own = load(folder / "by-asker" / name, "choices", tmp_path)["train"]
        assert len(own) == 2 and {row["asker"] for row in own} == {name}
        assert {row["prompt"][-1]["content"] for row in own} == {words, f"{words} again"}
        assert len(load(folder / "by-asker" / name, "ilql", tmp_path)["train"]) == 6
    assert len(load(folder, "choices", tmp_path)["train"]) == 4, "the whole export is there as ever"
    assert "by-asker/<asker>/" in (folder / "README.md").read_text(encoding="utf-8")
    assert not [p for p in (folder / "by-asker").iterdir() if other.address.lower() in p.name.lower()]
