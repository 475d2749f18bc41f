"""`qa-service export` run as the author runs it, in its own process: byte-identical with any
hash seed, and a run that fails while writing leaves the previous export as it was.

These hold for any writer behind the CLI: they only read the folder it leaves."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from eth_account import Account
from fastapi.testclient import TestClient

from tests.processes import file_size_limit, kill_when_writing, tree

from .conftest import Wallet
from .servers import SECRET_KEY

SITE_TOML = """\
title = "Test blog"
base_url = "https://blog.example/"
default_language = "ko-KR"
languages = { "ko-KR" = "한국어", "en-GB" = "English" }
"""
POSTS = {
    "blog/why/index.md": "---\ntitle: 왜 쓰는가\ndate: 2026-03-14T09:30:00+09:00\ntags: [AI, 글쓰기, 음악]\n---\n\n서론.\n\n## 기계를 위해\n\n언젠가.\n",
    "blog/why/en-GB.md": "---\ntitle: Why I write\ndate: 2026-03-14T09:30:00+09:00\nlanguage: en-GB\ntags: [AI, writing]\n---\n\nAn introduction.\n",
    "blog/music/index.md": "---\ntitle: 쾰른 콘서트\ndate: 2026-04-02T20:00:00+09:00\ntags: [음악, 피아노, 즉흥]\n---\n\n피아노.\n",
}


def write_blog(root: Path) -> tuple[Path, Path]:
    for rel, text in POSTS.items():
        (root / "content" / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / "content" / rel).write_text(text, encoding="utf-8")
    (root / "site.toml").write_text(SITE_TOML, encoding="utf-8")
    return root / "content", root / "site.toml"


def fill(client: TestClient, admin: Wallet) -> None:
    """Askers in two languages, answers with alternatives, one question without consent."""
    reviewer = {"Authorization": f"Bearer {admin.sign_in(client)}"}
    askers = [{"Authorization": f"Bearer {Wallet(Account.create()).sign_in(client)}"} for _ in range(3)]
    for i in range(12):
        body = {"text": f"질문 {i}: 왜 피아노인가?" if i % 2 else f"Question {i}: why the piano?", "consent_to_training": i != 5,
                "language": "ko" if i % 2 else "en"}
        asked = client.post("/api/questions", headers=askers[i % 3], json=body)
        assert asked.status_code == 201, asked.text
        alternatives = [{"text": f"A weaker answer {i}."}] if i % 3 == 0 else []
        answered = client.post(f"/api/admin/questions/{asked.json()['id']}/answer", headers=reviewer,
                               json={"text": f"Answer {i}, with care.", "alternatives": alternatives})
        assert answered.status_code == 200, answered.text


def export_command(content: Path, config: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "qa_service", "export", "--content", str(content), "--config", str(config), "--out", str(out)]


def environment(db_url: str, seed: str = "0") -> dict[str, str]:
    return {**os.environ, "QA_DATABASE_URL": db_url, "QA_SECRET_KEY": SECRET_KEY, "PYTHONHASHSEED": seed,
            "SOURCE_DATE_EPOCH": "1780000000", "PYTHONDONTWRITEBYTECODE": "1", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}


def test_exports_with_three_hash_seeds_are_byte_identical(client: TestClient, admin: Wallet, db_url: str, tmp_path: Path) -> None:
    fill(client, admin)
    content, config = write_blog(tmp_path)
    runs = {seed: subprocess.Popen(export_command(content, config, tmp_path / f"seed-{seed}"), env=environment(db_url, seed),
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for seed in ("1", "2", "3")}
    for seed, run in runs.items():
        output, _ = run.communicate(timeout=300)
        assert run.returncode == 0, f"seed {seed}: {output}"
    trees = {seed: tree(tmp_path / f"seed-{seed}") for seed in runs}
    assert any(path.endswith(".parquet") for path in trees["1"]) and "README.md" in trees["1"]
    for seed in ("2", "3"):
        assert sorted(trees[seed]) == sorted(trees["1"]), f"seed {seed}: other files"
        assert [p for p in trees["1"] if trees["1"][p] != trees[seed][p]] == [], f"seed 1 and seed {seed} differ"


def long_post(chars: int) -> str:
    """A post of `chars` characters that compresses badly (the same each run)."""
    rng = random.Random(14)
    words = " ".join("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))) for _ in range(chars // 6))
    return f"---\ntitle: A very long post\ndate: 2026-05-01T10:00:00+09:00\n---\n\n{words}\n"


@pytest.mark.parametrize("killed", [False, True], ids=["disk-full", "killed-mid-write"])
def test_an_export_that_fails_while_writing_leaves_the_previous_one(client: TestClient, admin: Wallet, db_url: str,
                                                                     tmp_path: Path, killed: bool) -> None:
    fill(client, admin)
    content, config = write_blog(tmp_path / "blog")
    out = tmp_path / "exports" / "dataset"
    first = subprocess.run(export_command(content, config, out), env=environment(db_url), capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    before = tree(out)
    limit = max(2 * max(len(data) for data in before.values()), 1 << 16)  # above every file the first export wrote
    (content / "blog/long").mkdir()
    (content / "blog/long/index.md").write_text(long_post(8 * limit), encoding="utf-8")
    command = export_command(content, config, out)

    if killed:
        process = subprocess.Popen(command, env=environment(db_url), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        kill_when_writing(process, out, files=1)
    else:
        failed = subprocess.run(command, env=environment(db_url), capture_output=True, text=True, timeout=300,
                                preexec_fn=file_size_limit(limit))
        assert failed.returncode == 1, (failed.returncode, failed.stderr)
        assert "Traceback" not in failed.stderr and "is as it was" in failed.stderr, failed.stderr
        assert sorted(p.name for p in out.parent.iterdir()) == ["dataset"], "the unfinished copy is removed"
    assert tree(out) == before, "the export readers load is the previous one, every file, nothing added"
    assert [p.name for p in out.parent.iterdir() if not p.name.startswith(".")] == ["dataset"]

    again = subprocess.run(export_command(content, config, out), env=environment(db_url), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert tree(out) != before
    shutil.rmtree(out)
