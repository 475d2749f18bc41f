"""Mermaid fences -> inline SVG, light and dark, drawn once in a real Chromium and cached;
nothing that could run reaches the page; without a renderer the code block stays."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path, PurePosixPath

import pytest

from sitegen.build import build_files
from sitegen.diagrams import Mermaid, fences, unsafe
from sitegen.sources import SourceFile

from ..conftest import require
from .conftest import REPO, post

MERMAID_JS = REPO / "node_modules/mermaid/dist/mermaid.min.js"
FLOW = 'graph TD\n  A[Start] --> B{Is it?}\n  B -->|Yes| C[OK]\n  B -->|No| D["<img src=x onerror=alert(1)>"]\n  click A "javascript:alert(1)"\n'
SEQUENCE = "sequenceDiagram\n  Alice->>Bob: Hello <script>alert(1)</script>\n  Bob-->>Alice: Hi\n"
BROKEN = "graph TD\n  A -->\n"


def source(text: str, rel: str = "blog/d/index.md") -> SourceFile:
    return SourceFile(PurePosixPath(rel), Path("content", rel), text.encode())


def test_fences_are_found_with_their_line_and_exact_text() -> None:
    text = post(title="D", body=f"Intro.\n\n```mermaid\n{FLOW}```\n\n~~~ Mermaid\n{SEQUENCE}~~~\n\n```python\nx = 1\n```\n")
    found = fences([source(text), source("no diagrams", "blog/e/index.md")])
    assert [(f.source, f.line) for f in found] == [(FLOW, 8), (SEQUENCE, 16)]
    assert text.splitlines()[7] == "```mermaid" and text.splitlines()[15] == "~~~ Mermaid"


@pytest.mark.parametrize("svg,bad", [
    ('<svg><text>onerror=alert(1) &lt;script&gt;</text><a href="#x">ok</a></svg>', []),
    ("<svg><script>alert(1)</script></svg>", ["<script>"]),
    ('<svg><g onload="alert(1)"></g></svg>', ["g onload="]),
    ('<svg><a xlink:href="javascript:alert(1)">x</a></svg>', ["a xlink:href='javascript:alert(1)'"]),
    ("<svg><style>*{}</style></svg>", ["<style>"]),
    ('<svg><foreignObject><iframe src="x"></iframe></foreignObject></svg>', ["<iframe>", "iframe src='x'"]),
    ("<p>not svg</p>", ["not an <svg> element"]),
])
def test_unsafe_finds_what_could_run_and_ignores_text(svg: str, bad: list[str]) -> None:
    assert unsafe(svg) == bad


def test_without_a_renderer_the_code_block_stays_and_one_line_says_why(make_site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    options = make_site({"blog/d/index.md": post(title="D", body=f"```mermaid\n{FLOW}```\n\n```mermaid\n{SEQUENCE}```\n")})
    result = build_files(options)  # no node_modules/mermaid beside this site.toml
    html = result.files["d/index.html"].decode()
    assert '<figure class="diagram">' not in html and "graph TD" in html and "&lt;script&gt;" in html
    [warning] = [w for w in result.warnings if "mermaid" in w.message]
    assert warning.path.endswith("blog/d/index.md") and warning.line == 6
    assert "2 mermaid diagram(s) stay code blocks: no renderer here; install" in warning.message
    assert "npm install mermaid" in warning.message


@pytest.fixture
def renderer(tmp_path: Path) -> Mermaid:
    require(MERMAID_JS.is_file(), "node_modules/mermaid is not installed (scripts/test runs npm ci at the repository root)")
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    require(Path(chromium).exists(), "Debian's chromium is not installed (scripts/test installs it)")
    return Mermaid(cache=tmp_path / "cache", script=MERMAID_JS, chromium=Path(chromium))


@pytest.mark.browser
def test_diagrams_become_inline_svg_light_and_dark_with_nothing_that_runs(make_site, renderer: Mermaid) -> None:  # type: ignore[no-untyped-def]
    options = make_site({"blog/d/index.md": post(title="D", body=f"```mermaid\n{FLOW}```\n\n```mermaid\n{SEQUENCE}```\n\n```mermaid\n{BROKEN}```\n")})
    (options.config.parent / "node_modules").symlink_to(REPO / "node_modules")  # `npm install mermaid` beside site.toml
    renderer = replace(renderer, cache=options.config.parent / ".sitegen-cache/mermaid")
    result = build_files(options)
    html = result.files["d/index.html"].decode()
    assert html.count('<figure class="diagram">') == 2
    assert html.count('<div class="diagram-light"><svg') == 2 and html.count('<div class="diagram-dark"><svg') == 2
    assert unsafe(html[html.index("<figure"):html.rindex("</figure>")].replace("<figure", "<svg", 1)) == []
    assert "<script" not in html and "javascript:" not in html
    assert ">Start<" in html and ">Alice<" in html  # the labels are real SVG text
    assert "fill=" in html and " style=" not in html  # styles inlined as attributes: the CSP allows no <style>
    # The broken diagram: one line at its fence, and it stays code.
    [warning] = [w for w in result.warnings if "mermaid" in w.message]
    assert warning.line == 20 and "mermaid diagram not drawn (Parse error" in warning.message
    assert "A --&gt;" in html
    # Drawn once: light and dark of both diagrams, and the refusal, are cached and used as they are.
    cache = options.config.parent / ".sitegen-cache/mermaid"
    assert len(list(cache.glob("*.svg"))) == 4 and len(list(cache.glob("*.error"))) == 2
    offline = Mermaid(cache=cache, script=renderer.script, chromium=None)  # no browser: only the cache can answer
    from sitegen.sources import read_sources

    sources, _ = read_sources(options.content)
    figures = offline.figures(sources)
    assert set(figures) == {FLOW, SEQUENCE} and figures[FLOW] in html
    assert [w.line for w in offline.warnings] == [20]
    # The key covers the theme and mermaid's version: another version draws again.
    assert renderer.key(FLOW, "light") != renderer.key(FLOW, "dark")
    other = replace(renderer, script=None)
    assert other.key(FLOW, "light") != renderer.key(FLOW, "light")


@pytest.mark.browser
def test_the_example_posts_diagram_is_drawn_in_both_languages(example: Path, renderer: Mermaid) -> None:
    import html as html_module
    import re

    for path, label in (("why-i-write/index.html", "독자의 질문"), ("why-i-write/en-GB/index.html", "Labelled data")):
        html = (example / path).read_text(encoding="utf-8")
        assert html.count('<figure class="diagram">') == 1, path
        start = html.index('<figure class="diagram">')
        figure = html[start:html.index("</figure>", start)]
        assert label in html_module.unescape(re.sub(r"<[^>]+>", "", figure)), path  # labels are SVG text
        assert "flowchart LR" not in html  # drawn, not left as code


def test_the_same_diagram_twice_on_a_page_keeps_ids_unique() -> None:
    import re

    from sitegen.markdown import render_markdown

    svg = '<svg id="mermaid-0123456789ab"><marker id="mermaid-0123456789ab_end"/><path marker-end="url(#mermaid-0123456789ab_end)"/></svg>'
    html = render_markdown("```mermaid\ngraph TD\n```\n\ntext\n\n```mermaid\ngraph TD\n```\n", diagrams={"graph TD\n": svg}).html
    ids = re.findall(r'id="([^"]+)"', html)
    assert len(ids) == 4 and len(set(ids)) == 4, ids
    assert 'url(#mermaid-0123456789ab-2_end)' in html and html.count(svg) == 1
