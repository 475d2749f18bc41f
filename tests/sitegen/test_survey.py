"""sitegen.survey: the build's first look at the disk, taken by two forked children while the
build imports the rest of sitegen, is the look the build would take itself; and the output
listing it carries tells an untouched output folder from a touched one, as the stat walk does."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Callable

import pytest

from sitegen import output, survey, unchanged
from sitegen.build import build_site
from sitegen.options import BuildOptions

from .conftest import REPO, post


def _site(make_site: Callable[..., BuildOptions]) -> BuildOptions:
    return make_site({"blog/a/index.md": post("A"), "blog/a/img/x.png": b"\x89PNG x", "blog/b/index.md": post("B", tags="[x]")})


def _options(args: list[str]) -> BuildOptions:
    content, out, config, theme = map(Path, args)
    return BuildOptions(content=content, out=out, config=config, theme=theme)


def _alone(check: Callable[[BuildOptions], None], options: BuildOptions) -> None:
    """`check(options)` run in a new interpreter, with one thread as `sitegen build` has: a test
    process may have threads other tests left running, and then nothing is forked (as wanted)."""
    code = f"import sys; from tests.sitegen import test_survey as t; t.{check.__name__}(t._options(sys.argv[1:]))"
    args = [str(options.content), str(options.out), str(options.config), str(options.theme)]
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]


def _the_same_survey(options: BuildOptions) -> None:
    with survey.start(options) as surveying:
        assert surveying.pid is not None  # the children take it, one walk each
        assert surveying.listing is not None and surveying.listing.pid not in (None, surveying.pid)
        inputs, present = surveying.inputs(), surveying.present()
    here = unchanged.inputs_snapshot(options)
    assert inputs.digest == here.digest and inputs.listing == here.listing and inputs.frame == here.frame
    assert present == output.listing(options.out.resolve())
    assert present is not None and set(present) >= {"a/index.html", "a/img/x.png", "a/index.md", "index.html"}


def test_the_survey_a_child_takes_is_the_one_taken_here(make_site: Callable[..., BuildOptions]) -> None:
    options = _site(make_site)
    build_site(options)
    _alone(_the_same_survey, options)


def _a_failed_child(options: BuildOptions) -> None:
    parent = os.getpid()
    real = output.listing
    here: list[object] = []

    def fails_in_the_child(folder: Path) -> output.Present | None:
        if os.getpid() != parent:
            raise OSError("the child cannot read")
        here.append(real(folder))
        return real(folder)

    output.listing = fails_in_the_child  # type: ignore[assignment]  # (a process of its own: nothing to restore)
    with survey.start(options) as surveying:
        assert surveying.pid is not None
        assert surveying.inputs().digest == unchanged.inputs_snapshot(options).digest  # the child's first answer
        present = surveying.present()
    assert here == [present] and present == real(options.out.resolve())  # listed here, after the child failed


def test_a_child_that_fails_leaves_the_survey_to_this_process(make_site: Callable[..., BuildOptions]) -> None:
    options = _site(make_site)
    build_site(options)
    _alone(_a_failed_child, options)


def _an_unheard_child(options: BuildOptions) -> None:
    with survey.start(options) as surveying:
        pid = surveying.pid
        surveying.inputs()
    assert pid is not None and surveying.pid is None
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return  # reaped
    raise AssertionError("the child was not reaped")


def test_a_child_left_unheard_is_stopped(make_site: Callable[..., BuildOptions]) -> None:
    options = _site(make_site)
    build_site(options)
    _alone(_an_unheard_child, options)


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
