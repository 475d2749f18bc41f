"""axe-core over every page of a built site in Chromium: light and dark colour schemes,
desktop and phone screens. Used by tests/sitegen/test_accessibility.py, and by hand on any
built blog:

    .venv/bin/python -m tests.audit public/      # prints each violation; exit 1 if any
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterator

from .browser import DESKTOP, MOBILE, chromium, serve_folder

AXE = Path(__file__).resolve().parent / "axe/node_modules/axe-core/axe.min.js"
SCREENS = {"desktop": DESKTOP, "mobile": MOBILE}
SCHEMES = ("light", "dark")
# Every rule axe runs by default: WCAG 2.0-2.2 A and AA, and best practice.
RUN = ("axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => "
       "({id: v.id, help: v.help, nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.failureSummary)})))")


def html_pages(out: Path) -> list[str]:
    """Every HTML page of a built site, as URL paths ("/", "/hello/", "/404.html")."""
    return ["/" + file.relative_to(out).as_posix().removesuffix("index.html") for file in sorted(out.rglob("*.html"))]


def violations(out: Path, scheme: str, screen: str) -> Iterator[tuple[str, dict[str, object]]]:
    """(page, violation) for every page of the site in one scheme and screen."""
    source = AXE.read_text(encoding="utf-8")
    with serve_folder(out) as base, chromium(javascript=True, color_scheme=scheme, screen=SCREENS[screen]) as (page, _):
        for path in html_pages(out):
            response = page.goto(base + path)  # type: ignore[attr-defined]
            assert response is not None and response.status == 200, (path, response and response.status)
            page.evaluate(source)  # type: ignore[attr-defined]
            for found in page.evaluate(RUN):  # type: ignore[attr-defined]
                yield path, found


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path("public")
    pages = html_pages(out)
    count = 0
    for scheme in SCHEMES:
        for screen in SCREENS:
            for path, found in violations(out, scheme, screen):
                count += 1
                print(f"{scheme} {screen} {path}: {found['id']} ({found['help']})")
                for node in found["nodes"]:  # type: ignore[attr-defined]
                    print(f"    {node}".replace("\n", "\n    "))
    print(f"axe-core: {len(pages)} pages x {len(SCHEMES)} schemes x {len(SCREENS)} screens, {count} violation(s)")
    return 1 if count else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
