"""`qa-service export` as a trainer meets it: the folder loads with `datasets.load_dataset`,
every config holds what the SPEC says and nothing it must not (no address, no question
without consent, nothing withdrawn), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder: nothing to fetch, and no network here
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import datasets  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402
from eth_account import Account  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import select  # noqa: E402

from qa_service.cli import main  # noqa: E402
from qa_service.dataset.rows import pseudonym, split_of, thread_id  # noqa: E402
from qa_service.settings import secret_bytes  # noqa: E402

from .conftest import Wallet  # noqa: E402
from .servers import SECRET_KEY as SECRET  # noqa: E402

KEY = secret_bytes(SECRET)
SITE_TOML = """\
title = "Test blog"
base_url = "https://blog.example/"
default_language = "ko-KR"
languages = { "ko-KR" = "한국어", "en-GB" = "English" }
"""
POST = """\
---
title: 왜 쓰는가
date: 2026-03-14T09:30:00+09:00
tags: [AI, 글쓰기]
revision: 2
---

서론입니다.

## 기계를 위해

언젠가 나를 닮은 기계가 읽는다.

### 더 깊이

세부.
"""
TRANSLATION = """\
---
title: Why I write
date: 2026-03-14T09:30:00+09:00
language: en-GB
tags: [AI]
revision: 2
---

An introduction.

## For a machine

