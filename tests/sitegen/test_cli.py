"""The `sitegen` command in-process: new, check, build."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sitegen.cli import main

from .conftest import REPO, post


def test_new_scaffolds_a_draft_that_builds_with_drafts(make_site, capsys) -> None:  # type: ignore[no-untyped-def]
    options = make_site({"blog/hello/index.md": post()})
    assert main(["new", "첫-글", "--title", 'A "quoted" title', "--lang", "en-GB", "--content", str(options.content)]) == 0
    created = options.content / "blog/첫-글/index.md"
    text = created.read_text(encoding="utf-8")
    assert 'title: "A \\"quoted\\" title"' in text and "language: en-GB" in text and "publish: 0" in text
    assert main(["new", "첫-글", "--content", str(options.content)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main(["new", "../escape", "--content", str(options.content)]) == 0  # a title: its slug stays inside
    assert (options.content / "blog/escape/index.md").exists() and not (options.content / "escape").exists()
    args = ["--content", str(options.content), "--out", str(options.out), "--config", str(options.config), "--theme", str(options.theme)]
    assert main(["build", *args, "--drafts"]) == 0
    assert (options.out / "첫-글/index.html").exists()


def test_check_reports_missing_alt_text_and_writes_nothing(make_site, capsys) -> None:  # type: ignore[no-untyped-def]
    options = make_site({"blog/x/index.md": post(body="![](a.png)\n"), "blog/x/a.png": b"png"})
    args = ["--content", str(options.content), "--out", str(options.out), "--config", str(options.config), "--theme", str(options.theme)]
    assert main(["check", *args]) == 1
    assert "blog/x/index.md:6: image 'a.png' has no alt text" in capsys.readouterr().err
    assert not options.out.exists()
    assert main(["build", *args]) == 0  # a build only warns
    assert "warning:" in capsys.readouterr().err


def test_check_passes_on_the_example_and_python_m_works() -> None:
    result = subprocess.run([sys.executable, "-m", "sitegen", "check"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "no problems" in result.stdout


def test_bad_site_toml_names_the_line(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "site.toml"
    config.write_text('title = "x"\nper_page = "ten"\n', encoding="utf-8")
    assert main(["build", "--config", str(config), "--content", str(tmp_path)]) == 1
    assert f"{config}:2: 'per_page' must be a whole number" in capsys.readouterr().err


def test_a_port_out_of_range_is_refused_by_the_parser(capsys) -> None:  # type: ignore[no-untyped-def]
    import pytest

    with pytest.raises(SystemExit) as exited:
        main(["serve", "--port", "99999"])
    assert exited.value.code == 2
    assert "'99999' is not a port number (0-65535)" in capsys.readouterr().err


def test_a_bug_is_one_line_unless_the_traceback_is_asked_for(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import pytest

    import sitegen.unchanged

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(sitegen.unchanged, "check_build", broken)  # the first thing `build` calls
    monkeypatch.delenv("SITEGEN_TRACEBACK", raising=False)
    assert main(["build"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error (ZeroDivisionError: division by zero)" in err and "SITEGEN_TRACEBACK=1" in err
    monkeypatch.setenv("SITEGEN_TRACEBACK", "1")
    with pytest.raises(ZeroDivisionError):
        main(["build"])
