"""Answer NFTs as wallets and marketplaces see them: the ERC-721 metadata JSON (EIP-721's
"ERC721 Metadata JSON Schema": name, description, image, plus the `attributes` list
marketplaces show) and its SVG image, built from an answered question. Pure: no database,
no clock.

The question's words appear only when its asker ticked `public`; otherwise the metadata
says a question was answered, in which language and when, and nothing of what was asked or
answered (the answer could give the question away).
"""

from __future__ import annotations

import unicodedata
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from .questions import QuestionView

PRIVATE = "A reader's question, answered by the author. The asker kept the words private."
DELETED = "A reader's question, answered by the author. The asker has since deleted it with his account."
WIDTH, HEIGHT, MARGIN, LINE = 600, 600, 48, 30
COLUMNS = 44  # width units per line (about 440 px at 20 px, room for wide letters): a Latin letter is 1, a Hangul or CJK character 2
MAX_LINES = 11


def metadata(question: QuestionView, *, base_url: str, collection: str) -> dict[str, Any]:
    """base_url: where the service is reached (QA_URI), for the image's address."""
    answered = question.answered_at
    attributes: list[dict[str, Any]] = [
        {"trait_type": "Language", "value": question.language},
        {"trait_type": "Public", "value": "yes" if question.public else "no"},
        {"trait_type": "Question length", "display_type": "number", "value": len(question.text)},
        {"trait_type": "Answer length", "display_type": "number", "value": len(question.answer or "")},
        {"trait_type": "Alternatives", "display_type": "number", "value": len(question.alternatives)},
    ]
    if answered is not None:
        attributes.append({"trait_type": "Answered", "display_type": "date", "value": int(answered.timestamp())})
    description = f"Q: {question.text}\n\nA: {question.answer}" if question.public else PRIVATE
    return {
        "name": f"{collection} #{question.token_id}",
        "description": description,
        "image": f"{base_url}/nft/{question.token_id}.svg",
        "attributes": attributes,
    }


def deleted_metadata(token_id: int, *, base_url: str, collection: str) -> dict[str, Any]:
    """The metadata of a token whose question went with its asker's account: the token
    stays what it was (this collection's #id), its words are gone."""
    return {
        "name": f"{collection} #{token_id}",
        "description": DELETED,
        "image": f"{base_url}/nft/{token_id}.svg",
        "attributes": [{"trait_type": "Status", "value": "deleted"}],
    }


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def wrap(text: str, *, columns: int = COLUMNS, max_lines: int = MAX_LINES) -> list[str]:
    """Lines of at most `columns` width units, broken at spaces where there are any (Korean
    and English alike), mid-word only when a word is wider than a line; an ellipsis ends the
    last line when the text does not fit."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if _width(candidate) <= columns:
                line = candidate
                continue
            if line:
                lines.append(line)
            while _width(word) > columns:  # a word wider than a line: cut it
                cut = next(i for i in range(len(word), 0, -1) if _width(word[:i]) <= columns)
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and _width(last) > columns - 1:
            last = last[:-1]
        lines[-1] = last + "…"
    return lines


def image(question: QuestionView, *, collection: str) -> str:
    """The token's picture: the collection, the token id, the question if public, the
    language and the day it was answered. Every text is escaped; no script, no font or image
    from anywhere else."""
    body = wrap(question.text) if question.public else wrap(PRIVATE)
    answered = question.answered_at.strftime("%Y-%m-%d") if question.answered_at else ""
    footer = f"{question.language} · {answered}" if answered else question.language
    return _card(int(question.token_id or 0), body, footer, collection=collection)


def deleted_image(token_id: int, *, collection: str) -> str:
    """The picture of a token whose question was deleted with its asker's account."""
    return _card(token_id, wrap(DELETED), "deleted", collection=collection)


def _card(token_id: int, body: list[str], footer: str, *, collection: str) -> str:
    texts = [
        f'<text x="{MARGIN}" y="{MARGIN + 24}" font-size="20" fill="#9aa5b1">{escape(collection)}</text>',
        f'<text x="{MARGIN}" y="{MARGIN + 72}" font-size="44" font-weight="700" fill="#ffffff">#{token_id}</text>',
    ]
    texts += [f'<text x="{MARGIN}" y="{MARGIN + 140 + i * LINE}" font-size="20" fill="#e4e7eb">{escape(line)}</text>'
              for i, line in enumerate(body)]
    texts.append(f'<text x="{MARGIN}" y="{HEIGHT - MARGIN}" font-size="18" fill="#9aa5b1">{escape(footer)}</text>')
    label = quoteattr(f"{collection} #{token_id}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label={label} font-family="system-ui, sans-serif">'
        f'<rect width="{WIDTH}" height="{HEIGHT}" rx="24" fill="#1f2933"/>'
        + "".join(texts) + "</svg>\n"
    )
