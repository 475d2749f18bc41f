"""```mermaid fences become the inline SVG figure the build drew for them (`sitegen.diagrams`).

The figures arrive in `env["diagrams"]` ({diagram source: figure HTML}); a fence without one
stays an ordinary code block, so a machine without a renderer still builds."""

from __future__ import annotations

import re
from typing import Any, Sequence

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict


_RENDER_ID = re.compile(r"mermaid-[0-9a-f]{12}(?![0-9a-f])")  # sitegen.diagrams names each drawing so


def diagrams_plugin(md: MarkdownIt) -> None:
    code_block = md.renderer.rules.get("fence")  # type: ignore[attr-defined]  # RendererHTML has rules

    def fence(self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        token = tokens[idx]
        if token.info.strip().split(" ")[0].lower() == "mermaid":
            drawn = (env.get("diagrams") or {}).get(token.content)
            if drawn is not None:
                # The same diagram twice on a page: the second copy's ids (arrow markers ...) get a suffix.
                seen = env.setdefault("diagrams_seen", {})
                seen[token.content] = count = seen.get(token.content, 0) + 1
                return str(drawn) if count == 1 else _RENDER_ID.sub(rf"\g<0>-{count}", str(drawn))
        if code_block is not None:
            return str(code_block(tokens, idx, options, env))
        return str(self.renderToken(tokens, idx, options, env))

    md.add_render_rule("fence", fence)
