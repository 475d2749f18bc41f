"""`sitegen serve`: build, serve the output on 127.0.0.1 with the headers `_headers` gives
a static host, and rebuild when content, theme or settings change.

Pages it sends carry a reload script (sitegen.preview) that the written files never have;
the open page reloads after every rebuild. A rebuild that fails prints its problems, keeps
the last good files on disk, and every page shows the problems until the next good build.
"""

from __future__ import annotations

import enum
import gc
import errno
import http.server
import mimetypes
import posixpath
import secrets
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, unquote, urlsplit

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.events import (DirCreatedEvent, DirDeletedEvent, DirMovedEvent, FileClosedEvent, FileCreatedEvent,
                             FileDeletedEvent, FileModifiedEvent, FileMovedEvent)
from watchdog.observers import Observer

from . import live
from .build import BuildOptions, build_site
from .config import SiteConfig
from .errors import BuildError, Problem
from .meta import headers_for, parse_headers
from .preview import EVENTS_PATH, RELOAD_JS, SCRIPT_PATH, error_page, inject_reload

# Real MIME types for what posts carry (images, video, fonts, ...), the same on every machine:
# Python's own table, not /etc/mime.types, with charsets on text and a few names it lacks.
_MIME = mimetypes.MimeTypes()
TYPES = {
    ".html": "text/html; charset=utf-8", ".md": "text/markdown; charset=utf-8",
    ".txt": "text/plain; charset=utf-8", ".xml": "application/xml; charset=utf-8",
    ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
    ".webmanifest": "application/manifest+json", ".svg": "image/svg+xml",
    ".json": "application/json", ".ico": "image/x-icon", ".webp": "image/webp", ".avif": "image/avif",
    ".woff2": "font/woff2", ".woff": "font/woff", ".mp4": "video/mp4", ".webm": "video/webm",
}


def content_type(path: Path) -> str:
    suffix = path.suffix.lower()
    return TYPES.get(suffix) or _MIME.guess_type(path.name, strict=False)[0] or "application/octet-stream"


def not_found_page(root: Path, url_path: str) -> tuple[Path, str]:
    """The 404 page for a missing path, as Cloudflare Pages picks it: the 404.html nearest up
    the path, so a missing English page answers with the English side's 404."""
    parts = [p for p in url_path.split("/") if p and p != ".."]
    for depth in range(len(parts), 0, -1):
        folder = "/".join(parts[:depth])
        candidate = root / folder / "404.html"
        if candidate.is_file() and candidate.resolve().is_relative_to(root.resolve()):
            return candidate, f"/{folder}/404.html"
    return root / "404.html", "/404.html"


class BuildState:
    """The last build as the dev server's pages see it: its number and its problems (none = good).
    Waiters (the reload endpoint) are woken after every build, good or broken."""

    def __init__(self) -> None:
        self.run = secrets.token_hex(4)  # tells this server's pages from a previous run's
        self.build = 0
        self.problems: tuple[Problem, ...] = ()
        self.stopping = False
        self.changed = threading.Condition()

    def finished(self, problems: tuple[Problem, ...]) -> None:
        with self.changed:
            self.build += 1
            self.problems = problems
            self.changed.notify_all()

    def wait_newer(self, than: int, timeout: float) -> bool:
        """True once a build newer than `than` has finished; False on timeout or shutdown."""
        with self.changed:
            self.changed.wait_for(lambda: self.build > than or self.stopping, timeout)
            return self.build > than

    @property
    def stamp(self) -> str:
        """What a page served now carries: "<run>.<build>"."""
        return f"{self.run}.{self.build}"

    def stop(self) -> None:
        with self.changed:
            self.stopping = True
            self.changed.notify_all()


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
        state = self.server.state
        if state is not None and url_path == SCRIPT_PATH:
            self._answer(200, "text/javascript; charset=utf-8", RELOAD_JS, head=head)
            return
        if state is not None and url_path == EVENTS_PATH:
            self._events(state)
            return
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
        if target is None:  # the nearest 404.html up the path: /en-GB/x -> en-GB/404.html
            target, url_path = not_found_page(root, normal if normal.startswith("/") else "/")
        kind = content_type(target)
        if state is not None and state.problems and kind.startswith("text/html"):
            # A broken build: the browser shows its problems, not a stale page.
            self._answer(500, kind, error_page(state.problems, state.stamp), head=head)
            return
        try:
            data = target.read_bytes()
        except OSError:
            data, status = b"not found", 404
        if state is not None and kind.startswith("text/html"):
            data = inject_reload(data, state.stamp)
        self._answer(status, kind, data, head=head, extra=headers_for(url_path, self.server.rules()))

    def _answer(self, status: int, kind: str, data: bytes, *, head: bool, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (extra or {"Cache-Control": "no-store"}).items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def _events(self, state: BuildState) -> None:
        """Server-sent events: "reload" once a build newer than ?since=RUN.N has finished, at once
        for a page served by an earlier run of the server."""
        run, _, number = parse_qs(urlsplit(self.path).query).get("since", ["."])[0].partition(".")
        since = int(number) if number.isdigit() and run == state.run else -1
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        try:
            self.wfile.write(b"retry: 500\n\n")
            self.wfile.flush()
            while not state.stopping:
                if state.wait_newer(since, timeout=10):
                    self.wfile.write(f"event: reload\ndata: {state.build}\n\n".encode())
                    self.wfile.flush()
                    return
                self.wfile.write(b": still here\n\n")  # finds a closed tab, keeps proxies from timing out
                self.wfile.flush()
        except OSError:
            return  # the tab went away


class SiteServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: Path, address: tuple[str, int], *, verbose: bool = False, state: BuildState | None = None) -> None:
        self.root = root
        self.verbose = verbose
        self.state = state  # set by the dev server: pages get the reload script and broken builds an error page
        super().__init__(address, Handler)

    def rules(self) -> list[tuple[str, dict[str, str]]]:
        try:
            return parse_headers((self.root / "_headers").read_text(encoding="utf-8"))
        except OSError:
            return []


