"""Real headless Chromium (Debian's, never a download), driven by Playwright, for tests that
open pages as a reader does. Under CI=true a missing browser fails the test."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

from .conftest import require

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


# A reader's screens: a desktop window and a phone (CSS pixels, touch, mobile layout).
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
MOBILE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


@contextlib.contextmanager
def chromium(*, javascript: bool = False, color_scheme: str = "light",
             screen: dict[str, object] | None = None) -> Iterator[tuple[object, list[str]]]:
    """A browser page with JavaScript on or off, and the list of every URL it requested.
    color_scheme "dark" emulates prefers-color-scheme: dark; screen is DESKTOP, MOBILE or
    None (a 900x1200 window)."""
    require(Path(CHROMIUM).exists() or shutil.which("chromium") is not None,
            "Debian's chromium is not installed (scripts/test installs it: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(java_script_enabled=javascript, color_scheme=color_scheme,  # type: ignore[arg-type]
                                      **(screen or {"viewport": {"width": 900, "height": 1200}}))  # type: ignore[arg-type]
        page = context.new_page()
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        try:
            yield page, requests
        finally:
            context.close()
            browser.close()


def off_host(requests: list[str]) -> list[str]:
    """Requests that left 127.0.0.1."""
    return [url for url in requests if urlsplit(url).hostname not in ("127.0.0.1",) and not url.startswith("data:")]


@contextlib.contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """A static HTTP server on a free 127.0.0.1 port for a built site; yields its base URL."""
    import threading
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
