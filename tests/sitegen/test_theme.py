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


# The built-in theme and the author's theme over it (sitegen/theme.py).

from pathlib import Path  # noqa: E402

from sitegen.cli import main  # noqa: E402
from sitegen.theme import BUILTIN  # noqa: E402

from .conftest import post  # noqa: E402


def _site(root: Path) -> list[str]:
    (root / "content/blog/hello").mkdir(parents=True)
    (root / "content/blog/hello/index.md").write_text(post(title="Hello"), encoding="utf-8")
    (root / "site.toml").write_text('title = "Mine"\n', encoding="utf-8")
    return ["--content", str(root / "content"), "--out", str(root / "public"), "--config", str(root / "site.toml")]


def test_the_builtin_theme_is_the_repository_theme() -> None:
    assert BUILTIN.resolve() == (REPO / "theme").resolve()
    assert (BUILTIN / "templates/post.html").is_file() and (BUILTIN / "static/style.css").is_file()


def test_a_site_without_a_theme_folder_builds_with_the_builtin_one(tmp_path: Path) -> None:
    args = _site(tmp_path)
    assert main(["build", *args]) == 0
    html = (tmp_path / "public/hello/index.html").read_text(encoding="utf-8")
    assert "<title>Hello" in html and 'rel="stylesheet"' in html
    assert any((tmp_path / "public/assets").glob("style.*.css"))


def test_an_own_template_wins_and_a_missing_one_falls_back(tmp_path: Path) -> None:
    args = _site(tmp_path)
    (tmp_path / "theme/templates").mkdir(parents=True)
    (tmp_path / "theme/static").mkdir()
    base = (BUILTIN / "templates/base.html").read_text(encoding="utf-8")
    (tmp_path / "theme/templates/base.html").write_text(base.replace("<body", "<body data-mine=\"yes\"", 1), encoding="utf-8")
    (tmp_path / "theme/static/extra.txt").write_text("mine", encoding="utf-8")
    assert main(["build", *args]) == 0
    html = (tmp_path / "public/hello/index.html").read_text(encoding="utf-8")
    assert 'data-mine="yes"' in html  # the author's base.html
    assert 'class="post' in html or "<article" in html  # post.html from the built-in theme
    assert any((tmp_path / "public/assets").glob("extra.*.txt")) and any((tmp_path / "public/assets").glob("style.*.css"))


@pytest.mark.parametrize("template,expected", [
    ("{% block x %}\n{% if %}\n", "post.html:2: template syntax error"),
    ("{% extends 'base.html' %}\n{% block main %}\n{{ no_such_name }}\n{% endblock %}\n", "post.html:3: template error ('no_such_name' is undefined)"),
    ("{% include 'gone.html' %}\n", "gone.html: template not found in"),
    (b"ok\nnot \xff UTF-8\n", "post.html:2: not UTF-8 text: save the template as UTF-8"),
], ids=["syntax", "undefined", "not-found", "not-utf8"])
def test_a_broken_template_is_one_line_naming_file_and_line(tmp_path: Path, capsys, template: str | bytes, expected: str) -> None:  # type: ignore[no-untyped-def]
    args = _site(tmp_path)
    (tmp_path / "theme/templates").mkdir(parents=True)
    target = tmp_path / "theme/templates/post.html"
    target.write_bytes(template if isinstance(template, bytes) else template.encode())
    assert main(["build", *args]) == 1
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 2  # the problem, then "1 problem(s); nothing was written"
    assert not (tmp_path / "public").exists()


def test_a_theme_folder_that_is_not_there_is_one_line(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    args = _site(tmp_path)
    assert main(["build", *args, "--theme", str(tmp_path / "nope")]) == 1
    assert f"{tmp_path / 'nope'}: theme folder not found" in capsys.readouterr().err


def test_theme_copy_copies_the_builtin_theme_and_never_overwrites(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "theme"
    assert main(["theme", "--copy", str(target)]) == 0
    assert (target / "templates/base.html").read_bytes() == (BUILTIN / "templates/base.html").read_bytes()
    assert (target / "static/style.css").read_bytes() == (BUILTIN / "static/style.css").read_bytes()
    (target / "templates/base.html").write_text("edited", encoding="utf-8")
    assert main(["theme", "--copy", str(target)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert (target / "templates/base.html").read_text(encoding="utf-8") == "edited"
    assert main(["theme"]) == 0
    assert str(BUILTIN.resolve()) in capsys.readouterr().out


def test_compiled_templates_are_kept_and_an_edited_template_is_compiled_again(make_site) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from sitegen.build import build_site

    options = make_site({"blog/a/index.md": post(title="A")})
    theme = options.config.parent / "theme"
    (theme / "templates").mkdir(parents=True)
    base = theme / "templates" / "base.html"
    base.write_text((BUILTIN / "templates" / "base.html").read_text(encoding="utf-8"), encoding="utf-8")
    options = replace(options, theme=theme)
    stale = options.cache_dir / "templates-from-another-version"
    stale.mkdir(parents=True)
    build_site(options)
    kept = options.compiled_templates()
    assert kept is not None and any(kept.iterdir()) and not stale.exists()
    base.write_text(base.read_text(encoding="utf-8").replace("</body>", "<!-- edited --></body>"), encoding="utf-8")
    build_site(options)
    assert "<!-- edited -->" in (options.out / "a" / "index.html").read_text(encoding="utf-8")
