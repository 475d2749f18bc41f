"""`sitegen serve` as an author uses it: a real HTTP server on 127.0.0.1 that rebuilds."""

from __future__ import annotations

import http.client
import io
import re
import time
from pathlib import Path

import pytest

from sitegen.meta import headers_for, parse_headers
from sitegen.serve import DevServer

from .conftest import post


def fetch(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), body


def wait_for(condition, seconds: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def dev(make_site):  # type: ignore[no-untyped-def]
    options = make_site({"blog/hello/index.md": post(title="First version")})
    server = DevServer(options, port=0, debounce=0.05)
    server.out = io.StringIO()
    assert server.rebuild("built")
    server.start()
    yield server
    server.stop()


def test_serves_pages_with_the_headers_of_headers_file(dev: DevServer) -> None:
    status, headers, body = fetch(dev.port, "/hello/")
    assert status == 200 and "First version".encode() in body
    rules = parse_headers((dev.options.out / "_headers").read_text(encoding="utf-8"))
    for name, value in headers_for("/hello/", rules).items():
        assert headers[name] == value
    css = next((dev.options.out / "assets").glob("style.*.css")).name
    assert fetch(dev.port, f"/assets/{css}")[1]["Cache-Control"] == "public, max-age=31536000, immutable"


def test_unknown_paths_get_the_404_page_and_traversal_is_refused(dev: DevServer) -> None:
    status, _, body = fetch(dev.port, "/no/such/page/")
    assert status == 404 and b"<html" in body
    assert fetch(dev.port, "/../../etc/passwd")[0] == 404
    assert fetch(dev.port, "/_headers")[0] == 404
    assert fetch(dev.port, "/hello")[0] == 301


def test_rebuilds_on_change_and_keeps_the_last_good_build(dev: DevServer) -> None:
    source = dev.options.content / "blog/hello/index.md"
    source.write_text(post(title="Second version"), encoding="utf-8")
    assert wait_for(lambda: b"Second version" in fetch(dev.port, "/hello/")[2]), dev.out.getvalue()  # type: ignore[attr-defined]
    # The new site is swapped in before the rebuild is reported: wait for the report too.
    assert wait_for(lambda: "rebuilt after" in dev.out.getvalue()), dev.out.getvalue()  # type: ignore[attr-defined]
    assert "(content)" in dev.out.getvalue()  # type: ignore[attr-defined]
    source.write_text("---\ntitle: [broken\n---\n", encoding="utf-8")
    assert wait_for(lambda: "still serving the last good build" in dev.out.getvalue())  # type: ignore[attr-defined]
    assert re.search(r"blog/hello/index.md:\d+: malformed YAML", dev.out.getvalue())  # type: ignore[attr-defined]
    assert b"Second version" in fetch(dev.port, "/hello/")[2]


def test_template_changes_rebuild_too(dev: DevServer) -> None:
    assert dev.options.theme is not None
    # Copy the theme so the test can edit it.
    import shutil

    theme = Path(str(dev.options.out) + "-theme")
    shutil.copytree(dev.options.theme, theme)
    from dataclasses import replace

    dev.stop()
    server = DevServer(replace(dev.options, theme=theme), port=0, debounce=0.05)
    server.out = io.StringIO()
    server.rebuild("built")
    server.start()
    try:
        footer = theme / "templates/404.html"
        footer.write_text(footer.read_text(encoding="utf-8").replace("{{ t.not_found }}</h1>", "{{ t.not_found }}!!</h1>"), encoding="utf-8")
        assert wait_for(lambda: b"!!</h1>" in fetch(server.port, "/nope")[2]), server.out.getvalue()  # type: ignore[attr-defined]
        assert wait_for(lambda: "(template)" in server.out.getvalue()), server.out.getvalue()  # type: ignore[attr-defined]
    finally:
        server.stop()
        dev.start()


def test_a_port_in_use_is_one_line(make_site, capsys) -> None:  # type: ignore[no-untyped-def]
    import socket

    from sitegen.serve import serve

    options = make_site({"blog/hello/index.md": post()})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert serve(options, port=port) == 1
    err = capsys.readouterr().err
    assert f"127.0.0.1:{port}: port {port} is in use (another server?): pass --port N" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
