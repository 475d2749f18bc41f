"""Every page of the example site passes axe-core in Chromium with zero violations, in the
light and the dark colour scheme, on a desktop and a phone screen.

axe-core is the npm package pinned in tests/axe/package-lock.json (scripts/test installs
it); it is injected into each page by Playwright, so the pages themselves stay script-free.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ..browser import DESKTOP, MOBILE, chromium, serve_folder
from ..conftest import require
from .conftest import REPO

pytestmark = pytest.mark.browser

AXE = REPO / "tests/axe/node_modules/axe-core/axe.min.js"
# Everything axe checks but the experimental rules: WCAG 2.0-2.2 A and AA, and best practice.
RUN = "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.failureSummary)})))"


def html_pages(out: Path) -> list[str]:
    """Every HTML page of a built site, as URL paths ("/", "/hello/", "/404.html")."""
    paths = []
    for file in sorted(out.rglob("*.html")):
        rel = file.relative_to(out).as_posix()
        paths.append("/" + rel.removesuffix("index.html"))
    return paths


def axe_violations(page: object, url: str, source: str) -> list[dict[str, object]]:
    response = page.goto(url)  # type: ignore[attr-defined]
    assert response is not None and response.status in (200, 404), (url, response and response.status)
    page.evaluate(source)  # type: ignore[attr-defined]
    return page.evaluate(RUN)  # type: ignore[attr-defined, no-any-return]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("screen", [DESKTOP, MOBILE], ids=["desktop", "mobile"])
def test_every_page_passes_axe(example: Path, scheme: str, screen: dict[str, object]) -> None:
    require(AXE.is_file(), "axe-core is not installed (scripts/test runs npm ci in tests/axe)")
    source = AXE.read_text(encoding="utf-8")
    pages = html_pages(example)
    assert len(pages) >= 15, pages
    found: dict[str, list[dict[str, object]]] = {}
    with serve_folder(example) as base, chromium(javascript=True, color_scheme=scheme, screen=screen) as (page, _):
        for path in pages:
            violations = axe_violations(page, base + path, source)
            if violations:
                found[path] = violations
    assert not found, "\n".join(f"{path}: {v['id']} ({v['help']}): {v['nodes']}" for path, vs in found.items() for v in vs)


@pytest.mark.parametrize("screen", [DESKTOP, MOBILE], ids=["desktop", "mobile"])
def test_display_math_is_centred_and_never_clipped(example: Path, screen: dict[str, object]) -> None:
    with serve_folder(example) as base, chromium(screen=screen) as (page, _):
        page.goto(base + "/softmax-temperature/")  # type: ignore[attr-defined]
        boxes = page.eval_on_selector_all(".math-display", """els => els.map(e => {  // type: ignore
            const box = e.getBoundingClientRect(), math = e.querySelector('math').getBoundingClientRect();
            return {scroll: [e.scrollHeight, e.clientHeight, e.scrollWidth, e.clientWidth],
                    left: math.left - box.left, right: box.right - math.right,
                    top: math.top - box.top, bottom: box.bottom - math.bottom};
        })""")  # type: ignore[attr-defined]
    assert boxes
    for box in boxes:
        height, client_height, width, client_width = box["scroll"]
        assert height <= client_height, f"display math scrolls vertically: {box}"
        assert box["top"] >= 0 and box["bottom"] >= 0, f"display math is clipped: {box}"
        if width <= client_width:  # fits: centred to the pixel
            assert abs(box["left"] - box["right"]) <= 2, box


def test_code_is_monospace_and_a_long_line_scrolls_by_keyboard(example: Path) -> None:
    with serve_folder(example) as base, chromium(screen=MOBILE) as (page, _):
        page.goto(base + "/answer-nft-solidity/")  # type: ignore[attr-defined]
        fonts = page.eval_on_selector_all("pre, pre code, p code, li code", "els => els.map(e => getComputedStyle(e).fontFamily)")  # type: ignore[attr-defined]
        assert fonts and all(f.startswith("ui-monospace") for f in fonts), fonts
        pre = page.locator("pre.highlight").first  # type: ignore[attr-defined]
        assert pre.evaluate("e => e.scrollWidth > e.clientWidth"), "a Solidity line is wider than a phone"
        for _ in range(40):  # Tab through the page until the code block has focus
            page.keyboard.press("Tab")  # type: ignore[attr-defined]
            if pre.evaluate("e => document.activeElement === e"):
                break
        else:
            pytest.fail("Tab never reached the code block")
        for _ in range(20):  # keyboard scrolling is animated: press and look again
            page.keyboard.press("ArrowRight")  # type: ignore[attr-defined]
            page.wait_for_timeout(100)  # type: ignore[attr-defined]
            if pre.evaluate("e => e.scrollLeft > 0"):
                break
        else:
            pytest.fail("the arrow keys did not scroll the focused code block")
        cue = pre.evaluate("e => getComputedStyle(e).backgroundImage")
        assert cue.count("gradient") == 4, "edge shadows show there is more to scroll"
