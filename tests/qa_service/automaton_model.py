"""The author's automaton as the tests meet it: an export of a few answered questions, the
tiny demo model `qa-service train --tiny` makes of it, and `transformers serve` serving it
(tests/qa_service/conftest.py makes them once per session)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from eth_account import Account
from fastapi.testclient import TestClient

from qa_service.app import create_app
from qa_service.cli import main

from .conftest import ADMIN, ORIGIN, Wallet, make_settings
from .servers import SECRET_KEY

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing is fetched: every model and dataset is a local folder
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

SYSTEM = "You are the author's automaton."
QA = [
    ("What does temperature do?", "It divides the logits before the softmax.", "It adds noise.", "Magic."),
    ("왜 글을 쓰나요?", "언젠가 나를 닮은 기계가 읽도록.", "돈 때문에."),
    ("Is a token a word?", "Often a piece of one.", "Always a word."),
    ("블로그는 어떻게 만드나요?", "마크다운 파일과 작은 생성기로.", "워드프레스로."),
    ("What is DPO?", "Preference optimisation without a reward model.", "A database."),
    ("Call me at 010-1234-5678?", "No: write here instead.", "Sure."),
]
SITE_TOML = """\
title = "Test blog"
base_url = "https://blog.example/"
default_language = "en-GB"
"""
POST = """\
---
title: Why I write
date: 2026-03-14T09:30:00+09:00
---

So that one day a machine that thinks like me reads it.
"""


def answer(client: TestClient, admin_token: str, question_id: int, text: str, *alternatives: str) -> None:
    response = client.post(f"/api/admin/questions/{question_id}/answer", headers={"Authorization": f"Bearer {admin_token}"},
                           json={"text": text, "alternatives": [{"text": a} for a in alternatives]})
    assert response.status_code == 200, response.text


def ask(client: TestClient, token: str, text: str) -> int:
    response = client.post("/api/questions", headers={"Authorization": f"Bearer {token}"},
                           json={"text": text, "consent_to_training": True})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def blog(root: Path) -> tuple[Path, Path]:
    content, config = root / "content", root / "site.toml"
    (content / "blog" / "why").mkdir(parents=True, exist_ok=True)
    (content / "blog" / "why" / "index.md").write_text(POST, encoding="utf-8")
    config.write_text(SITE_TOML, encoding="utf-8")
    return content, config


def export(root: Path, database_url: str, out: Path) -> Path:
    """`qa-service export` of `database_url` into `out`, as the author runs it."""
    content, config = blog(root)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("QA_DATABASE_URL", database_url)
        env.setenv("QA_SECRET_KEY", SECRET_KEY)
        assert main(["export", "--content", str(content), "--config", str(config), "--out", str(out),
                     "--test-percent", "0", "--system", SYSTEM, "--by-asker"]) == 0
    return out


def answered_export(root: Path) -> Path:
    """An export of QA, asked by one reader and answered (with drafts) by the author."""
    database_url = f"sqlite:///{root / 'qa.sqlite3'}"
    with TestClient(create_app(make_settings(database_url)), base_url=ORIGIN, headers={"Origin": ORIGIN}) as client:
        asker, author = Wallet(Account.create()).sign_in(client), Wallet(ADMIN).sign_in(client)
        for question, reply, *drafts in QA:
            answer(client, author, ask(client, asker, question), reply, *drafts)
    return export(root, database_url, root / "dataset")


def train_tiny(dataset: Path, out: Path) -> Path:
    """The demo model, exactly as the README's command makes it."""
    assert main(["train", "--dataset", str(dataset), "--out", str(out), "--tiny", "--max-steps", "2"]) == 0
    return out
