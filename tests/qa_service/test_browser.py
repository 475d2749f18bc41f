"""/ask in a real Chromium with JavaScript off: sign in by pasting a signature, ask."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account import Account

from ..browser import chromium, off_host
from .conftest import sign
from .servers import SECRET_KEY, free_port, service

pytestmark = pytest.mark.browser


def test_ask_without_javascript(tmp_path: Path) -> None:
    port = free_port()
    env = {"QA_DATABASE_URL": f"sqlite:///{tmp_path / 'qa.sqlite3'}", "QA_DOMAIN": f"127.0.0.1:{port}",
           "QA_URI": f"http://127.0.0.1:{port}", "QA_SECRET_KEY": SECRET_KEY}
    asker = Account.create()
    with service(env, port) as url, chromium(javascript=False) as (page, requests):
        page.goto(f"{url}/ask")  # type: ignore[attr-defined]
        assert f"127.0.0.1:{port}" in page.locator(".binding").inner_text()  # type: ignore[attr-defined]
        page.fill("#address", asker.address)  # type: ignore[attr-defined]
        page.click("text=Show the message to sign")  # type: ignore[attr-defined]
        message = page.input_value("#message")  # type: ignore[attr-defined]
        assert message.startswith(f"127.0.0.1:{port} wants you to sign in") and asker.address in message
        assert page.locator("#wallet-sign").is_hidden()  # type: ignore[attr-defined]
        page.fill("#signature", sign(asker, message))  # type: ignore[attr-defined]
        page.click("button:text('Sign in')")  # type: ignore[attr-defined]
        assert asker.address in page.locator("main").inner_text()  # type: ignore[attr-defined]
        page.fill("#text", "기계 독자는 무엇을 배우나요? <i>really</i>")  # type: ignore[attr-defined]
        page.check("input[name=consent_to_training]")  # type: ignore[attr-defined]
        page.click("button:text('Ask')")  # type: ignore[attr-defined]
        question = page.locator(".question blockquote").inner_text()  # type: ignore[attr-defined]
        assert question == "기계 독자는 무엇을 배우나요? <i>really</i>"
        assert page.locator(".status-pending").count() == 1  # type: ignore[attr-defined]
        page.screenshot(path=str(tmp_path / "ask.png"), full_page=True)  # type: ignore[attr-defined]
        assert (tmp_path / "ask.png").stat().st_size > 10_000
    assert not off_host(requests), off_host(requests)


def test_an_answer_nft_image_renders_in_a_browser(tmp_path: Path) -> None:
    import datetime as dt

    import httpx

    from qa_service import auth
    from qa_service.settings import Settings

    from .conftest import ADMIN

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"QA_DATABASE_URL": f"sqlite:///{tmp_path / 'qa.sqlite3'}", "QA_DOMAIN": f"127.0.0.1:{port}",
           "QA_URI": url, "QA_SECRET_KEY": SECRET_KEY, "QA_ADMIN_ADDRESSES": ADMIN.address}
    settings = Settings(database_url=env["QA_DATABASE_URL"], domain=env["QA_DOMAIN"], uri=url)

    def token(account) -> str:  # type: ignore[no-untyped-def]
        nonce = httpx.get(f"{url}/api/auth/nonce").json()["nonce"]
        text = auth.message_for(account.address, nonce, settings=settings, now=dt.datetime.now(dt.timezone.utc)).to_text()
        return str(httpx.post(f"{url}/api/auth/verify", json={"message": text, "signature": sign(account, text)}).json()["token"])

    with service(env, port):
        asker = {"Authorization": f"Bearer {token(Account.create())}"}
        question = httpx.post(f"{url}/api/questions", headers=asker, json={
            "text": "기계 독자는 무엇을 배우나요? A long question that needs wrapping over several lines " * 2,
            "consent_to_training": True, "public": True}).json()
        httpx.post(f"{url}/api/admin/questions/{question['id']}/answer", json={"text": "문체를."},
                   headers={"Authorization": f"Bearer {token(ADMIN)}"}).raise_for_status()
        with chromium(javascript=True) as (page, requests):
            page.goto(f"{url}/nft/{question['id']}.json")  # type: ignore[attr-defined]
            page.set_content(f'<img id="nft" src="{url}/nft/{question["id"]}.svg">')  # type: ignore[attr-defined]
            page.wait_for_function("document.getElementById('nft').complete")  # type: ignore[attr-defined]
            width = page.locator("#nft").evaluate("img => img.naturalWidth")  # type: ignore[attr-defined]
            assert width == 600, "the SVG decodes as a 600 px image"
            page.locator("#nft").screenshot(path=str(tmp_path / "nft.png"))  # type: ignore[attr-defined]
            assert (tmp_path / "nft.png").stat().st_size > 5_000
        assert not off_host(requests), off_host(requests)


def _sign_in(page, url: str, account, *, query: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/ask?{query}")
    page.fill("#address", account.address)
    page.click("#signin ~ form button[type=submit]")
    assert account.address in page.locator(".signing-as").inner_text(), "step 2 shows the address"
    message = page.input_value("#message")
    page.fill("#signature", sign(account, message))
    page.click("#sign-form button[type=submit]")


def test_screens_confirm_each_step_in_korean_and_english_without_javascript(tmp_path: Path) -> None:
    from .conftest import ADMIN

    port = free_port()
    env = {"QA_DATABASE_URL": f"sqlite:///{tmp_path / 'qa.sqlite3'}", "QA_DOMAIN": f"127.0.0.1:{port}",
           "QA_URI": f"http://127.0.0.1:{port}", "QA_SECRET_KEY": SECRET_KEY, "QA_ADMIN_ADDRESSES": ADMIN.address,
           "QA_SITE_URL": "http://127.0.0.1:9/"}
    asker = Account.create()
    with service(env, port) as url:
        # A Korean reader comes from a Korean post: every screen is Korean, the post is kept.
        with chromium(javascript=False) as (page, requests):
            _sign_in(page, url, asker, query="post=why-i-write&rev=2&post_lang=ko-KR")  # type: ignore[arg-type]
            assert page.locator("html").get_attribute("lang") == "ko"  # type: ignore[attr-defined]
            assert "로그인했습니다" in page.locator("#done").inner_text()  # type: ignore[attr-defined]
            assert page.locator("a[href$='/admin']").count() == 0, "no admin link for a reader"  # type: ignore[attr-defined]
            assert "크레딧은" in page.locator("#credits + p").inner_text()  # type: ignore[attr-defined]
            page.fill("#text", "기계 독자는 무엇을 배우나요?")  # type: ignore[attr-defined]
            assert page.input_value("#language") == "ko-KR"  # type: ignore[attr-defined]
            page.click("form[action*='/ask/questions'] button[type=submit]")  # type: ignore[attr-defined]
            assert "질문을 보냈습니다" in page.locator("#done").inner_text()  # type: ignore[attr-defined]
            assert "why-i-write" in page.locator("article.thread .meta").first.inner_text()  # type: ignore[attr-defined]
            page.fill("#text", "두 번째 질문")  # type: ignore[attr-defined]
            page.click("form[action*='/ask/questions'] button[type=submit]")  # type: ignore[attr-defined]
            page.locator("article.thread").first.locator("button:text('철회')").click()  # type: ignore[attr-defined]
            assert "철회했습니다" in page.locator("#done").inner_text()  # type: ignore[attr-defined]
            page.screenshot(path=str(tmp_path / "ask-ko.png"), full_page=True)  # type: ignore[attr-defined]
        assert not off_host(requests), off_host(requests)
        # The author reviews in English: the post is linked, answering and rejecting are confirmed.
        with chromium(javascript=False) as (page, requests):
            _sign_in(page, url, ADMIN, query="lang=en")  # type: ignore[arg-type]
            page.click("a[href*='/admin']")  # type: ignore[attr-defined]
            assert page.locator("html").get_attribute("lang") == "en"  # type: ignore[attr-defined]
            question = page.locator("article.question").first  # type: ignore[attr-defined]
            assert question.locator("a[href='http://127.0.0.1:9/why-i-write/']").count() == 1
            question.locator("textarea[name=text]").fill("문체를 배웁니다.")
            question.locator("button:text('Answer and award credits')").click()
            assert "was answered; its asker was awarded" in page.locator("#done").inner_text()  # type: ignore[attr-defined]
        with chromium(javascript=False) as (page, requests):
            _sign_in(page, url, asker, query="lang=en")  # type: ignore[arg-type]
            answered = page.locator("article.thread", has_text="기계 독자는")  # type: ignore[attr-defined]
            assert "will be minted" in answered.inner_text() and answered.locator("a[href*='/nft/']").count() == 0
            assert answered.locator("button:text('Withdraw')").count() == 0, "no withdraw once answered"
            answered.locator("textarea[name=text]").fill("And what does it learn next?")
            answered.locator("button:text('Send follow-up')").click()
            assert "Your follow-up" in page.locator("#done").inner_text()  # type: ignore[attr-defined]
            thread = page.locator("article.thread", has_text="기계 독자는")  # type: ignore[attr-defined]
            assert thread.locator(".turn").count() == 2 and thread.locator("button:text('Withdraw')").count() == 1
        assert not off_host(requests), off_host(requests)


def test_talk_to_the_automaton_without_javascript_in_korean(tmp_path: Path) -> None:
    import datetime as dt

    from qa_service.credits import record_award
    from qa_service.db import dispose, make_engine, migrate, writing

    from .model_stub import requests_in, stub_server

    port = free_port()
    database = f"sqlite:///{tmp_path / 'qa.sqlite3'}"
    reader = Account.create()
    engine = make_engine(database)
    migrate(engine)
    with writing(engine) as db:  # credits, as an answered question would award them
        record_award(db, address=reader.address, question_id=1, amount=3, now=dt.datetime.now(dt.timezone.utc))
    dispose(engine)
    log = tmp_path / "model.jsonl"
    with stub_server(log) as model:
        env = {"QA_DATABASE_URL": database, "QA_DOMAIN": f"127.0.0.1:{port}", "QA_URI": f"http://127.0.0.1:{port}",
               "QA_SECRET_KEY": SECRET_KEY, "QA_AUTOMATON_URL": model, "QA_AUTOMATON_PRICE": "2"}
        with service(env, port) as url, chromium(javascript=False) as (page, requests):
            page.goto(f"{url}/ask?lang=ko")  # type: ignore[attr-defined]
            page.fill("#address", reader.address)  # type: ignore[attr-defined]
            page.click("form[action*='/ask'] button[type=submit] >> nth=0")  # type: ignore[attr-defined]
            message = page.input_value("#message")  # type: ignore[attr-defined]
            page.fill("#signature", sign(reader, message))  # type: ignore[attr-defined]
            page.click("form[action*='/ask/sign'] button[type=submit]")  # type: ignore[attr-defined]
            page.click("text=자동인형과 대화하기")  # type: ignore[attr-defined]
            assert "내 크레딧: 3" in page.locator("main").inner_text()  # type: ignore[attr-defined]
            page.fill("#message", "왜 글을 쓰나요?")  # type: ignore[attr-defined]
            page.click("form[action*='/automaton/conversations'] button[type=submit]")  # type: ignore[attr-defined]
            assert page.locator("input[name=chosen]").count() == 4  # type: ignore[attr-defined]
            page.check("input[name=chosen][value='1']")  # type: ignore[attr-defined]
            page.click("text=고르기")  # type: ignore[attr-defined]
            assert "선택이 저장되었습니다" in page.locator("main").inner_text()  # type: ignore[attr-defined]
            page.fill("#message", "더 말해 주세요")  # type: ignore[attr-defined]
            page.click("form[action*='/turns'] button[type=submit]")  # type: ignore[attr-defined]
            assert page.locator(".error").count() == 1 and "잔액이 1점" in page.locator(".error").inner_text()  # type: ignore[attr-defined]
        assert not off_host(requests), off_host(requests)
    assert len(requests_in(log)) == 1, "the second message could not be paid for: the model was not asked"
