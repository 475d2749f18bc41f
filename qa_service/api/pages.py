"""/ask and /admin: HTML pages that work with JavaScript off, in the reader's language.

Signing in without a wallet extension: enter your address, copy the exact message shown,
sign it in any wallet's "sign message", paste the signature back. Forms post to the same
origin only (SameSite=Strict cookie plus an Origin/Referer check).

Where the reader came from (the post, the revision read, its language) and the language
he chose travel in the query string of every link, form and redirect (`Visit`), so they
survive signing in; every action redirects back with `done=` naming what just happened,
which the page confirms in words.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

from eth_utils import is_address, to_checksum_address
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select

from .. import auth, credits, i18n, questions
from ..errors import AuthError, Forbidden, ServiceError
from ..i18n import N_
from ..models import MINTS
from .deps import COOKIE, Context, Ctx, QuestionId, nonce_allowed, same_origin, session_token
from .auth import set_session_cookie

PREFIXES = ("/ask", "/admin", "/automaton")
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}
# What the pages confirm after a redirect (`done=`): fixed words, never text from the URL.
DONE = ("signed_in", "signed_out", "asked", "followed_up", "withdrawn", "deleted", "answered", "rejected", "replied",
        "chosen", "corrected")
STATUS_WORDS = {"pending": N_("waiting for an answer"), "answered": N_("answered"),
                "rejected": N_("not answered"), "withdrawn": N_("withdrawn")}


@dataclass(frozen=True)
class Visit:
    """What the reader's links carry: the language asked for, the post he came from."""

    lang: str  # the interface language the page speaks ("en", "ko")
    asked: str | None = None  # ?lang= as the reader chose it
    post: str | None = None  # the post's slug
    revision: int | None = None  # the revision he read
    post_language: str | None = None

    def query(self, **extra: object) -> str:
        values = {"lang": self.asked, "post": self.post, "rev": self.revision, "post_lang": self.post_language, **extra}
        return urlencode([(k, v) for k, v in values.items() if v is not None and v != ""])

    def url(self, path: str, **extra: object) -> str:
        query = self.query(**extra)
        return f"{path}?{query}" if query else path

    def switched(self, lang: str, path: str = "/ask") -> str:
        """This page (`path`) in another language."""
        return replace(self, asked=lang).url(path)

    @property
    def question_language(self) -> str:
        """What a question is tagged with by default: the post's language, else the page's."""
        return self.post_language or i18n.QUESTION_TAGS[self.lang]


def visit(request: Request) -> Visit:
    """The reader's Visit, from the query string (a tampered post or revision is dropped:
    it only ever comes from a link)."""
    params = request.query_params
    post, post_language = None, params.get("post_lang")
    if params.get("post"):
        try:
            post, language = questions.post_slug(params["post"])
            post_language = post_language or language
        except ServiceError:
            post = None
    if post_language and not re.fullmatch(questions.LANGUAGE_TAG, post_language):
        post_language = None
    rev = params.get("rev", "")
    revision = int(rev) if post and rev.isdigit() and 1 <= int(rev) <= questions.MAX_REVISION else None
    asked = i18n.supported(params.get("lang"))
    lang = i18n.negotiate(asked=asked, post_language=post_language, accept_language=request.headers.get("accept-language"))
    return Visit(lang, asked, post, revision, post_language if post else None)


