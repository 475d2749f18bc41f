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


def test_rebuilds_on_change_and_shows_a_broken_build_in_the_browser(dev: DevServer) -> None:
    source = dev.options.content / "blog/hello/index.md"
    source.write_text(post(title="Second version"), encoding="utf-8")
    assert wait_for(lambda: b"Second version" in fetch(dev.port, "/hello/")[2]), dev.out.getvalue()  # type: ignore[attr-defined]
    # The new site is swapped in before the rebuild is reported: wait for the report too.
    assert wait_for(lambda: "rebuilt after" in dev.out.getvalue()), dev.out.getvalue()  # type: ignore[attr-defined]
    assert "(content)" in dev.out.getvalue()  # type: ignore[attr-defined]
    source.write_text("---\ntitle: [broken\n---\n", encoding="utf-8")
    assert wait_for(lambda: "pages show them until the next good build" in dev.out.getvalue())  # type: ignore[attr-defined]
    assert re.search(r"blog/hello/index.md:\d+: malformed YAML", dev.out.getvalue())  # type: ignore[attr-defined]
    # The browser gets the problems (file, line, message) on every page, not the stale page ...
    for path in ("/hello/", "/", "/no/such/page/"):
        status, headers, body = fetch(dev.port, path)
        assert status == 500 and b"Second version" not in body, path
        assert re.search(rb"<code>[^<]*blog/hello/index.md:\d+</code> malformed YAML", body), body
        assert b'<script src="/__sitegen/reload.js"' in body
    # ... while the last good build stays on disk and its other files are still served.
    assert b"Second version" in (dev.options.out / "hello/index.html").read_bytes()
    css = next((dev.options.out / "assets").glob("style.*.css")).name
    assert fetch(dev.port, f"/assets/{css}")[0] == 200
    source.write_text(post(title="Fixed version"), encoding="utf-8")
    assert wait_for(lambda: fetch(dev.port, "/hello/")[0] == 200 and b"Fixed version" in fetch(dev.port, "/hello/")[2])


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


