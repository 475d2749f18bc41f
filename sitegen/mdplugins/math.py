"""`$…$` and `$$…$$` to MathML at build time (latex2mathml); bad LaTeX shown as code."""

from __future__ import annotations

from functools import lru_cache
from html import escape
from typing import Any

from latex2mathml.converter import convert
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin


@lru_cache(maxsize=1024)
def to_mathml(latex: str, display: bool) -> str | None:
    try:
        return convert(latex, display="block" if display else "inline")
    except Exception:  # latex2mathml raises many kinds on bad input
        return None


def render_math(latex: str, options: dict[str, Any]) -> str:
    display = bool(options.get("display_mode"))
    mathml = to_mathml(latex, display)
    if mathml is None:
        return f'<code class="math-error" title="LaTeX the build could not read">{escape(latex)}</code>'
    return mathml


def math_plugin(md: MarkdownIt) -> None:
    # Prices such as "$5 and $10" are not math: no digits or spaces next to a lone $.
    dollarmath_plugin(md, allow_space=False, allow_digits=False, allow_blank_lines=False,
                      allow_labels=False, renderer=render_math)
