"""Task-list checkboxes get their item's text as a label (`<label for>`), so a screen reader
says what is done and what is not; ids are numbered per page, in order."""

from __future__ import annotations

from typing import Any, Sequence

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token


def _label_items(state: StateCore) -> None:
    number = 0
    tokens = state.tokens
    for index, token in enumerate(tokens):
        if token.type != "list_item_open" or "checked" not in (token.meta or {}):
            continue
        number += 1
        token.meta["task_id"] = f"task-{number}"
        inline = next((t for t in tokens[index + 1:] if t.type == "inline" or t.type == "list_item_close"), None)
        if inline is None or inline.type != "inline":
            continue
        start, end = Token("html_inline", "", 0), Token("html_inline", "", 0)
        start.content, end.content = f'<label for="task-{number}">', "</label>"
        inline.children = [start, *(inline.children or []), end]


def tasks_plugin(md: MarkdownIt) -> None:
    def list_item_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        html = RendererHTML.list_item_open(self, tokens, idx, options, env)
        task_id = (tokens[idx].meta or {}).get("task_id")
        if task_id:
            html = html.replace('<input class="task-list-item-checkbox"', f'<input class="task-list-item-checkbox" id="{task_id}"', 1)
        return html

    md.core.ruler.push("task_labels", _label_items)
    md.add_render_rule("list_item_open", list_item_open)
