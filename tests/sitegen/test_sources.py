"""Reading the content folder: sorted, hidden files skipped, names in NFC."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from sitegen import snapshot
from sitegen.sources import read_listed, read_sources


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


def _listed(root: Path) -> snapshot.Snapshot:
    return snapshot.take([root], [], [], listed=root)


def test_a_plain_folder_listed_reads_as_walked(tmp_path: Path) -> None:
    """The build reads the content from its snapshot's listing when the snapshot's walk met only
    plain files and folders: the same files, bytes and metadata as a walk of its own."""
    decomposed = unicodedata.normalize("NFD", "한글")
    for rel in ["b.txt", "a/.DS_Store", "a/x.md~", ".git/config", ".hidden/in.md", f"{decomposed}/index.md", "a/z.png",
                "blog/p/index.md", "blog/p/en-GB.md", "blog/p/img/x.png", "blog/q/index.md"]:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rel.encode())
    taken = _listed(tmp_path)
    assert taken.plain and taken.listing is not None
    walked, listed = read_sources(tmp_path), read_listed(tmp_path, taken.listing)
    assert listed[1] == walked[1] == []
    assert [(f.rel, f.path, f.content, f.stat) for f in listed[0]] == [(f.rel, f.path, f.content, f.stat) for f in walked[0]]
    assert [str(f.rel) for f in listed[0]][:3] == ["a/z.png", "b.txt", "blog/p/en-GB.md"]
    assert listed[0][-1].data == f"{decomposed}/index.md".encode()

    (tmp_path / "blog/q/index.md").unlink()  # gone since it was listed: left out, as a walk would
    (tmp_path / "a/z.png").unlink()
    again = read_listed(tmp_path, taken.listing)
    assert again[1] == [] and [f.rel for f in again[0]] == [f.rel for f in read_sources(tmp_path)[0]]


def test_a_folder_with_links_is_not_plain(tmp_path: Path) -> None:
    """A link (to a file or a folder) anywhere in the content folder: the build walks it itself,
    which refuses links out of it (above)."""
    (tmp_path / "blog/b").mkdir(parents=True)
    (tmp_path / "blog/b/index.md").write_text("x", encoding="utf-8")
    assert _listed(tmp_path).plain
    (tmp_path / "blog/b/same.md").symlink_to(tmp_path / "blog/b/index.md")
    taken = _listed(tmp_path)
    assert not taken.plain and taken.listing is not None and "blog/b/same.md" in taken.listing  # (sitegen.resume reads it)
    (tmp_path / "blog/b/same.md").unlink()
    (tmp_path / "blog/b/folder").symlink_to(tmp_path / "blog")
    assert not _listed(tmp_path).plain


def test_a_listed_folder_gone_reads_as_missing(tmp_path: Path) -> None:
    root = tmp_path / "content"
    root.mkdir()
    taken = _listed(root)
    root.rmdir()
    files, problems = read_listed(root, taken.listing or {})
    assert files == [] and "content folder not found" in problems[0].message
