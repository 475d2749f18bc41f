"""The export trains, as the card tells a trainer and as `qa-service train --tiny` does it: a
tokenizer trained with `tokenizers` on the exported text, a tiny random causal LM built from a
config (nothing downloaded), two steps of TRL's SFTTrainer on `sft` and two of DPOTrainer on
`preference`, on the CPU, saved as a folder a server loads.

torch (==2.13.0, the CPU build this machine keeps on disk), transformers and trl come with
the project's [test] extra, which scripts/test installs."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qa_service.cli import main
from tests.conftest import require

from ..automaton_model import QA  # the same answered questions the served automaton is trained on
from ..conftest import Wallet
from ..servers import SECRET_KEY
from ..test_dataset import POST, SITE_TOML, TRANSLATION, answer, ask

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# The libraries' own deprecation notices (TRL's configs set options transformers is renaming)
# are theirs to fix, not failures of the export.
pytestmark = [pytest.mark.filterwarnings("ignore::FutureWarning"), pytest.mark.filterwarnings("ignore::UserWarning"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning")]



@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sft_and_dpo_train_two_steps_on_the_export(client: TestClient, wallet: Wallet, admin: Wallet, db_url: str,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    try:
        import datasets
        import torch
        import trl  # noqa: F401
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as error:
        require(False, f"{error.name} is missing: install the project's [test] extra (scripts/test does)")
        return
    assert torch.__version__.startswith("2.13.0"), torch.__version__
    torch.manual_seed(0)
    asker, reviewer = wallet.sign_in(client), admin.sign_in(client)
    for question, reply, *drafts in QA:
        answer(client, reviewer, ask(client, asker, question, language=None), reply, *drafts)
    monkeypatch.setenv("QA_DATABASE_URL", db_url)
    monkeypatch.setenv("QA_SECRET_KEY", SECRET_KEY)
    content, config = tmp_path / "content", tmp_path / "site.toml"
    for rel, text in {"blog/why/index.md": POST, "blog/why/en-GB.md": TRANSLATION}.items():
        (content / rel).parent.mkdir(parents=True, exist_ok=True)
        (content / rel).write_text(text, encoding="utf-8")
    config.write_text(SITE_TOML, encoding="utf-8")
    folder = tmp_path / "dataset"
    assert main(["export", "--content", str(content), "--config", str(config), "--out", str(folder),
                 "--test-percent", "0", "--system", "You are the author's automaton."]) == 0
    card = (folder / "README.md").read_text(encoding="utf-8")
    sft_columns, dpo_columns = ["messages"], ["prompt", "chosen", "rejected"]
    assert f"select_columns({sft_columns!r})" in card and f"select_columns({dpo_columns!r})" in card

    # The command an author runs: SFT on sft, then DPO on preference, into a model folder.
    model_folder = tmp_path / "automaton"
    assert main(["train", "--dataset", str(folder), "--out", str(model_folder), "--tiny", "--max-steps", "2"]) == 0
    trained = json.loads((model_folder / "automaton.json").read_text(encoding="utf-8"))
    preference = datasets.load_dataset(str(folder), "preference", cache_dir=str(tmp_path / "cache"))["train"]
    assert trained["rows"] == {"sft": len(QA), "preference": len(preference), "dpo": len(preference)}
    assert trained["steps"] == {"sft": 2, "dpo": 2}
    assert all(math.isfinite(loss) for loss in trained["loss"].values())

    # What a server reads: the weights, and a tokenizer whose chat template ends the author's turn.
    model = AutoModelForCausalLM.from_pretrained(model_folder)
    tokenizer = AutoTokenizer.from_pretrained(model_folder)
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "Why?"}], add_generation_prompt=True, tokenize=False)
    assert prompt == "<|user|>Why?<|end|><|assistant|>"
    assert model.config.eos_token_id == tokenizer.convert_tokens_to_ids("<|end|>")
    with torch.no_grad():
        logits = model(**tokenizer(prompt, return_tensors="pt")).logits
    assert torch.isfinite(logits).all()


def test_a_folder_that_is_no_export_is_refused_and_nothing_is_written(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "dataset").mkdir()
    assert main(["train", "--dataset", str(tmp_path / "dataset"), "--out", str(tmp_path / "model"), "--tiny"]) == 1
    error = capsys.readouterr().err
    assert f"{tmp_path / 'dataset'}: not a dataset folder written by `qa-service export`" in error
    assert "run `qa-service export" in error
    assert not (tmp_path / "model").exists()
