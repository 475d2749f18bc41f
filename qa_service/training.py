"""`qa-service train`: the author's automaton from an export (SPEC section 4), as TRL trains it.

The stages, top to bottom: read the export's `sft`, `preference` and `choices` train splits
(optionally one asker's rows alone); SFT on the author's answers (`sft`); DPO on what he
preferred (`preference`: his answer over his lower-ranked drafts) and on what readers and he
picked among the automaton's candidates (`choices`: the pick, or the author's correction,
over every other candidate); save a model folder with its tokenizer and chat template that
`transformers serve` and vLLM serve as they are.

Three kinds of model:
- `tiny`: a tiny random Llama built from a config, with a BPE tokenizer trained by
  `tokenizers` on the export's own texts. Nothing is downloaded; it talks nonsense, quickly:
  for the demo (`AUTOMATON=1 scripts/run`) and the tests.
- a base model (a folder or a Hub name the machine has): trained whole.
- `lora`: a LoRA adapter (peft) of a base model, saved alone: one per reader, trained on his
  conversations (his folder of `export --by-asker`, or `asker` on the whole export), served
  behind the one base model (QA_AUTOMATON_ADAPTERS); `merge`: the same merged into the base.

torch, transformers, trl, tokenizers, datasets and peft are imported when training starts
(the `train` extra), so the service never needs them.
"""

from __future__ import annotations

import copy
import json
import math
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

# A template for models that bring none (the tiny one): role-tagged turns, each closed by
# <|end|>, the end-of-sequence token, so a server stops generating at the end of a reply.
CHAT_TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}"
                 "{% if add_generation_prompt %}<|assistant|>{% endif %}")
SPECIAL_TOKENS = ["<|pad|>", "<|end|>", "<|system|>", "<|user|>", "<|assistant|>"]
SFT_COLUMNS = ["messages"]
DPO_COLUMNS = ["prompt", "chosen", "rejected"]
README = "automaton.json"  # what was trained on, written beside the weights


class TrainError(Exception):
    """A refusal with what to do about it (a missing export, an asker with no rows ...)."""


@dataclass(frozen=True)
class TrainOptions:
    dataset: Path  # a folder written by `qa-service export`
    out: Path  # the model (or adapter) folder to write
    base: str | None = None  # a model folder or Hub name; None with tiny
    tiny: bool = False
    lora: bool = False  # train a LoRA adapter of `base` and save the adapter alone
    merge: bool = False  # with lora: save base and adapter merged, a whole model (what `transformers serve` loads)
    asker: str | None = None  # only this asker's rows (his pseudonym in the export)
    epochs: float = 3.0
    max_steps: int = -1  # > 0: at most this many steps per stage (the tests, a quick look)
    batch_size: int = 2
    learning_rate: float | None = None  # default: 1e-3 tiny, 2e-4 LoRA, 1e-5 whole
    max_length: int = 512
    beta: float = 0.1  # DPO's
    seed: int = 0


@dataclass
class TrainSummary:
    out: Path
    rows: dict[str, int] = field(default_factory=dict)  # sft, preference, choices (rows read), dpo (pairs)
    steps: dict[str, int] = field(default_factory=dict)
    loss: dict[str, float] = field(default_factory=dict)  # the last logged loss of each stage
    seconds: float = 0.0


def _messages(value: Any, role: str = "assistant") -> list[dict[str, str]]:
    """A reply as TRL's conversational columns hold it: a text or a list of messages."""
    if isinstance(value, str):
        return [{"role": role, "content": value}]
    return [{"role": str(m["role"]), "content": str(m["content"])} for m in value]


def choice_pairs(row: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """A `choices` row as DPO pairs. The author's correction, when he wrote one, is preferred
    over every candidate; else the reader's pick (`chosen`, an index into `candidates`) over
    every other candidate. A row with neither (the reader found none like the author, and the
    author has not corrected it) gives no pair: there is no better reply to learn."""
    candidates = [str(c) for c in row.get("candidates") or []]
    correction, chosen = row.get("correction"), row.get("chosen")
    if isinstance(correction, str) and correction.strip():
        best, others = correction, candidates
    elif isinstance(chosen, int) and 0 <= chosen < len(candidates) and not row.get("corrected"):
        best, others = candidates[chosen], candidates[:chosen] + candidates[chosen + 1:]
    else:
        return
    prompt = _messages(row["prompt"], "user")
    for other in others:
        if other != best:
            yield {"prompt": prompt, "chosen": _messages(best), "rejected": _messages(other)}


def _texts(rows: Iterable[Mapping[str, Any]], columns: Iterable[str]) -> Iterator[str]:
    for row in rows:
        for column in columns:
            value = row.get(column)
            if isinstance(value, str):
                yield value
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, str):
                        yield item
                    elif isinstance(item, Mapping) and isinstance(item.get("content"), str):
                        yield item["content"]


