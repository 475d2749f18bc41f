"""The one writer: whole sites swapped in, unsafe paths refused."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from sitegen import output
from sitegen.output import safe_path, write_site

from .conftest import pinned


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


def site_files(version: int) -> dict[str, bytes]:
    files = {f"p{i}/index.html": f"post {i}".encode() for i in range(200)}
    files["index.html"] = f"home v{version}".encode()
    if version == 2:
        files["new/index.html"] = b"a new post"
        del files["p7/index.html"]
    return files


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_small_change_is_switched_in_place_and_touches_nothing_else(tmp_path: Path) -> None:
    out = tmp_path / "public"
    first = write_site(site_files(1), out)
    inodes = pinned([p for p in out.rglob("*") if p.is_file()], tmp_path / "pinned")
    second = write_site(site_files(2), out, first)
    assert tree(out) == site_files(2)
    assert not (out / "p7").exists(), "a folder emptied by the change goes too"
    kept = [p for p in out.rglob("*") if p.is_file() and p in inodes]
    assert len(kept) == 200 and all(p.stat().st_ino == inodes[p] for p in kept if p.name != "index.html" or p.parent != out)
    assert (out / "index.html").stat().st_ino != inodes[out / "index.html"]
    assert set(second) == set(site_files(2))
    assert [p.name for p in tmp_path.iterdir() if p.name != "pinned"] == ["public"], "no staging folder: the change was small"


def test_a_small_change_that_fails_midway_leaves_the_site_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sitegen.errors import BuildError

    out = tmp_path / "public"
    first = write_site(site_files(1), out)
    before = tree(out)
    real = Path.write_bytes
    calls = []

    def full_disk(self: Path, data: bytes) -> int:
        calls.append(self)
        if len(calls) == 2:
            raise OSError(28, "No space left on device", str(self))
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", full_disk)
    with pytest.raises(BuildError, match="No space left"):
        write_site(site_files(2), out, first)
    monkeypatch.undo()
    assert tree(out) == before, "no temporary file, no new folder, nothing renamed"
    assert not (out / "new").exists()


def test_leftovers_of_a_killed_small_change_are_removed_by_the_next_write(tmp_path: Path) -> None:
    out = tmp_path / "public"
    first = write_site(site_files(1), out)
    (out / "p3" / ".sitegen-new-4242-index.html").write_bytes(b"half")  # a kill between write and rename
    write_site(site_files(2), out, first)
    assert tree(out) == site_files(2)


def test_a_swapped_out_site_and_killed_runs_leftovers_are_removed(tmp_path: Path) -> None:
    import os
    import time

    out = tmp_path / "public"
    write_site({"index.html": b"one"}, out)
    stale = tmp_path / ".public.new-killed"  # a build killed an hour ago
    stale.mkdir()
    (stale / "index.html").write_bytes(b"half")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    running = tmp_path / ".public.new-running"  # another build, writing now: left alone
    running.mkdir()
    write_site({f"p{i}.html": b"x" for i in range(300)}, out, {})  # a large change: swapped as a folder
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and sorted(p.name for p in tmp_path.iterdir()) != [".public.new-running", "public"]:
        time.sleep(0.05)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".public.new-running", "public"]
    assert tree(out) == {f"p{i}.html": b"x" for i in range(300)}


def _flags(folder: Path) -> int | None:
    import array
    import fcntl

    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        flags = array.array("i", [0])
        fcntl.ioctl(fd, output._FS_IOC_GETFLAGS, flags, True)
        return flags[0]
    except OSError:
        return None
    finally:
        os.close(fd)


def test_a_new_site_folder_asks_ext4_to_spread_its_post_folders(tmp_path: Path) -> None:
    """A site written right after one was removed took 4x longer on ext4 without a journal
    (recently freed inodes skipped one by one): its folder is marked `chattr +T`."""
    probe = tmp_path / "probe"
    probe.mkdir()
    output.spread_folders(probe)
    if not sys.platform.startswith("linux") or not (_flags(probe) or 0) & output._FS_TOPDIR_FL:
        pytest.skip("this file system keeps no Orlov top-folder flag")
    out = tmp_path / "public"
    write_site({"index.html": b"one", "a/index.html": b"a"}, out)
    assert (_flags(out) or 0) & output._FS_TOPDIR_FL
    assert not (_flags(out / "a") or 0) & output._FS_TOPDIR_FL  # only the top: posts' folders keep theirs together
    assert (out / "a/index.html").read_bytes() == b"a"
