"""`$…$` and `$$…$$` to MathML at build time (latex2mathml); bad LaTeX shown as code.

latex2mathml's output is then set as LaTeX sets it (`mathml_as_latex`): a named operator
(`\\log`, `\\lim`, `\\operatorname{softmax}`) is an upright word followed by an invisible
function application and a thin space, not a stretchy `<mo>` with a thick space on each
side; an operator that takes limits (`\\lim`, `\\max`, `\\sup`, `\\det`, `\\operatorname*`)
carries them in `<munder>` with movablelimits, so they sit under it in display math and
beside it inline or in a fraction, as in a LaTeX document.

Display math is a centred block that scrolls sideways (by keyboard too) when it is wider
than the page; math in a table header carries its LaTeX as aria-label, so the header has
a name for tools that do not read MathML.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape
from typing import Any, Sequence
from xml.etree import ElementTree as ET

from latex2mathml.converter import convert
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin

from ..i18n import strings

MATHML = "http://www.w3.org/1998/Math/MathML"
# \log and friends: upright words with limits, if any, beside them (LaTeX's \nolimits ops).
FUNCTIONS = {"arccos", "arcsin", "arctan", "arg", "cos", "cosh", "cot", "coth", "csc", "deg", "dim",
             "exp", "hom", "ker", "lg", "ln", "log", "sec", "sin", "sinh", "tan", "tanh"}
# \lim and friends: limits under them in display style (LaTeX's \limits ops).
LIMIT_OPERATORS = {"det", "gcd", "inf", "lim", "liminf", "limsup", "max", "min", "Pr", "sup",
                   "argmax", "argmin"}
_WORD = re.compile(r"^[A-Za-z][A-Za-z\u2006 ]+$")
_SCRIPTED = {"msub": "munder", "msup": "mover", "msubsup": "munderover"}
_OPEN = {"(", "[", "{", "|", "\u2016", "\u27e8", "\u2308", "\u230a"}
_CLOSE = {")", "]", "}", "|", "\u2016", "\u27e9", "\u2309", "\u230b"}
THIN = "0.1667em"  # \, : LaTeX's space between an operator name and an ordinary symbol


def _word(element: ET.Element) -> str | None:
    """The operator name an <mi>/<mo> spells ("log", "lim sup"), or None."""
    if element.tag not in ("mi", "mo") or len(element) or not element.text:
        return None
    text = element.text.strip()
    if element.tag == "mi" and text not in FUNCTIONS | LIMIT_OPERATORS:
        return None
    if element.tag == "mo" and (not _WORD.match(text) or text == "mod"):
        return None
    return text


def _named_operator(element: ET.Element) -> ET.Element | None:
    """The element as an operator name set upright, its limits placed as LaTeX places them;
    None when it is not an operator name."""
    if element.tag in _SCRIPTED and len(element) >= 2:
        base = element[0]
        word = _word(base)
        if word is None:
            return None
        limits = base.get("movablelimits") == "true" or word.replace("\u2006", "") in LIMIT_OPERATORS
        if limits:
            element.tag = _SCRIPTED[element.tag]
            base.tag = "mo"
            base.attrib = {"movablelimits": "true", "form": "prefix", "lspace": "0", "rspace": "0"}
        else:
            base.tag = "mi"
            base.attrib = {}
        return element
    word = _word(element)
    if word is None:
        return None
    element.tag = "mi"
    element.attrib = {}
    return element


def _is_fence(element: ET.Element, fences: set[str]) -> bool:
    return element.tag == "mo" and (element.text or "").strip() in fences


def _space() -> ET.Element:
    return ET.Element("mspace", width=THIN)


_POSITIONAL = {"msub", "msup", "msubsup", "munder", "mover", "munderover", "mfrac", "mroot", "mmultiscripts"}


def _set_operators(parent: ET.Element) -> None:
    """Each row of the tree, depth first: operator names set, spaced and marked as applied."""
    for child in list(parent):
        _set_operators(child)
    if parent.tag in _POSITIONAL:  # base, scripts, numerator...: places, not a row
        return
    children = list(parent)
    out: list[ET.Element] = []
    for index, child in enumerate(children):
        if _named_operator(child) is None:
            out.append(child)
            continue
        before = out[-1] if out else None
        after = children[index + 1] if index + 1 < len(children) else None
        if before is not None and (before.tag != "mo" or _is_fence(before, _CLOSE)) and before.tag != "mspace":
            out.append(_space())
        out.append(child)
        apply = ET.Element("mo")
        apply.text = "\u2061"  # FUNCTION APPLICATION: says "log of", spaces nothing
        out.append(apply)
        if after is not None and not _is_fence(after, _OPEN) and after.tag not in ("mo", "mspace"):
            out.append(_space())
    if out != children:
        parent[:] = out


def mathml_as_latex(mathml: str) -> str:
    """latex2mathml's MathML with operator names and limits set as LaTeX sets them."""
    tree = ET.fromstring(mathml.replace(f' xmlns="{MATHML}"', "", 1))
    _set_operators(tree)
    body = ET.tostring(tree, encoding="unicode", short_empty_elements=False)
    return body.replace("<math ", f'<math xmlns="{MATHML}" ', 1)


@lru_cache(maxsize=1024)
def to_mathml(latex: str, display: bool) -> str | None:
    try:
        return mathml_as_latex(convert(latex, display="block" if display else "inline"))
    except Exception:  # latex2mathml raises many kinds on bad input
        return None


def render_math(latex: str, display: bool, *, label: bool = False) -> str:
    mathml = to_mathml(latex, display)
    if mathml is None:
        return f'<code class="math-error" title="LaTeX the build could not read">{escape(latex)}</code>'
    if label:
        mathml = mathml.replace("<math ", f'<math aria-label="{escape(latex)}" ', 1)
    return mathml


def _display(latex: str, env: Any) -> str:
    """A display equation: a centred block that scrolls sideways, reachable by keyboard."""
    label = strings(env.get("language", "en") if isinstance(env, dict) else "en")["equation"]
    return (f'<div class="math-display" tabindex="0" role="group" aria-label="{escape(label)}">'
            f"{render_math(latex, True)}</div>")


def _mark_header_math(state: StateCore) -> None:
    """Math in a table header cell gets a text name (axe: empty-table-header)."""
    in_header = False
    for token in state.tokens:
        if token.type == "th_open":
            in_header = True
        elif token.type == "th_close":
            in_header = False
        elif in_header and token.type == "inline":
            for child in token.children or []:
                if child.type.startswith("math_inline"):
                    child.meta["label"] = True


def math_plugin(md: MarkdownIt) -> None:
    # Prices such as "$5 and $10" are not math: no digits or spaces next to a lone $.
    dollarmath_plugin(md, allow_space=False, allow_digits=False, allow_blank_lines=False, allow_labels=False)

    def inline(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        token = tokens[idx]
        return f'<span class="math inline">{render_math(token.content.strip(), False, label=bool(token.meta.get("label")))}</span>'

    def block(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        return _display(tokens[idx].content.strip(), env) + "\n"

    md.add_render_rule("math_inline", inline)
    md.add_render_rule("math_block", block)
    md.core.ruler.push("math_header_labels", _mark_header_math)
