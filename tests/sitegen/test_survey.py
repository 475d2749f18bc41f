"""sitegen.survey: the build's first look at the disk, taken by a forked child while the
build imports the rest of sitegen, is the look the build would take itself; and the output
listing it carries tells an untouched output folder from a touched one, as the stat walk does."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Callable

import pytest

from sitegen import output, survey, unchanged
from sitegen.build import build_site
from sitegen.options import BuildOptions

from .conftest import post


def _site(make_site: Callable[..., BuildOptions]) -> BuildOptions:
    return make_site({"blog/a/index.md": post("A"), "blog/a/img/x.png": b"\x89PNG x", "blog/b/index.md": post("B", tags="[x]")})


def test_the_survey_a_child_takes_is_the_one_taken_here(make_site: Callable[..., BuildOptions]) -> None:
    options = _site(make_site)
    build_site(options)
    with survey.start(options) as surveying:
        assert surveying.pid is not None  # (no other thread here: the child takes it)
        inputs, present = surveying.inputs(), surveying.present()
    here = unchanged.inputs_snapshot(options)
    assert inputs.digest == here.digest and inputs.listing == here.listing and inputs.frame == here.frame
    assert present == output.listing(options.out.resolve())
    assert present is not None and set(present) >= {"a/index.html", "a/img/x.png", "a/index.md", "index.html"}


def test_a_child_that_fails_leaves_the_survey_to_this_process(make_site: Callable[..., BuildOptions],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    options = _site(make_site)
    build_site(options)
    parent = os.getpid()
    real = output.listing
    here: list[object] = []

    def fails_in_the_child(folder: Path) -> output.Present | None:
        if os.getpid() != parent:
            raise OSError("the child cannot read")
        here.append(real(folder))
        return real(folder)

    monkeypatch.setattr(output, "listing", fails_in_the_child)
    with survey.start(options) as surveying:
        assert surveying.pid is not None
        assert surveying.inputs().digest == unchanged.inputs_snapshot(options).digest  # the child's first answer
        present = surveying.present()
    assert here == [present] and present == real(options.out.resolve())  # listed here, after the child failed


def test_a_child_left_unheard_is_stopped(make_site: Callable[..., BuildOptions]) -> None:
    options = _site(make_site)
    build_site(options)
    with survey.start(options) as surveying:
        pid = surveying.pid
        surveying.inputs()
    assert pid is not None and surveying.pid is None
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped


def test_with_other_threads_running_nothing_is_forked(make_site: Callable[..., BuildOptions]) -> None:
    options = _site(make_site)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        with survey.start(options) as surveying:
            assert surveying.pid is None
            assert surveying.inputs().digest == unchanged.inputs_snapshot(options).digest
            assert surveying.present() is None  # (not built yet)
    finally:
        stop.set()
        other.join()


def test_the_listing_tells_an_untouched_output_folder_from_a_touched_one(make_site: Callable[..., BuildOptions]) -> None:
    options = _site(make_site)
    manifest = build_site(options).manifest
    out = options.out.resolve()
    assert manifest is not None
    assert output.still_written(out, manifest, output.listing(out)) and output.still_written(out, manifest)

    def both() -> tuple[bool, bool]:
        return output.still_written(out, manifest, output.listing(out)), output.still_written(out, manifest)

    page = out / "a" / "index.html"
    data = page.read_bytes()
    page.write_bytes(data.replace(b"A", b"Z"))  # an edit of the same size
    assert both() == (False, False)
    page.unlink()
    page.write_bytes(data)  # the same bytes, another file
    manifest = build_site(options).manifest
    assert manifest is not None and both() == (True, True)
    (out / "a" / "stray.txt").write_text("left here")
    assert both() == (False, False)
    (out / "a" / "stray.txt").unlink()
    (out / "a" / "link").symlink_to(page)
    assert both() == (False, False)
    (out / "a" / "link").unlink()
    (out / "a" / "img" / "x.png").unlink()
    assert both() == (False, False)
    assert output.listing(out / "nothing") is None and output.still_written(out, manifest, None) is False


def test_a_build_given_the_survey_of_a_touched_folder_writes_it_again(make_site: Callable[..., BuildOptions]) -> None:
    options = _site(make_site)
    build_site(options)
    out = options.out.resolve()
    (out / "a" / "index.html").write_text("vandalised")
    with survey.start(options) as found:
        result = build_site(options, inputs=found.inputs(), present=found.present)
    assert result.site is not None  # not taken for unchanged
    assert "vandalised" not in (out / "a" / "index.html").read_text()
    with survey.start(options) as again:
        assert result.manifest is not None and output.still_written(out, result.manifest, again.present())


def test_the_command_takes_up_the_last_build_through_the_survey(make_site: Callable[..., BuildOptions],
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """`sitegen build` (the survey in a child, the cache read ahead and handed on): an edit is
    patched, a removed output folder restored, an unchanged blog left alone, each the clean
    build's output."""
    import dataclasses
    import shutil

    from sitegen.cli import main

    from .test_incremental import tree
    from .test_resume import age

    options = _site(make_site)
    age(options.config.parent)
    args = ["build", "--content", str(options.content), "--out", str(options.out), "--config", str(options.config),
            "--theme", str(options.theme), "--timings"]

    def clean() -> dict[str, bytes]:
        other = dataclasses.replace(options, out=options.out.parent / "clean", cache=False)
        shutil.rmtree(other.out, ignore_errors=True)
        build_site(other)
        return tree(other.out)

    def built() -> str:
        assert main(args) == 0
        return capsys.readouterr().out

    assert "built " in built()
    assert "nothing changed" in built()
    shutil.rmtree(options.out)
    assert "restore " in built() and tree(options.out) == clean()
    (options.content / "blog/a/index.md").write_text(post("A", body="Another text.\n"), encoding="utf-8")
    assert "patch " in built() and tree(options.out) == clean()
    (options.content / "blog/b/index.md").write_text(post("B, renamed", tags="[x]"), encoding="utf-8")
    assert "patch " in built() and tree(options.out) == clean()
