"""The service speaks Korean and English: every message in the code and the templates has a
Korean translation, and a page's language is ?lang=, then the post's, then Accept-Language."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

import qa_service
from qa_service import i18n

from .conftest import Wallet
from .test_pages import signed_in_by_paste

PACKAGE = Path(qa_service.__file__).parent
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdr]")


def extracted() -> set[str]:
    """Every message Babel finds, configured as qa_service/babel.cfg says."""
    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    return {message for _file, _line, message, _comments, _context
            in extract_from_dir(str(PACKAGE), method_map=method_map, keywords=keywords)
            if isinstance(message, str)}


def test_every_message_has_a_korean_translation_with_the_same_placeholders() -> None:
    with (PACKAGE / "locale/ko/LC_MESSAGES/messages.po").open("rb") as po:
        catalog = {m.id: m.string for m in read_po(po) if m.id}
    messages = extracted()
    assert len(messages) > 100, "the templates and the code were read"
    missing = sorted(m for m in messages if not catalog.get(m))
    assert not missing, f"no Korean for {missing[:5]}: add them to qa_service/locale/ko/LC_MESSAGES/messages.po"
    for message in messages:
        assert sorted(PLACEHOLDER.findall(message)) == sorted(PLACEHOLDER.findall(catalog[message])), message
    assert not sorted(set(catalog) - messages), "no translation of a message the service no longer has"


def test_language_is_lang_then_the_posts_then_accept_language() -> None:
    assert i18n.negotiate(asked="en", post_language="ko-KR", accept_language="ko") == "en"
    assert i18n.negotiate(asked=None, post_language="ko-KR", accept_language="en-GB,en") == "ko"
    assert i18n.negotiate(asked="fr", post_language="de-DE", accept_language="fr;q=1, ko-KR;q=0.8, en;q=0.5") == "ko"
    assert i18n.negotiate(asked=None, post_language=None, accept_language="ko;q=0, en;q=0.1") == "en"
    assert i18n.negotiate(asked=None, post_language=None, accept_language="de, fr") == "en"
    assert i18n.negotiate(asked=None, post_language=None, accept_language=None) == "en"


def test_pages_speak_the_readers_language(client: TestClient) -> None:
    def lang_of(page: str) -> str:
        return re.search(r'<html lang="(\w+)"', page).group(1)

    korean = client.get("/ask", headers={"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.5"}).text
    assert lang_of(korean) == "ko" and "저자에게 묻기" in korean and "Ask the author" not in korean
    assert "이더리움 지갑으로 로그인" in korean
    from_post = client.get("/ask", params={"post": "why-i-write", "post_lang": "ko-KR"},
                           headers={"Accept-Language": "en"}).text
    assert lang_of(from_post) == "ko", "the post's language beats Accept-Language"
    chosen = client.get("/ask", params={"post": "why-i-write", "post_lang": "ko-KR", "lang": "en"},
                        headers={"Accept-Language": "ko"}).text
    assert lang_of(chosen) == "en" and "Sign in with your Ethereum wallet" in chosen
    # The switch keeps the post and names the other language.
    switch = re.search(r'<a href="([^"]+)" lang="ko"', chosen).group(1)
    assert "lang=ko" in switch and "post=why-i-write" in switch
    assert lang_of(client.get(switch.replace("&amp;", "&")).text) == "ko"


def test_refusals_on_pages_are_in_the_readers_language(client: TestClient, wallet: Wallet) -> None:
    signed_in_by_paste(client, wallet)
    refused = client.post("/ask/questions?lang=ko", data={"text": "   ", "consent_to_training": "true"})
    assert refused.status_code == 422
    assert "질문이(가) 비어 있습니다" in refused.text and '<html lang="ko"' in refused.text
    english = client.post("/ask/questions?lang=en", data={"text": "   ", "consent_to_training": "true"})
    assert "question is empty" in english.text
    api = client.post("/api/questions", json={"text": " ", "consent_to_training": True}, headers={"Accept-Language": "ko"})
    assert api.json()["detail"] == "question is empty", "the API's details stay English (clients parse them)"
