"""Reading the content folder: sorted, hidden files skipped, names in NFC."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from sitegen.sources import read_sources


def test_sorted_hidden_skipped_and_nfc(tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", "한글")  # how macOS writes Hangul file names
    for rel in ["b.txt", "a/.DS_Store", "a/x.md~", ".git/config", f"{decomposed}/index.md", "a/z.png"]:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    files, problems = read_sources(tmp_path)
    assert problems == []
    assert [str(f.rel) for f in files] == ["a/z.png", "b.txt", "한글/index.md"]
    assert str(files[2].rel) == unicodedata.normalize("NFC", "한글") + "/index.md"


def test_missing_folder_is_a_problem(tmp_path: Path) -> None:
    files, problems = read_sources(tmp_path / "nope")
    assert files == [] and "content folder not found" in problems[0].message


def test_a_link_out_of_the_content_folder_is_refused(tmp_path: Path) -> None:
    root, outside = tmp_path / "content", tmp_path / "outside"
    (root / "blog/b").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.txt").write_text("root:x:0:0", encoding="utf-8")
    (root / "blog/b/index.md").write_text("x", encoding="utf-8")
    (root / "blog/b/secret.txt").symlink_to(outside / "secret.txt")
    (root / "blog/b/folder").symlink_to(outside)
    (root / "blog/b/same.md").symlink_to(root / "blog/b/index.md")  # inside: fine
    files, problems = read_sources(root)
    assert [str(f.rel) for f in files] == ["blog/b/index.md", "blog/b/same.md"]
    assert sorted(p.path for p in problems) == [str(root / "blog/b/folder"), str(root / "blog/b/secret.txt")]
    assert all("outside the content folder" in p.message for p in problems)
