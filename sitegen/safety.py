"""Raw HTML in a post that would run a script, or load from another host, found in each
document's rendered HTML (whatever Markdown engine made it) with the standard library's
HTML parser, which tokenises as browsers do.

The SPEC's promise: no page runs a script (the opt-in offline worker is the only one, added
by the build, never by a post) and no page loads from another host, except an author's own
https `<iframe>` embed. What breaks it, in a post:

- a `<script>` element (in HTML, SVG or MathML), and `<base>`, `<meta http-equiv>`, `<link>`,
  `<frame>`, `<applet>`, which redirect, refresh or load on their own;
- any `on*=` event handler attribute;
- a `javascript:`, `vbscript:` or `data:text/html` URL in any attribute that takes a URL
  (href, src, action, formaction, xlink:href, data, poster, ...; SVG animation values too);
- an `<iframe>` whose src is not `https://` or the site's own (http, data:, or `srcdoc`);
- `<embed>` or `<object>` from another host;
- `srcset` with a candidate from another host;
- a `style` attribute or `<style>` element with `url(...)` on another host, `@import` or
  `expression(`, or any CSS escape (a backslash: `\\75rl(` is `url(`).

`unsafe_html = "refuse"` (the default in site.toml): each is a Problem, `file:line: ...`,
and the build stops. `unsafe_html = "warn"`: each is a warning and the offending tag is
published as text (escaped), so the page still runs nothing and loads nothing from elsewhere.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

from dataclasses import dataclass, fields, replace
from typing import Sequence

from .content import Document
from .errors import Problem
from .markdown import Rendered

MODES = ("refuse", "warn")
_URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "cite", "longdesc",
    "manifest", "codebase", "archive", "ping", "lowsrc", "dynsrc", "to", "from", "values", "by",
}
_ALWAYS = {"script", "base", "meta", "link", "frame", "frameset", "applet"}
_BAD_SCHEME = re.compile(r"^(javascript:|vbscript:|data:text/html)", re.IGNORECASE)
_CSS_URL = re.compile(r"url\(\s*['\"]?\s*([^'\")\s]+)", re.IGNORECASE)
_CSS_ACTIVE = re.compile(r"@import|expression\s*\(|behavior\s*:|-moz-binding|\\", re.IGNORECASE)  # \\: a CSS escape can spell url(
# What every finding needs in the HTML once tabs and newlines are removed (browsers drop them
# inside a URL's scheme): a document with none of these is not parsed, and most have none.
# Character references count, as they can spell a scheme or a name inside an attribute, except
# `&#39;` (an apostrophe, which is how Pygments writes every quote in highlighted code): an
# apostrophe spells no scheme (javascript:, vbscript:, data:text/html), no host and no name, and
# every check it could take part in (style, url(, srcset, <iframe ...) has its own word here.
_QUICK = re.compile(r"<(base|meta|link|frame|applet|iframe|embed|object|style)|style[^>]*\\|script|on[a-z]+\s*=|data:|srcset|url\(|@import|"
                    r"expression\s*\(|behavior\s*:|-moz-binding|&#(?!39;)|&(?!(amp|lt|gt|quot);)[a-z]+;", re.IGNORECASE)
# The same question asked faster (`_QUICK` alone costs ~1.4 ms on a Korean post: a
# case-insensitive alternation tried at every character): words looked for in the lowered text
# with `in`, the few patterns with a literal start as case-sensitive searches. Lowering maps
# letters as IGNORECASE does except for the four characters below, which IGNORECASE matches
# against ASCII letters (and lower() turns two of them into ASCII): a text with one of them takes
# `_QUICK` itself. Everything looked for is ASCII, and no other character lowers to or from
# ASCII, so the text is searched as UTF-8 with only its ASCII letters lowered (bytes.lower: str.lower
# of a Korean page was a third of this check), `\s` spelt out as the str patterns read it.
# tests/sitegen/test_safety.py checks both agree.
_WORDS = (b"<base", b"<meta", b"<link", b"<frame", b"<applet", b"<iframe", b"<embed", b"<object", b"<style", b"script",
          b"data:", b"srcset", b"url(", b"@import", b"-moz-binding")
_TAG_WORDS = re.compile(b"<(?:" + b"|".join(word[1:] for word in _WORDS if word.startswith(b"<")) + b")")  # one pass for these
_OTHER_WORDS = tuple(word for word in _WORDS if not word.startswith(b"<"))
_FOLDS_TO_ASCII = ("\u0130", "\u0131", "\u017f", "\u212a")  # İ ı ſ K (Kelvin)
# what `\s` matches in a str (str.isspace), as UTF-8
_SPACE = rb"(?:[\x09-\x0d\x1c-\x20]|\xc2[\x85\xa0]|\xe1\x9a\x80|\xe2\x80[\x80-\x8a\xa8\xa9\xaf]|\xe2\x81\x9f|\xe3\x80\x80)"
_STYLE_ESCAPE = re.compile(rb"style[^>]*\\")
_HANDLER = re.compile(rb"on[a-z]+" + _SPACE + rb"*=")
_EXPRESSION = re.compile(rb"expression" + _SPACE + rb"*\(")
_BEHAVIOR = re.compile(rb"behavior" + _SPACE + rb"*:")
_REFERENCE = re.compile(rb"&#(?!39;)|&(?!(amp|lt|gt|quot);)[a-z]+;")


def might_be_unsafe(text: str) -> bool:
    """Whether `text` has anything a finding needs (`_QUICK`); False: nothing to parse."""
    if not text.isascii() and any(char in text for char in _FOLDS_TO_ASCII):
        return _QUICK.search(text.replace("\t", "").replace("\n", "").replace("\r", "")) is not None
    lower = text.encode("utf-8", "surrogatepass").replace(b"\t", b"").replace(b"\n", b"").replace(b"\r", b"").lower()
    if any(word in lower for word in _OTHER_WORDS) or _TAG_WORDS.search(lower) is not None:
        return True
    if b"\\" in lower and b"style" in lower and _STYLE_ESCAPE.search(lower):
        return True
    if b"expression" in lower and _EXPRESSION.search(lower):
        return True
    if b"behavior" in lower and _BEHAVIOR.search(lower):
        return True
    return _HANDLER.search(lower) is not None or (b"&" in lower and _REFERENCE.search(lower) is not None)


@dataclass(frozen=True)
class Finding:
    what: str  # e.g. `<img onerror=...>`: what a reader of the message looks for
    tag_text: str  # the start tag as written (or the text of a <style> element)
    start: int  # offset of the start tag in the HTML
    end: int


def _normal_url(value: str) -> str:
    """What a browser reads: control characters and whitespace inside a scheme are ignored."""
    return re.sub(r"[\x00-\x20]", "", html.unescape(value))


def _foreign(url: str, host: str) -> bool:
    """An absolute or scheme-relative URL to a host other than the site's."""
    parts = urlsplit(_normal_url(url))
    return bool(parts.netloc) and parts.netloc.lower() != host.lower()


