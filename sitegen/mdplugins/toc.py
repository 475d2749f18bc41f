"""A table of contents after a heading whose text is 목차, Contents, Content, TOC or indice."""

from __future__ import annotations

from html import escape
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

TRIGGERS = {"목차", "contents", "content", "toc", "indice"}


def toc_html(headings: list[dict[str, Any]], label: str) -> str:
    """A nested <ol> of the headings, as an accessible nav."""
    if not headings:
        return ""
    out = [f'<nav class="toc" aria-label="{escape(label)}">']
    base = min(h["level"] for h in headings)
    depth = 0
    for heading in headings:
        level = heading["level"] - base + 1
        if level > depth:
            out.append("<ol>" * (level - depth))
        else:
            out.append("</li>")
            if level < depth:
                out.append("</ol></li>" * (depth - level))
        depth = level
        out.append(f'<li><a href="#{escape(heading["id"])}">{escape(heading["text"])}</a>')
    out.append("</li>" + "</ol></li>" * (depth - 1) + "</ol></nav>\n")
    return "".join(out)


def toc_plugin(md: MarkdownIt) -> None:
    def insert_toc(state: StateCore) -> None:
        headings = state.env.get("headings", [])
        triggers = [h for h in headings if h["text"].strip().casefold() in TRIGGERS]
        if not triggers:
            return
        trigger_indexes = {h["index"] for h in triggers}
        listed = [h for h in headings if h["id"] and h["index"] not in trigger_indexes]
        # Insert from the end so earlier indexes stay valid.
        for trigger in sorted(triggers, key=lambda h: h["index"], reverse=True):
            close = trigger["index"] + 2  # heading_open, inline, heading_close
            block = Token("html_block", "", 0)
            block.content = toc_html(listed, trigger["text"])
            state.tokens.insert(close + 1, block)
        state.env["toc"] = True

    md.core.ruler.after("heading_anchors", "toc", insert_toc)
