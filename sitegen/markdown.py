"""Markdown -> HTML plus what the rest of the build needs to know about the page.

CommonMark with GFM (tables, strikethrough, task lists, autolinks, footnotes), raw HTML,
heading anchors, a table of contents, Pygments highlighting and MathML, each a plugin in
`sitegen.mdplugins`. `render_markdown` is pure and deterministic. Most documents are written
straight from markdown-it-pyrs' tree by `sitegen.mdtree`, the rest parsed and rendered by
markdown-it-py with the same plugins; the HTML is the same either way.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any, Callable, Literal, Mapping

from markdown_it import MarkdownIt
from mdit_py_plugins.gfm import gfm_plugin

from . import mdtree

from .mdplugins.anchors import anchors_plugin
from .mdplugins.diagrams import diagrams_plugin
from .mdplugins.highlight import code_blocks_plugin, highlight_code
from .mdplugins.links import links_plugin
from .mdplugins.math import math_plugin
from .mdplugins.tasks import tasks_plugin
from .mdplugins.toc import toc_plugin


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    id: str  # "" for h1
    line: int  # 1-based line in the file


@dataclass(frozen=True)
class Reference:
    kind: Literal["link", "image"]
    target: str
    line: int
    alt: str | None  # "" for an image without alt text; None for links


@dataclass(frozen=True)
class Section:
    heading_path: tuple[str, ...]
    markdown: str
    line: int


@dataclass(frozen=True)
class Rendered:
    html: str
    headings: tuple[Heading, ...]
    references: tuple[Reference, ...]
    has_math: bool
    has_code: bool


_NESTED: dict[str, type] = {"headings": Heading, "references": Reference}
_NESTED_FIELDS = {name: tuple(item.name for item in fields(kind)) for name, kind in _NESTED.items()}


def rendered_to_json(rendered: Rendered) -> dict[str, Any]:
    """A Rendered as plain JSON values (for the build cache and the render workers).
    Exact: `rendered_from_json(rendered_to_json(r)) == r` (tests/sitegen/test_markdown.py).
    (Field by field rather than dataclasses.astuple, whose deep copies cost ~0.4 ms a post.)"""
    data: dict[str, Any] = {}
    for item in fields(Rendered):
        value = getattr(rendered, item.name)
        if item.name in _NESTED:
            names = _NESTED_FIELDS[item.name]
            value = [[list(v) if isinstance(v, tuple) else v for v in map(entry.__getattribute__, names)] for entry in value]
        data[item.name] = value
    return data


def rendered_from_json(data: Mapping[str, Any]) -> Rendered:
    values: dict[str, Any] = {}
    for item in fields(Rendered):
        value = data[item.name]
        if item.name in _NESTED:
            value = tuple(_NESTED[item.name](*(tuple(v) if isinstance(v, list) else v for v in entry)) for entry in value)
        elif isinstance(value, list):
            value = tuple(value)
        values[item.name] = value
    return Rendered(**values)


@lru_cache(maxsize=16)
def make_parser(site_host: str | None = None, link_prefix: str = "") -> MarkdownIt:
    """One parser per (host, prefix), built once; per-document state goes in `env`."""
    md = MarkdownIt("commonmark", {"html": True, "typographer": False, "highlight": highlight_code})
    md.use(gfm_plugin)
    md.use(tasks_plugin)
    md.use(code_blocks_plugin)
    md.use(diagrams_plugin)  # after code_blocks_plugin: a fence it has no drawing for goes there
    md.use(math_plugin)
    md.use(anchors_plugin)
    md.use(toc_plugin)
    md.use(links_plugin, site_host=site_host, link_prefix=link_prefix)
    return md


# The core rules after markdown-it-py's own (text_join) that sitegen.mdtree's HTML accounts
# for: anchors, links and tables of contents it does itself; task labels and header math find
# nothing in a document it takes (no task list, no `$` outside code). A parser with any other
# rule renders with markdown-it-py alone, so a new plugin can never be skipped silently.
_DIRECT = {"heading_anchors", "links_and_images", "toc", "task_labels", "math_header_labels"}


@lru_cache(maxsize=16)
def _direct(md: MarkdownIt) -> bool:
    """sitegen.mdtree may write this parser's HTML (see _DIRECT)."""
    names = [rule.name for rule in md.core.ruler.__rules__ if rule.enabled]
    return "text_join" in names and set(names[names.index("text_join") + 1:]) <= _DIRECT


def sections(body: str, headings: tuple[Heading, ...], line_offset: int = 0) -> tuple[Section, ...]:
    """`body` (a document's text after its frontmatter, which starts at file line
    `line_offset` + 1) split at its headings (its render's); each section keeps the path of
    enclosing headings. Made when asked (the dataset's posts), not kept with the render: it
    was a third of every render's cache entry, packed and stored for nothing by most builds."""
    lines = body.splitlines()
    cuts = sorted((h for h in headings if h.line - line_offset), key=lambda h: h.line)
    found: list[Section] = []
    path: list[tuple[int, str]] = []
    start = 0
    current_path: tuple[str, ...] = ()
    for heading in [*cuts, None]:
        end = heading.line - line_offset - 1 if heading else len(lines)
        text = "\n".join(lines[start:end]).strip()
        if text:
            found.append(Section(current_path, text, start + 1 + line_offset))
        if heading is None:
            break
        while path and path[-1][0] >= heading.level:
            path.pop()
        path.append((heading.level, heading.text))
        current_path = tuple(t for _, t in path)
        start = heading.line - line_offset  # skip the heading line itself
    return tuple(found)


def render_markdown(
    text: str,
    *,
    site_host: str | None = None,
    line_offset: int = 0,
    image_size: Callable[[str], tuple[int, int] | None] | None = None,
    link_prefix: str = "",
    language: str = "en",
    diagrams: Mapping[str, str] | None = None,
    engine: Literal["auto", "markdown-it-py"] = "auto",
) -> Rendered:
    """link_prefix goes before relative URLs: "../" for a translation at <slug>/<lang>/;
    language is the page's, for the few words the body carries (code and equation labels);
    diagrams: {mermaid source: figure HTML} drawn by the build (sitegen.diagrams);
    engine "markdown-it-py" parses with markdown-it-py alone (the tests compare both)."""
    md = make_parser(site_host, link_prefix)
    env: dict[str, Any] = {"image_size": image_size, "language": language, "diagrams": diagrams or {}}
    page = mdtree.html(text, md, env, site_host=site_host, link_prefix=link_prefix) if engine == "auto" and _direct(md) else None
    if page is not None:
        html, has_math, has_code = page.html, False, page.has_code
    else:
        tokens = md.parse(text, env)
        html = md.renderer.render(tokens, md.options, env)
        has_math = any(t.type.startswith("math") or any(c.type.startswith("math") for c in t.children or []) for t in tokens)
        has_code = any(t.type in ("fence", "code_block") for t in tokens)
    heads = env.get("headings", [])
    # ATX headings only map to one line; setext headings are two, the text on the first.
    return Rendered(
        html=html,
        headings=tuple(Heading(h["level"], h["text"], h["id"], h["line"] + line_offset) for h in heads),
        references=tuple(
            Reference(r["kind"], r["target"], r["line"] + line_offset, r["alt"]) for r in env.get("targets", [])
        ),
        has_math=has_math,
        has_code=has_code,
    )