@cache
def _templates(lang: str) -> Jinja2Templates:
    """The pages' templates speaking `lang` (Jinja2's i18n extension over its gettext catalog)."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                      extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)  # type: ignore[attr-defined]
    return Jinja2Templates(env=env)


async def _signed_in(ctx: Context) -> str | None:
    token, _ = session_token(ctx.request)
    return await auth.session_address(ctx.statements, token=token, now=ctx.now) if token else None


def _page(request: Request, name: str, status: int = 200, *, me: str | None = None, **context: object) -> HTMLResponse:
    settings = request.app.state.settings
    where = visit(request)
    done = request.query_params.get("done")
    return _templates(where.lang).TemplateResponse(
        request, name,
        {"settings": settings, "visit": where, "lang": where.lang, "languages": i18n.LABELS, "me": me,
         "is_admin": me is not None and me in settings.admins, "done": done if done in DONE else None,
         "status_words": STATUS_WORDS, "site_url": (settings.site_url or "").rstrip("/"),
         "status_code": status, "here": request.url.path if request.method == "GET" and status < 400 else "/ask", **context},
        status_code=status, headers=NO_STORE)


def _translated(lang: str, exc: ServiceError) -> str:
    params = {k: i18n.gettext(lang, v) if isinstance(v, str) else v for k, v in exc.params.items()}
    return i18n.gettext(lang, exc.message, **params)


def error_page(request: Request, exc: ServiceError) -> HTMLResponse:
    return _page(request, "error.html", status=exc.status, detail=_translated(visit(request).lang, exc),
                 automaton_page=request.url.path.startswith("/automaton"))


def _back(request: Request, path: str = "/ask", **extra: object) -> RedirectResponse:
    return RedirectResponse(visit(request).url(path, **extra), status_code=303)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> RedirectResponse:
    return RedirectResponse(visit(request).url("/ask"), status_code=307)


async def _signing(ctx: Context, address: str) -> str:
    """The exact message `address` is asked to sign (a fresh nonce)."""
    nonce = await auth.issue_nonce(ctx.statements, settings=ctx.settings, now=ctx.now)
    return auth.message_for(to_checksum_address(address), nonce, settings=ctx.settings, now=ctx.now).to_text()


@router.get("/ask", response_class=HTMLResponse)
async def ask_page(ctx: Ctx, address: str | None = None) -> HTMLResponse:
    request = ctx.request
    me = await _signed_in(ctx)
    if me is None:
        message = problem = None
        if address:
            if not is_address(address.strip()):
                problem = N_("That is not an Ethereum address: 0x followed by 40 hex digits.")
            else:
                address = to_checksum_address(address.strip())
                await nonce_allowed(request)
                message = await _signing(ctx, address)
        return _page(request, "ask.html", message=message, address=address or "", problem=problem)
    mine = questions.mine(ctx.read_db, address=me)
    entries = credits.entries(ctx.read_db, address=me)
    return _page(request, "ask.html", me=me, threads=conversations(mine), entries=entries, minted=_minted(ctx, mine),
                 balance=sum(e.amount for e in entries))


def conversations(shown: list[questions.QuestionView]) -> list[list[questions.QuestionView]]:
    """Questions grouped into their threads, each oldest turn first; the thread with the
    latest turn first."""
    by_thread: dict[int, list[questions.QuestionView]] = {}
    for question in sorted(shown, key=lambda q: q.id):
        by_thread.setdefault(question.thread, []).append(question)
    return sorted(by_thread.values(), key=lambda turns: -turns[-1].id)


def _minted(ctx: Context, shown: list[questions.QuestionView]) -> frozenset[int]:
    """Which of these questions' answer NFTs are on chain (`qa-service mint` recorded them)."""
    tokens = [q.token_id for q in shown if q.token_id is not None]
    if not tokens:
        return frozenset()
    with ctx.read_db.connect() as db:
        return frozenset(row[0] for row in db.execute(select(MINTS.c.token_id).where(MINTS.c.token_id.in_(tokens))))


@router.post("/ask/sign")
async def sign(ctx: Ctx, message: str = Form(max_length=4000), signature: str = Form(max_length=4000)) -> Response:
    settings = ctx.settings
    same_origin(ctx.request, settings)
    message = message.replace("\r\n", "\n")
    try:
        signed = await auth.sign_in(ctx.statements, settings=settings, message=message, signature=signature.strip(),
                                    now=ctx.now, contract_wallet=ctx.request.app.state.contract_wallets)
    except AuthError as refused:
        claimed = re.search(r"0x[0-9a-fA-F]{40}", message)
        return _page(ctx.request, "ask.html", status=401, message=message, address=claimed.group(0) if claimed else "",
                     refused=refused.detail, signature=signature.strip()[:200])
    response = _back(ctx.request, done="signed_in")
    set_session_cookie(response, signed, secure=settings.secure_cookies, max_age=settings.session_ttl_seconds)
    return response


async def _require(ctx: Context) -> str:
    same_origin(ctx.request, ctx.settings)
    me = await _signed_in(ctx)
    if me is None:
        raise AuthError(N_("sign in first"))
    return me


@router.post("/ask/questions")
async def ask(ctx: Ctx, text: str = Form(max_length=100_000),
              language: str = Form("", max_length=35), consent_to_training: bool = Form(False),
              public: bool = Form(False), post: str | None = Form(None, max_length=300),
              post_revision: int | None = Form(None, ge=1, le=questions.MAX_REVISION)) -> Response:
    me = await _require(ctx)
    asked = await questions.ask(ctx.statements, settings=ctx.settings, address=me, text=text,
                                consent_to_training=consent_to_training, public=public, language=language or None,
                                post=post or None, post_revision=post_revision if post else None, now=ctx.now)
    return _back(ctx.request, done="asked", id=asked.id)


