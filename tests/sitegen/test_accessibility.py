"""Every page of the example site passes axe-core in Chromium with zero violations, in the
light and the dark colour scheme, on a desktop and a phone screen.

axe-core is the npm package pinned in tests/axe/package-lock.json (scripts/test installs
it); it is injected into each page by Playwright, so the pages themselves stay script-free.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ..audit import AXE, SCHEMES, SCREENS, html_pages, violations
from ..browser import DESKTOP, MOBILE, chromium, serve_folder
from ..conftest import require

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("screen", list(SCREENS))
def test_every_page_passes_axe(example: Path, scheme: str, screen: str) -> None:
    require(AXE.is_file(), "axe-core is not installed (scripts/test runs npm ci in tests/axe)")
    pages = html_pages(example)
    assert len(pages) >= 25 and "/en-GB/" in pages and "/404.html" in pages, pages
    found = [f"{path}: {v['id']} ({v['help']}): {v['nodes']}" for path, v in violations(example, scheme, screen)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("screen", [DESKTOP, MOBILE], ids=["desktop", "mobile"])
def test_display_math_is_centred_and_never_clipped(example: Path, screen: dict[str, object]) -> None:
    with serve_folder(example) as base, chromium(screen=screen) as (page, _):
        page.goto(base + "/softmax-temperature/")  # type: ignore[attr-defined]
        boxes = page.eval_on_selector_all(".math-display", """els => els.map(e => {
            const math = e.querySelector('math'), box = e.getBoundingClientRect();
            const ink = math.firstElementChild.getBoundingClientRect();  // the formula itself
            return {wrapper: [e.scrollHeight, e.clientHeight, e.scrollWidth, e.clientWidth],
                    math: [math.scrollHeight, math.clientHeight, getComputedStyle(math).overflowY],
                    left: ink.left - box.left, right: box.right - ink.right,
                    top: ink.top - box.top, bottom: box.bottom - ink.bottom};
        })""")  # type: ignore[attr-defined]
    assert boxes
    for box in boxes:
        height, client_height, width, client_width = box["wrapper"]
        assert height <= client_height, f"display math scrolls vertically: {box}"
        math_height, math_client, overflow = box["math"]
        assert overflow == "visible" or math_height <= math_client, f"the <math> itself scrolls vertically: {box}"
        assert box["top"] >= 0 and box["bottom"] >= 0, f"display math is clipped: {box}"
        if width <= client_width:  # fits: the formula is centred to the pixel
            assert abs(box["left"] - box["right"]) <= 2 and box["left"] > 10, box


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
