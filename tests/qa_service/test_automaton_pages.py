"""/automaton and /admin/automaton with JavaScript off, in English and Korean: every step a
plain form as a browser posts it, against the real stub model server."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from .conftest import Wallet
from .model_stub import Behaviour, requests_in, stub_server
from .test_automaton import fund
from .test_pages import signed_in_by_paste


def form_key(page: str) -> str:
    found = re.search(r'<input type="hidden" name="key" value="([^"]+)">', page)
    assert found, page
    return found.group(1)


def test_a_conversation_from_the_pages_in_english(make_client, wallet: Wallet, admin: Wallet, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    log = tmp_path / "requests.jsonl"
    with stub_server(log) as url:
        client: TestClient = make_client(automaton_url=url, automaton_price=2, automaton_daily_limit=5)
        assert "/automaton" in client.get("/ask?lang=en").text, "set, the automaton is linked"
        assert "Sign in" in client.get("/automaton?lang=en").text
        signed_in_by_paste(client, wallet)
        fund(client, wallet, 5)
        start = client.get("/automaton?lang=en")
        assert start.status_code == 200
        assert "Your credits: 5. Each reply costs 2 credits." in start.text and "Replies left today: 5 of 5" in start.text
        key = form_key(start.text)
        form = {"message": "<script>alert(1)</script> why write?", "key": key, "consent_to_training": "true"}
        sent = client.post("/automaton/conversations?lang=en", data=form, follow_redirects=False)
        assert sent.status_code == 303, sent.text
        again = client.post("/automaton/conversations?lang=en", data=form, follow_redirects=False)
        assert again.headers["location"].split("?")[0] == sent.headers["location"].split("?")[0], "a resent form pays once"
        page = client.get(sent.headers["location"])
        assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text
        assert "The automaton replied; it cost 2 credits." in page.text and "Your credits: 3." in page.text
        radios = re.findall(r'<input type="radio" name="chosen" value="(\w+)"', page.text)
        assert radios == ["0", "1", "2", "none"] and len(requests_in(log)) == 1
        assert "Your next message" not in page.text, "the choice comes first"
        choice = re.search(r'action="([^"]*/choice[^"]*)"', page.text).group(1)
        chosen = client.post(unescape(choice), data={"chosen": "2"}, follow_redirects=False)
        assert chosen.status_code == 303
        page = client.get(chosen.headers["location"])
        assert "Your choice was saved." in page.text and "The reply you picked" in page.text
        go_on = re.search(r'action="([^"]*/turns[^"]*)"', page.text).group(1)
        client.post(unescape(go_on), data={"message": "Tell me more", "key": form_key(page.text)})
        messages = requests_in(log)[-1]["body"]["messages"]
        assert messages[-2]["role"] == "assistant" and messages[-2]["content"] == requests_in(log)[0]["body"]["model"] + \
            " says 0.2: <script>alert(1)</script> why write?"

        # Out of credits: the page says how to earn them, and nothing was charged.
        short = client.post(unescape(go_on), data={"message": "More", "key": "another"})
        assert short.status_code == 409, "the last reply's choice comes first"
        turn = re.findall(r'action="([^"]*/choice[^"]*)"', client.get(chosen.headers["location"]).text)
        client.post(unescape(turn[0]), data={"chosen": "none"})
        short = client.post(unescape(go_on), data={"message": "More", "key": "another"})
        assert short.status_code == 402 and "the Ask page" in short.text and "Nothing was charged" in short.text

        # The author's list and his correction.
        client.post("/ask/logout")
        signed_in_by_paste(client, admin)
        listed = client.get("/admin/automaton?lang=en")
        assert listed.status_code == 200 and wallet.address in listed.text and "(picked)" in listed.text
        assert "&lt;script&gt;" in listed.text and "<script>alert" not in listed.text
        correction = re.search(r'action="([^"]*/correction[^"]*)"', listed.text).group(1)
        saved = client.post(unescape(correction), data={"reply": "I write to think."}, follow_redirects=False)
        assert saved.status_code == 303
        assert "I write to think." in client.get(saved.headers["location"]).text


@pytest.mark.parametrize("behaviour", [Behaviour(status=503)], ids=["down"])
def test_the_pages_speak_korean_and_say_nothing_was_charged(make_client, wallet: Wallet, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                             behaviour: Behaviour) -> None:
    with stub_server(tmp_path / "requests.jsonl", behaviour) as url:
        client: TestClient = make_client(automaton_url=url, automaton_price=3)
        signed_in_by_paste(client, wallet)
        start = client.get("/automaton?lang=ko")
        assert '<html lang="ko"' in start.text and "자동인형과 대화하기" in start.text
        assert 'href="/automaton?lang=en" lang="en"' in start.text, "the language switch stays on this page"
        poor = client.post("/automaton/conversations?lang=ko", data={"message": "안녕하세요", "key": form_key(start.text)})
        assert poor.status_code == 402 and "크레딧" in poor.text and "/ask" in poor.text
        fund(client, wallet, 3)
        down = client.post("/automaton/conversations?lang=ko", data={"message": "안녕하세요", "key": form_key(start.text)})
        assert down.status_code == 502 and "청구되지 않았습니다" in down.text
        assert "Your credits" not in client.get("/automaton?lang=ko").text
        assert "크레딧: 3" in client.get("/automaton?lang=ko").text
