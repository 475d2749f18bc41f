"""Request dependencies, as Annotated aliases so handlers read like prose.

A handler takes one of three: `Ctx` (the service's settings and databases and the time of
the request), `Me` (the same for a signed-in caller, with his address) or `Admin` (a
signed-in admin). One dependency per handler, not one per value: FastAPI spends ~10 µs
solving each.

The two hot paths (signing in, asking) go further: they take the bare Request, call
`context`/`signed_in` themselves, read their body with `json_body` and answer with
`json_response`. FastAPI's own dependency solving, body handling and response-model pass
cost them 100-150 µs a request (a quarter of a sign-in); `documented(Model)` keeps their
request body in the OpenAPI document, and their errors keep FastAPI's shapes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Path, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine

from .. import auth
from ..db import AsyncStatements
from ..errors import AuthError, Forbidden, RateLimited, UnsupportedMediaType
from ..schemas import Refusal
from ..settings import Settings

COOKIE = "qa_session"

REASONS = {
    400: "The body could not be read: it is not UTF-8 text",
    402: "Not enough credits for a reply of the author's model (the detail says how to earn them)",
    401: "Not signed in, the session ended, or the sign-in was refused (the detail says which check failed)",
    403: "Not allowed: an admin-only call, or a cookie-carried write from another origin",
    404: "No such question, or not the caller's",
    409: "The question is no longer in a state that allows it, or the balance is too low",
    413: "The body or a text is over its size limit",
    415: "The body is not labelled application/json",
    422: "The request is well formed but its values are not acceptable",
    429: "Too many requests, or the automaton's daily limit; the Retry-After header says when to try again",
    502: "The author's model failed or answered nonsense: nothing was charged",
    504: "The author's model did not answer in time: nothing was charged",
}


def refusals(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The 4xx answers a route may give, for the OpenAPI document: each `{"detail": reason}`."""
    return {status: {"model": Refusal, "description": REASONS[status]} for status in statuses}


@dataclass(frozen=True, slots=True)
class Context:
    request: Request
    settings: Settings
    db: Engine  # for writes; domain functions take a pooled connection only while they run
    read_db: Engine  # for reads only: on SQLite its transactions never wait for the writer lock
    statements: AsyncStatements  # one statement, awaited: sign-in, asking, session lookup
    now: dt.datetime


@dataclass(frozen=True, slots=True)
class Caller(Context):
    address: str


# Dependencies and the hot handlers are `async def`: FastAPI runs sync ones in a worker
# thread, and each hop costs more than the work. Their database calls are short and hold a
# pooled connection only while they run, never across an await.
async def context(request: Request) -> Context:
    state = request.app.state
    return Context(request, state.settings, state.engine, state.reader, state.statements, dt.datetime.now(dt.timezone.utc))


Ctx = Annotated[Context, Depends(context)]

# A question id in a path: the ids are 32-bit on PostgreSQL (SERIAL), so anything else is
# refused with a 422 before it reaches the database (which would fail on it with a 500).
QuestionId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the question's id")]
ConversationId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the automaton conversation's id")]
TurnId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the automaton turn's id")]


M = TypeVar("M", bound=BaseModel)


async def json_body(request: Request, model: type[M]) -> M:
    """The request's JSON body as `model`; a 422 naming each field's problem when it is not one.

    A body labelled as anything but JSON, or not labelled at all, is not read as JSON: that is
    what a cross-site form or a no-CORS fetch can send, so they cannot sign anyone in. (The
    Guard middleware refuses them first, for every /api/ route; this stays for direct callers.)"""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType(f"send the body as application/json, not {media_type or 'an empty type'}")
    try:
        return model.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)]
        ) from None


def documented(model: type[BaseModel]) -> dict[str, object]:
    """`openapi_extra` naming `model` as the JSON request body of a route that reads it itself."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}


def json_response(model: BaseModel, status_code: int = 200) -> Response:
    return Response(model.model_dump_json(), status_code=status_code, media_type="application/json")


def session_token(request: Request) -> tuple[str | None, bool]:
    """(token, came from a cookie)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip(), False
    return request.cookies.get(COOKIE), True


def same_origin(request: Request, settings: Settings) -> None:
    """Cross-site posts are refused: a cookie-carried write must come from our own origin,
    the one QA_URI names (a proxy in front keeps it whatever Host it forwards)."""
    origin = request.headers.get("origin")
    if origin is None:
        referer = request.headers.get("referer", "")
        origin = "/".join(referer.split("/")[:3]) if referer else None
    if origin != settings.origin:  # QA_URI's origin only: the Host header is the client's to choose
        raise Forbidden(f"cross-site request refused: the Origin header must be {settings.origin} (QA_URI)")


async def nonce_allowed(request: Request) -> None:
    """Issuing a nonce writes a row: every way to get one (the API, /ask?address=) counts
    against the per-client nonce limit."""
    client = request.client.host if request.client else "unknown"
    wait = await request.app.state.nonce_limiter.hit(client)
    if wait is not None:
        raise RateLimited(f"too many sign-in messages asked from {client}; try again in {wait} s", wait)


async def signed_in(request: Request) -> Caller:
    ctx = await context(request)
    token, from_cookie = session_token(request)
    if not token:
        raise AuthError("sign in first: no session cookie or bearer token")
    address = await auth.session_address(ctx.statements, token=token, now=ctx.now)
    if address is None:
        raise AuthError("session expired or signed out: sign in again")
    if from_cookie and request.method not in ("GET", "HEAD", "OPTIONS"):
        same_origin(request, ctx.settings)
    if request.method not in ("GET", "HEAD"):
        wait = await request.app.state.address_limiter.hit(address)
        if wait is not None:
            raise RateLimited(f"too many requests from {address}; try again in {wait} s", wait)
    return Caller(ctx.request, ctx.settings, ctx.db, ctx.read_db, ctx.statements, ctx.now, address)


Me = Annotated[Caller, Depends(signed_in)]


async def signed_in_admin(me: Me) -> Caller:
    if me.address not in me.settings.admins:
        raise Forbidden("admins only: this address is not in QA_ADMIN_ADDRESSES")
    return me


Admin = Annotated[Caller, Depends(signed_in_admin)]
