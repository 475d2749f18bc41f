"""markdown-it-pyrs' syntax tree -> the HTML markdown-it-py and our plugins would have made.

Parsing is most of rendering a post with markdown-it-py (~2.5 of ~3 ms); markdown-it-pyrs
(markdown-it's Rust port) parses the same CommonMark about 10x faster. Its tree is written
out here as the HTML markdown-it-py's renderer makes of the tokens its parser and our core
rules would produce (what the anchors and links plugins do to headings, links, images and raw
HTML, and the table of contents of sitegen.mdplugins.toc); fences, indented code and footnotes
are drawn by the parser's own render rules (highlighting, diagrams, labels). No token is built
for the rest: building them and rendering them in Python was most of the time left (~1 ms a
post now, ~1.8 with tokens, ~3 with markdown-it-py).

Only what this module reproduces exactly takes this path; `html` returns None for any other
document and markdown-it-py parses it itself: math (a `$` outside code), task lists, GitHub alerts, a `~`
outside code (strikethrough), bare URLs and e-mail addresses (GFM autolinks), link schemes markdown-it
refuses, destinations markdown-it-pyrs rewrites (non-ASCII, escapes), lazy continuation lines,
footnotes referenced from footnotes, Windows line ends, and any node type this module does
not know. tests/sitegen/test_mdtree.py renders documents of every kind both ways and requires
identical results. If sitegen.mdplugins.anchors, .links or .toc change, or markdown-it-py's
renderToken, change `_Builder` with them (the test fails until then); a parser with a core rule
this module does not account for renders with markdown-it-py (sitegen.markdown._direct).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate
from dataclasses import dataclass
from typing import Any, Literal

from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .mdplugins.links import _external_rel_html, _prefixed_html, _scan_html, caption_alt, is_external, is_local, is_relative
from .mdplugins.toc import TRIGGERS, toc_html
from .slugs import slugify

RustMarkdownIt: Any
try:
    from markdown_it_pyrs import MarkdownIt as RustMarkdownIt
except ImportError:  # pragma: no cover - a dependency; without it everything takes markdown-it-py
    RustMarkdownIt = None

# What markdown-it-py does differently or that this module does not rebuild, seen in the source
# (characters no case mapping makes or changes: looked for in the text as it is).
_SOURCE_GATE = ("\r", "\x00", "\ufeff")
# A task-list item: list markers, then [ ], [x] or [X] (markdown-it-py's task lists).
_TASK = re.compile(r"(?:(?:[-*+]|[0-9]{1,9}[.)])[ \t]+)+\[[ xX]\]")
# GFM autolinks (bare www., scheme://, e-mail) that markdown-it-py links and markdown-it-pyrs does not.
_AUTOLINKABLE = re.compile(r"://|www\.|@|mailto:|xmpp:", re.IGNORECASE)


# URLs markdown-it-py's normalizeLink gives back unchanged (ASCII, nothing to percent-encode,
# every % starting an escape): most links; tests/sitegen/test_mdtree.py checks the claim.
_PATH = r"(?:[A-Za-z0-9\-._~/?#!$&'()*+,;=:]|%[0-9A-Fa-f]{2})*"
_PLAIN_URL = re.compile(  # http(s) on a lowercase host, or a relative path without a colon
    r"(?:https?://(?P<host>[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)(?:[/?#]" + _PATH + r")?"
    r"|(?!//)(?:[A-Za-z0-9\-._~/?#!$&'()*+,;=]|%[0-9A-Fa-f]{2})*)\Z"
)
_new = object.__new__


def _escape(text: str) -> str:
    """markdown-it-py's escapeHtml (& < > "), without its four passes over a text that has none."""
    if "&" in text or "<" in text or ">" in text or '"' in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return text
_DELIMITER_ROW = re.compile(r"[ \t>]*\|?[ \t]*:?-+:?[ \t]*(\||$)")


def _token(type_: str, tag: str, nesting: Literal[-1, 0, 1], *, attrs: dict[str, Any] | None = None, map_: list[int] | None = None,
           children: list[Token] | None = None, content: str = "", markup: str = "", info: str = "",
           meta: dict[str, Any] | None = None, block: bool = False) -> Token:
    """Token(...) without the dataclass __init__ and __post_init__ (a third of the time here)."""
    token = _new(Token)
    token.type, token.tag, token.nesting, token.attrs, token.map = type_, tag, nesting, {} if attrs is None else attrs, map_
    token.level, token.children, token.content, token.markup, token.info = 0, children, content, markup, info
    token.meta, token.block, token.hidden = {} if meta is None else meta, block, False
    return token