def tiny_model_and_tokenizer(texts: Iterable[str], *, seed: int = 0):  # type: ignore[no-untyped-def]
    """A random Llama of ~50k parameters and a 400-token byte-level BPE tokenizer trained on
    `texts`, with CHAT_TEMPLATE: what a demo can train in seconds on a CPU."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    raw.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=400, special_tokens=SPECIAL_TOKENS,
                                                        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=raw, pad_token="<|pad|>", eos_token="<|end|>")
    tokenizer.chat_template = CHAT_TEMPLATE
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=2048,
                         pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
                         bos_token_id=None)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.generation_config = GenerationConfig(eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
                                               do_sample=True, temperature=1.0, max_new_tokens=64)
    return model, tokenizer


def _configs_in(folder: Path) -> set[str]:
    """The configs with a train split: `<config>/train-<hash>.parquet` (the export) or
    `<config>/train.parquet` (one asker's folder of `export --by-asker`)."""
    return {path.parent.name for path in folder.glob("*/train*.parquet")}


def check_export(folder: Path) -> None:
    if not (folder / "README.md").is_file() or not _configs_in(folder):
        raise TrainError(f"{folder}: not a dataset folder written by `qa-service export` (no README.md and "
                         f"<config>/train*.parquet); run `qa-service export --out {folder}` first")


def read_export(folder: Path, *, asker: str | None, cache: Path) -> dict[str, Any]:
    """The train split of each config the training reads, as `datasets.Dataset`s (only the
    rows of `asker` when given); a config the export left out (no rows yet) is absent."""
    import datasets

    check_export(folder)
    read: dict[str, Any] = {}
    for config in ("posts", "sft", "preference", "choices"):
        if config not in _configs_in(folder):
            continue
        rows = datasets.load_dataset(str(folder), config, split="train", cache_dir=str(cache))
        if asker is not None and config != "posts":
            rows = rows.filter(lambda row: row.get("asker") == asker)
        read[config] = rows
    if "sft" not in read or len(read["sft"]) == 0:
        whose = f" of asker {asker!r}" if asker else ""
        raise TrainError(f"{folder}/sft: no answered question{whose} to learn from; answer some in /admin, "
                         f"then run `qa-service export` again" + (" (askers are named by the `asker` column)" if asker else ""))
    return read


def dpo_rows(read: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The DPO pairs: `preference` as it is, then every pair of every `choices` row."""
    pairs = [{column: row[column] for column in DPO_COLUMNS} for row in read["preference"]] if "preference" in read else []
    for row in read.get("choices", []):
        pairs.extend(choice_pairs(row))
    return pairs


def _last_loss(history: list[dict[str, Any]]) -> float:
    losses = [entry["loss"] for entry in history if "loss" in entry]
    if not losses or not all(math.isfinite(loss) for loss in losses):
        raise TrainError(f"the training diverged (losses {losses}); lower --learning-rate")
    return float(losses[-1])


def _learning_rate(options: TrainOptions) -> float:
    if options.learning_rate is not None:
        return options.learning_rate
    return 1e-3 if options.tiny else 2e-4 if options.lora else 1e-5


def _model_and_tokenizer(options: TrainOptions, read: Mapping[str, Any]):  # type: ignore[no-untyped-def]
    if options.tiny:
        texts = list(_texts(read.get("posts", []), ["text"]))
        texts += list(_texts(read["sft"], ["messages"]))
        for config in ("preference", "choices"):
            texts += list(_texts(read.get(config, []), ["chosen", "rejected", "candidates"]))
        return tiny_model_and_tokenizer(texts, seed=options.seed)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    assert options.base is not None
    try:
        tokenizer = AutoTokenizer.from_pretrained(options.base)
        model = AutoModelForCausalLM.from_pretrained(options.base)
    except OSError as error:
        raise TrainError(f"--base {options.base}: cannot load it ({error}); name a model folder (config.json, weights, "
                         f"tokenizer) or a Hub model this machine has") from error
    if tokenizer.chat_template is None:
        tokenizer.chat_template = CHAT_TEMPLATE
        tokenizer.add_special_tokens({"additional_special_tokens": SPECIAL_TOKENS[1:]})
        model.resize_token_embeddings(len(tokenizer))
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


# The libraries' notices about their own renamings (TRL sets options transformers is renaming ...):
# theirs to fix, nothing the author can act on, so the command does not print them.
LIBRARIES = r"(transformers|trl|peft|accelerate|torch|datasets)(\.|$)"


def train(options: TrainOptions) -> TrainSummary:
    """Export in, model folder out: SFT, then DPO when there are pairs."""
    with warnings.catch_warnings():
        for category in (FutureWarning, DeprecationWarning, UserWarning):
            warnings.filterwarnings("ignore", category=category, module=LIBRARIES)
        return _train(options)


def _train(options: TrainOptions) -> TrainSummary:
    if options.tiny == (options.base is not None):
        raise TrainError("name a base model (--base PATH_OR_NAME) or ask for the demo model (--tiny), one of them")
    if options.merge and not options.lora:
        raise TrainError("--merge merges a LoRA adapter into its base: add --lora")
    if options.lora and options.tiny:
        raise TrainError("--lora trains an adapter of a base model: name it with --base (the automaton's own folder)")
    check_export(options.dataset)
    import torch
    from trl import DPOConfig, DPOTrainer, SFTConfig, SFTTrainer

    started = time.monotonic()
    torch.manual_seed(options.seed)
    summary = TrainSummary(out=options.out)
    with tempfile.TemporaryDirectory(prefix="qa-train-") as scratch:
        read = read_export(options.dataset, asker=options.asker, cache=Path(scratch) / "cache")
        pairs = dpo_rows(read)
        summary.rows = {config: len(read[config]) for config in ("sft", "preference", "choices") if config in read}
        summary.rows["dpo"] = len(pairs)
        model: Any
        model, tokenizer = _model_and_tokenizer(options, read)
        peft_config = None
        if options.lora:
            from peft import LoraConfig

            peft_config = LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, target_modules="all-linear", task_type="CAUSAL_LM")
        common: dict[str, Any] = dict(
            num_train_epochs=options.epochs, max_steps=options.max_steps, per_device_train_batch_size=options.batch_size,
            learning_rate=_learning_rate(options), logging_steps=1, save_strategy="no", report_to=[],
            use_cpu=not torch.cuda.is_available(), dataloader_num_workers=0, disable_tqdm=True, seed=options.seed)
        from datasets import Dataset

        sft = SFTTrainer(model=model, processing_class=tokenizer, peft_config=peft_config,
                         args=SFTConfig(output_dir=str(Path(scratch) / "sft"), max_length=options.max_length, **common),
                         train_dataset=read["sft"].select_columns(SFT_COLUMNS))
        sft.train()
        summary.steps["sft"], summary.loss["sft"] = sft.state.global_step, _last_loss(sft.state.log_history)
        model = sft.model  # a PeftModel with --lora
        if pairs:
            # The reference is the policy as DPO starts (a PEFT model needs none: TRL keeps a frozen copy of the adapter).
            reference = None if options.lora else copy.deepcopy(model)
            dpo = DPOTrainer(model=model, ref_model=reference, processing_class=tokenizer,
                             args=DPOConfig(output_dir=str(Path(scratch) / "dpo"), max_length=options.max_length,
                                            beta=options.beta, **common),
                             train_dataset=Dataset.from_list(pairs))
            dpo.train()
            summary.steps["dpo"], summary.loss["dpo"] = dpo.state.global_step, _last_loss(dpo.state.log_history)
            model = dpo.model
        save(model, tokenizer, options, summary)
    summary.seconds = time.monotonic() - started
    return summary


def save(model: Any, tokenizer: Any, options: TrainOptions, summary: TrainSummary) -> None:
    """The model (or, with lora, the adapter alone) and its tokenizer, written beside `out`
    and swapped in when complete, so a server never reads half a model."""
    from sitegen.output import staged

    with staged(options.out) as folder:
        if options.lora and "ref" in getattr(model, "peft_config", {}):
            model.delete_adapter("ref")  # DPO's frozen copy of the adapter: its reference, not part of the result
        if options.lora and options.merge:
            # `transformers serve` loads whole models only (it reads config.json first): the base with the adapter in it.
            model.merge_and_unload().save_pretrained(str(folder))
        elif options.lora:
            # Only the reader's adapter: vLLM (--enable-lora) and peft load it on top of the base model.
            model.save_pretrained(str(folder))
        else:
            model.save_pretrained(str(folder))
        tokenizer.save_pretrained(str(folder))
        what = {"dataset": str(options.dataset), "base": options.base, "tiny": options.tiny, "lora": options.lora,
                "merged": options.merge, "asker": options.asker, "rows": summary.rows, "steps": summary.steps, "loss": summary.loss}
        (folder / README).write_text(json.dumps(what, indent=2, sort_keys=True) + "\n", encoding="utf-8")
