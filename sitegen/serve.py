"""`sitegen serve`: build, serve the output on 127.0.0.1 with the headers `_headers` gives
a static host, and rebuild when content, theme or settings change.

A rebuild that fails prints its problems and keeps the last good site being served.
"""

from __future__ import annotations

import enum
import errno
import http.server
import posixpath
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlsplit

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from .build import BuildOptions, build_site
from .errors import BuildError, Problem
from .meta import headers_for, parse_headers

TYPES = {
    ".html": "text/html; charset=utf-8", ".md": "text/markdown; charset=utf-8",
    ".txt": "text/plain; charset=utf-8", ".xml": "application/xml; charset=utf-8",
    ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
    ".webmanifest": "application/manifest+json", ".svg": "image/svg+xml",
    ".json": "application/json",
}


class ChangeKind(enum.Enum):
    CONTENT = "content"
    TEMPLATE = "template"
    STATIC = "static"
    CONFIG = "config"


def change_kind(path: Path, options: BuildOptions) -> ChangeKind | None:
    path = path.resolve()
    if path == options.config.resolve():
        return ChangeKind.CONFIG
    for root, kind in ((options.theme_dir / "templates", ChangeKind.TEMPLATE),
                       (options.theme_dir / "static", ChangeKind.STATIC),
                       (options.content, ChangeKind.CONTENT)):
        if path.is_relative_to(root.resolve()):
            return kind
    return None


class Handler(http.server.SimpleHTTPRequestHandler):
    """Serves files only: no directory listings, 404.html for what is not there."""

    server: "SiteServer"

    def log_message(self, format: str, *args: object) -> None:  # quiet; errors still print
        if self.server.verbose:
            super().log_message(format, *args)

    def do_HEAD(self) -> None:
        self._send(head=True)

    def do_GET(self) -> None:
        self._send(head=False)

    def _send(self, *, head: bool) -> None:
        root = self.server.root
        url_path = unquote(urlsplit(self.path).path)
        normal = posixpath.normpath(url_path)
        status = 200
        target = None
        if not normal.startswith("/") or ".." in url_path.split("/"):
            status = 404
        else:
            candidate = root / normal.lstrip("/")
            if candidate.is_dir():
                if not url_path.endswith("/"):
                    self.send_response(301)
                    self.send_header("Location", url_path + "/")
                    self.end_headers()
                    return
                candidate = candidate / "index.html"
            if candidate.is_file() and candidate.resolve().is_relative_to(root.resolve()) and candidate.name != "_headers":
                target = candidate
            else:
                status = 404
        if target is None:
            target = root / "404.html"
            url_path = "/404.html"
        try:
            data = target.read_bytes()
        except OSError:
            data, status = b"not found", 404
        self.send_response(status)
        self.send_header("Content-Type", TYPES.get(target.suffix, "application/octet-stream"))
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers_for(url_path, self.server.rules()).items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(data)


class SiteServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: Path, address: tuple[str, int], *, verbose: bool = False) -> None:
        self.root = root
        self.verbose = verbose
        super().__init__(address, Handler)

    def rules(self) -> list[tuple[str, dict[str, str]]]:
        try:
            return parse_headers((self.root / "_headers").read_text(encoding="utf-8"))
        except OSError:
            return []


class _Events(FileSystemEventHandler):
    def __init__(self, on_change: Callable[[Path], None]) -> None:
        self.on_change = on_change

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        for path in (event.src_path, getattr(event, "dest_path", "")):
            if path:
                self.on_change(Path(str(path)))


@dataclass
class DevServer:
    """Build, serve and watch; start() returns once serving, stop() ends it all."""

    options: BuildOptions
    port: int = 8000
    host: str = "127.0.0.1"
    debounce: float = 0.2
    out = sys.stdout

    def __post_init__(self) -> None:
        self._changes: dict[Path, ChangeKind] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.builds = 0

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def rebuild(self, reason: str) -> bool:
        start = time.perf_counter()
        try:
            build_site(self.options)
        except BuildError as error:
            for problem in error.problems:
                self.say(str(problem))
            self.say(f"build failed ({len(error.problems)} problem(s)); still serving the last good build")
            return False
        self.builds += 1
        self.say(f"{reason} in {(time.perf_counter() - start) * 1000:.0f} ms")
        return True

    def start(self) -> None:
        try:
            self.server = SiteServer(self.options.out.resolve(), (self.host, self.port))
        except OSError as exc:
            what = "is in use (another server?)" if exc.errno == errno.EADDRINUSE else f"cannot be opened ({exc.strerror})"
            raise BuildError([Problem(f"{self.host}:{self.port}", None, f"port {self.port} {what}: pass --port N with another number, or stop the other server")]) from None
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.observer = Observer()
        handler = _Events(self._changed)
        watched = [self.options.content, self.options.theme_dir, self.options.config.resolve().parent]
        for folder in watched:
            if folder.exists():
                self.observer.schedule(handler, str(folder), recursive=folder != self.options.config.resolve().parent)
        self.observer.start()
        threading.Thread(target=self._rebuilder, daemon=True).start()
        self.say(f"serving {self.options.out} on http://{self.host}:{self.port}/ (Ctrl-C to stop)")

    def _changed(self, path: Path) -> None:
        if self.options.out.resolve() in path.resolve().parents:
            return
        kind = change_kind(path, self.options)
        if kind is None:
            return
        with self._lock:
            self._changes[path] = kind
        self._wake.set()

    def _rebuilder(self) -> None:
        while not self._stop.is_set():
            if not self._wake.wait(0.5):
                continue
            time.sleep(self.debounce)
            with self._lock:
                changes, self._changes = self._changes, {}
                self._wake.clear()
            if not changes:
                continue
            cwd = Path.cwd()
            names = ", ".join(
                f"{p.relative_to(cwd) if p.is_relative_to(cwd) else p} ({k.value})" for p, k in sorted(changes.items())
            )
            self.rebuild(f"rebuilt after {names} changed")

    def stop(self) -> None:
        self._stop.set()
        self.observer.stop()
        self.observer.join(timeout=5)
        self.server.shutdown()
        self.server.server_close()


def serve(options: BuildOptions, *, port: int = 8000, host: str = "127.0.0.1") -> int:
    dev = DevServer(options, port=port, host=host)
    if not dev.rebuild("built") and not (options.out / "index.html").exists():
        return 1
    try:
        dev.start()
    except BuildError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return 1
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        dev.say("stopping")
    finally:
        dev.stop()
    return 0
