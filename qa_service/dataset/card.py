"""The dataset card: README.md with the YAML header `datasets.load_dataset` reads (one
entry per config naming its split files) and, below it, what each config holds."""

from __future__ import annotations

from typing import Mapping

import yaml

from .tables import PATTERN

ABOUT = {
    "posts": "one row per section of a published post, in every language it was published in; "
             "`heading_path` is the headings above the section, `url` lands on it",
    "sft": "one conversation per answered question: `messages` holds the question (user) and the "
           "author's answer (assistant), after an optional system turn",
    "preference": "the author's answer (`chosen`) against each lower-ranked draft of it (`rejected`), "
                  "conversational, as TRL's DPOTrainer takes them",
    "rewards": "every completion alone, for KTO and offline RL: the answer has `label` true and "
               "`reward` 1.0; the draft ranked r of n has `label` false and `reward` -r/n",
}


def card(*, title: str, languages: list[str], counts: Mapping[str, Mapping[str, int]], test_percent: int) -> str:
    """counts: config -> split -> rows. A split without rows, and a config without any, are
    left out of the header (`datasets` cannot load them)."""
    configs = [
        {"config_name": config,
         "data_files": [{"split": split, "path": PATTERN.format(config=config, split=split)}
                        for split, rows in splits.items() if rows]}
        for config, splits in counts.items() if sum(splits.values())
    ]
    header = {"pretty_name": title, "language": sorted({tag.split("-")[0].lower() for tag in languages}),
              "tags": ["automaton", "question-answering", "preference", "sft"], "configs": configs}
    lines = [
        "---", yaml.safe_dump(header, allow_unicode=True, sort_keys=False).rstrip(), "---", "",
        f"# {title}: the author's writing and answers", "",
        "Exported by `qa-service export`. Load a config with "
        "`datasets.load_dataset(\"<this folder>\", \"sft\")`.", "",
        "| config | train | test | one row is |", "|---|---:|---:|---|",
    ]
    lines += [f"| `{config}` | {splits.get('train', 0)} | {splits.get('test', 0)} | {ABOUT[config]}"
              f"{'' if sum(splits.values()) else ' (no rows yet: not in this export)'} |"
              for config, splits in counts.items()]
    lines += [
        "",
        "Only questions whose askers consented to training and that the author answered are here; "
        "a withdrawn question or a deleted account leaves every later export. `asker` is a keyed "
        "pseudonym (HMAC-SHA256 of the address with the service's secret key), never the address; "
        "it stays the same from one export to the next.",
        "",
        f"Splits: about {test_percent}% of questions (and of posts) go to `test`, chosen by a hash of "
        "the question's id (the post's slug), so all rows of one question sit in one split and "
        "re-exporting after new data moves no row between train and test.",
        "",
    ]
    return "\n".join(lines)
