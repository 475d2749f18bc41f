"""Screenshots of the example site for the README: a post and the index, light and dark,
desktop and phone, taken in Debian's Chromium from a fresh build (scripts/screenshots)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sitegen.build import BuildOptions, build_site  # noqa: E402
from tests.browser import chromium, serve_folder  # noqa: E402

PAGES = {"post": "/softmax-temperature/", "index": "/"}
# The first screen a reader sees (not the whole page: the files stay small).
SCREENS = {"desktop": {"viewport": {"width": 1024, "height": 720}},
           "mobile": {"viewport": {"width": 390, "height": 760}, "is_mobile": True, "has_touch": True}}


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        public = Path(tmp) / "public"
        build_site(BuildOptions(content=ROOT / "content", out=public, config=ROOT / "site.toml", theme=ROOT / "theme",
                                cache=False))
        with serve_folder(public) as base:
            for scheme in ("light", "dark"):
                for screen, settings in SCREENS.items():
                    with chromium(color_scheme=scheme, screen=settings) as (page, _):
                        for name, path in PAGES.items():
                            page.goto(base + path)  # type: ignore[attr-defined]
                            target = out / f"{name}-{scheme}-{screen}.png"
                            page.screenshot(path=str(target))  # type: ignore[attr-defined]
                            print(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}"
                                  f" ({target.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs/screenshots")
