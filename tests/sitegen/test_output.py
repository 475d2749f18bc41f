"""The one writer: whole sites swapped in, unsafe paths refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitegen.output import safe_path, write_site


def test_write_replaces_the_whole_folder(tmp_path: Path) -> None:
    out = tmp_path / "public"
    write_site({"index.html": b"one", "a/b.txt": b"b"}, out)
    write_site({"index.html": b"two"}, out)
    assert (out / "index.html").read_bytes() == b"two" and not (out / "a").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["public"], "no staging folders left behind"


@pytest.mark.parametrize("path", ["/etc/passwd", "../outside", "a/../../outside", "", "a\\b"])
def test_unsafe_paths_are_refused_and_the_old_site_stays(tmp_path: Path, path: str) -> None:
    out = tmp_path / "public"
    write_site({"index.html": b"old"}, out)
    with pytest.raises(ValueError):
        safe_path(path)
    with pytest.raises(ValueError):
        write_site({"index.html": b"new", path: b"x"}, out)
    assert (out / "index.html").read_bytes() == b"old"
    assert not (tmp_path / "outside").exists()


def test_an_output_folder_that_cannot_be_written_is_one_line(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from sitegen.cli import main

    (tmp_path / "content/blog/a").mkdir(parents=True)
    (tmp_path / "content/blog/a/index.md").write_text("---\ntitle: a\ndate: 2026-01-01\n---\nx\n", encoding="utf-8")
    (tmp_path / "site.toml").write_text('title = "t"\n', encoding="utf-8")
    (tmp_path / "file").write_text("a file, not a folder", encoding="utf-8")
    # A file where a parent folder should be fails for root too (chmod does not stop root).
    args = ["--content", str(tmp_path / "content"), "--config", str(tmp_path / "site.toml"), "--out", str(tmp_path / "file/public")]
    assert main(["build", *args]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path / 'file'}: is a file where the output folder should be: pass --out DIR" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 2
    assert (tmp_path / "file").read_text(encoding="utf-8") == "a file, not a folder"


def test_an_output_folder_the_system_refuses_is_one_line(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from sitegen.cli import main

    (tmp_path / "content/blog/a").mkdir(parents=True)
    (tmp_path / "content/blog/a/index.md").write_text("---\ntitle: a\ndate: 2026-01-01\n---\nx\n", encoding="utf-8")
    (tmp_path / "site.toml").write_text('title = "t"\n', encoding="utf-8")
    # /sys refuses new folders even to root: a real "Operation not permitted".
    args = ["--content", str(tmp_path / "content"), "--config", str(tmp_path / "site.toml"), "--out", "/sys/automata-public"]
    assert main(["build", *args]) == 1
    err = capsys.readouterr().err
    assert "cannot write the output (Operation not permitted): pass --out DIR" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 2
