"""The export trains, as the card tells a trainer: a tokenizer trained with `tokenizers` on the
exported text, a tiny random causal LM built from a config (nothing downloaded), two steps of
TRL's SFTTrainer on `sft` and two of DPOTrainer on `preference`, on the CPU.

torch (==2.13.0, the CPU build this machine keeps on disk), transformers and trl come with
the project's [test] extra, which scripts/test installs."""

from __future__ import annotations

import copy
import math
import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qa_service.cli import main
from tests.conftest import require

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

CHAT_TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}"
                 "{% if add_generation_prompt %}<|assistant|>{% endif %}")
QA = [
    ("What does temperature do?", "It divides the logits before the softmax.", "It adds noise.", "Magic."),
    ("왜 글을 쓰나요?", "언젠가 나를 닮은 기계가 읽도록.", "돈 때문에."),
    ("Is a token a word?", "Often a piece of one.", "Always a word."),
    ("블로그는 어떻게 만드나요?", "마크다운 파일과 작은 생성기로.", "워드프레스로."),
    ("What is DPO?", "Preference optimisation without a reward model.", "A database."),
    ("Call me at 010-1234-5678?", "No: write here instead.", "Sure."),
]


def tiny_model_and_tokenizer(texts: list[str]):  # type: ignore[no-untyped-def]
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    specials = ["<|pad|>", "<|end|>", "<|system|>", "<|user|>", "<|assistant|>"]
    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    raw.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=400, special_tokens=specials,
                                                        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=raw, pad_token="<|pad|>", eos_token="<|end|>")
    tokenizer.chat_template = CHAT_TEMPLATE
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=256,
                         pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id)
    return LlamaForCausalLM(config), tokenizer


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sft_and_dpo_train_two_steps_on_the_export(client: TestClient, wallet: Wallet, admin: Wallet, db_url: str,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    try:
        import datasets
        import torch
        from trl import DPOConfig, DPOTrainer, SFTConfig, SFTTrainer
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

    sft = datasets.load_dataset(str(folder), "sft", cache_dir=str(tmp_path / "cache"))["train"]
    preference = datasets.load_dataset(str(folder), "preference", cache_dir=str(tmp_path / "cache"))["train"]
    posts = datasets.load_dataset(str(folder), "posts", cache_dir=str(tmp_path / "cache"))["train"]
    texts = list(posts["text"]) + [m["content"] for row in sft for m in row["messages"]]
    model, tokenizer = tiny_model_and_tokenizer(texts)
    common = dict(max_steps=2, per_device_train_batch_size=2, learning_rate=1e-3, logging_steps=1, save_strategy="no",
                  report_to=[], use_cpu=True, dataloader_num_workers=0, disable_tqdm=True)

    sft_trainer = SFTTrainer(model=model, processing_class=tokenizer,
                             args=SFTConfig(output_dir=str(tmp_path / "sft"), max_length=128, **common),
                             train_dataset=sft.select_columns(sft_columns))
    sft_trainer.train()
    assert sft_trainer.state.global_step == 2
    assert all(math.isfinite(entry["loss"]) for entry in sft_trainer.state.log_history if "loss" in entry)

    reference = copy.deepcopy(model)  # the policy as DPO starts: a model built in memory has no path to reload
    dpo_trainer = DPOTrainer(model=model, ref_model=reference, processing_class=tokenizer,
                             args=DPOConfig(output_dir=str(tmp_path / "dpo"), max_length=128, **common),
                             train_dataset=preference.select_columns(dpo_columns))
    dpo_trainer.train()
    assert dpo_trainer.state.global_step == 2
    losses = [entry["loss"] for entry in dpo_trainer.state.log_history if "loss" in entry]
    assert losses and all(math.isfinite(loss) for loss in losses)
