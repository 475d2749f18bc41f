"""Mermaid diagrams (```` ```mermaid ```` fences) -> inline SVG at build time, light and dark.

Each distinct diagram is rendered once by the npm `mermaid` package in a headless Chromium
(Debian's /usr/bin/chromium through Playwright's Python package; nothing is downloaded) and
kept in `.sitegen-cache/mermaid/` beside site.toml, keyed by the diagram's source, mermaid's
version, the colour theme and this module's rendering recipe. In the browser each SVG's
styles are turned into presentation attributes (the pages' Content-Security-Policy allows no
inline <style>) and anything that could run is removed; `unsafe` checks it again here, so no
script reaches a page. Where no renderer is installed the build says so in one line and the
diagram stays a code block.

The renderer is found, like Node finds packages, in `node_modules/mermaid` beside site.toml
or in a folder above it (`npm install mermaid` in the blog's folder).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterable, Mapping

from markdown_it import MarkdownIt

from .content import split_frontmatter
from .errors import Problem
from .programs import CHROMIUM, find_chromium, find_upwards  # noqa: F401 (CHROMIUM: named here before)
from .sources import SourceFile

THEMES = ("light", "dark")
MERMAID_THEME = {"light": "default", "dark": "dark"}
RECIPE = "1"  # bump when the rendering below changes: every cached diagram is then redrawn
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# Runs in the page: render, inline the computed styles as SVG attributes, strip what could run.
RENDER_JS = """
async ({id, source, theme}) => {
  mermaid.initialize({startOnLoad: false, theme, securityLevel: "strict", htmlLabels: false,
                      flowchart: {htmlLabels: false}, deterministicIds: true, deterministicIDSeed: id});
  const {svg} = await mermaid.render(id, source);
  const holder = document.createElement("div");
  document.body.appendChild(holder);
  holder.innerHTML = svg;
  const root = holder.querySelector("svg");
  const INHERITED = ["fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity",
    "stroke-dasharray", "stroke-linecap", "stroke-linejoin", "font-family", "font-size", "font-weight",
    "font-style", "text-anchor", "letter-spacing", "visibility", "color"];
  const OWN = {"opacity": "1", "dominant-baseline": "auto", "alignment-baseline": "auto"};
  const all = [root, ...root.querySelectorAll("*")];
  const values = new Map(all.map(el => {
    const style = getComputedStyle(el);
    const v = {};
    for (const p of [...INHERITED, ...Object.keys(OWN), "display"]) v[p] = style.getPropertyValue(p);
    return [el, v];
  }));
  for (const el of all) {
    const v = values.get(el);
    const parent = el === root ? null : values.get(el.parentElement);
    for (const p of INHERITED) if (v[p] && (!parent || parent[p] !== v[p])) el.setAttribute(p, v[p]);
    for (const [p, initial] of Object.entries(OWN)) if (v[p] && v[p] !== initial) el.setAttribute(p, v[p]);
    if (v.display === "none") el.setAttribute("display", "none");
  }
  const box = root.viewBox.baseVal;
  const width = parseFloat(root.style.maxWidth) || box.width;
  root.setAttribute("width", String(Math.round(width)));
  root.setAttribute("height", String(Math.round(box.width ? width * box.height / box.width : box.height)));
  for (const el of root.querySelectorAll("style, script, iframe, object, embed")) el.remove();
  for (const el of all) {
    for (const attr of [...el.attributes]) {
      const name = attr.name.toLowerCase();
      const link = name === "href" || name.endsWith(":href") || name === "src";
      if (name === "style" || name.startsWith("on") || (link && !attr.value.startsWith("#"))) el.removeAttribute(attr.name);
    }
  }
  const text = new XMLSerializer().serializeToString(root);
  holder.remove();
  return text;
}
"""


def _reason(message: str) -> str:
    """Mermaid's error in one line: "Parse error on line 2: ... Expecting 'X', got 'EOF'"."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    kept = lines[:1] + [line for line in lines[1:] if line.startswith(("Expecting", "Lexical", "Unrecognized"))][:1]
    text = re.sub(r" on line \d+:?", ":", " ".join(kept).removeprefix("Page.evaluate: ").removeprefix("Error: "))
    return text if len(text) <= 200 else text[:197] + "..."