class Unsupported(Exception):
    """The document has something this module does not rebuild exactly."""


_PARSER: Any = None


def _parser() -> Any:
    global _PARSER
    if _PARSER is None:
        _PARSER = RustMarkdownIt("commonmark").enable_many(["table", "strikethrough", "footnote"])
    return _PARSER


def available() -> bool:
    return RustMarkdownIt is not None


@dataclass(frozen=True)
class Page:
    """What `html` made of a document."""

    html: str
    has_code: bool  # a fence or an indented code block (no math: a document with math is not taken)


def html(text: str, md: MarkdownIt, env: dict[str, Any], *, site_host: str | None = None,
         link_prefix: str = "") -> Page | None:
    """markdown-it-py's HTML for `text` with our plugins (`md`, from sitegen.markdown.make_parser,
    whose render rules draw fences, code blocks and footnotes), and what its heading_anchors and
    links_and_images rules record (env["headings"], env["targets"]); or None when this document
    must be parsed by markdown-it-py itself. The HTML is written straight from the tree, as
    markdown-it-py's renderer would write the tokens its parser and our core rules (task labels,
    header math, tables of contents) make: building those tokens and rendering them in Python
    was most of the time left."""
    if RustMarkdownIt is None:
        return None
    if any(word in text for word in _SOURCE_GATE) or _note_interrupts_paragraph(text):
        return None
    try:
        built = _Builder(text, md, site_host, link_prefix, env).build(_parser().tree(text))
    except Unsupported:
        return None
    env["headings"], env["targets"] = built.headings, built.targets
    return Page(built.finish(), built.has_code)


def _note_interrupts_paragraph(text: str) -> bool:
    """A `[^label]:` line right under a line of text: markdown-it-py's footnote definition
    interrupts the paragraph, markdown-it-pyrs' does not."""
    at = text.find("[^")
    while at >= 0:
        line_start = text.rfind("\n", 0, at) + 1
        if line_start > 0 and not text[line_start:at].strip(" \t>"):
            previous = text[text.rfind("\n", 0, line_start - 1) + 1:line_start - 1]
            if previous.strip(" \t>"):
                return True
        at = text.find("[^", at + 2)
    return False


def _footnote_marks(text: str) -> tuple[int, int]:
    """(definitions, references) written in the source: `[^label]:` opening a line, other `[^label]`."""
    definitions = references = 0
    at = text.find("[^")
    while at >= 0:
        close = text.find("]", at + 2)
        if close < 0:
            break
        label = text[at + 2:close]
        if label and not any(char.isspace() or char == "[" for char in label):
            line_start = text.rfind("\n", 0, at) + 1
            if text[close + 1:close + 2] == ":" and not text[line_start:at].strip(" \t>"):
                definitions += 1
            else:
                references += 1
        at = text.find("[^", at + 2)
    return definitions, references


