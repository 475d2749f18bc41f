"""/ask and /admin: HTML pages that work with JavaScript off.

Signing in without a wallet extension: enter your address, copy the exact message shown,
sign it in any wallet's "sign message", paste the signature back. Forms post to the same
origin only (SameSite=Strict cookie plus an Origin/Referer check).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from eth_utils import is_address, to_checksum_address
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from .. import auth, credits, questions
from ..errors import AuthError, Forbidden, ServiceError
from .deps import COOKIE, Context, Ctx, QuestionId, nonce_allowed, same_origin, session_token
from .auth import set_session_cookie

PREFIXES = ("/ask", "/admin")
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))
router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}


async def _signed_in(ctx: Context) -> str | None:
    token, _ = session_token(ctx.request)
    return await auth.session_address(ctx.statements, token=token, now=ctx.now) if token else None


def _page(request: Request, name: str, status: int = 200, **context: object) -> HTMLResponse:
    settings = request.app.state.settings
    return templates.TemplateResponse(request, name, {"settings": settings, **context}, status_code=status,
                                      headers=NO_STORE)


def error_page(request: Request, exc: ServiceError) -> HTMLResponse:
    return _page(request, "error.html", status=exc.status, detail=exc.detail)


def _back(path: str = "/ask") -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


@router.get("/", response_class=HTMLResponse)
def home() -> RedirectResponse:
    return RedirectResponse("/ask", status_code=307)


@router.get("/ask", response_class=HTMLResponse)
async def ask_page(ctx: Ctx, address: str | None = None, post: str | None = None) -> HTMLResponse:
    request, settings = ctx.request, ctx.settings
    me = await _signed_in(ctx)
    if me is None:
        message = None
        problem = None
        if address:
            if not is_address(address.strip()):
                problem = "That is not an Ethereum address: 0x followed by 40 hex digits."
            else:
                await nonce_allowed(request)
                nonce = await auth.issue_nonce(ctx.statements, settings=settings, now=ctx.now)
                message = auth.message_for(to_checksum_address(address.strip()), nonce, settings=settings,
                                           now=ctx.now).to_text()
        return _page(request, "ask.html", me=None, message=message, address=address or "", problem=problem, post=post)
    mine = questions.mine(ctx.read_db, address=me)
    entries = credits.entries(ctx.read_db, address=me)
    return _page(request, "ask.html", me=me, questions=mine, entries=entries,
                 balance=sum(e.amount for e in entries), is_admin=me in settings.admins, post=post)


@router.post("/ask/sign")
async def sign(ctx: Ctx, message: str = Form(max_length=4000), signature: str = Form(max_length=4000)) -> Response:
    settings = ctx.settings
    same_origin(ctx.request, settings)
    signed = await auth.sign_in(ctx.statements, settings=settings, message=message.replace("\r\n", "\n"),
                                signature=signature.strip(), now=ctx.now,
                                contract_wallet=ctx.request.app.state.contract_wallets)
    response = _back()
    set_session_cookie(response, signed, secure=settings.secure_cookies, max_age=settings.session_ttl_seconds)
    return response


async def _require(ctx: Context) -> str:
    same_origin(ctx.request, ctx.settings)
    me = await _signed_in(ctx)
    if me is None:
        raise AuthError("sign in first")
    return me


@router.post("/ask/questions")
async def ask(ctx: Ctx, text: str = Form(max_length=100_000),
        language: str = Form("", max_length=35), consent_to_training: bool = Form(False),
        public: bool = Form(False), post: str | None = Form(None, max_length=300)) -> Response:
    me = await _require(ctx)
    await questions.ask(ctx.statements, settings=ctx.settings, address=me, text=text,
                        consent_to_training=consent_to_training, public=public, language=language or None,
                        post=post or None, now=ctx.now)
    return _back()


@router.post("/ask/questions/{question_id}/withdraw")
async def withdraw(question_id: QuestionId, ctx: Ctx) -> Response:
    me = await _require(ctx)
    await asyncio.to_thread(questions.withdraw, ctx.db, address=me, question_id=question_id, now=ctx.now)
    return _back()


@router.post("/ask/delete")
async def delete(ctx: Ctx, confirm: bool = Form(False)) -> Response:
    me = await _require(ctx)
    if not confirm:
        raise ServiceError("tick the box to confirm that everything you left here should be deleted")
    await asyncio.to_thread(questions.delete_account, ctx.db, address=me, now=ctx.now)
    response = _back()
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=ctx.settings.secure_cookies)
    return response


@router.post("/ask/logout")
def logout(ctx: Ctx) -> Response:
    same_origin(ctx.request, ctx.settings)
    token, _ = session_token(ctx.request)
    if token:
        auth.sign_out(ctx.db, token=token, now=ctx.now)
    response = _back()
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=ctx.settings.secure_cookies)
    return response


@router.get("/admin", response_class=HTMLResponse)
async def admin_page(ctx: Ctx, status: str = "pending") -> HTMLResponse:
    request = ctx.request
    me = await _signed_in(ctx)
    if me is None:
        return _page(request, "admin.html", me=None, status=401)
    if me not in ctx.settings.admins:
        return _page(request, "error.html", status=403, detail=f"{me} is not an admin (QA_ADMIN_ADDRESSES)")
    shown = questions.list_for_admin(ctx.read_db, status=status if status != "all" else None)
    return _page(request, "admin.html", me=me, questions=shown, shown_status=status)


async def _admin(ctx: Context) -> str:
    me = await _require(ctx)
    if me not in ctx.settings.admins:
        raise Forbidden("admins only")
    return me


@router.post("/admin/questions/{question_id}/answer")
async def answer(question_id: QuestionId, ctx: Ctx) -> Response:
    form = await ctx.request.form()
    me = await _admin(ctx)
    text = str(form.get("text", ""))
    alternatives = [str(v) for k, v in form.multi_items() if k == "alternative" and str(v).strip()]  # best first
    result = await asyncio.to_thread(questions.answer, ctx.db, settings=ctx.settings, question_id=question_id, text=text,
                                     alternatives=alternatives, admin=me, now=ctx.now)
    return _back(f"/admin?answered={result.question.id}&credits={result.credits_awarded}")


@router.post("/admin/questions/{question_id}/reject")
async def reject(question_id: QuestionId, ctx: Ctx, reason: str = Form("", max_length=2000)) -> Response:
    me = await _admin(ctx)
    await asyncio.to_thread(questions.reject, ctx.db, question_id=question_id, reason=reason, admin=me, now=ctx.now)
    return _back("/admin")


__all__ = ["router", "error_page", "PREFIXES"]
