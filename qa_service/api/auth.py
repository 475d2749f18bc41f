"""/api/auth: nonce, verify (sign in), logout."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from .. import auth
from ..schemas import NonceOut, SignInOut, VerifyIn
from .deps import (COOKIE, Ctx, context, documented, json_body, json_response, nonce_allowed, refusals, same_origin,
                   session_token)

router = APIRouter(prefix="/api/auth", tags=["auth"])


def set_session_cookie(response: Response, sign_in: auth.Session, *, secure: bool, max_age: int) -> None:
    response.set_cookie(COOKIE, sign_in.token, max_age=max_age, httponly=True, samesite="strict",
                        secure=secure, path="/")


@router.get("/nonce", response_model=NonceOut)
async def nonce(ctx: Ctx) -> NonceOut:
    await nonce_allowed(ctx.request)
    return NonceOut(nonce=await auth.issue_nonce(ctx.statements, settings=ctx.settings, now=ctx.now))


@router.post("/verify", response_model=SignInOut, openapi_extra=documented(VerifyIn), responses=refusals(401, 415, 422))
async def verify(request: Request) -> Response:
    """A hot path: reads and answers by hand (see api/deps.py)."""
    ctx = await context(request)
    body = await json_body(request, VerifyIn)
    settings = ctx.settings
    sign_in = await auth.sign_in(ctx.statements, settings=settings, message=body.message, signature=body.signature,
                                 now=ctx.now, contract_wallet=request.app.state.contract_wallets)
    response = json_response(SignInOut(address=sign_in.address, token=sign_in.token, expires_at=sign_in.expires_at))
    set_session_cookie(response, sign_in, secure=settings.secure_cookies, max_age=settings.session_ttl_seconds)
    return response


@router.post("/logout", status_code=204, responses=refusals(403))
def logout(ctx: Ctx) -> Response:
    token, from_cookie = session_token(ctx.request)
    if token:
        if from_cookie:
            same_origin(ctx.request, ctx.settings)
        auth.sign_out(ctx.db, token=token, now=ctx.now)
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=ctx.settings.secure_cookies)
    return response
