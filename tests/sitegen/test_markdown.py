"""The Markdown pipeline: fixture files (input -> expected HTML) plus the facts it reports."""

from __future__ import annotations

from html import escape

from pathlib import Path

import pytest

from markdown_it.utils import read_fixture_file

from sitegen.markdown import render_markdown, sections
from sitegen.mdplugins.highlight import pygments_css

FIXTURES = Path(__file__).parent / "fixtures" / "markdown"


def read_fixtures() -> list:
    """markdown-it-py's fixture format: a title line, then `.`-separated input and expected HTML."""
    return [
        pytest.param(source, expected, id=f"{path.stem}:{line}:{title}")
        for path in sorted(FIXTURES.glob("*.md"))
        for line, title, source, expected in read_fixture_file(path)
    ]


@pytest.mark.parametrize("source,expected", read_fixtures())
def test_fixture(source: str, expected: str) -> None:
    assert render_markdown(source, site_host="blog.example").html.strip() == expected.strip()


def test_heading_ids_keep_hangul_and_are_unique() -> None:
    rendered = render_markdown("## 안녕 세계\n\n## 안녕 세계\n\n### Hello, World!\n")
    assert [h.id for h in rendered.headings] == ["안녕-세계", "안녕-세계-2", "hello-world"]
    assert '<a class="anchor" href="#안녕-세계"' in rendered.html


def test_toc_after_trigger_heading_lists_the_others_nested() -> None:
    html = render_markdown("## 목차\n\n## A\n\n### B\n\n## C\n").html
    toc = html.split('<nav class="toc"', 1)[1].split("</nav>", 1)[0]
    assert html.index('<nav class="toc"') > html.index('id="목차"')
    assert '<a href="#a">A</a><ol><li><a href="#b">B</a></li></ol></li><li><a href="#c">C</a>' in toc
    assert "목차" not in toc.split(">", 1)[1]


def test_lines_refer_to_the_file_and_alt_text_is_reported() -> None:
    rendered = render_markdown("text\n\n![](a.png)\n\n![cat](b.png)\n", line_offset=5)
    images = [(r.target, r.line, r.alt) for r in rendered.references if r.kind == "image"]
    assert images == [("a.png", 8, ""), ("b.png", 10, "cat")]


def test_solidity_is_highlighted_and_unknown_languages_are_escaped() -> None:
    html = render_markdown("```solidity\ncontract A { uint x; }\n```\n\n```nosuchlang\n<b>x</b>\n```\n").html
    assert '<pre class="highlight" data-lang="solidity" ' in html and '<span class="k">contract</span>' in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html
    assert ".highlight .k" in pygments_css() and "prefers-color-scheme: dark" in pygments_css()


def test_math_becomes_mathml_and_prices_stay_text() -> None:
    html = render_markdown("Inline $x^2$ and\n\n$$\n\\frac{a}{b}\n$$\n\nIt costs $5 and $10.\n").html
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">' in html
    assert 'display="block"' in html and "<mfrac>" in html
    assert "It costs $5 and $10." in html


def test_bad_latex_does_not_break_the_build() -> None:
    """LaTeX the converter cannot read is shown as it was written, marked math-error (never
    dropped, never half-converted), and the rest of the post renders."""
    for latex in ("x^", "\\left( x", "\\begin{pmatrix} a"):
        html = render_markdown(f"Before ${latex}$ after, and $y^2$.\n").html
        assert f'<code class="math-error" title="LaTeX the build could not read">{escape(latex)}</code>' in html, latex
        assert html.count("<math") == 1 and "Before" in html and "after" in html


def test_external_links_get_rel_and_local_images_lazy_with_size() -> None:
    rendered = render_markdown("[a](https://other.example/x) [b](https://blog.example/y) [c](/z)\n\n![p](p.png)\n",
                               site_host="blog.example", image_size=lambda src: (40, 30) if src == "p.png" else None)
    assert '<a href="https://other.example/x" rel="nofollow noopener">a</a>' in rendered.html
    assert '<a href="https://blog.example/y">b</a>' in rendered.html
    assert 'loading="lazy"' in rendered.html and 'width="40" height="30"' in rendered.html


def test_raw_html_links_to_other_hosts_get_rel_too() -> None:
    html = render_markdown('<p><a href="https://other.example/">x</a> <a rel="me" href="https://o.example">y</a>'
                           ' <a href="/local/">z</a></p>\n\nand <a href="https://i.example">inline</a>\n',
                           site_host="blog.example").html
    assert '<a rel="nofollow noopener" href="https://other.example/">x</a>' in html
    assert '<a rel="me nofollow noopener" href="https://o.example">y</a>' in html
    assert '<a href="/local/">z</a>' in html
    assert '<a rel="nofollow noopener" href="https://i.example">inline</a>' in html


def test_raw_html_passes_through_and_translations_point_up() -> None:
    source = '<figure><img src="a.svg" alt="x"><figcaption>c</figcaption></figure>\n\n<iframe src="https://video.example/1"></iframe>\n\n![p](p.png)\n'
    html = render_markdown(source, link_prefix="../").html
    assert '<figure><img src="../a.svg" alt="x">' in html and '<iframe src="https://video.example/1">' in html
    assert 'src="../p.png"' in html


