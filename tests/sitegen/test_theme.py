"""The default theme: AA contrast in both colour schemes, no web fonts, no other hosts."""

from __future__ import annotations

import re

import pytest

from .conftest import REPO

CSS = (REPO / "theme/static/style.css").read_text(encoding="utf-8")


def variables(block: str) -> dict[str, str]:
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", block))


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


LIGHT = variables(CSS.split("@media (prefers-color-scheme: dark)")[0])
DARK = {**LIGHT, **variables(CSS.split("@media (prefers-color-scheme: dark)")[1].split("}")[0])}


@pytest.mark.parametrize("scheme", [LIGHT, DARK], ids=["light", "dark"])
@pytest.mark.parametrize("foreground,background", [("fg", "bg"), ("muted", "bg"), ("link", "bg"), ("fg", "code-bg"), ("muted", "code-bg")])
def test_text_meets_wcag_aa(scheme: dict[str, str], foreground: str, background: str) -> None:
    assert contrast(scheme[foreground], scheme[background]) >= 4.5


def test_no_web_fonts_imports_or_other_hosts() -> None:
    assert "@font-face" not in CSS and "@import" not in CSS
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", CSS)
    assert "@media print" in CSS and ":focus-visible" in CSS and ".skip-link:focus" in CSS


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_every_code_token_colour_meets_wcag_aa_on_the_code_background(dark: bool) -> None:
    from sitegen.mdplugins.highlight import pygments_css

    light_rules, dark_rules = pygments_css().split("@media (prefers-color-scheme: dark)")
    tokens = [line for line in (dark_rules if dark else light_rules).splitlines() if line.strip().startswith(".highlight")]
    colours = set(re.findall(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{6})", "\n".join(tokens)))
    background = (DARK if dark else LIGHT)["code-bg"]
    assert len(colours) > 5
    assert {c: round(contrast(c, background), 2) for c in colours if contrast(c, background) < 4.5} == {}
