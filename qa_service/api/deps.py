"""Request dependencies, as Annotated aliases so handlers read like prose."""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine

from .. import auth
from ..errors import AuthError, Forbidden, RateLimited
from ..settings import Settings

COOKIE = "qa_session"


# Dependencies and the hot handlers are `async def`: FastAPI runs sync ones in a worker
# thread, and each hop costs more than the work. Their database calls are short and hold a
# pooled connection only while they run, never across an await.
async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_db(request: Request) -> Engine:
    """The database; domain functions take a pooled connection only while they run."""
    return request.app.state.engine


async def get_read_db(request: Request) -> Engine:
    """For reads only: on SQLite its transactions never wait for the writer lock."""
    return request.app.state.reader


async def get_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


SettingsDep = Annotated[Settings, Depends(get_settings)]
DbDep = Annotated[Engine, Depends(get_db)]
ReadDbDep = Annotated[Engine, Depends(get_read_db)]
Now = Annotated[dt.datetime, Depends(get_now)]


def session_token(request: Request) -> tuple[str | None, bool]:
    """(token, came from a cookie)."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip(), False
    return request.cookies.get(COOKIE), True


def same_origin(request: Request, settings: Settings) -> None:
    """Cross-site posts are refused: a cookie-carried write must come from our own origin."""
    origin = request.headers.get("origin")
    if origin is None:
        referer = request.headers.get("referer", "")
        origin = "/".join(referer.split("/")[:3]) if referer else None
    allowed = {settings.origin, f"{request.url.scheme}://{request.headers.get('host', '')}"}
    if origin not in allowed:
        raise Forbidden("cross-site request refused: the Origin header must be this service's own")


async def current_address(request: Request, db: ReadDbDep, settings: SettingsDep, now: Now) -> str:
    token, from_cookie = session_token(request)
    if not token:
        raise AuthError("sign in first: no session cookie or bearer token")
    address = auth.session_address(db, token=token, now=now)
    if address is None:
        raise AuthError("session expired or signed out: sign in again")
    if from_cookie and request.method not in ("GET", "HEAD", "OPTIONS"):
        same_origin(request, settings)
    limiter = request.app.state.address_limiter
    if request.method not in ("GET", "HEAD"):
        wait = limiter.hit(address, time.monotonic())
        if wait is not None:
            raise RateLimited(f"too many requests from {address}; try again in {wait} s", wait)
    return address


CurrentAddress = Annotated[str, Depends(current_address)]


async def admin_address(address: CurrentAddress, settings: SettingsDep) -> str:
    if address not in settings.admins:
        raise Forbidden("admins only: this address is not in QA_ADMIN_ADDRESSES")
    return address


AdminAddress = Annotated[str, Depends(admin_address)]