@dataclass(frozen=True)
class Fence:
    source: str  # the diagram text, as the Markdown renderer will see it
    path: str  # for messages
    line: int  # the fence's line in the file


def fences(sources: Iterable[SourceFile]) -> list[Fence]:
    """Every ```mermaid fence in the content's Markdown files, in file order."""
    parser = MarkdownIt("commonmark")
    found: list[Fence] = []
    for source in sources:
        if source.rel.suffix != ".md" or b"mermaid" not in source.data:
            continue
        try:
            _, body_line, body = split_frontmatter(source.data.decode("utf-8").removeprefix("\ufeff"))
        except UnicodeDecodeError:
            continue  # reported by the parse stage
        for token in parser.parse(body):
            if token.type == "fence" and token.info.strip().split(" ")[0].lower() == "mermaid":
                line = (token.map[0] if token.map else 0) + body_line
                found.append(Fence(token.content, source.display, line))
    return found


class _Unsafe(HTMLParser):
    RUNS = {"script", "iframe", "object", "embed", "style"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag.lower() in self.RUNS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            lowered = name.lower()
            if lowered.startswith("on") or lowered == "style":
                self.found.append(f"{tag} {name}=")
            if (lowered in ("href", "src") or lowered.endswith(":href")) and not (value or "").startswith("#"):
                self.found.append(f"{tag} {name}={value!r}")


def unsafe(svg: str) -> list[str]:
    """What in an SVG could run or load something: elements, handlers, links out. [] = safe."""
    checker = _Unsafe()
    checker.feed(svg)
    checker.close()
    if not svg.lstrip().startswith("<svg"):
        checker.found.append("not an <svg> element")
    return checker.found


def figure(light: str, dark: str) -> str:
    """Both renderings; the theme's CSS shows the one matching the reader's colour scheme."""
    return (f'<figure class="diagram">\n<div class="diagram-light">{light}</div>\n'
            f'<div class="diagram-dark">{dark}</div>\n</figure>\n')


@dataclass
class Mermaid:
    """The diagram stage: {diagram source: figure HTML} for every diagram it has or can draw."""

    cache: Path  # .sitegen-cache/mermaid beside site.toml
    script: Path | None  # node_modules/mermaid/dist/mermaid.min.js
    chromium: Path | None
    warnings: list[Problem] = field(default_factory=list)

    @classmethod
    def beside(cls, config: Path) -> "Mermaid":
        folder = config.resolve().parent
        return cls(cache=folder / ".sitegen-cache" / "mermaid",
                   script=find_upwards(folder, "node_modules/mermaid/dist/mermaid.min.js"),
                   chromium=find_chromium())

    @cached_property
    def version(self) -> str:
        """mermaid's version, from its package.json: a new version draws every diagram again."""
        if self.script is None:
            return "none"
        try:
            return str(json.loads((self.script.parents[1] / "package.json").read_text(encoding="utf-8"))["version"])
        except (OSError, ValueError, KeyError):
            return "unknown"

    def key(self, source: str, theme: str) -> str:
        text = "\0".join((RECIPE, self.version, MERMAID_THEME[theme], source))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def _cached(self, key: str) -> str | None:
        """The SVG drawn before, or "error: why" for a diagram mermaid refused; None: not drawn yet."""
        for suffix in (".svg", ".error"):
            try:
                text = (self.cache / f"{key}{suffix}").read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if suffix == ".error":
                return "error: " + text
            return None if unsafe(text) else text  # a cache is only a shortcut: a bad entry is redrawn
        return None

    def _store(self, key: str, text: str, suffix: str = ".svg") -> None:
        try:
            self.cache.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.cache, prefix=".new-")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temporary, self.cache / f"{key}{suffix}")
        except OSError:
            pass  # an unwritable cache only costs a redraw next time

    def missing_renderer(self) -> str | None:
        """Why diagrams cannot be drawn here, or None."""
        lacking = []
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            lacking.append("the Python package playwright (pip install playwright; no browser download needed)")
        if self.chromium is None:
            lacking.append("Chromium (Debian: apt-get install chromium)")
        if self.script is None:
            lacking.append("the npm package mermaid beside site.toml (npm install mermaid)")
        return "; ".join(lacking) or None

    def figures(self, sources: Iterable[SourceFile]) -> dict[str, str]:
        found = fences(sources)
        svgs: dict[tuple[str, str], str] = {}
        todo: dict[tuple[str, str], Fence] = {}
        for fence in found:
            for theme in THEMES:
                cached = self._cached(self.key(fence.source, theme))
                if cached is None:
                    todo.setdefault((fence.source, theme), fence)
                elif cached.startswith("error: "):
                    self._refused(fence, cached.removeprefix("error: "))
                    break
                else:
                    svgs[(fence.source, theme)] = cached
        if todo:
            why = self.missing_renderer()
            if why:
                first = next(iter(todo.values()))
                count = len({source for source, _ in todo})
                self.warnings.append(Problem(first.path, first.line, f"{count} mermaid diagram(s) stay code blocks: no renderer here; "
                                             f"install {why}"))
            else:
                svgs.update(self._render(todo))
        return {fence.source: figure(svgs[(fence.source, "light")], svgs[(fence.source, "dark")])
                for fence in found if (fence.source, "light") in svgs and (fence.source, "dark") in svgs}

    def _refused(self, fence: Fence, reason: str) -> None:
        """A diagram mermaid cannot read: a warning at its line; it stays a code block."""
        self.warnings.append(Problem(fence.path, fence.line, f"mermaid diagram not drawn ({reason}): fix it; it shows as code until then"))

    def _render(self, todo: Mapping[tuple[str, str], Fence]) -> dict[tuple[str, str], str]:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright

        assert self.script is not None and self.chromium is not None
        drawn: dict[tuple[str, str], str] = {}
        failed: set[str] = set()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(self.chromium), args=BROWSER_ARGS, headless=True)
                try:
                    page = browser.new_page()
                    page.set_default_timeout(60_000)
                    page.route("**/*", lambda route: route.abort())  # nothing leaves the machine
                    page.set_content("<!doctype html><html><head><meta charset='utf-8'></head><body></body></html>")
                    page.add_script_tag(content=self.script.read_text(encoding="utf-8"))
                    for (source, theme), fence in sorted(todo.items(), key=lambda item: (item[1].path, item[1].line, item[0][1])):
                        if source in failed:
                            continue
                        key = self.key(source, theme)
                        try:
                            svg = str(page.evaluate(RENDER_JS, {"id": f"mermaid-{key[:12]}", "source": source,
                                                                "theme": MERMAID_THEME[theme]}))
                        except PlaywrightError as error:
                            failed.add(source)
                            reason = _reason(str(error.message))
                            if "Timeout" not in reason and "Target" not in reason:  # the diagram's fault: remembered
                                for each in THEMES:
                                    self._store(self.key(source, each), reason, ".error")
                            self._refused(fence, reason)
                            continue
                        problems = unsafe(svg)
                        if problems:
                            failed.add(source)
                            self.warnings.append(Problem(fence.path, fence.line, f"mermaid diagram left as code: its SVG would carry "
                                                         f"{', '.join(problems[:3])}"))
                            continue
                        drawn[(source, theme)] = svg
                        self._store(key, svg)
                finally:
                    browser.close()
        except PlaywrightError as error:
            first = next(iter(todo.values()))
            self.warnings.append(Problem(first.path, first.line, f"mermaid diagrams stay code blocks: Chromium failed "
                                         f"({str(error.message).splitlines()[0]})"))
        return drawn


__all__ = ["Mermaid", "fences", "figure", "unsafe"]
