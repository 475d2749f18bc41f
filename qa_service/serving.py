"""What `qa-service serve` accepts of a connection before the app sees a request: uvicorn's
httptools protocol with three limits it lacks.

- Header size: the request line and headers together may take `max_header_bytes`; past it
  the answer is 431 and the connection closes (uvicorn's httptools protocol has no cap: a
  10 MB header was read whole, and 90 of them took a worker from 107 MB to 1,012 MB).
- Header time: they must arrive within `header_timeout` seconds of the connection or of the
  request's first byte; else 408 and close (slowloris: half-open connections stayed 40 s).
- Connections: a process keeps at most `max_connections` open; one more is answered 503
  and closed at once.
Idle keep-alive connections are closed by uvicorn's own `timeout_keep_alive`.
"""

from __future__ import annotations

import asyncio
import functools
import json
from dataclasses import dataclass
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .settings import Settings


@dataclass(frozen=True)
class ConnectionLimits:
    max_header_bytes: int
    header_timeout: float
    max_connections: int

    @classmethod
    def of(cls, settings: Settings) -> ConnectionLimits:
        return cls(settings.max_header_bytes, settings.header_timeout_seconds, settings.max_connections)


class _HeadTooLarge(Exception):
    """Raised in the parser's callback to stop a head that came whole but too large."""


REASONS = {408: b"Request Timeout", 431: b"Request Header Fields Too Large", 503: b"Service Unavailable"}


class LimitedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol, with the limits above."""

    def __init__(self, *args: Any, limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self._in_head = True  # reading a request line and headers (not a body, not idle)
        self._head_bytes = 0  # bytes received since this head began (a head still unfinished)
        self._head_size = 0  # the parsed head's size: request target and headers
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            self._refuse(503, f"more than {self.limits.max_connections} open connections; try again shortly")
            return
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self._head_bytes += len(data)
            if self._head_timer is None:
                self._arm()
        try:
            self.parser.feed_data(data)  # uvicorn's data_received, which would answer our refusal as a 400
        except httptools.HttpParserCallbackError as error:
            if isinstance(error.__context__, _HeadTooLarge):
                self._refuse(431, f"request line and headers over {self.limits.max_header_bytes} bytes")
                return
            raise
        except httptools.HttpParserError:
            self.send_400_response("Invalid HTTP request received.")
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        if self._in_head and self._head_bytes > self.limits.max_header_bytes and not self.transport.is_closing():
            self._refuse(431, f"request line and headers over {self.limits.max_header_bytes} bytes")

    def on_message_begin(self) -> None:
        self._head_size = 0
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        self._head_size += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_size += len(name) + len(value) + 4
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if self._head_size > self.limits.max_header_bytes:  # it came whole, in one read
            raise _HeadTooLarge()
        self._in_head = False
        self._head_bytes = 0
        self._disarm()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_head = True  # what comes next is the next request's head
        super().on_message_complete()

    def _arm(self) -> None:
        self._head_timer = self.loop.call_later(self.limits.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _too_slow(self) -> None:
        self._head_timer = None
        if self._in_head and not self.transport.is_closing():
            if self._head_bytes:
                self._refuse(408, f"request headers not received within {self.limits.header_timeout:g} s")
            else:
                self.transport.close()  # nothing asked: nothing to answer

    def _refuse(self, status: int, detail: str) -> None:
        self._disarm()
        body = json.dumps({"detail": detail}).encode()
        self.transport.write(b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
                             b"connection: close\r\n\r\n%s" % (status, REASONS[status], len(body), body))
        self.transport.close()


def protocol(settings: Settings) -> functools.partial[LimitedHttpTools]:
    """The protocol factory to give uvicorn as `http` (picklable, for `--workers`)."""
    return functools.partial(LimitedHttpTools, limits=ConnectionLimits.of(settings))
