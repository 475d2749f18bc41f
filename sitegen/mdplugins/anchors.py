"""Stable, unique ids and self-links on h2-h6; every heading recorded in env["headings"]."""

from __future__ import annotations

from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from ..slugs import slugify


def heading_text(inline: Token) -> str:
    """The plain text of a heading's inline token (markup and HTML tags dropped)."""
    parts: list[str] = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline", "math_inline"):
            parts.append(child.content)
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts).strip()


def anchors_plugin(md: MarkdownIt, *, min_level: int = 2, max_level: int = 6) -> None:
    def add_anchors(state: StateCore) -> None:
        used: set[str] = set()
        headings: list[dict[str, Any]] = state.env.setdefault("headings", [])
        tokens = state.tokens
        for index, token in enumerate(tokens):
            if token.type != "heading_open":
                continue
            level = int(token.tag[1])
            text = heading_text(tokens[index + 1])
            line = (token.map[0] + 1) if token.map else 0
            slug = ""
            if min_level <= level <= max_level:
                base = slugify(text) or "section"
                slug, number = base, 1
                while slug in used:
                    number += 1
                    slug = f"{base}-{number}"
                used.add(slug)
                token.attrSet("id", slug)
                inline = tokens[index + 1]
                link_open = Token("link_open", "a", 1)
                link_open.attrs = {"class": "anchor", "href": f"#{slug}", "aria-hidden": "true", "tabindex": "-1"}
                mark = Token("text", "", 0)
                mark.content = "#"
                link_close = Token("link_close", "a", -1)
                space = Token("text", "", 0)
                space.content = " "
                inline.children = [*(inline.children or []), space, link_open, mark, link_close]
            headings.append({"level": level, "text": text, "id": slug, "line": line, "index": index})

    md.core.ruler.push("heading_anchors", add_anchors)
