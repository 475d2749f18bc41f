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