def test_a_ctrl_c_while_the_server_starts_stops_it_cleanly(make_site, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """Serving begins before watching does: a Ctrl-C in between (a reader already got a page)
    still stops the server, closes its port and ends with 0, as one at any later moment."""
    import socket

    from sitegen import serve as serving

    options = make_site({"blog/hello/index.md": post()})
    started: list[DevServer] = []

    def interrupted(self: DevServer) -> None:
        started.append(self)
        self.server = serving.SiteServer(self.options.out.resolve(), (self.host, self.port), state=self.state)
        self.port = self.server.server_address[1]
        raise KeyboardInterrupt  # before the watcher and the serving thread

    monkeypatch.setattr(serving.DevServer, "start", interrupted)
    try:
        code = serving.serve(options, port=0)
    except KeyboardInterrupt:
        pytest.fail("the Ctrl-C escaped serve(): `sitegen serve` would end with 130, its port perhaps still open")
    assert code == 0
    assert "stopping" in capsys.readouterr().out
    with socket.socket() as probe:  # the port is free again
        probe.bind(("127.0.0.1", started[0].port))


PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000" "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


@pytest.mark.parametrize("name,data,kind", [
    ("cover.png", PNG, "image/png"), ("photo.jpg", b"\xff\xd8\xff", "image/jpeg"), ("photo.JPEG", b"\xff\xd8\xff", "image/jpeg"),
    ("pic.webp", b"RIFF", "image/webp"), ("pic.avif", b"x", "image/avif"), ("anim.gif", b"GIF89a", "image/gif"),
    ("clip.mp4", b"x", "video/mp4"), ("paper.pdf", b"%PDF", "application/pdf"), ("d.svg", b"<svg/>", "image/svg+xml"),
])
def test_files_get_their_real_mime_type(make_site, name: str, data: bytes, kind: str) -> None:  # type: ignore[no-untyped-def]
    options = make_site({"blog/hello/index.md": post(), f"blog/hello/{name}": data})
    server = DevServer(options, port=0)
    server.out = io.StringIO()
    assert server.rebuild("built")
    server.start()
    try:
        status, headers, body = fetch(server.port, f"/hello/{name}")
        assert status == 200 and headers["Content-Type"] == kind and body == data
    finally:
        server.stop()


def test_only_the_dev_server_adds_the_reload_script(dev: DevServer) -> None:
    status, _, body = fetch(dev.port, "/hello/")
    assert status == 200 and len(re.findall(rb'<script src="/__sitegen/reload.js" data-build="[0-9a-f]{8}\.1"></script>', body)) == 1
    assert fetch(dev.port, "/no/such/")[2].count(b"/__sitegen/reload.js") == 1  # the 404 page too
    status, headers, script = fetch(dev.port, "/__sitegen/reload.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript") and b"EventSource" in script
    # What the dev server wrote to disk, like every `sitegen build`, has no script at all.
    for path in dev.options.out.rglob("*"):
        if path.is_file():
            assert b"__sitegen" not in path.read_bytes() and b"<script" not in path.read_bytes(), path


def events(port: int, since: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", f"/__sitegen/events?since={since}")
    response = connection.getresponse()
    assert response.status == 200 and response.getheader("Content-Type") == "text/event-stream"
    assert response.readline() == b"retry: 500\n" and response.readline() == b"\n"
    return response


def test_the_event_stream_says_reload_after_the_next_build(dev: DevServer) -> None:
    stamp = re.search(rb'data-build="([^"]+)"', fetch(dev.port, "/hello/")[2]).group(1).decode()  # type: ignore[union-attr]
    response = events(dev.port, stamp)
    (dev.options.content / "blog/hello/index.md").write_text(post(title="Changed"), encoding="utf-8")
    assert response.readline() == b"event: reload\n" and response.readline().startswith(b"data: ")
    response.close()
    # A page from an earlier run of the server (restarted meanwhile) reloads at once.
    stale = events(dev.port, "0badc0de." + stamp.split(".")[1])
    assert stale.readline() == b"event: reload\n"
    stale.close()


def test_drafts_are_marked_and_an_empty_blog_says_so(make_site) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    options = make_site({"blog/wip/index.md": post(title="Work in progress", publish="0")})
    for drafts in (True, False):
        server = DevServer(replace(options, drafts=drafts), port=0)
        server.out = io.StringIO()
        assert server.rebuild("built")
        server.start()
        try:
            index = fetch(server.port, "/")[2].decode()
            page = fetch(server.port, "/wip/")
        finally:
            server.stop()
        if drafts:  # sitegen serve's default
            assert "Work in progress" in index and '<span class="draft-mark">초안</span>' in index
            assert page[0] == 200 and 'class="draft-note"' in page[2].decode()
        else:  # sitegen serve --no-drafts: what will publish
            assert "아직 글이 없습니다." in index and "초안 1개는 숨겨져 있습니다" in index
            assert page[0] == 404


@pytest.mark.browser
def test_the_open_page_reloads_itself_and_shows_a_broken_build(dev: DevServer) -> None:
    from playwright.sync_api import expect

    from ..browser import chromium

    source = dev.options.content / "blog/hello/index.md"
    with chromium(javascript=True) as (page, _requests):
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)  # type: ignore[attr-defined]
        page.goto(f"http://127.0.0.1:{dev.port}/hello/")  # type: ignore[attr-defined]
        assert page.locator("h1").inner_text() == "First version"  # type: ignore[attr-defined]
        page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
        source.write_text(post(title="Second version"), encoding="utf-8")
        expect(page.locator("h1")).to_have_text("Second version", timeout=15000)  # type: ignore[attr-defined]
        source.write_text("---\ntitle: [broken\n---\n", encoding="utf-8")
        expect(page).to_have_title(re.compile("^Build failed"), timeout=15000)  # type: ignore[arg-type]
        assert "malformed YAML" in page.locator("ol.problems").inner_text()  # type: ignore[attr-defined]
        source.write_text(post(title="Third version"), encoding="utf-8")
        expect(page.locator("h1")).to_have_text("Third version", timeout=15000)  # type: ignore[attr-defined]
        assert not [e for e in errors if "Content Security Policy" in e], errors


def test_a_first_build_that_fails_is_shown_in_the_browser(make_site) -> None:  # type: ignore[no-untyped-def]
    options = make_site({"blog/hello/index.md": "---\ntitle: x\n---\nno date\n"})
    server = DevServer(options, port=0)
    server.out = io.StringIO()
    assert not server.rebuild("built")
    server.start()
    try:
        status, _, body = fetch(server.port, "/")
    finally:
        server.stop()
    assert status == 500 and b"missing &#x27;date&#x27;" in body and b"blog/hello/index.md:1</code>" in body


def test_serve_outside_a_blog_is_one_line(tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from sitegen.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["serve", "--port", "0"]) == 1
    out = capsys.readouterr()
    assert "site.toml: no such file: run `sitegen init` to start a blog here" in out.out + out.err
    assert "Traceback" not in out.out + out.err and list(tmp_path.iterdir()) == []


def test_a_saved_post_is_rebuilt_through_the_cache_and_served(make_site) -> None:  # type: ignore[no-untyped-def]
    """serve rebuilds incrementally: after one post is saved, only its Markdown is rendered
    again and only the pages that show it; the new page is served (timed in the bench)."""
    files = {f"blog/p{i}/index.md": post(title=f"Post {i}", date=f"2026-01-{i + 1:02d}", tags=f"[t{i % 3}]") for i in range(24)}
    options = make_site(files)
    server = DevServer(options, port=0, debounce=0.05)
    server.out = io.StringIO()
    assert server.rebuild("built")
    server.start()
    try:
        source = options.content / "blog/p5/index.md"
        source.write_text(post(title="Post 5", date="2026-01-06", tags="[t2]", body="A new sentence.\n"), encoding="utf-8")
        assert wait_for(lambda: b"A new sentence." in fetch(server.port, "/p5/")[2]), server.out.getvalue()  # type: ignore[attr-defined]
        assert wait_for(lambda: "rebuilt after" in server.out.getvalue())  # type: ignore[attr-defined]
        report = server.out.getvalue().splitlines()[-1]  # type: ignore[attr-defined]
        assert "markdown rendered 1," in report, report
        rendered = int(re.search(r"pages rendered (\d+)", report).group(1))  # type: ignore[union-attr]
        untouched = int(re.search(r"pages untouched (\d+)", report).group(1))  # type: ignore[union-attr]
        assert rendered < 8 < untouched, report  # its page, its list page, its tag page: the others not even looked at (sitegen.live)
    finally:
        server.stop()


def test_a_missing_page_on_the_english_side_gets_the_english_404(make_site) -> None:  # type: ignore[no-untyped-def]
    options = make_site({"blog/hello/index.md": post(title="안녕"), "blog/hello/en-GB.md": post(title="Hello")})
    server = DevServer(options, port=0, debounce=0.05)
    server.out = io.StringIO()
    assert server.rebuild("built")
    server.start()
    try:
        status, _, english = fetch(server.port, "/en-GB/no/such/")
        assert status == 404 and b'<html lang="en-GB">' in english and b"Page not found" in english
        status, _, korean = fetch(server.port, "/no/such/")
        assert status == 404 and b'<html lang="ko-KR">' in korean
    finally:
        server.stop()