# What a save, a new file, a removal or a rename makes. Opening and reading are left out of the
# kernel's queue itself: every build reads every file, and at 5,000 posts those events overflowed
# inotify's queue, which lost the author's save with them.
WATCHED = (FileCreatedEvent, FileModifiedEvent, FileClosedEvent, FileDeletedEvent, FileMovedEvent,
           DirCreatedEvent, DirDeletedEvent, DirMovedEvent)


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
    debounce: float = 0.1  # editors' writes of one save arrive within milliseconds
    out = None  # where messages go (a test sets a StringIO); None: the current sys.stdout

    def __post_init__(self) -> None:
        self._changes: dict[Path, ChangeKind] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.builds = 0
        self.state = BuildState()
        self.last: live.Last | None = None  # what a rebuild after a save can start from

    def say(self, text: str) -> None:
        print(text, file=self.out or sys.stdout, flush=True)

    def rebuild(self, reason: str, paths: list[Path] | None = None) -> bool:
        """A full build, or with the `paths` that changed, only what they change when that
        is enough (sitegen.live)."""
        start = time.perf_counter()
        try:
            patched = live.patch(self.last, paths) if self.last is not None and paths else None
            if patched is not None:
                result, self.last = patched
            else:
                self.last = None
                gc.unfreeze()  # what the last build kept may go now
                # the whole build, not one taken up from the cache (sitegen.resume): what it
                # leaves in memory is what the next save is patched onto
                result = build_site(self.options, resume=False)
                self.last = live.Last.of(self.options, result)
                if self.last is not None:
                    live.warm(self.last)
                gc.collect()
                gc.freeze()  # kept until the next full build: the collector need not walk it on every save
        except BuildError as error:
            for problem in error.problems:
                self.say(str(problem))
            self.say(f"build failed ({len(error.problems)} problem(s)); pages show them until the next good build")
            self.state.finished(error.problems)
            return False
        self.builds += 1
        self.state.finished(())
        for warning in result.warnings:
            self.say(f"warning: {warning}")
        saved = ", ".join(f"{what} {n}" for what, n in sorted(result.counts.items()) if n)
        self.say(f"{reason} in {(time.perf_counter() - start) * 1000:.0f} ms" + (f" ({saved})" if saved else ""))
        return True

    def start(self) -> None:
        try:
            self.server = SiteServer(self.options.out.resolve(), (self.host, self.port), state=self.state)
        except OSError as exc:
            what = "is in use (another server?)" if exc.errno == errno.EADDRINUSE else f"cannot be opened ({exc.strerror})"
            raise BuildError([Problem(f"{self.host}:{self.port}", None, f"port {self.port} {what}: pass --port N with another number, or stop the other server")]) from None
        self.port = self.server.server_address[1]
        self.serving = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.serving.start()
        self.observer = Observer()
        handler = _Events(self._changed)
        watched = [self.options.content, self.options.theme_dir, self.options.config.resolve().parent]
        for folder in watched:
            if folder.exists():
                self.observer.schedule(handler, str(folder), recursive=folder != self.options.config.resolve().parent,
                                       event_filter=list(WATCHED))
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
            self.rebuild(f"rebuilt after {names} changed", list(changes))

    def stop(self) -> None:
        """Stop whatever `start` started (all of it, or what it got to before an error or a Ctrl-C)."""
        self._stop.set()
        self.state.stop()
        observer, server = getattr(self, "observer", None), getattr(self, "server", None)
        if observer is not None:
            observer.stop()
            if observer.is_alive():
                observer.join(timeout=5)
        if server is not None:
            if getattr(self, "serving", None) is not None:
                server.shutdown()  # waits for serve_forever, which must have been started
            server.server_close()


def serve(options: BuildOptions, *, port: int = 8000, host: str = "127.0.0.1", scratch_out: bool = False) -> int:
    """Serve until Ctrl-C. scratch_out (no --out given): the site goes into a temporary folder,
    so a preview, drafts included, never lands in public/. A failed first build shows in the browser."""
    scratch = None
    if scratch_out:
        scratch = Path(tempfile.mkdtemp(prefix="sitegen-serve-"))
        options = replace(options, out=scratch / "site")
    if not options.config.is_file():  # not a blog's folder: say so instead of serving an error page
        try:
            SiteConfig.load(options.config)
        except BuildError as error:
            for problem in error.problems:
                print(problem, file=sys.stderr)
            return 1
    try:
        dev = DevServer(options, port=port, host=host)
        dev.rebuild("built")
        try:
            try:
                dev.start()  # a Ctrl-C while it starts (serving already, not yet watching) stops it too
            except BuildError as error:
                for problem in error.problems:
                    print(problem, file=sys.stderr)
                return 1
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            dev.say("stopping")
        finally:
            dev.stop()
        return 0
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
