"""`qa-service train` (qa_service/training.py): what the DPO stage learns from a reader's
choice, and that the folder it writes is what `transformers serve` serves, offline, as the
OpenAI-compatible server the automaton talks to."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from qa_service.cli import main
from qa_service.training import choice_pairs

from .servers import ModelServer

# The libraries' notices about their own renamings (peft calls what transformers is renaming) are theirs.
pytestmark = [pytest.mark.filterwarnings(f"ignore::{category}") for category in ("FutureWarning", "UserWarning", "DeprecationWarning")]
PROMPT = [{"role": "user", "content": "Why do you write?"}]


def test_a_pick_is_preferred_over_every_other_candidate() -> None:
    row = {"prompt": PROMPT, "candidates": ["For money.", "So a machine reads me.", "No idea."], "chosen": 1,
           "corrected": False, "correction": None}
    assert [(pair["chosen"][0]["content"], pair["rejected"][0]["content"]) for pair in choice_pairs(row)] == [
        ("So a machine reads me.", "For money."), ("So a machine reads me.", "No idea.")]
    assert all(pair["prompt"] == PROMPT and pair["chosen"][0]["role"] == "assistant" for pair in choice_pairs(row))


def test_the_authors_correction_is_preferred_over_every_candidate_even_the_readers_pick() -> None:
    row = {"prompt": PROMPT, "candidates": ["For money.", "No idea."], "chosen": 0, "corrected": True,
           "correction": "So that a machine like me reads it one day."}
    pairs = list(choice_pairs(row))
    assert {pair["chosen"][0]["content"] for pair in pairs} == {"So that a machine like me reads it one day."}
    assert [pair["rejected"][0]["content"] for pair in pairs] == ["For money.", "No idea."]


@pytest.mark.parametrize("chosen, corrected", [(None, False), (0, True)])
def test_nothing_is_learnt_from_none_picked_or_a_pick_the_author_overruled_without_his_words(chosen: int | None,
                                                                                            corrected: bool) -> None:
    row = {"prompt": PROMPT, "candidates": ["For money.", "No idea."], "chosen": chosen, "corrected": corrected}
    assert list(choice_pairs(row)) == []


def test_transformers_serve_answers_in_the_trained_models_chat_format_and_comes_back_after_a_kill(
        served: ModelServer, automaton_model: Path) -> None:
    trained = json.loads((automaton_model / "automaton.json").read_text(encoding="utf-8"))
    assert trained["tiny"] and trained["steps"] == {"sft": 2, "dpo": 2}
    request = {"model": str(automaton_model), "max_tokens": 8,
               "messages": [{"role": "system", "content": "You are the author's automaton."}, *PROMPT]}
    answer = httpx.post(f"{served.url}/v1/chat/completions", json=request, timeout=60)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["model"] == str(automaton_model)
    assert [choice["message"]["role"] for choice in body["choices"]] == ["assistant"]
    assert isinstance(body["choices"][0]["message"]["content"], str)
    assert 1 <= body["usage"]["completion_tokens"] <= 8
    # The prompt went through the model's own chat template: <|system|>...<|end|><|user|>...<|end|><|assistant|>.
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(automaton_model)
    assert body["usage"]["prompt_tokens"] == len(tokenizer.apply_chat_template(request["messages"], add_generation_prompt=True,
                                                                               tokenize=True, return_dict=True)["input_ids"])

    served.kill()
    with pytest.raises(httpx.ConnectError):
        httpx.post(f"{served.url}/v1/chat/completions", json=request, timeout=10)
    served.start()
    assert httpx.post(f"{served.url}/v1/chat/completions", json=request, timeout=60).status_code == 200


def test_a_readers_adapter_trains_on_his_rows_alone_and_serves_merged(served: ModelServer, automaton_model: Path,
                                                                       tmp_path: Path) -> None:
    dataset = Path(json.loads((automaton_model / "automaton.json").read_text(encoding="utf-8"))["dataset"])
    [asker] = [folder.name for folder in (dataset / "by-asker").iterdir()]  # the export's one asker
    adapter, merged = tmp_path / "adapters" / asker, tmp_path / "readers" / f"reader-{asker}"
    common = ["--base", str(automaton_model), "--lora", "--max-steps", "1"]
    # his folder of `export --by-asker`, or the whole export cut to his rows: the same rows
    assert main(["train", "--dataset", str(dataset / "by-asker" / asker), *common, "--out", str(adapter)]) == 0
    assert main(["train", "--dataset", str(dataset), "--asker", asker, *common, "--merge", "--out", str(merged)]) == 0
    assert json.loads((adapter / "automaton.json").read_text())["rows"] == json.loads((merged / "automaton.json").read_text())["rows"]
    config = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))
    assert config["peft_type"] == "LORA" and config["base_model_name_or_path"] == str(automaton_model)
    assert not (adapter / "model.safetensors").exists()  # the adapter alone: vLLM puts it on the base it serves
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(automaton_model), str(adapter))

    # transformers serve loads whole models only: the merged one, named by its path.
    request = {"model": str(merged), "max_tokens": 4, "messages": PROMPT}
    answer = httpx.post(f"{served.url}/v1/chat/completions", json=request, timeout=60)
    assert answer.status_code == 200 and answer.json()["model"] == str(merged), answer.text


def test_another_askers_name_has_no_rows_and_nothing_is_written(automaton_model: Path, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    dataset = json.loads((automaton_model / "automaton.json").read_text(encoding="utf-8"))["dataset"]
    assert main(["train", "--dataset", dataset, "--base", str(automaton_model), "--lora", "--asker", "asker-nobody",
                 "--out", str(tmp_path / "adapter")]) == 1
    assert "no answered question of asker 'asker-nobody'" in capsys.readouterr().err
    assert not (tmp_path / "adapter").exists()