def test_sections_carry_heading_paths() -> None:
    body = "Intro.\n\n## A\n\nText a.\n\n### B\n\nText b.\n\n## C\n\nText c.\n"
    for offset in (0, 4):  # the body starts on the file's first line, or under 4 lines of frontmatter
        found = sections(body, render_markdown(body, line_offset=offset).headings, offset)
        assert [(s.heading_path, s.markdown, s.line) for s in found] == [
            ((), "Intro.", 1 + offset), (("A",), "Text a.", 4 + offset), (("A", "B"), "Text b.", 8 + offset),
            (("C",), "Text c.", 12 + offset)]


def test_output_is_deterministic() -> None:
    source = (FIXTURES / "gfm.md").read_text(encoding="utf-8")
    assert render_markdown(source).html == render_markdown(source).html


def test_code_blocks_are_named_keyboard_reachable_regions_in_the_page_language() -> None:
    html = render_markdown("```solidity\nx\n```\n\n```\nplain\n```\n\n    indented\n", language="ko-KR").html
    assert '<pre class="highlight" data-lang="solidity" tabindex="0" role="group" aria-label="Solidity 코드">' in html
    assert html.count('<pre tabindex="0" role="group" aria-label="코드">') == 2
    assert 'aria-label="Solidity code"' in render_markdown("```sol\nx\n```\n", language="en-GB").html


def test_task_list_checkboxes_are_labelled_by_their_item() -> None:
    html = render_markdown("- [x] done $T$\n\n  more\n- [ ] todo\n").html
    assert '<input class="task-list-item-checkbox" id="task-1"' in html
    assert '<label for="task-1">done <span class="math inline">' in html and '<label for="task-2">todo</label>' in html


def test_operator_names_are_upright_words_applied_with_a_thin_space() -> None:
    html = render_markdown("$-\\sum_i p_i \\log p_i$ and $\\operatorname{softmax}(z)$").html
    # \log: an upright <mi>, function application, thin spaces as LaTeX puts around an Op
    assert '<msub><mi>p</mi><mi>i</mi></msub><mspace width="0.1667em"></mspace><mi>log</mi><mo>\u2061</mo><mspace width="0.1667em"></mspace>' in html
    # \operatorname: not a stretchy <mo> with thick spaces; no space before a parenthesis
    assert '<mi>softmax</mi><mo>\u2061</mo><mo stretchy="false">(</mo>' in html


def test_limits_sit_under_lim_and_max_in_display_and_move_aside_inline() -> None:
    display = render_markdown("$$\n\\lim_{n\\to\\infty} a_n = \\max_x f(x)\n$$\n").html
    assert '<munder><mo movablelimits="true" form="prefix" lspace="0" rspace="0">lim</mo><mrow><mi>n</mi>' in display
    assert '<munder><mo movablelimits="true" form="prefix" lspace="0" rspace="0">max</mo><mi>x</mi></munder>' in display
    assert '<munderover><mo>∑</mo>' in render_markdown("$$\n\\sum_{i=1}^n i\n$$\n").html
    inline = render_markdown("$\\lim_{n} a_n$").html  # movablelimits: the browser puts them beside
    assert '<munder><mo movablelimits="true"' in inline and "<msub><mo>lim" not in inline


def test_display_math_is_a_centred_scrolling_block_and_header_math_has_a_name() -> None:
    html = render_markdown("$$\nx^2\n$$\n\n| $T$ | b |\n|---|---|\n| $1$ | 2 |\n", language="en-GB").html
    assert html.startswith('<div class="math-display" tabindex="0" role="group" aria-label="Equation"><math xmlns="http://www.w3.org/1998/Math/MathML" display="block">')
    assert '<th><span class="math inline"><math aria-label="T" ' in html
    assert '<td><span class="math inline"><math xmlns=' in html  # body cells keep plain MathML


def test_a_figure_image_without_alt_takes_its_caption() -> None:
    rendered = render_markdown('<figure>\n  <img src="./1.svg" />\n  <figcaption><cite>Bean &amp; card,<br/>cheaper</cite></figcaption>\n</figure>\n\n'
                               '<figure><img alt="mine" src="2.png"><figcaption>c</figcaption></figure>\n\n<img src="3.png">\n')
    assert '<img alt="Bean &amp; card, cheaper" src="./1.svg" />' in rendered.html
    assert '<img alt="mine" src="2.png">' in rendered.html and '<img src="3.png">' in rendered.html
    assert [(r.target, r.alt) for r in rendered.references] == [("./1.svg", "Bean &amp; card, cheaper"), ("2.png", "mine"), ("3.png", "")]


def test_reference_style_links_render_and_are_reported() -> None:
    """`[text][label]` with a `[label]: url` definition (markdown-it keeps those in env["references"],
    which the links plugin once used for its own list and crashed on)."""
    rendered = render_markdown("See [the spec][spec] and [spec].\n\n[spec]: https://spec.example/x \"Spec\"\n",
                               site_host="blog.example", line_offset=2)
    assert '<a href="https://spec.example/x" title="Spec" rel="nofollow noopener">the spec</a>' in rendered.html
    assert [(r.kind, r.target, r.line) for r in rendered.references] == [("link", "https://spec.example/x", 3)] * 2
