"""The dataset card: README.md with the YAML header `datasets.load_dataset` and the Hub read
(license, languages, task and size categories, one entry per config naming its files) and,
below it, what a trainer needs before using the data: what each config holds and its field
types, how the data was collected and under which consent, what was scrubbed and removed,
the reward scale, the export's date, version and sizes, and how to load each config in
`datasets` and TRL. Pure: the text depends only on the `Export` it is given."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Mapping

import pyarrow as pa
import yaml

from .pii import PLACEHOLDERS
from .choices import CHOSEN_REWARD, CORRECTED_AWAY_REWARD, NOT_CHOSEN_REWARD
from .rows import ANSWER_REWARD, draft_reward
from .tables import SCHEMAS

# What the ask form's consent box says (qa_service/templates/ask.html): the asker ticked it.
CONSENT = "My question and its answer may be used to train the author's AI"

ABOUT = {
    "posts": "a section of a published post (each language version); long sections are split at paragraphs",
    "sft": "a conversation up to one of the author's answers: the thread's questions and answers so far, after the system "
           "turn if any (the post asked about, `Post: <title>`, joins it); a thread of n answers gives n rows",
    "preference": "the author's answer (`chosen`) against one lower-ranked draft of it (`rejected`)",
    "rewards": "one completion alone, the author's answer (`label` true) or a draft (`label` false), with its `reward`",
    "ilql": "one turn of a trajectory for offline RL (ILQL): prompt, completion, `reward`, `done`",
    "choices": "one reply of the automaton (the author's model) that a reader judged: the prompt it was sent, its "
               "candidates (model data, never the author's words), the one the reader found most like the author "
               "(`chosen`; null: none) and the author's own reply if he wrote one (`correction`)",
    "trees": "a whole thread as an Open-Assistant conversation tree: `tree` (JSON) holds the first question, whose "
             "replies are the author's answer (rank 0) and its drafts (rank 1, 2 ...); the next question replies to "
             "the answer; `nodes` is the same tree flat",
}

FIELDS = {
    "id": "the row's keyed id (stable from one export to the next; never a database or token id)",
    "thread": "keyed id of the conversation the row comes from (what removed.jsonl lists)",
    "asker": "keyed pseudonym of the asker (never the address)",
    "language": "BCP 47 tag: set by the asker, or detected from the text (Hangul, kana, Han, Cyrillic, Latin)",
    "messages": "the conversation, `{role, content}` turns",
    "prompt": "the conversation up to the user's turn being answered (system turn first, when set)",
    "chosen": "the author's answer, one assistant turn",
    "rejected": "a draft the author ranked below his answer, one assistant turn",
    "completion": "one assistant turn",
    "label": "true for the author's answer, false for a draft",
    "reward": "see Rewards below",
    "turn": "0-based index of the exchange in its thread",
    "rank": "0 = the author's answer, r >= 1 = the draft he ranked r-th after it (automaton rows: the candidate's "
            "index + 1)",
    "trajectory": "keyed id of the trajectory: the author's answers (suffix -0), or a draft branching off",
    "done": "true on a trajectory's last turn",
    "pii": "the kinds of personal data or secrets replaced in this row's texts (empty: none found)",
    "post": "the slug of the blog post the thread was asked from (null: none)",
    "post_revision": "the revision of that post the asker read (null: not known)",
    "post_title": "that post's title, in the thread's language when the post has it (null: no post)",
    "message_tree_id": "the tree's id (the thread's keyed id)", "tree_state": "always `ready_for_export`",
    "system": "the system turn the tree's conversations start with (null: none)",
    "tree": "the tree as one line of Open-Assistant's `*.trees.jsonl`: `{message_tree_id, tree_state, prompt}`, "
            "where every message has `message_id`, `parent_id`, `text`, `role` (prompter/assistant), `lang`, `rank`, `replies`",
    "nodes": "the same messages flat, parents first, with `turn`",
    "candidates": "the automaton's replies the reader chose among (the model's words, never the author's)",
    "choices.chosen": "0-based index of the candidate the reader found most like the author; null: none was",
    "correction": "the reply the author wrote himself at this turn (his words; null: none)",
    "corrected": "true when the author wrote his own reply at this turn",
    "model": "the model that made the candidates, as its server named it (a reader's adapter, or the base model)",
    "model_version": "the server's `system_fingerprint` for it (null: it sent none)",
    "slug": "the post's stable name", "title": "the post's title", "heading_path": "headings above the section, outermost first",
    "tags": "the post's tags", "revision": "the post's revision (frontmatter)", "date": "the post's date, ISO 8601",
    "url": "where the section is on the blog", "text": "the section's Markdown, with the footnotes it cites",
}

USAGE = {
    "posts": "Continued pretraining on the author's prose: `SFTTrainer(..., train_dataset=posts['train'], "
             "args=SFTConfig(dataset_text_field='text'))` on `select_columns(['text'])`.",
    "sft": "`SFTTrainer(model=model, processing_class=tokenizer, args=SFTConfig(output_dir=...), "
           "train_dataset=sft['train'].select_columns(['messages']))`: conversational, so the tokenizer needs a chat template.",
    "preference": "`DPOTrainer(model=model, ref_model=reference, processing_class=tokenizer, args=DPOConfig(output_dir=...), "
                  "train_dataset=preference['train'].select_columns(['prompt', 'chosen', 'rejected']))`; the same "
                  "columns suit RewardTrainer. `reference` is the policy as DPO starts (a model loaded from a path may leave it out: "
                  "TRL reloads one).",
    "rewards": "`KTOTrainer` on `select_columns(['prompt', 'completion', 'label'])`; `reward` for reward-weighted methods.",
    "ilql": "offline RL: group rows by `trajectory`, order by `turn`, and use (`prompt`, `completion`, `reward`, `done`) "
            "as (state, action, reward, terminal).",
    "choices": "DPO pairs: the author's `correction` (when set) over every candidate, else the `chosen` candidate over "
               "each other one (`qa-service train` builds them); a row with neither gives no pair. Select a reader's rows "
               "by `asker` to train his own adapter.",
    "trees": "`json.loads(row['tree'])` is the tree as Open-Assistant's `*.trees.jsonl` holds it: walk `replies` "
             "from the prompt, ranking an assistant message's siblings by `rank` (0 = the author's answer).",
}


@dataclass(frozen=True)
class Export:
    """Everything the card says about one export."""

    title: str
    license: str
    date: dt.datetime
    exporter: str
    languages: list[str]
    rows: Mapping[str, Mapping[str, int]]  # config -> split -> rows
    files: Mapping[str, Mapping[str, list[str]]]  # config -> split -> its files
    sizes: Mapping[str, int]  # file -> bytes
    test_percent: int
    system: str | None
    pii_mode: str
    pii: Mapping[str, int]  # kind -> rows where it was replaced
    dropped: Mapping[str, int]  # config -> rows left out (--pii drop)
    removed: int
    post_chars: int
    posts: int
    askers: int = 0  # folders in by-asker/ (--by-asker)

    @property
    def version(self) -> str:
        """Names the data: the same rows give the same version (the file names hash the bytes)."""
        import hashlib

        names = sorted(name for splits in self.files.values() for files in splits.values() for name in files)
        return hashlib.sha256("\n".join(names).encode()).hexdigest()[:12]


def type_name(kind: pa.DataType) -> str:
    """An Arrow type as a trainer reads it: `list of {role: string, content: string}`."""
    if pa.types.is_list(kind):
        return f"list of {type_name(kind.value_type)}"
    if pa.types.is_struct(kind):
        return "{" + ", ".join(f"{kind.field(i).name}: {type_name(kind.field(i).type)}" for i in range(kind.num_fields)) + "}"
    return {"double": "float64", "bool": "bool"}.get(str(kind), str(kind))


def size_category(rows: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if rows < limit:
            return name
    return "1M<n<10M"


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.2f} MB" if size >= 10_000 else f"{size:,} bytes"


def header(export: Export) -> dict[str, object]:
    configs = [
        {"config_name": config, "data_files": [{"split": split, "path": names} for split, names in sorted(splits.items())]}
        for config, splits in export.files.items() if splits
    ]
    largest = max((sum(splits.values()) for splits in export.rows.values()), default=0)
    return {
        "pretty_name": export.title,
        "license": export.license or "unknown",
        "language": sorted({tag.split("-")[0].lower() for tag in export.languages}),
        "task_categories": ["text-generation", "question-answering", "reinforcement-learning"],
        "size_categories": [size_category(largest)],
        "tags": ["automaton", "sft", "dpo", "preference", "kto", "ilql", "pii-scrubbed"],
        "configs": configs,
    }


def card(export: Export) -> str:
    head = yaml.safe_dump(header(export), allow_unicode=True, sort_keys=False).rstrip()
    out = ["---", head, "---", "", f"# {export.title}: the author's writing and answers", ""]
    unset = 'not set (the author sets `license` in site.toml, e.g. `license = "cc-by-4.0"`)'
    out += [
        f"Exported by `qa-service export` ({export.exporter}) on {export.date.isoformat()}; data version "
        f"`{export.version}`. License: {export.license or unset}.",
        "", "| config | train | test | one row is |", "|---|---:|---:|---|",
    ]
    for config, splits in export.rows.items():
        empty = "" if sum(splits.values()) else " (no rows yet: not in this export)"
        out.append(f"| `{config}` | {splits.get('train', 0)} | {splits.get('test', 0)} | {ABOUT[config]}{empty} |")
    out += ["", "## Loading", "", "```python", "from datasets import load_dataset", ""]
    out += [f"{config} = load_dataset(\"<this folder>\", \"{config}\")" for config, splits in export.files.items() if splits]
    out += ["```", ""]
    out += [f"- **{config}**: {USAGE[config]}" for config, splits in export.files.items() if splits]
    out += ["", "TRL's trainers take the conversational columns as they are (`{role, content}` lists). Select the columns "
            "a trainer uses: the others (`pii`, `asker` ...) are for filtering and auditing.", ""]
    out += ["## Fields", ""]
    for config, schema in SCHEMAS.items():
        out.append(f"**{config}**: " + "; ".join(f"`{f.name}` ({type_name(f.type)}): {FIELDS.get(f'{config}.{f.name}', FIELDS[f.name])}" for f in schema) + ".")
        out.append("")
    out += [
        "## How the data was collected", "",
        "The posts are the author's own blog, every published post in every language it was published in (drafts "
        "never). The questions come from the blog's readers: a reader signs in with an Ethereum wallet signature and "
        "asks; the author answers, and may store lower-ranked drafts of his answer, ranked best first: those drafts are "
        "the preference data. Only answered questions whose askers ticked the consent box are here. Its words:", "",
        f"> {CONSENT}", "",
        "A question the asker withdraws, and every question of an account that is deleted, leaves the next export. "
        "Pending and rejected questions never appear.", "",
        "## Privacy: what was scrubbed and removed", "",
        "No row carries a wallet address, a question or token id (the answer NFT's id would name its owner on chain), "
        "or a database id: `id`, `thread`, `trajectory` and `asker` are keyed HMAC-SHA256 pseudonyms made with the "
        "service's secret key (at least 32 random bytes), so the public list of NFT holders cannot be matched to them.",
        "",
        "Every exported text (questions, answers, drafts, post sections, the system turn) passed one scrubber that "
        "replaces personal data and secrets with typed placeholders: " + ", ".join(
            f"`{placeholder}` ({kind})" for kind, placeholder in PLACEHOLDERS.items()) + ". Each row's `pii` lists the "
        "kinds replaced in it.",
        "",
    ]
    found = ", ".join(f"{kind}: {n}" for kind, n in sorted(export.pii.items())) or "none"
    if export.pii_mode == "drop":
        dropped = ", ".join(f"{config}: {n}" for config, n in sorted(export.dropped.items())) or "none"
        out += [f"This export ran with `--pii drop`: rows in which the scrubber found anything were left out "
                f"(rows left out per config: {dropped}).", ""]
    else:
        out += [f"Rows with replacements, per kind: {found}.", ""]
    out += [
        f"`removed.jsonl` lists the threads ({export.removed} now) that were in an earlier export of this folder and are "
        "not in this one (withdrawn, deleted, or dropped), one JSON object a line: `{\"thread\": ..., \"removed\": date}`. "
        "Delete the rows with those `thread` values from your copies.", "",
        "## Rewards", "",
        f"`rewards` and `ilql` score a completion by its rank alone, never by how many drafts there were: the author's "
        f"answer {ANSWER_REWARD:+.1f}, the draft he ranked r-th after it -(1 - 2^-r). Example: an answer with three "
        f"drafts gives {ANSWER_REWARD:+.1f}, {draft_reward(1):+.3f}, {draft_reward(2):+.3f}, {draft_reward(3):+.3f}; an "
        f"answer with one draft gives {ANSWER_REWARD:+.1f}, {draft_reward(1):+.3f} (a lone draft scores as the best of three).",
        "",
        "`ilql`: the author's answers in a thread are one trajectory (`<thread>-0`), one row per turn, `done` on the last; "
        "each draft is a one-step trajectory branching off at its turn (`done` true), with the draft's reward. A thread "
        "with follow-up questions has one row per turn, the earlier turns in the prompt.", "",
        "## The automaton's conversations", "",
        "Readers also talk to the automaton, a model trained on this data and served by an OpenAI-compatible server; "
        "each reply offers several candidates and the reader picks the one most like the author, or none. Those "
        "candidates are **model data, never the author's words**: they appear only in `choices` and as `ilql` "
        "completions, never in `sft`, `preference` or `rewards`. The author may write the reply he would have given at "
        "any turn (`correction`): that is author data, and each correction gives an `sft` row whose earlier replies "
        "are his corrections only (a turn he did not correct leaves its message to join the next one). Only "
        "conversations whose askers ticked the consent box are here; its words: \"This conversation, my picks and "
        "the author's replies may be used to train the author's AI\". `choices.prompt` is what the model was sent, "
        "with this export's system turn in place of the one it was served with.", "",
        f"In `ilql` a conversation is one trajectory (`<thread>-0`) through the replies it went on from: the author's "
        f"correction scores {ANSWER_REWARD:+.1f}, else the reader's pick {CHOSEN_REWARD:+.1f}. Every other candidate "
        f"is a one-step branch: {NOT_CHOSEN_REWARD:+.1f} when the reader did not pick it, {CORRECTED_AWAY_REWARD:+.1f} "
        "when the author corrected the turn (corrected away, even the one the reader had picked). So: the author's "
        "words > chosen > not chosen > corrected away.", "",
        "## System turn", "",
        (f"Every conversation in `sft`, `preference`, `rewards`, `ilql` (and every tree's `system`) starts with the same "
         f"system turn:\n\n> {export.system}" if export.system else "No system turn was set (`qa-service export --system "
         "TEXT` puts one before every conversation, the same in every config)."),
        "", "A thread asked from a post adds `Post: <its title>` to that system turn (or is the whole system turn "
        "when none was set), in every config alike.", "",
        "## Splits", "",
        f"About {export.test_percent}% of threads (and of posts) go to `test`, chosen by a hash of the thread's keyed id "
        "(the post's slug), so a thread's rows never straddle train and test and re-exporting after new data moves no row.",
    ]
    for config, splits in export.rows.items():
        if sum(splits.values()) and not splits.get("test"):
            what = f"{export.posts} post(s)" if config == "posts" else f"{sum(splits.values())} row(s)"
            out.append(f"`{config}` has no test split in this export: {what} are too few for about "
                       f"{export.test_percent}% of them to land there. It appears once there is enough data.")
    out += [
        "", "## Posts", "",
        f"A post is cut at its headings; a section longer than {export.post_chars:,} characters is split at paragraph "
        "boundaries (never inside a code fence), each part keeping the section's `heading_path`. Footnote definitions "
        "travel with the part that cites them.", "",
        "## Files", "",
        *([f"`by-asker/<asker>/` holds the rows of each of the {export.askers} askers alone, one dataset folder each "
           "(same fields, its own small card): for training a reader's own adapter, which the service names "
           "`QA_AUTOMATON_ADAPTERS` + his `asker` pseudonym.", ""] if export.askers else []),
        "File names carry a hash of their content, so an export with new rows has new names and `datasets` loads it "
        "afresh instead of from its cache.", "", "| file | size |", "|---|---:|",
    ]
    out += [f"| `{name}` | {_megabytes(size)} |" for name, size in sorted(export.sizes.items())]
    out += [f"| total | {_megabytes(sum(export.sizes.values()))} |", ""]
    return "\n".join(out)
