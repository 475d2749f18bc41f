"""Build-time code highlighting with Pygments: class-based spans, colours from the theme CSS."""

from __future__ import annotations

from functools import lru_cache
from html import escape
from typing import Any, Sequence

from markdown_it import MarkdownIt
from markdown_it.common.utils import unescapeAll
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token

from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from ..i18n import strings

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
    return _highlighted(code, name) if name else ""


@lru_cache(maxsize=256)
def _highlighted(code: str, name: str) -> str:
    """Pygments is most of a code block's cost, and a blog repeats its snippets (a post and
    its translation, a contract shown in several posts): each (code, language) is lexed once."""
    lexer = _lexer(name)
    if lexer is None:
        return ""
    body = pygments_highlight(code, lexer, _FORMATTER)
    return (
        f'<pre class="highlight" data-lang="{escape(name)}"><code class="language-{escape(name)}">'
        f"{body}</code></pre>\n"
    )


# accessible-pygments' styles: every token colour meets WCAG AA on the theme's code background.
LIGHT_STYLE, DARK_STYLE = "a11y-light", "a11y-dark"


def pygments_css(light_style: str = LIGHT_STYLE, dark_style: str = DARK_STYLE) -> str:
    """Token colours for `.highlight`, light by default and dark under prefers-color-scheme."""
    light = HtmlFormatter(style=light_style).get_style_defs(".highlight")
    dark = HtmlFormatter(style=dark_style).get_style_defs(".highlight")
    dark = "\n".join("  " + line for line in dark.splitlines())
    return f"{light}\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n"


def code_blocks_plugin(md: MarkdownIt) -> None:
    """Every code block can scroll sideways, so each is a named, keyboard-reachable region:
    tabindex="0", role="group" and a label in the page's language ("Solidity code")."""

    def labelled(html: str, lang: str, env: Any) -> str:
        words = strings(env.get("language", "en") if isinstance(env, dict) else "en")
        label = words["code_in"].format(language=lang) if lang else words["code"]
        start = html.index("<pre")
        end = html.index(">", start)
        return f'{html[:end]} tabindex="0" role="group" aria-label="{escape(label)}"{html[end:]}'

    def fence(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        info = unescapeAll(tokens[idx].info).strip()
        name = info.split(maxsplit=1)[0].lower() if info else ""
        lexer = _lexer(name) if name else None
        return labelled(RendererHTML.fence(self, tokens, idx, options, env), lexer.name if lexer else name, env)

    def code_block(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        return labelled(RendererHTML.code_block(self, tokens, idx, options, env), "", env)

    md.add_render_rule("fence", fence)
    md.add_render_rule("code_block", code_block)