class _Scanner(HTMLParser):
    def __init__(self, text: str, host: str) -> None:
        super().__init__(convert_charrefs=True)
        self.host = host
        self.findings: list[Finding] = []
        self._lines = [0]
        for match in re.finditer("\n", text):
            self._lines.append(match.end())
        self._style_start: int | None = None
        self._style_tag = "<style>"

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._lines[line - 1] + column

    def _add(self, what: str) -> None:
        text = self.get_starttag_text() or ""
        start = self._offset()
        self.findings.append(Finding(what, text, start, start + len(text)))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)
        if tag == "style":
            self._style_start, self._style_tag = self._offset(), self.get_starttag_text() or "<style>"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)

    def handle_data(self, data: str) -> None:
        if self._style_start is not None and self._css_problem(data):  # the whole element, from its start tag
            self.findings.append(Finding(f"<style> {self._css_problem(data)}", self._style_tag, self._style_start, self._offset() + len(data)))

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._style_start = None

    def _css_problem(self, css: str) -> str | None:
        active = _CSS_ACTIVE.search(css)
        if active:
            return "a CSS escape (\\)" if active.group(0) == "\\" else f"'{active.group(0)}'"
        foreign = next((url for url in _CSS_URL.findall(css) if _foreign(url, self.host) or _BAD_SCHEME.match(_normal_url(url))), None)
        return f"url({foreign}) from another host" if foreign else None

    def _check(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _ALWAYS:
            self._add(f"<{tag}>")
            return
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if name.startswith("on"):
                self._add(f"<{tag} {name}=...> (an event handler)")
            elif name in _URL_ATTRIBUTES and _BAD_SCHEME.match(_normal_url(value)):
                self._add(f"<{tag} {name}=\"{_normal_url(value)[:30]}\">")
            elif name == "srcdoc":
                self._add(f"<{tag} srcdoc=...>")
            elif name in ("srcset", "imagesrcset") and any(_foreign(c.split()[0], self.host) for c in value.split(",") if c.split()):
                self._add(f"<{tag} {name}> with an image from another host")
            elif name == "style" and self._css_problem(value):
                self._add(f"<{tag} style> with {self._css_problem(value)}")
        src = values.get("src", "") or values.get("data", "")
        if tag == "iframe" and src and not _embed_allowed(src):
            self._add(f"<iframe src=\"{src[:40]}\"> (only https:// embeds are allowed)")
        elif tag in ("embed", "object") and src and _foreign(src, self.host):
            self._add(f"<{tag}> from another host")


def _embed_allowed(src: str) -> bool:
    """An iframe may show an https page (the author's embed) or one of the site's own."""
    url = _normal_url(src)
    parts = urlsplit(url)
    return url.lower().startswith("https://") or not (parts.scheme or parts.netloc)


def scan(text: str, *, host: str) -> list[Finding]:
    """Everything in `text` (a document's HTML) that would run a script or load from another host."""
    if not might_be_unsafe(text):
        return []
    scanner = _Scanner(text, host)
    scanner.feed(text)
    scanner.close()
    return scanner.findings


def neutralise(text: str, findings: list[Finding]) -> str:
    """`text` with each finding's tag escaped: it shows as text and does nothing."""
    out, at = [], 0
    for finding in sorted(findings, key=lambda f: f.start):
        if finding.start < at:
            continue  # one tag with two findings: escaped once
        out += [text[at:finding.start], html.escape(text[finding.start:finding.end], quote=False)]
        at = finding.end
    out.append(text[at:])
    return re.sub(r"</script", "&lt;/script", "".join(out), flags=re.IGNORECASE)


def source_line(body: str, body_line: int, finding: Finding, nth: int = 0) -> int:
    """The line of the post's file where the finding's tag is written, its `nth` time (0: the
    first); the body's first line when the tag is not written there as such."""
    needles = [finding.tag_text.splitlines()[0].strip().lower() if finding.tag_text.strip() else ""]
    tag = re.match(r"<\s*([a-z0-9:-]+)", finding.what)
    needles.append(f"<{tag.group(1)}" if tag else "")
    for needle in filter(None, needles):
        lines = [body_line + number for number, line in enumerate(body.splitlines()) if needle in line.lower()]
        if lines:
            return lines[min(nth, len(lines) - 1)]
    return body_line


def message(finding: Finding, mode: str) -> str:
    if mode == "warn":
        return f"{finding.what} would run a script or load from another host: published as text (unsafe_html = \"warn\")"
    return (f"{finding.what} would run a script or load from another host, and pages run none: remove it "
            "(an https:// <iframe> embed is allowed), or set unsafe_html = \"warn\" in site.toml to publish it as text")


def check(path: str, body: str, body_line: int, rendered_html: str, *, host: str, mode: str) -> tuple[str, list[Problem]]:
    """One document: its HTML (neutralised when mode is "warn") and a Problem per finding."""
    findings = scan(rendered_html, host=host)
    starts: dict[str, list[int]] = {}  # a tag written twice: the second finding is at its second line
    for finding in findings:
        if finding.start not in starts.setdefault(finding.tag_text, []):
            starts[finding.tag_text].append(finding.start)
    problems = [Problem(path, source_line(body, body_line, f, starts[f.tag_text].index(f.start)), message(f, mode)) for f in findings]
    return (neutralise(rendered_html, findings) if mode == "warn" and findings else rendered_html), problems


def screen(documents: Sequence[Document], *, host: str, mode: str) -> tuple[list[Document], list[Problem]]:
    """Every document's rendered HTML checked; with mode "warn" the offending tags come back
    as text. Returns the documents and the problems (errors when "refuse", else warnings)."""
    screened, problems = [], []
    for document in documents:
        shown = document.rendered.html  # read once: a stored render decodes it at each read (sitegen.records)
        text, found = check(document.display, document.body, document.body_line, shown, host=host, mode=mode)
        problems += found
        if text is not shown:
            values = {item.name: getattr(document.rendered, item.name) for item in fields(Rendered)}
            document = replace(document, rendered=Rendered(**{**values, "html": text}))
        screened.append(document)
    return screened, problems