One day a machine that writes like me reads this.
"""
DRAFT = "---\ntitle: Not yet\ndate: 2026-04-01\npublish: 0\n---\n\nSecret draft text.\n"


@pytest.fixture
def blog(tmp_path: Path) -> tuple[Path, Path]:
    content = tmp_path / "content"
    for rel, text in {"blog/why/index.md": POST, "blog/why/en-GB.md": TRANSLATION, "blog/draft/index.md": DRAFT}.items():
        (content / rel).parent.mkdir(parents=True, exist_ok=True)
        (content / rel).write_text(text, encoding="utf-8")
    (tmp_path / "site.toml").write_text(SITE_TOML, encoding="utf-8")
    return content, tmp_path / "site.toml"


@pytest.fixture
def export(blog: tuple[Path, Path], db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("QA_DATABASE_URL", db_url)
    monkeypatch.setenv("QA_SECRET_KEY", SECRET)
    content, config = blog

    def run(out: Path = tmp_path / "dataset", *extra: str) -> Path:
        assert main(["export", "--content", str(content), "--config", str(config), "--out", str(out), *extra]) == 0
        return out

    return run


def decoded_strings(folder: Path) -> list[str]:
    """Every string value in every row of every Parquet file, decoded (nested lists and structs
    walked), and every column name: what a reader of the export sees."""
    import pyarrow.parquet as pq

    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif value is not None:
            found.append(str(value))

    files = sorted(folder.rglob("*.parquet"))
    assert files
    for path in files:
        table = pq.read_table(path)
        found.extend(table.column_names)
        walk(table.to_pylist())
    return found


def load(folder: Path, config: str, tmp_path: Path) -> datasets.DatasetDict:
    return datasets.load_dataset(str(folder), config, cache_dir=str(tmp_path / "hf-cache"))


def answer(client: TestClient, admin_token: str, question_id: int, text: str, *alternatives: str) -> None:
    response = client.post(f"/api/admin/questions/{question_id}/answer", headers={"Authorization": f"Bearer {admin_token}"},
                           json={"text": text, "alternatives": [{"text": a} for a in alternatives]})
    assert response.status_code == 200, response.text


def ask(client: TestClient, token: str, text: str, *, consent: bool = True, language: str | None = "en") -> int:
    body: dict[str, object] = {"text": text, "consent_to_training": consent}
    if language:
        body["language"] = language
    response = client.post("/api/questions", headers={"Authorization": f"Bearer {token}"}, json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_every_config_loads_with_what_a_trainer_needs(client: TestClient, wallet: Wallet, admin: Wallet, export,  # type: ignore[no-untyped-def]
                                                      tmp_path: Path) -> None:
    asker = wallet.sign_in(client)
    reviewer = admin.sign_in(client)
    best = ask(client, asker, "What does temperature do?")
    answer(client, reviewer, best, "It divides the logits.", "It adds noise.", "Magic.")
    plain = ask(client, asker, "왜 쓰나요?", language=None)  # no language given: detected from the Hangul
    answer(client, reviewer, plain, "기계를 위해.")
    private = ask(client, asker, "Keep this out of training", consent=False)
    answer(client, reviewer, private, "Kept out.")
    taken_back = ask(client, asker, "Withdrawn while pending")
    assert client.post(f"/api/questions/{taken_back}/withdraw", headers={"Authorization": f"Bearer {asker}"}).status_code == 200
    ask(client, asker, "Still pending")
    rejected = ask(client, asker, "Off topic")
    client.post(f"/api/admin/questions/{rejected}/reject", json={"reason": "no"}, headers={"Authorization": f"Bearer {reviewer}"})

    folder = export(tmp_path / "dataset", "--test-percent", "0")  # the key is random: every row in train
    sft = load(folder, "sft", tmp_path)["train"]
    assert sorted(sft["thread"]) == sorted([thread_id(best, KEY), thread_id(plain, KEY)]), \
        "only answered questions with consent, nothing withdrawn"
    row = next(r for r in sft if r["thread"] == thread_id(best, KEY))
    assert row["messages"] == [{"role": "user", "content": "What does temperature do?"},
                               {"role": "assistant", "content": "It divides the logits."}]
    assert row["asker"] == pseudonym(wallet.address, KEY) and row["language"] == "en" and row["pii"] == []
    assert next(r for r in sft if r["thread"] == thread_id(plain, KEY))["language"] == "ko"

    preference = load(folder, "preference", tmp_path)["train"]
    assert [(r["rank"], r["chosen"][0]["content"], r["rejected"][0]["content"]) for r in preference] == [
        (1, "It divides the logits.", "It adds noise."), (2, "It divides the logits.", "Magic.")]
    assert preference[0]["prompt"] == [{"role": "user", "content": "What does temperature do?"}]

    rewards = load(folder, "rewards", tmp_path)["train"]
    scored = {(r["thread"], r["completion"][0]["content"]): (r["label"], r["reward"]) for r in rewards}
    best_id, plain_id = thread_id(best, KEY), thread_id(plain, KEY)
    assert scored == {(best_id, "It divides the logits."): (True, 1.0), (best_id, "It adds noise."): (False, -0.5),
                      (best_id, "Magic."): (False, -0.75), (plain_id, "기계를 위해."): (True, 1.0)}

    ilql = load(folder, "ilql", tmp_path)["train"]
    turns = sorted((r["trajectory"], r["turn"], r["completion"][0]["content"], r["reward"], r["done"]) for r in ilql)
    assert turns == sorted([(f"{best_id}-0", 0, "It divides the logits.", 1.0, True), (f"{best_id}-0-1", 0, "It adds noise.", -0.5, True),
                            (f"{best_id}-0-2", 0, "Magic.", -0.75, True), (f"{plain_id}-0", 0, "기계를 위해.", 1.0, True)])

    posts = load(folder, "posts", tmp_path)["train"]
    sections = {(r["language"], tuple(r["heading_path"])): r for r in posts}
    assert set(sections) == {("ko-KR", ()), ("ko-KR", ("기계를 위해",)), ("ko-KR", ("기계를 위해", "더 깊이")),
                             ("en-GB", ()), ("en-GB", ("For a machine",))}, "published posts only, every language"
    deep = sections[("ko-KR", ("기계를 위해", "더 깊이"))]
    assert deep["text"] == "세부." and deep["slug"] == "why" and deep["revision"] == 2
    assert deep["tags"] == ["AI", "글쓰기"] and deep["title"] == "왜 쓰는가" and deep["date"].startswith("2026-03-14T09:30:00+09:00")
    assert deep["url"].startswith("https://blog.example/why/#") and sections[("en-GB", ())]["url"] == "https://blog.example/why/en-GB/"

    decoded = decoded_strings(folder)
    for secret in (wallet.address, wallet.address.lower(), "Keep this out", "Withdrawn later", "Secret draft"):
        assert not any(secret in value for value in decoded), secret
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert "config_name: sft" in card and "config_name: rewards" in card


def test_export_is_byte_identical_and_rows_never_change_split(client: TestClient, admin: Wallet, export,  # type: ignore[no-untyped-def]
                                                              tmp_path: Path) -> None:
    reviewer = admin.sign_in(client)
    askers = [Wallet(Account.create()).sign_in(client) for _ in range(3)]
    for i in range(24):
        answer(client, reviewer, ask(client, askers[i % 3], f"Question {i}?"), f"Answer {i}.")
    os.environ["SOURCE_DATE_EPOCH"] = "1780000000"  # the card's export date; the rows need no clock
    try:
        first = export(tmp_path / "first", "--test-percent", "50")
        again = export(tmp_path / "again", "--test-percent", "50")
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert all((first / f).read_bytes() == (again / f).read_bytes() for f in files)

    before = load(first, "sft", tmp_path)
    assert before["train"].num_rows and before["test"].num_rows, "half of 24 questions in each split, roughly"
    for i in range(24, 40):
        answer(client, reviewer, ask(client, askers[0], f"Question {i}?"), f"Answer {i}.")
    after = load(export(tmp_path / "later", "--test-percent", "50"), "sft", tmp_path)
    for split in ("train", "test"):
        assert set(before[split]["id"]) <= set(after[split]["id"]), f"a row left {split}"
    assert len(set(after["train"]["asker"]) | set(after["test"]["asker"])) == 3


def test_system_turn_and_a_failed_export_keeps_the_last_one(client: TestClient, wallet: Wallet, admin: Wallet, export,  # type: ignore[no-untyped-def]
                                                           blog: tuple[Path, Path], tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    answer(client, admin.sign_in(client), ask(client, wallet.sign_in(client), "Hello?"), "Hi.")
    folder = export(tmp_path / "dataset", "--test-percent", "0", "--system", "You are the author's automaton.")  # the key is random: all in train
    messages = load(folder, "sft", tmp_path)["train"][0]["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant"]
    assert messages[0]["content"] == "You are the author's automaton."
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}

    content, config = blog
    (content / "blog/broken/index.md").parent.mkdir()
    (content / "blog/broken/index.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    assert main(["export", "--content", str(content), "--config", str(config), "--out", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "blog/broken/index.md:" in err and "nothing written" in err
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before


def test_export_needs_the_pseudonym_key(blog: tuple[Path, Path], db_url: str, monkeypatch: pytest.MonkeyPatch,
                                        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("QA_DATABASE_URL", db_url)
    monkeypatch.delenv("QA_SECRET_KEY", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env file to find
    content, config = blog
    assert main(["export", "--content", str(content), "--config", str(config), "--out", str(tmp_path / "d")]) == 2
    assert "QA_SECRET_KEY" in capsys.readouterr().err and not (tmp_path / "d").exists()


def test_splits_follow_the_share_asked_for() -> None:
    keys = [f"question:{i}" for i in range(4000)]
    share = sum(split_of(k, test_percent=10) == "test" for k in keys) / len(keys)
    assert 0.08 < share < 0.12
    assert all(split_of(k, test_percent=0) == "train" for k in keys[:200])
    assert all(split_of(k, test_percent=100) == "test" for k in keys[:200])


PERSONAL = {  # what an asker or the author typed -> the placeholder a trainer must see instead
    "hong.gildong@example.co.kr": "<EMAIL>", "010-1234-5678": "<PHONE>", "+44 7700 900123": "<PHONE>",
    "900101-1234567": "<KR_RRN>", "4111 1111 1111 1111": "<CARD>", "203.0.113.7": "<IP>",
    "0x52908400098527886E0F7030069857D2E4169EE7": "<WALLET>", "vitalik.eth": "<ENS>",
    "sk_live_4eC39HqLf8kZtY2xq0P8a9W": "<SECRET>", "abc123XYZ": "<SECRET>",
}


def test_personal_data_leaves_only_as_placeholders(client: TestClient, wallet: Wallet, admin: Wallet, export,  # type: ignore[no-untyped-def]
                                                   tmp_path: Path) -> None:
    asker, reviewer = wallet.sign_in(client), admin.sign_in(client)
    leaky = ask(client, asker, "제 메일 hong.gildong@example.co.kr, 전화 010-1234-5678, 주민번호 900101-1234567. "
                                 "UK: +44 7700 900123. Wallet 0x52908400098527886E0F7030069857D2E4169EE7 (vitalik.eth)?")
    answer(client, reviewer, leaky, "Never post card 4111 1111 1111 1111 or https://api.example.com/?token=abc123XYZ.",
           "Your server 203.0.113.7 leaks sk_live_4eC39HqLf8kZtY2xq0P8a9W.")
    clean = ask(client, asker, "What is a token?")
    answer(client, reviewer, clean, "A piece of text.", "A coin.")

    folder = export(tmp_path / "scrubbed", "--test-percent", "0")
    decoded = decoded_strings(folder)
    for raw in PERSONAL:
        assert not any(raw in value for value in decoded), raw
    sft = {r["thread"]: r for r in load(folder, "sft", tmp_path)["train"]}
    row = sft[thread_id(leaky, KEY)]
    question, reply = row["messages"][0]["content"], row["messages"][1]["content"]
    assert question == ("제 메일 <EMAIL>, 전화 <PHONE>, 주민번호 <KR_RRN>. UK: <PHONE>. Wallet <WALLET> (<ENS>)?")
    assert reply == "Never post card <CARD> or https://api.example.com/?token=<SECRET>."
    assert row["pii"] == ["card", "email", "ens", "kr_rrn", "phone", "secret", "wallet"]
    assert sft[thread_id(clean, KEY)]["pii"] == []
    rejected = [r for r in load(folder, "preference", tmp_path)["train"] if r["thread"] == thread_id(leaky, KEY)]
    assert rejected[0]["rejected"][0]["content"] == "Your server <IP> leaks <SECRET>."
    assert "ip" in rejected[0]["pii"] and "email" in rejected[0]["pii"], "the prompt's kinds count too"

    dropped = export(tmp_path / "dropped", "--test-percent", "0", "--pii", "drop")
    assert [r["thread"] for r in load(dropped, "sft", tmp_path)["train"]] == [thread_id(clean, KEY)]
    rewards = load(dropped, "rewards", tmp_path)["train"]
    assert {r["thread"] for r in rewards} == {thread_id(clean, KEY)} and all(r["pii"] == [] for r in rewards)
    assert "--pii drop" in (dropped / "README.md").read_text(encoding="utf-8")


def test_a_reexport_into_the_same_folder_loads_fresh_with_the_default_cache(client: TestClient, wallet: Wallet,  # type: ignore[no-untyped-def]
                                                                           admin: Wallet, export, tmp_path: Path) -> None:
    asker, reviewer = wallet.sign_in(client), admin.sign_in(client)
    leaving = Wallet(Account.create()).sign_in(client)
    first = ask(client, leaving, "First question?")
    answer(client, reviewer, first, "First answer.")
    folder = export(tmp_path / "dataset", "--test-percent", "0")
    before = datasets.load_dataset(str(folder), "sft")  # the default cache, as a trainer loads it
    assert [r["messages"][1]["content"] for r in before["train"]] == ["First answer."]
    removed_before = (folder / "removed.jsonl").read_text(encoding="utf-8")

    second = ask(client, asker, "Second question?")
    answer(client, reviewer, second, "Second answer.")
    assert client.delete("/api/account", headers={"Authorization": f"Bearer {leaving}"}).status_code == 200
    export(folder, "--test-percent", "0")
    after = datasets.load_dataset(str(folder), "sft")
    assert [r["messages"][1]["content"] for r in after["train"]] == ["Second answer."]

    assert removed_before == ""
    removed = [json.loads(line) for line in (folder / "removed.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [entry["thread"] for entry in removed] == [thread_id(first, KEY)], "the deleted account's thread, by its keyed id"
    export(folder, "--test-percent", "0")  # a later export still lists it: a trainer may have skipped one
    again = [json.loads(line) for line in (folder / "removed.jsonl").read_text(encoding="utf-8").splitlines()]
    assert again == removed


def test_the_card_tells_a_trainer_what_he_needs(client: TestClient, wallet: Wallet, admin: Wallet, export,  # type: ignore[no-untyped-def]
                                                blog: tuple[Path, Path], tmp_path: Path) -> None:
    _content, config = blog
    config.write_text(config.read_text(encoding="utf-8") + 'license = "cc-by-4.0"\n', encoding="utf-8")
    answer(client, admin.sign_in(client), ask(client, wallet.sign_in(client), "Call 010-1234-5678?"), "No.", "Maybe.")
    folder = export(tmp_path / "dataset", "--system", "You are the automaton.")
    text = (folder / "README.md").read_text(encoding="utf-8")
    head = yaml.safe_load(text.split("---")[1])
    assert head["license"] == "cc-by-4.0" and head["size_categories"] == ["n<1K"]
    assert {"text-generation", "question-answering"} <= set(head["task_categories"])
    assert sorted(head["language"]) == ["en", "ko"]
    listed = {c["config_name"]: [path for f in c["data_files"] for path in f["path"]] for c in head["configs"]}
    assert set(listed) == {"posts", "sft", "preference", "rewards", "ilql", "trees"}
    on_disk = sorted(str(p.relative_to(folder)) for p in folder.rglob("*.parquet"))
    assert sorted(path for paths in listed.values() for path in paths) == on_disk, "the card names every file, exactly"
    for needed in ("`messages` (list of {role: string, content: string})", "`reward` (float64)",
                   "My question and its answer may be used to train", "<PHONE>", "phone: ", "removed.jsonl",
                   "-0.500", "-0.750", "SFTTrainer", "DPOTrainer", "load_dataset(\"<this folder>\", \"ilql\")",
                   "> You are the automaton.", "Exported by `qa-service export`"):
        assert needed in text, needed
    assert "posts` has no test split" in text or "| `posts` | 5 | 0 |" not in text


def test_the_secret_key_must_be_32_random_bytes(blog: tuple[Path, Path], db_url: str, monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("QA_DATABASE_URL", db_url)
    monkeypatch.chdir(tmp_path)
    content, config = blog
    for weak in ("a", "dataset-test-secret-key", "0123456789abcdef" * 4, "x" * 64):
        monkeypatch.setenv("QA_SECRET_KEY", weak)
        assert main(["export", "--content", str(content), "--config", str(config), "--out", str(tmp_path / "d")]) == 2
        assert "QA_SECRET_KEY must be at least 32 random bytes" in capsys.readouterr().err and not (tmp_path / "d").exists()
    assert main(["secret"]) == 0
    fresh = capsys.readouterr().out.strip()
    assert len(bytes.fromhex(fresh)) == 32
    monkeypatch.setenv("QA_SECRET_KEY", fresh)
    assert main(["export", "--content", str(content), "--config", str(config), "--out", str(tmp_path / "d")]) == 0


def test_no_statement_grows_with_the_number_of_questions(db_url: str, tmp_path: Path) -> None:
    """The export reads in batches: the most bound parameters any statement carries is the same
    for 300 and for 1,500 answered questions (PostgreSQL refuses more than 65,535)."""
    from sqlalchemy import event, insert

    from qa_service.dataset import ExportOptions
    from qa_service.dataset import export as run_export
    from qa_service.db import dispose, make_engine, migrate
    from qa_service.models import ALTERNATIVES, QUESTIONS

    content = tmp_path / "content"
    (content / "blog").mkdir(parents=True)
    (tmp_path / "site.toml").write_text('title = "T"\n', encoding="utf-8")
    engine = make_engine(db_url)
    migrate(engine)
    most: list[int] = []  # per export: the most parameters one statement carried
    counting: list[bool] = []

    @event.listens_for(engine, "before_cursor_execute")
    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if counting and not executemany:
            most[-1] = max(most[-1], len(parameters or ()))

    try:
        added = 0
        for total in (300, 1500):
            with engine.begin() as db:
                now = dt.datetime.now(dt.timezone.utc)
                db.execute(insert(QUESTIONS), [
                    {"asker": "0x" + "ab" * 20, "text": f"Question {i}?", "language": "en", "consent_to_training": True,
                     "public": False, "status": "answered", "created_at": now, "updated_at": now, "answer": f"Answer {i}."}
                    for i in range(added, total)])
                ids = [row.id for row in db.execute(select(QUESTIONS.c.id).where(QUESTIONS.c.id > 0))][added:]
                db.execute(insert(ALTERNATIVES), [{"question_id": qid, "rank": 1, "text": "Worse."} for qid in ids])
            added = total
            most.append(0)
            counting.append(True)
            summary = run_export(ExportOptions(content=content, config=tmp_path / "site.toml", out=tmp_path / "out",
                                               batch=200), engine, key=KEY)
            counting.clear()
            assert sum(summary.rows["sft"].values()) == total
            assert sum(summary.rows["preference"].values()) == total
    finally:
        dispose(engine)
    assert most[0] == most[1] <= 200, most


def test_threads_export_as_multi_turn_sft_trees_and_per_turn_rows(client: TestClient, wallet: Wallet, admin: Wallet,
                                                                 export, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import pyarrow.parquet as pq

    me, author = wallet.sign_in(client), admin.sign_in(client)
    first = client.post("/api/questions", headers={"Authorization": f"Bearer {me}"}, json={
        "text": "Why write for a machine?", "consent_to_training": True, "language": "en-GB",
        "post": "why/en-GB/", "post_revision": 2}).json()["id"]
    answer(client, author, first, "Because one day it reads.", "No idea.", "Worse.")
    second = client.post(f"/api/questions/{first}/follow-ups", headers={"Authorization": f"Bearer {me}"},
                         json={"text": "And then?"}).json()["id"]
    answer(client, author, second, "Then it writes.", "Then nothing.")
    lone = ask(client, me, "No post here", language="en")
    answer(client, author, lone, "Fine.")
    folder = export(tmp_path / "dataset", "--test-percent", "0", "--system", "You are the author.")

    sft = sorted(load(folder, "sft", tmp_path)["train"], key=lambda r: (r["thread"] != thread_id(first, KEY), r["turn"]))
    one, two, other = sft
    assert (one["turn"], two["turn"]) == (0, 1) and one["thread"] == two["thread"] == thread_id(first, KEY)
    assert [m["role"] for m in one["messages"]] == ["system", "user", "assistant"]
    assert [m["content"] for m in two["messages"][1:]] == ["Why write for a machine?", "Because one day it reads.",
                                                           "And then?", "Then it writes."], "the whole thread up to the answer"
    assert two["messages"][0]["content"] == "You are the author.\n\nPost: Why I write", "the post's title, in the thread's language"
    assert (two["post"], two["post_revision"], two["post_title"]) == ("why", 2, "Why I write")
    assert (other["post"], other["post_title"], other["messages"][0]["content"]) == (None, None, "You are the author.")

    trees = {r["thread"]: r for r in load(folder, "trees", tmp_path)["train"]}
    tree = json.loads(trees[thread_id(first, KEY)]["tree"])
    assert tree["message_tree_id"] == thread_id(first, KEY) and tree["tree_state"] == "ready_for_export"
    prompt = tree["prompt"]
    assert (prompt["role"], prompt["text"], prompt["parent_id"]) == ("prompter", "Why write for a machine?", None)
    replies = prompt["replies"]
    assert [(r["role"], r["rank"], r["text"]) for r in replies] == [
        ("assistant", 0, "Because one day it reads."), ("assistant", 1, "No idea."), ("assistant", 2, "Worse.")]
    assert [r["replies"] for r in replies[1:]] == [[], []], "drafts end their branch"
    [follow] = replies[0]["replies"]
    assert (follow["role"], follow["text"], follow["parent_id"]) == ("prompter", "And then?", replies[0]["message_id"])
    assert [(r["rank"], r["text"]) for r in follow["replies"]] == [(0, "Then it writes."), (1, "Then nothing.")]
    assert len(trees[thread_id(first, KEY)]["nodes"]) == 7

    ilql = [r for r in load(folder, "ilql", tmp_path)["train"] if r["thread"] == thread_id(first, KEY)]
    author_turns = sorted((r["turn"], r["done"]) for r in ilql if r["rank"] == 0)
    assert author_turns == [(0, False), (1, True)], "one row per turn of the author's trajectory, done on the last"
    assert len(load(folder, "preference", tmp_path)["train"]) == 3, "a preference row per draft at every turn"
    assert all(pq.read_schema(path).field("post").type == "string" for path in folder.rglob("*.parquet")
               if "posts" not in str(path))
