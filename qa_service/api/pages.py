"""/ask and /admin: HTML pages that work with JavaScript off.

Signing in without a wallet extension: enter your address, copy the exact message shown,
sign it in any wallet's "sign message", paste the signature back. Forms post to the same
origin only (SameSite=Strict cookie plus an Origin/Referer check).
"""

from __future__ import annotations

from pathlib import Path

from eth_utils import is_address, to_checksum_address
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from .. import auth, credits, questions
from ..errors import AuthError, Forbidden, ServiceError
from .deps import COOKIE, DbDep, Now, SettingsDep, same_origin, session_token
from .auth import set_session_cookie

PREFIXES = ("/ask", "/admin")
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "templates"))
router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}


def _signed_in(request: Request, now) -> str | None:  # type: ignore[no-untyped-def]
    token, _ = session_token(request)
    return auth.session_address(request.app.state.reader, token=token, now=now) if token else None


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
def ask_page(request: Request, db: DbDep, settings: SettingsDep, now: Now,
             address: str | None = None, post: str | None = None) -> HTMLResponse:
    me = _signed_in(request, now)
    if me is None:
        message = None
        problem = None
        if address:
            if not is_address(address.strip()):
                problem = "That is not an Ethereum address: 0x followed by 40 hex digits."
            else:
                nonce = auth.issue_nonce(db, settings=settings, now=now)
                message = auth.message_for(to_checksum_address(address.strip()), nonce, settings=settings, now=now).to_text()
        return _page(request, "ask.html", me=None, message=message, address=address or "", problem=problem, post=post)
    reader = request.app.state.reader
    mine = questions.mine(reader, address=me)
    entries = credits.entries(reader, address=me)
    return _page(request, "ask.html", me=me, questions=mine, entries=entries,
                 balance=sum(e.amount for e in entries), is_admin=me in settings.admins, post=post)


@router.post("/ask/sign")
def sign(request: Request, db: DbDep, settings: SettingsDep, now: Now,
         message: str = Form(max_length=4000), signature: str = Form(max_length=200)) -> Response:
    same_origin(request, settings)
    signed = auth.sign_in(db, settings=settings, message=message.replace("\r\n", "\n"), signature=signature.strip(), now=now)
    response = _back()
    set_session_cookie(response, signed, secure=settings.secure_cookies, max_age=settings.session_ttl_seconds)
    return response


def _require(request: Request, db, settings, now) -> str:  # type: ignore[no-untyped-def]
    same_origin(request, settings)
    me = _signed_in(request, now)
    if me is None:
        raise AuthError("sign in first")
    return me


@router.post("/ask/questions")
def ask(request: Request, db: DbDep, settings: SettingsDep, now: Now, text: str = Form(max_length=100_000),
        language: str = Form("en", max_length=35), consent_to_training: bool = Form(False),
        public: bool = Form(False), post: str | None = Form(None, max_length=300)) -> Response:
    me = _require(request, db, settings, now)
    questions.ask(db, settings=settings, address=me, text=text, consent_to_training=consent_to_training,
                  public=public, language=language, post=post or None, now=now)
    return _back()


@router.post("/ask/questions/{question_id}/withdraw")
def withdraw(question_id: int, request: Request, db: DbDep, settings: SettingsDep, now: Now) -> Response:
    me = _require(request, db, settings, now)
    questions.withdraw(db, address=me, question_id=question_id, now=now)
    return _back()


@router.post("/ask/delete")
def delete(request: Request, db: DbDep, settings: SettingsDep, now: Now, confirm: bool = Form(False)) -> Response:
    me = _require(request, db, settings, now)
    if not confirm:
        raise ServiceError("tick the box to confirm that everything you left here should be deleted")
    questions.delete_account(db, address=me)
    response = _back()
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=settings.secure_cookies)
    return response


@router.post("/ask/logout")
def logout(request: Request, db: DbDep, settings: SettingsDep, now: Now) -> Response:
    same_origin(request, settings)
    token, _ = session_token(request)
    if token:
        auth.sign_out(db, token=token, now=now)
    response = _back()
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=settings.secure_cookies)
    return response


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request, db: DbDep, settings: SettingsDep, now: Now, status: str = "pending") -> HTMLResponse:
    me = _signed_in(request, now)
    if me is None:
        return _page(request, "admin.html", me=None, status=401)
    if me not in settings.admins:
        return _page(request, "error.html", status=403, detail=f"{me} is not an admin (QA_ADMIN_ADDRESSES)")
    shown = questions.list_for_admin(request.app.state.reader, status=status if status != "all" else None)
    return _page(request, "admin.html", me=me, questions=shown, shown_status=status)


def _admin(request: Request, db, settings, now) -> str:  # type: ignore[no-untyped-def]
    me = _require(request, db, settings, now)
    if me not in settings.admins:
        raise Forbidden("admins only")
    return me


@router.post("/admin/questions/{question_id}/answer")
async def answer(question_id: int, request: Request, db: DbDep, settings: SettingsDep, now: Now) -> Response:
    form = await request.form()
    me = _admin(request, db, settings, now)
    text = str(form.get("text", ""))
    alternatives = [str(v) for k, v in form.multi_items() if k == "alternative" and str(v).strip()]  # best first
    result = questions.answer(db, settings=settings, question_id=question_id, text=text,
                              alternatives=alternatives, admin=me, now=now)
    return _back(f"/admin?answered={result.question.id}&credits={result.credits_awarded}")


@router.post("/admin/questions/{question_id}/reject")
def reject(question_id: int, request: Request, db: DbDep, settings: SettingsDep, now: Now,
           reason: str = Form("", max_length=2000)) -> Response:
    me = _admin(request, db, settings, now)
    questions.reject(db, question_id=question_id, reason=reason, admin=me, now=now)
    return _back("/admin")


__all__ = ["router", "error_page", "PREFIXES"]