class _Builder:
    def __init__(self, text: str, md: MarkdownIt, site_host: str | None, link_prefix: str, env: dict[str, Any]) -> None:
        self.site_host, self.link_prefix, self.env = site_host, link_prefix, env
        self.image_size = env.get("image_size")
        self.headings: list[dict[str, Any]] = []  # what sitegen.mdplugins.anchors records
        self.targets: list[dict[str, Any]] = []  # what sitegen.mdplugins.links records
        self.slugs: set[str] = set()
        self.text = text
        self.text_lines = text.split("\n")
        self.tables = 0
        self.dollars = 0  # `$` seen inside code: a document with one anywhere else may have math
        self.tildes = 0  # `~` likewise (strikethrough)
        self.src = text.encode("utf-8")
        self.md = md
        # where each line after the first starts (a byte offset), summed in C: `line` bisects it
        self.starts = list(accumulate(map((1).__add__, map(len, self.src.split(b"\n")))))
        self.renderer: Any = md.renderer  # RendererHTML, whose rules our plugins filled
        self.parts: list[str | Token] = []  # the HTML so far, and tokens to draw by their rules
        self.opened = ""  # see next_token
        self.hidden = False
        self.closed_p = False  # the last token closed a paragraph (footnote anchors go inside)
        self.heading_ends: dict[int, int] = {}  # a heading's index -> where its HTML ends in parts
        self.has_code = False
        # footnotes: label -> (id, references so far), in the order of first reference
        self.notes: dict[str, list[int]] = {}
        self.in_footnote = False

    def line(self, offset: int) -> int:
        """0-based line of a byte offset (the line starts at or before it; the list's last
        entry is past the end)."""
        return bisect_right(self.starts, offset)

    def map_of(self, node: Any) -> list[int]:
        start, end = node.srcmap
        return [self.line(start), self.line(max(start, end - 1)) + 1]

    # -- blocks -----------------------------------------------------------------------------

    def build(self, root: Any) -> _Builder:
        quoted = False
        for line in self.text_lines:
            bare = line.strip(" \t>")
            if bare in ("-", "*", "+") or (bare[-1:] in (".", ")") and bare[:-1].isdigit()):
                raise Unsupported("an empty list item")  # what it interrupts differs between the engines
            if "]" in line and _TASK.match(line.lstrip(" \t>")):
                raise Unsupported("a task list")
            alert = line.find("[!")
            if alert >= 0 and ">" in line[:alert] and not line[:alert].strip(" \t>*+-0123456789.)"):
                raise Unsupported("a GitHub alert")  # `> [!NOTE]`, in a list too
            starts_quoted = line.lstrip(" \t").startswith(">")
            if quoted and bare and not starts_quoted:
                raise Unsupported("a lazy line after a quote")  # likewise
            quoted = starts_quoted
        footnotes = None
        for node in root.children:
            name = node.name
            if name == "paragraph":
                self.paragraph(node.children, self.line(node.srcmap[0]) + 1, False)
            elif name == "footnote_container":
                footnotes = node
            else:
                self.block(node, tight=False, name=name)
        lines = self.text_lines
        if "|" in self.text and self.tables != sum(
            1 for i, line in enumerate(lines) if ("|" in line or (i and "|" in lines[i - 1])) and _DELIMITER_ROW.match(line)
        ):
            raise Unsupported("a table one engine sees and the other does not")
        if self.dollars != self.text.count("$"):
            raise Unsupported("a $ outside code")  # math (markdown-it-py's dollarmath), or a price: either way
        if self.tildes != self.text.count("~"):
            raise Unsupported("a ~ outside code")  # markdown-it-py strikes through with single tildes too
        definitions = len(footnotes.children) if footnotes is not None else 0
        if "[^" in self.text and _footnote_marks(self.text) != (definitions, sum(count for _, count in self.notes.values())):
            raise Unsupported("footnotes one engine sees and the other does not")  # unreferenced, repeated, lazy ...
        if footnotes is not None:
            self.footnote_block(footnotes)
        elif self.notes:
            raise Unsupported("references without definitions")
        return self

    # -- markdown-it-py's renderer, token by token ---------------------------------------
    # RendererHTML.renderToken ends a block tag with a line end unless it opens one whose next
    # token is inline, hidden (a tight list's paragraph) or its own closing tag; it puts one
    # before a block tag (not a closing one) that follows a hidden token. `opened` is the tag
    # whose line end waits for the next token; `hidden`, whether the last token was hidden.

    def next_token(self, inline_or_hidden: bool = False, closing: str = "") -> None:
        if self.opened:
            if not inline_or_hidden and closing != self.opened:
                self.parts.append("\n")
            self.opened = ""

    def open(self, tag: str, attrs: str = "") -> None:
        """A block opening tag (renderToken)."""
        self.next_token()
        self.parts.append(f"\n<{tag}{attrs}>" if self.hidden else f"<{tag}{attrs}>")
        self.opened, self.hidden, self.closed_p = tag, False, False

    def close(self, tag: str) -> None:
        self.next_token(closing=tag)
        self.parts.append(f"</{tag}>\n")
        self.hidden, self.closed_p = False, tag == "p"

    def ruled(self, item: str | Token) -> None:
        """A block token drawn by a render rule: raw HTML as it is, a token (fence, code block,
        footnotes) by its rule in `finish`, once the whole document is known to be taken (the
        rules note things in env: a diagram drawn twice ...)."""
        self.next_token()
        self.parts.append(item)
        self.hidden = self.closed_p = False

    def rule(self, token: Token) -> str:
        return self.renderer.rules[token.type]([token], 0, self.md.options, self.env)

    def finish(self) -> str:
        """The page's HTML, with a table of contents after each heading that asks for one
        (sitegen.mdplugins.toc)."""
        self.next_token()  # the last token: an opening tag's line end stays
        triggers = [h for h in self.headings if h["text"].strip().casefold() in TRIGGERS]
        if triggers:
            trigger_indexes = {h["index"] for h in triggers}
            listed = [h for h in self.headings if h["id"] and h["index"] not in trigger_indexes]
            for trigger in sorted(triggers, key=lambda h: h["index"], reverse=True):
                self.parts.insert(self.heading_ends[trigger["index"]], toc_html(listed, trigger["text"]))
            self.env["toc"] = True
        rule = self.rule
        return "".join([part if type(part) is str else rule(part) for part in self.parts])  # type: ignore[arg-type]

    def inline(self, nodes: list[Any], line: int, after: str = "") -> None:
        self.next_token(inline_or_hidden=True)
        self.render_inlines(nodes, self.parts, line)
        if after:
            self.parts.append(after)
        self.hidden = self.closed_p = False

    def paragraph(self, nodes: list[Any], line: int, hidden: bool) -> None:
        """open("p"), inline, close("p") written out (most blocks are paragraphs); a hidden
        one (a tight list's) is its inline content alone."""
        parts = self.parts
        if self.opened:
            if not hidden:
                parts.append("\n")
            self.opened = ""
        if hidden:
            self.render_inlines(nodes, parts, line)
            self.hidden, self.closed_p = True, False
        else:
            parts.append("\n<p>" if self.hidden else "<p>")
            self.render_inlines(nodes, parts, line)
            parts.append("</p>\n")
            self.hidden, self.closed_p = False, True

    def block(self, node: Any, *, tight: bool, name: str = "") -> None:
        """`name`: the node's, when the caller has it (a Rust node's attribute is made anew at each look)."""
        name = name or node.name
        if name == "paragraph":
            self.paragraph(node.children, self.line(node.srcmap[0]) + 1, tight)
        elif name in ("heading", "lheading"):
            level = node.meta["level"]
            first = self.line(node.srcmap[0])
            if any(child.name == "image" for child in node.walk()):
                raise Unsupported("an image in a heading")  # its text would need the alt's source
            # sitegen.mdplugins.anchors: an id and a self-link on h2-h6, every heading recorded
            text = "".join(_heading_text(node.children)).strip()
            slug = after = ""
            if 2 <= level <= 6:
                base = slugify(text) or "section"
                slug, number = base, 1
                while slug in self.slugs:
                    number += 1
                    slug = f"{base}-{number}"
                self.slugs.add(slug)
                after = f' <a class="anchor" href="#{_escape(slug)}" aria-hidden="true" tabindex="-1">#</a>'
            index = len(self.parts)
            self.headings.append({"level": level, "text": text, "id": slug, "line": first + 1, "index": index})
            self.open(f"h{level}", f' id="{_escape(slug)}"' if slug else "")
            self.inline(node.children, first + 1, after)
            self.close(f"h{level}")
            self.heading_ends[index] = len(self.parts)
        elif name == "fence":
            meta = node.meta
            info = meta["info"]
            if "&" in info or "\\" in info:
                raise Unsupported("escapes in a fence's info string")
            start, end = node.srcmap
            lines = self.src[start:end].rstrip(b"\n").rsplit(b"\n", 1)
            closing = lines[-1].strip()
            if len(lines) < 2 or len(closing) < meta["marker_len"] or closing != meta["marker"].encode() * len(closing):
                raise Unsupported("a fence left open")  # the engines end it differently
            token = _token("fence", "code", 0, map_=self.map_of(node), markup=meta["marker"] * meta["marker_len"], block=True)
            token.info = info
            token.content = self.block_content(node, meta["content"])
            self.dollars += token.content.count("$")
            self.tildes += self.src.count(b"~", start, end)  # its fences' too
            self.has_code = True
            self.ruled(token)
        elif name == "code_block":
            content = node.meta["content"]
            self.dollars += content.count("$")
            self.tildes += content.count("~")
            token = _token("code_block", "code", 0, map_=self.map_of(node), content=content, block=True)  # always ends a line
            self.has_code = True
            self.ruled(token)
        elif name == "html_block":
            line = self.line(node.srcmap[0]) + 1
            content = caption_alt(self.block_content(node, node.meta["content"]))  # sitegen.mdplugins.links
            _scan_html(content, line, self.targets)
            content = _external_rel_html(content, self.site_host)
            if self.link_prefix:
                content = _prefixed_html(content, self.link_prefix)
            self.ruled(content)  # RendererHTML.html_block
        elif name == "hr":
            self.next_token()
            self.parts.append("\n<hr />\n" if self.hidden else "<hr />\n")
            self.hidden = self.closed_p = False
        elif name == "blockquote":
            self.open("blockquote")
            for child in node.children:
                self.block(child, tight=False)
            self.close("blockquote")
        elif name in ("bullet_list", "ordered_list"):
            self.list_block(node)
        elif name == "table":
            self.table(node)
        elif name == "definition":
            pass  # `[label]: url` makes no token; its links are resolved in the tree
        else:
            raise Unsupported(name)

    def block_content(self, node: Any, content: str) -> str:
        """markdown-it-py's block content keeps the source's last line end, or its lack of one."""
        if content.endswith("\n") and not self.src.endswith(b"\n") and node.srcmap[1] >= len(self.src):
            return content[:-1]
        return content

    def list_block(self, node: Any) -> None:
        ordered = node.name == "ordered_list"
        tag = "ol" if ordered else "ul"
        attrs = ""
        if ordered and node.meta.get("start", 1) != 1:
            attrs = f' start="{_escape(str(node.meta["start"]))}"'
        self.open(tag, attrs)
        items = []
        for item in node.children:
            if item.name != "list_item":
                raise Unsupported(item.name)
            items.append([(child.name, child) for child in item.children])
        tight = not any(name == "paragraph" for children in items for name, _ in children)
        for children in items:
            self.open("li")
            run: list[Any] = []  # inline nodes of a tight item's hidden paragraph
            for name, child in children:
                if name in _INLINE:
                    if not tight:
                        raise Unsupported("inline content in a loose list")
                    run.append(child)
                    continue
                if run:
                    self.paragraph(run, self.line(run[0].srcmap[0]) + 1, True)
                    run = []
                if tight and name == "paragraph":
                    raise Unsupported("a paragraph in a tight list")
                self.block(child, tight=tight, name=name)
            if run:
                self.paragraph(run, self.line(run[0].srcmap[0]) + 1, True)
            self.close("li")
        self.close(tag)

    def table(self, node: Any) -> None:
        aligns = node.meta["alignments"]
        first = self.line(node.srcmap[0])
        if first > 0:
            previous = self.text_lines[first - 1] if first - 1 < len(self.text_lines) else ""
            if previous.strip(" \t>"):
                raise Unsupported("a table right under a line of text")  # lazy lines: the engines differ
        self.tables += 1
        self.open("table")
        styles = [f' style="text-align:{align}"' if align != "none" else "" for align in aligns]
        for section in node.children:
            if section.name not in ("thead", "tbody"):
                raise Unsupported(section.name)
            cell_tag = "th" if section.name == "thead" else "td"
            self.open(section.name)
            for row in section.children:
                start, end = row.srcmap
                if b"|" not in self.src[start:end]:
                    raise Unsupported("a table row without a pipe")  # where the engines end a table differs
                line = self.line(start) + 1
                self.open("tr")
                if len(row.children) != len(aligns):
                    raise Unsupported("a row with another number of cells")
                for cell, style in zip(row.children, styles, strict=True):
                    self.open(cell_tag, style)
                    self.inline(cell.children, line)
                    self.close(cell_tag)
                self.close("tr")
            self.close(section.name)
        self.close("table")

    def footnote_block(self, container: Any) -> None:
        """footnote_tail's tokens, drawn: the referenced notes in the order of first reference."""
        definitions: dict[str, Any] = {}
        for definition in container.children:
            label = definition.meta.get("label")
            if definition.name != "footnote_def" or definition.meta.get("inline") or label in definitions:
                raise Unsupported("an inline or repeated footnote")
            if any(node.name == "footnote_ref" for node in definition.walk()):
                raise Unsupported("a footnote referenced from a footnote")
            definitions[label] = definition
        if not self.notes:
            return
        if any(label not in definitions for label in self.notes):
            raise Unsupported("a reference to a missing footnote")
        self.in_footnote = True
        self.ruled(_token("footnote_block_open", "", 1))
        for label, (number, count) in self.notes.items():
            self.ruled(_token("footnote_open", "", 1, meta={"id": number, "label": label}))
            for child in definitions[label].children:
                if child.name == "paragraph":
                    kids = [c for c in child.children if c.name != "footnote_ref_anchor"]
                    self.paragraph(kids, self.line(child.srcmap[0]) + 1, False)
                elif child.name == "footnote_ref_anchor":
                    continue
                else:
                    self.block(child, tight=False)
            closed_p = self.closed_p  # the anchors go inside the note's last paragraph
            if closed_p:
                self.parts.pop()
            for sub in range(max(count, 1)):
                self.ruled(_token("footnote_anchor", "", 0, meta={"id": number, "subId": sub, "label": label}))
            if closed_p:
                self.close("p")
            self.ruled(_token("footnote_close", "", -1))
        self.ruled(_token("footnote_block_close", "", -1))

    # -- inlines ----------------------------------------------------------------------------

    def render_inlines(self, nodes: list[Any], parts: list[Any], line: int) -> None:
        """markdown-it-py's rendering of the inline tokens, after the links plugin's changes."""
        append = parts.append
        for node in nodes:
            name = node.name
            if name == "text":  # most nodes: _escape written out
                content = node.meta["content"]
                if "`" in content:
                    raise Unsupported("a backtick left as text")  # where code spans end differs
                if ("@" in content or ":" in content or "w." in content or "W." in content) and _AUTOLINKABLE.search(content):
                    raise Unsupported("a bare URL or address")
                if "&" in content or "<" in content or ">" in content or '"' in content:
                    content = content.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
                append(content)
            elif name in _TAGS:
                tag = _TAGS[name]
                append(f"<{tag}>")
                self.render_inlines(node.children, parts, line)
                append(f"</{tag}>")
            elif name == "code_inline":
                children = node.children
                code = children[0].meta["content"] if len(children) == 1 else "".join([child.meta["content"] for child in children])
                if "$" in code:
                    self.dollars += code.count("$")
                if "~" in code:
                    self.tildes += code.count("~")
                append("<code>" + _escape(code) + "</code>")
            elif name == "text_special":
                parts.append(_escape(node.meta["content"]))
            elif name == "softbreak":
                parts.append("\n")
            elif name == "hardbreak":
                parts.append("<br />\n")
            elif name == "html_inline":
                content = node.meta["content"]
                _scan_html(content, line, self.targets)
                content = _external_rel_html(content, self.site_host)
                if self.link_prefix:
                    content = _prefixed_html(content, self.link_prefix)
                parts.append(content)
            elif name == "link":
                self.not_before_parenthesis(node)
                meta = node.meta
                href, host = self.link(meta["url"])
                self.link_open(href, meta.get("title"), parts, line, host != self.site_host if host else False)
                self.render_inlines(node.children, parts, line)
                parts.append("</a>")
            elif name == "autolink":
                start, end = node.srcmap
                url = self.src[start + 1:end - 1].decode("utf-8")
                if not url.lower().startswith(("http://", "https://")) or node.meta.get("url") is None:
                    raise Unsupported("an e-mail or other autolink")
                self.link_open(self.md.normalizeLink(url), None, parts, line)
                parts.append(_escape(self.md.normalizeLinkText(url)) + "</a>")
            elif name == "image":
                self.image(node, parts, line)
            elif name == "footnote_ref":
                if self.in_footnote:
                    raise Unsupported("a footnote referenced from a footnote")
                label = node.meta["label"]
                start, end = node.srcmap
                if self.src[start:end] != f"[^{label}]".encode("utf-8"):
                    raise Unsupported("a footnote label written otherwise")
                note = self.notes.setdefault(label, [len(self.notes), 0])
                token = _token("footnote_ref", "", 0, meta={"id": note[0], "subId": note[1], "label": label})
                note[1] += 1
                parts.append(self.rule(token))
            else:
                raise Unsupported(name)

    def link_open(self, href: str, title: str | None, parts: list[str], line: int, external: bool | None = None) -> None:
        """external: whether href is sitegen.mdplugins.links.is_external, when known already."""
        self.targets.append({"kind": "link", "target": href, "line": line, "alt": None})
        attrs = f' href="{_escape(href)}"'
        if title is not None:
            attrs += f' title="{_escape(title)}"'
        if is_external(href, self.site_host) if external is None else external:
            attrs += ' rel="nofollow noopener"'
        elif self.link_prefix and is_relative(href):
            attrs = f' href="{_escape(self.link_prefix + href)}"' + attrs[len(f' href="{_escape(href)}"'):]
        parts.append(f"<a{attrs}>")

    def not_before_parenthesis(self, node: Any) -> None:
        """`[label](` with `[label]: url` defined: markdown-it-py leaves it text, markdown-it-pyrs links it."""
        end = node.srcmap[1]
        if self.src[end:end + 1] == b"(":
            raise Unsupported("a reference link right before a parenthesis")

    def image(self, node: Any, parts: list[str], line: int) -> None:
        self.not_before_parenthesis(node)
        meta = node.meta
        src = self.link(meta["url"])[0]
        if any(child.name in ("image", "link", "autolink", "footnote_ref") for child in node.walk(include_self=False)):
            raise Unsupported("a link or image in an image's text")  # the links plugin does not look there
        alt, contents = _alt_text(node.children)
        self.targets.append({"kind": "image", "target": src, "line": line, "alt": contents})
        attrs = [("alt", alt)]
        if meta.get("title") is not None:
            attrs.append(("title", meta["title"]))
        if is_local(src):
            attrs += [("loading", "lazy"), ("decoding", "async")]
            size = self.image_size(unquote(urlsplit(src).path)) if self.image_size else None
            if size:
                attrs += [("width", str(size[0])), ("height", str(size[1]))]
        if self.link_prefix and is_relative(src):
            src = self.link_prefix + src
        parts.append(f'<img src="{_escape(src)}"' + "".join(f' {k}="{_escape(v)}"' for k, v in attrs) + " />")

    def link(self, url: str) -> tuple[str, str | None]:
        """markdown-it-pyrs gives a destination percent-encoded and unescaped already; one written
        so in the source, ASCII with nothing to encode, is what markdown-it-py makes of it too.
        With its host when it is http(s) (what urlsplit calls its netloc), else None (a path)."""
        plain = _PLAIN_URL.match(url)
        if plain and url in self.text:
            return url, plain["host"]
        raise Unsupported("a destination markdown-it-pyrs rewrote")


