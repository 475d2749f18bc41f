"""`sitegen init` and `sitegen new`: what they write, and that it builds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sitegen.build import BuildOptions, build_files
from sitegen.cli import main
from sitegen.scaffold import slug_and_title

NOW = dt.datetime(2026, 3, 14, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=9)))


@pytest.mark.parametrize("name,slug,title", [
    ("My Second Post!", "my-second-post", "My Second Post!"),
    ("두 번째 글: 시작", "두-번째-글-시작", "두 번째 글: 시작"),
    ("  Ünïcode — and   spaces ", "ünïcode-and-spaces", "Ünïcode — and   spaces"),
    ("already-a-slug", "already-a-slug", "Already a slug"),
])
def test_a_title_gives_a_slug(name: str, slug: str, title: str) -> None:
    assert slug_and_title(name, None) == (slug, title)


def test_new_from_a_title_writes_a_draft_with_that_title(tmp_path: Path) -> None:
    content = tmp_path / "content"
    assert main(["new", 'My "Second" Post!', "--content", str(content), "--config", str(tmp_path / "none.toml")]) == 0
    text = (content / "blog/my-second-post/index.md").read_text(encoding="utf-8")
    assert 'title: "My \\"Second\\" Post!"' in text and "publish: 0" in text


def test_new_refuses_a_title_without_letters(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["new", "!!!", "--content", str(tmp_path)]) == 1
    assert "no letters or digits" in capsys.readouterr().err and not (tmp_path / "blog").exists()


def _options(root: Path) -> BuildOptions:
    return BuildOptions(content=root / "content", out=root / "public", config=root / "site.toml")


def test_init_writes_a_blog_that_builds_and_shows_its_first_post(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "blog"
    assert main(["init", str(root), "--title", 'Kim\'s "notes"', "--author", "김", "--language", "ko-KR",
                 "--base-url", "https://kim.example/blog/"]) == 0
    assert "sitegen serve" in capsys.readouterr().out
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == [
        ".gitignore", "content/about/index.md", "content/blog/hello-world/index.md", "site.toml"]
    assert "/public/" in (root / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "/.sitegen-cache/" in (root / ".gitignore").read_text(encoding="utf-8").splitlines()
    site = build_files(_options(root)).site
    assert site.config.title == 'Kim\'s "notes"' and site.config.author == "김"
    assert site.config.base_url == "https://kim.example/blog/" and site.config.default_language == "ko-KR"
    assert [p.slug for p in site.posts] == ["hello-world"] and site.posts[0].primary.publish
    assert site.posts[0].primary.language == "ko-KR" and [p.slug for p in site.pages] == ["about"]


def test_init_writes_nothing_into_a_blog_that_is_there(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "site.toml").write_text("mine", encoding="utf-8")
    assert main(["init", str(tmp_path)]) == 1
    assert f"{tmp_path / 'site.toml'}: already exists" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["site.toml"]
    assert (tmp_path / "site.toml").read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize("flag,value,expected", [
    ("--language", "english", "'english' is not a BCP 47 tag"),
    ("--base-url", "kim.example", "'base_url' must be an absolute http(s) URL"),
])
def test_init_refuses_bad_flags_before_writing(tmp_path: Path, capsys, flag: str, value: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    assert main(["init", str(tmp_path / "b"), flag, value]) == 1
    assert expected in capsys.readouterr().err and not (tmp_path / "b").exists()


def test_init_takes_the_language_from_the_locale(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "ko_KR.UTF-8")
    assert main(["init", str(tmp_path / "ko")]) == 0
    assert 'default_language = "ko-KR"' in (tmp_path / "ko/site.toml").read_text(encoding="utf-8")
    assert 'title = "내 블로그"' in (tmp_path / "ko/site.toml").read_text(encoding="utf-8")
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert main(["init", str(tmp_path / "c")]) == 0
    assert 'default_language = "en-GB"' in (tmp_path / "c/site.toml").read_text(encoding="utf-8")


def test_building_with_the_preview_address_warns_before_publishing(tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    assert main(["init", "--language", "en-GB"]) == 0
    capsys.readouterr()
    assert main(["build"]) == 0
    assert "site.toml: base_url is http://127.0.0.1:8000/, the preview address" in capsys.readouterr().err
    assert main(["build", "--base-url", "https://me.example/"]) == 0
    assert "base_url" not in capsys.readouterr().err
