"""sitegen as a stranger gets it: a wheel built from this repository, installed into a fresh
virtualenv, used in an empty folder (init, new, build, check, serve with a real HTTP GET).
Slow (a real pip install from the package index, its cache shared), so it runs once."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import REPO

SKIP = shutil.ignore_patterns(".git", ".venv", "node_modules", "build", "dist", "*.egg-info", "__pycache__",
                              ".sitegen-cache", "public", ".pytest_cache", ".mypy_cache", ".ruff_cache", "*.sqlite3*")


def run(args: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result


def get(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ folder of a fresh virtualenv holding only the wheel and its dependencies."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(REPO, source, symlinks=True, ignore=SKIP)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work / "dist"), str(source)], cwd=work)
    [wheel] = (work / "dist").glob("automata-*.whl")
    run([sys.executable, "-m", "venv", str(work / "venv")], cwd=work)
    run([str(work / "venv/bin/python"), "-m", "pip", "install", "-q", "--no-compile", "--disable-pip-version-check", str(wheel)],
        cwd=work, timeout=1200)
    return work / "venv/bin"


def test_a_stranger_starts_a_blog_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    blog = tmp_path / "blog"
    blog.mkdir()
    where = run([str(installed / "python"), "-c", "import sitegen.theme as t; print(t.__file__); print(t.BUILTIN)"], cwd=blog).stdout
    assert str(installed.parent) in where and str(REPO) not in where  # the installed copy, not this checkout
    sitegen = str(installed / "sitegen")
    empty = subprocess.run([sitegen, "build"], cwd=blog, capture_output=True, text=True, timeout=60)
    assert empty.returncode == 1 and "Traceback" not in empty.stderr
    assert "site.toml: no such file: run `sitegen init` to start a blog here" in empty.stderr

    assert "next:" in run([sitegen, "init", "--title", "A stranger's blog", "--author", "Stranger"], cwd=blog).stdout
    assert "created content/blog/my-second-post/index.md" in run([sitegen, "new", "My Second Post!"], cwd=blog).stdout
    built = run([sitegen, "build"], cwd=blog)
    assert "Traceback" not in built.stderr
    page = (blog / "public/hello-world/index.html").read_text(encoding="utf-8")
    assert "Hello, world" in page and "A stranger&#39;s blog" in page
    assert list((blog / "public/assets").glob("style.*.css")), "the built-in theme's stylesheet"
    assert not (blog / "public/my-second-post").exists()  # a draft: not published
    assert "no problems" in run([sitegen, "check"], cwd=blog).stdout

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sitegen, "serve", "--port", str(port)], cwd=blog, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = get(port, "/")
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.communicate(timeout=5)
                time.sleep(0.2)
        assert status == 200 and b"Hello, world" in body
        status, body = get(port, "/hello-world/")
        assert status == 200 and b"<h1" in body and b"/__sitegen/reload.js" in body
        status, body = get(port, "/my-second-post/")  # serve shows drafts, marked
        assert status == 200 and b"My Second Post!" in body and b'class="draft-note"' in body
        assert get(port, "/nothing/here/")[0] == 404
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=20)
    assert server.returncode == 0 and "Traceback" not in err, err
    assert not (blog / "public/my-second-post").exists()  # the preview went elsewhere