@router.post("/ask/questions/{question_id}/follow-up")
async def follow_up(question_id: QuestionId, ctx: Ctx, text: str = Form(max_length=100_000)) -> Response:
    me = await _require(ctx)
    asked = await asyncio.to_thread(questions.follow_up, ctx.db, settings=ctx.settings, address=me, reply_to=question_id,
                                    text=text, now=ctx.now)
    return _back(ctx.request, done="followed_up", id=asked.id)


@router.post("/ask/questions/{question_id}/withdraw")
async def withdraw(question_id: QuestionId, ctx: Ctx) -> Response:
    me = await _require(ctx)
    await asyncio.to_thread(questions.withdraw, ctx.db, address=me, question_id=question_id, now=ctx.now)
    return _back(ctx.request, done="withdrawn", id=question_id)


@router.post("/ask/delete")
async def delete(ctx: Ctx, confirm: bool = Form(False)) -> Response:
    me = await _require(ctx)
    if not confirm:
        raise ServiceError(N_("tick the box to confirm that everything you left here should be deleted"))
    await asyncio.to_thread(questions.delete_account, ctx.db, address=me, now=ctx.now)
    response = _back(ctx.request, done="deleted")
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=ctx.settings.secure_cookies)
    return response


@router.post("/ask/logout")
def logout(ctx: Ctx) -> Response:
    same_origin(ctx.request, ctx.settings)
    token, _ = session_token(ctx.request)
    if token:
        auth.sign_out(ctx.db, token=token, now=ctx.now)
    response = _back(ctx.request, done="signed_out")
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=ctx.settings.secure_cookies)
    return response


@router.get("/admin", response_class=HTMLResponse)
async def admin_page(ctx: Ctx, status: str = "pending") -> HTMLResponse:
    request = ctx.request
    me = await _signed_in(ctx)
    if me is None:
        return _page(request, "admin.html", status=401)
    if me not in ctx.settings.admins:
        return _page(request, "error.html", status=403, me=me,
                     detail=i18n.gettext(visit(request).lang, N_("%(address)s is not an admin (QA_ADMIN_ADDRESSES)"),
                                         address=me))
    shown_status = status if status in (*questions.STATUSES, "all") else "pending"
    shown = questions.list_for_admin(ctx.read_db, status=None if shown_status == "all" else shown_status)
    decided = None
    if request.query_params.get("id", "").isdigit():
        try:
            with ctx.read_db.connect() as db:
                decided = questions.get(db, int(request.query_params["id"]))
        except ServiceError:
            decided = None
    earlier = questions.threads(ctx.read_db, ids=sorted({q.thread for q in shown if q.thread_id}))
    history = {q.id: [t for t in earlier.get(q.thread, []) if t.id < q.id and t.status == "answered"] for q in shown}
    return _page(request, "admin.html", me=me, questions=shown, history=history, shown_status=shown_status,
                 decided=decided,
                 credits_awarded=request.query_params.get("credits", ""))


async def _admin(ctx: Context) -> str:
    me = await _require(ctx)
    if me not in ctx.settings.admins:
        raise Forbidden(N_("admins only"))
    return me


@router.post("/admin/questions/{question_id}/answer")
async def answer(question_id: QuestionId, ctx: Ctx) -> Response:
    form = await ctx.request.form()
    me = await _admin(ctx)
    text = str(form.get("text", ""))
    alternatives = [str(v) for k, v in form.multi_items() if k == "alternative" and str(v).strip()]  # best first
    result = await asyncio.to_thread(questions.answer, ctx.db, settings=ctx.settings, question_id=question_id, text=text,
                                     alternatives=alternatives, admin=me, now=ctx.now)
    return _back(ctx.request, "/admin", done="answered", id=result.question.id, credits=result.credits_awarded)


@router.post("/admin/questions/{question_id}/reject")
async def reject(question_id: QuestionId, ctx: Ctx, reason: str = Form("", max_length=2000)) -> Response:
    me = await _admin(ctx)
    await asyncio.to_thread(questions.reject, ctx.db, question_id=question_id, reason=reason, admin=me, now=ctx.now)
    return _back(ctx.request, "/admin", done="rejected", id=question_id)


__all__ = ["router", "error_page", "PREFIXES", "Visit", "visit"]
