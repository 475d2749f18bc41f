"""A reader's browser with JavaScript off opens posts: they read fully and load nothing
from any other host."""

from __future__ import annotations

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ..browser import chromium, off_host

pytestmark = pytest.mark.browser


@pytest.fixture
def served(example: Path):  # type: ignore[no-untyped-def]
    handler = partial(SimpleHTTPRequestHandler, directory=str(example))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_post_reads_fully_without_javascript(served: str, tmp_path: Path) -> None:
    with chromium(javascript=False) as (page, requests):
        response = page.goto(f"{served}/why-i-write/")  # type: ignore[attr-defined]
        assert response.status == 200
        assert page.locator("h1").inner_text() == "나는 왜 기계를 위해 글을 쓰는가"  # type: ignore[attr-defined]
        body = page.locator("article").inner_text()  # type: ignore[attr-defined]
        assert "두 명의 독자" in body and "질문과 답은 라벨이 붙은 데이터다" in body
        assert page.locator("nav.toc a").count() >= 4  # type: ignore[attr-defined]
        page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
        widths = page.eval_on_selector_all("article img", "els => els.map(e => e.complete && e.naturalWidth)")  # type: ignore[attr-defined]
        assert widths and all(w and w > 0 for w in widths), widths
        css_loaded = page.evaluate("getComputedStyle(document.body).maxWidth")  # type: ignore[attr-defined]
        assert css_loaded != "none", "the stylesheet applied"
        shot = tmp_path / "post.png"
        page.screenshot(path=str(shot), full_page=True)  # type: ignore[attr-defined]
        assert shot.stat().st_size > 10_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

        page.click("nav.language-switch a[hreflang='en-GB']")  # type: ignore[attr-defined]
        assert page.url.endswith("/why-i-write/en-GB/")  # type: ignore[attr-defined]
        assert page.locator("h1").inner_text() == "Why I write for a machine"  # type: ignore[attr-defined]
        assert page.evaluate("document.documentElement.lang") == "en-GB"  # type: ignore[attr-defined]
    assert requests and not off_host(requests), off_host(requests)


def test_math_and_code_post_renders_without_javascript(served: str, tmp_path: Path) -> None:
    with chromium(javascript=False) as (page, requests):
        page.goto(f"{served}/softmax-temperature/")  # type: ignore[attr-defined]
        assert page.locator("math").count() >= 5  # type: ignore[attr-defined]
        assert page.locator("table td").count() >= 12  # type: ignore[attr-defined]
        page.screenshot(path=str(tmp_path / "math.png"), full_page=True)  # type: ignore[attr-defined]
        page.goto(f"{served}/answer-nft-solidity/")  # type: ignore[attr-defined]
        assert page.locator("pre.highlight span.k").count() > 5  # type: ignore[attr-defined]
    assert not off_host(requests), off_host(requests)


def test_offline_mode_reads_without_the_network(make_site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """With offline = true, a page visited once still opens after the network is gone."""
    from sitegen.build import build_site

    from .conftest import SITE_TOML, post

    options = make_site({"blog/hello/index.md": post(title="Offline post", body="Readable offline.\n"),
                         "blog/other/index.md": post(title="Other post", date="2026-01-01")},
                        toml=SITE_TOML + "offline = true\n")
    build_site(options)
    handler = partial(SimpleHTTPRequestHandler, directory=str(options.out))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with chromium(javascript=True) as (page, requests):
            page.goto(f"{base}/hello/")  # type: ignore[attr-defined]
            page.evaluate("navigator.serviceWorker.ready.then(() => true)")  # type: ignore[attr-defined]
            page.wait_for_function("caches.keys().then(keys => keys.length > 0)")  # type: ignore[attr-defined]
            page.context.set_offline(True)  # type: ignore[attr-defined]
            page.goto(f"{base}/other/")  # type: ignore[attr-defined]
            assert page.locator("h1").inner_text() == "Other post"  # type: ignore[attr-defined]
            assert page.evaluate("getComputedStyle(document.body).maxWidth") != "none"  # type: ignore[attr-defined]
        assert not off_host(requests)
    finally:
        server.shutdown()
        server.server_close()
