"""`create_app(settings)`: the FastAPI application, its database and its guards.

Nothing is created at import time; tests and processes build their own app from their own
settings. Guards: a body size cap, a per-IP rate limit, security headers, and every refusal
answered as `{"detail": ...}` with a 4xx.
"""

from __future__ import annotations

import contextlib
import gc
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pathlib import Path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import __version__
from .api import admin, auth, automaton, automaton_pages, credits, nft, pages, questions
from .api.deps import refusals
from .db import AsyncStatements, dispose, make_engine, migrate, reader_for
from .errors import RateLimited, ServiceError
from .ratelimit import Limiter, RateLimiter, RedisRateLimiter
from .settings import Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy",
     b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     b"connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
]


class Guard:
    """ASGI middleware: body size cap, per-IP rate limit, security headers."""

    def __init__(self, app: ASGIApp, *, max_body: int, limiter: Limiter) -> None:
        self.app = app
        self.max_body = max_body
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        wait = await self.limiter.hit(client)
        if wait is not None:
            await _reply(send, 429, f"too many requests from {client}; try again in {wait} s", [(b"retry-after", str(wait).encode())])
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            await _reply(send, 413, f"request body over {self.max_body} bytes")
            return
        if _unlabelled_json(scope, headers):
            media_type = headers.get(b"content-type", b"").split(b";")[0].strip().decode("latin-1") or "no Content-Type"
            await _reply(send, 415, f"send the body as application/json (Content-Type: application/json), not {media_type}")
            return
        received = 0
        too_big = False

        async def limited_receive() -> Message:
            nonlocal received, too_big
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    too_big = True
                    raise _BodyTooLarge()
            return message

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = dict(message)
                message["headers"] = list(message.get("headers", [])) + SECURITY_HEADERS
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except _BodyTooLarge:
            if not started:
                await _reply(send, 413, f"request body over {self.max_body} bytes")


def _unlabelled_json(scope: Scope, headers: dict[bytes, bytes]) -> bool:
    """A body sent to the JSON API without the JSON label: what a cross-site form or a no-CORS
    fetch can send (text/plain, or nothing), so it is never read as JSON."""
    if scope["method"] in ("GET", "HEAD", "OPTIONS") or not scope["path"].startswith("/api/"):
        return False
    if headers.get(b"content-length", b"0") == b"0" and b"transfer-encoding" not in headers:
        return False  # no body: a withdraw, a logout
    media_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    return media_type != b"application/json" and not media_type.endswith(b"+json")


class _BodyTooLarge(Exception):
    pass


async def _reply(send: Send, status: int, detail: str, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + SECURITY_HEADERS + (extra or [])})
    await send({"type": "http.response.body", "body": body})


def create_app(settings: Settings | None = None, *, run_migrations: bool = True) -> FastAPI:
    settings = settings or Settings()
    engine = make_engine(settings.database_url)
    if run_migrations:
        migrate(engine)
    reader = reader_for(engine)
    statements = AsyncStatements(engine)
    redis = _redis(settings)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await statements.open()
        # What start-up built (modules, the app, the pools) lives as long as the process: out of
        # the collector's sight, a full collection scans only what requests made. Under load a
        # worker ran one every second or two; they took 89 ms (median) and now take 2.4 ms.
        # (No gc.collect() first: the little start-up garbage it would free is not worth a full
        # pass over a host process's heap, as a test run's, at every start.)
        gc.freeze()
        yield
        gc.unfreeze()
        if redis is not None:
            await redis.aclose()
        await statements.close()
        dispose(engine, reader)

    app = FastAPI(title="Automata Q&A", version=__version__, lifespan=lifespan, responses=refusals(413, 429),
                  description="Sign in with Ethereum, ask the author, earn credits.")
    app.state.settings = settings
    app.state.engine = engine
    app.state.reader = reader
    app.state.statements = statements
    app.state.address_limiter = _limiter(redis, settings, "address", settings.rate_address_per_minute)
    app.state.nonce_limiter = _limiter(redis, settings, "nonce", settings.rate_nonce_per_minute)
    app.state.contract_wallets = None
    if settings.signin_rpc_url:  # contract wallets sign in too, asked through this node (the chain extra)
        from . import chain

        app.state.contract_wallets = chain.contract_wallets(chain.connect(settings.signin_rpc_url),
                                                            chain_id=settings.chain_id)

    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError) -> Response:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        if request.url.path.startswith(pages.PREFIXES) and (request.method == "POST" or headers):
            page = pages.error_page(request, exc)  # a person reads it: a page, also for a 429 on /ask
            page.headers.update(headers or {})
            return page
        return JSONResponse({"detail": exc.detail}, status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}" for e in errors)
        return JSONResponse({"detail": detail, "errors": errors}, status_code=422)

    for router in (auth.router, questions.router, credits.router, admin.router, nft.router, pages.router):
        app.include_router(router)
    if settings.automaton:  # unset, the automaton's paths do not exist: 404, and no page links to them
        app.include_router(automaton.router)
        app.include_router(automaton_pages.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).with_name("static")), name="static")
    app.add_middleware(Guard, max_body=settings.max_body_bytes,
                       limiter=_limiter(redis, settings, "ip", settings.rate_ip_per_minute))
    return app


def _redis(settings: Settings) -> Redis | None:
    """The Redis client the rate limits share (QA_REDIS_URL), or None: each process counts alone."""
    if not settings.redis_url:
        return None
    from redis.asyncio import Redis

    return Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)


def _limiter(redis: Redis | None, settings: Settings, name: str, per_minute: int) -> Limiter:
    if redis is None:
        return RateLimiter(per_minute)
    return RedisRateLimiter(redis, name, per_minute, prefix=settings.redis_prefix)
