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


@contextlib.contextmanager
def chromium(*, javascript: bool = False) -> Iterator[tuple[object, list[str]]]:
    """A browser page with JavaScript on or off, and the list of every URL it requested."""
    require(Path(CHROMIUM).exists() or shutil.which("chromium") is not None,
            "Debian's chromium is not installed (scripts/test installs it: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(java_script_enabled=javascript, viewport={"width": 900, "height": 1200})
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
