"""The posts config: one row per section of a published post (each language version), cut at
its headings, with the path of headings above it and a URL that lands on it. Pure.

- A section longer than `max_chars` is split at paragraph boundaries (blank lines outside
  code fences) into parts of at most `max_chars`, each keeping the section's heading path; a
  single paragraph longer than that stays whole, never cut mid-sentence.
- Footnote definitions (`[^label]: ...`, with their indented continuation lines) travel with
  the part that cites them, wherever in the file they were written; one cited twice goes
  with each citing part, and an uncited one stays where it was.
- The text goes through the PII scrubber like every other exported text.
"""

from __future__ import annotations

import re
from typing import Iterator

from sitegen.site import Site

from .pii import scrub
from .rows import Row

MAX_CHARS = 4000
FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
DEFINITION = re.compile(r"^\s{0,3}\[\^([^\]\s]+)\]:")
CITATION = re.compile(r"\[\^([^\]\s]+)\](?!:)")


def _blocks(markdown: str) -> list[str]:
    """Paragraph-level blocks: split at blank lines that are not inside a code fence."""
    blocks: list[list[str]] = [[]]
    fence: str | None = None
    for line in markdown.split("\n"):
        marker = FENCE.match(line)
        if marker and (fence is None or marker.group(1)[0] == fence[0]):
            fence = None if fence else marker.group(1)
        if not line.strip() and fence is None:
            if blocks[-1]:
                blocks.append([])
            continue
        blocks[-1].append(line)
    return ["\n".join(block) for block in blocks if block]


def _take_definitions(blocks: list[str]) -> tuple[list[str], dict[str, str]]:
    """Blocks without the footnote definitions, and the definitions by label. A definition's
    continuation is the indented lines (and indented blocks) after it."""
    kept: list[str] = []
    definitions: dict[str, str] = {}
    last: str | None = None
    for block in blocks:
        if not (DEFINITION.match(block) or last and block.startswith(("    ", "\t"))):
            last = None
            kept.append(block)
            continue
        for number, line in enumerate(block.split("\n")):
            match = DEFINITION.match(line)
            if match:
                last = match.group(1)
                definitions[last] = line
            elif last:
                definitions[last] += ("\n\n" if number == 0 else "\n") + line
    return kept, definitions


def _parts(blocks: list[str], definitions: dict[str, str], max_chars: int) -> list[list[str]]:
    """Blocks packed into parts of at most max_chars, counting the footnotes each part carries."""
    parts: list[list[str]] = [[]]
    size = 0
    carried: set[str] = set()
    for block in blocks:
        notes = [label for label in dict.fromkeys(CITATION.findall(block)) if label in definitions]
        cost = len(block) + 2 + sum(len(definitions[label]) + 2 for label in notes if label not in carried)
        if parts[-1] and size + cost > max_chars:
            parts.append([])
            size, carried = 0, set()
            cost = len(block) + 2 + sum(len(definitions[label]) + 2 for label in notes)
        parts[-1].append(block)
        size += cost
        carried.update(notes)
    return [part for part in parts if part]


def sections(markdowns: list[str], *, max_chars: int = MAX_CHARS) -> list[tuple[int, str]]:
    """(index of the section each part comes from, the part's Markdown with the footnote
    definitions it cites), for the sections of one document in order."""
    split = [_take_definitions(_blocks(markdown)) for markdown in markdowns]
    definitions: dict[str, str] = {}
    for _, found in split:
        definitions.update(found)
    out: list[tuple[int, str]] = []
    for index, (blocks, _) in enumerate(split):
        for part in _parts(blocks, definitions, max_chars + 2):
            text = "\n\n".join(part)
            cited = list(dict.fromkeys(label for label in CITATION.findall(text) if label in definitions))
            out.append((index, "\n\n".join([text, *(definitions[label] for label in cited)])))
    return out


def post_rows(site: Site, *, max_chars: int = MAX_CHARS) -> Iterator[Row]:
    config = site.config
    for post in site.posts:
        for document in post.documents:
            if "qa_thread" in document.extra:  # a reader's thread `qa-service publish` wrote: in sft, not the author's prose
                continue
            anchors = {heading.line: heading.id for heading in document.rendered.headings if heading.id}
            page = config.absolute(document.url)
            found = document.sections
            for part, (index, markdown) in enumerate(sections([s.markdown for s in found], max_chars=max_chars)):
                section = found[index]
                anchor = anchors.get(section.line - 1)  # the heading just above the section
                text, kinds = scrub(markdown)
                yield {
                    "id": f"{post.slug}/{document.language}/{part}",
                    "slug": post.slug,
                    "language": document.language,
                    "title": document.title,
                    "heading_path": list(section.heading_path),
                    "tags": [tag.name for tag in document.tags],
                    "revision": document.revision,
                    "date": document.date.isoformat(),
                    "url": f"{page}#{anchor}" if anchor else page,
                    "text": text,
                    "pii": kinds,
                }