_TAGS = {"em": "em", "strong": "strong", "strikethrough": "s"}


def _heading_text(nodes: list[Any]) -> list[str]:
    """sitegen.mdplugins.anchors.heading_text's parts: text and code, markup dropped."""
    parts: list[str] = []
    for node in nodes:
        name = node.name
        if name in ("text", "text_special"):
            parts.append(node.meta["content"])
        elif name == "code_inline":
            parts.append("".join(child.meta["content"] for child in node.children))
        elif name in _TAGS or name == "link":
            parts += _heading_text(node.children)
        elif name == "autolink":
            raise Unsupported("an autolink in a heading")
    return parts


def _alt_text(nodes: list[Any]) -> tuple[str, str]:
    """An image's alt attribute (markdown-it-py's renderInlineAsText: line breaks kept) and
    the text the links plugin reports (its children's contents: line breaks dropped)."""
    alt: list[str] = []
    contents: list[str] = []
    for node in nodes:
        name = node.name
        if name in ("text", "text_special", "html_inline"):
            alt.append(node.meta["content"])
            contents.append(node.meta["content"])
        elif name == "code_inline":
            code = "".join(child.meta["content"] for child in node.children)
            alt.append(code)
            contents.append(code)
        elif name in ("softbreak", "hardbreak"):
            alt.append("\n")
        elif name in _TAGS:
            more_alt, more_contents = _alt_text(node.children)
            alt.append(more_alt)
            contents.append(more_contents)
        else:
            raise Unsupported(f"{name} in an image's text")
    return "".join(alt), "".join(contents)
_INLINE = {"text", "text_special", "softbreak", "hardbreak", "em", "strong", "strikethrough", "code_inline",
           "html_inline", "link", "autolink", "image", "footnote_ref"}
