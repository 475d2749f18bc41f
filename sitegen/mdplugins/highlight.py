"""Build-time code highlighting with Pygments: class-based spans, colours from the theme CSS."""

from __future__ import annotations

from functools import lru_cache
from html import escape

from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

ALIASES = {"sol": "solidity", "shell": "bash", "sh": "bash", "console": "console", "js": "javascript"}
_FORMATTER = HtmlFormatter(nowrap=True)


@lru_cache(maxsize=64)
def _lexer(name: str) -> Lexer | None:
    try:
        return get_lexer_by_name(ALIASES.get(name, name), stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


def highlight_code(code: str, lang: str, attrs: str) -> str:
    """markdown-it's `highlight` hook: a full <pre>, or "" to let it escape the code."""
    name = (lang or "").strip().lower()
    lexer = _lexer(name) if name else None
    if lexer is None:
        return ""
    body = pygments_highlight(code, lexer, _FORMATTER)
    return (
        f'<pre class="highlight" data-lang="{escape(name)}"><code class="language-{escape(name)}">'
        f"{body}</code></pre>\n"
    )


def pygments_css(light_style: str = "default", dark_style: str = "monokai") -> str:
    """Token colours for `.highlight`, light by default and dark under prefers-color-scheme."""
    light = HtmlFormatter(style=light_style).get_style_defs(".highlight")
    dark = HtmlFormatter(style=dark_style).get_style_defs(".highlight")
    dark = "\n".join("  " + line for line in dark.splitlines())
    return f"{light}\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n"
