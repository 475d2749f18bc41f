"""/ask and /admin with JavaScript off: every step is a plain form, as a browser posts it."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from urllib.parse import urlencode

from fastapi.testclient import TestClient
from sqlalchemy import insert

from qa_service.models import MINTS

from .conftest import ORIGIN, Wallet, sign


def signed_in_by_paste(client: TestClient, wallet: Wallet) -> None:
    step1 = client.get("/ask")
    assert step1.status_code == 200
    assert "127.0.0.1:8001" in step1.text and "chain <strong>1</strong>" in step1.text
    step2 = client.get("/ask", params={"address": wallet.address.lower()})
    match = re.search(r'<textarea id="message"[^>]*>(.*?)</textarea>', step2.text, re.S)
    assert match, step2.text
    message = unescape(match.group(1))
    assert message.startswith("127.0.0.1:8001 wants you to sign in") and wallet.address in message
    # What a browser posts from a textarea: CRLF line ends.
    posted = client.post("/ask/sign", data={"message": message.replace("\n", "\r\n"), "signature": sign(wallet.account, message)},
                         follow_redirects=False)
    assert posted.status_code == 303, posted.text
    assert "HttpOnly" in posted.headers["set-cookie"]


def test_no_js_sign_in_ask_answer_and_credits(client: TestClient, wallet: Wallet, admin: Wallet) -> None:
    signed_in_by_paste(client, wallet)
    page = client.get("/ask")
    assert f"Signed in as <code>{wallet.address}</code>" in page.text
    xss = "<script>alert(1)</script> 왜 기계를 위해 쓰나요?"
    asked = client.post("/ask/questions", data={"text": xss, "language": "ko-KR", "consent_to_training": "true"},
                        follow_redirects=False)
    assert asked.status_code == 303
    page = client.get("/ask")
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    question_id = int(re.search(r'id="q(\d+)"', page.text).group(1))

    admin_client = TestClient(client.app, base_url=ORIGIN, headers={"Origin": ORIGIN})
    signed_in_by_paste(admin_client, admin)
    review = admin_client.get("/admin")
    assert "&lt;script&gt;" in review.text and "<script>alert" not in review.text
    answered = admin_client.post(f"/admin/questions/{question_id}/answer",
                                 content=urlencode([("text", "<b>Because</b> it learns."), ("alternative", "Second best"), ("alternative", "Third")]),
                                 headers={"Content-Type": "application/x-www-form-urlencoded"},
                                 follow_redirects=False)
    assert answered.status_code == 303
    page = client.get("/ask")
    assert "&lt;b&gt;Because&lt;/b&gt; it learns." in page.text
    balance = int(re.search(r"Credits: (\d+)", page.text).group(1))
    assert balance > 0
    assert "will be minted" in page.text and "/nft/" not in page.text, "no NFT link before the token is on chain"
    record_mint(client, question_id, owner=wallet.address)
    page = client.get("/ask")
    image = re.search(r'href="(/nft/\d+\.svg)"', page.text)
    assert image and client.get(image.group(1)).headers["content-type"].startswith("image/svg+xml"), "the minted NFT is linked"
    assert "will be minted" not in page.text
    mine = client.get("/api/questions/mine").json()[0]
    assert [a["text"] for a in mine["alternatives"]] == ["Second best", "Third"]


def record_mint(client: TestClient, token_id: int, *, owner: str) -> None:
    """What `qa-service mint` records once a token's transaction is in a block."""
    with client.app.state.engine.begin() as db:
        db.execute(insert(MINTS).values(token_id=token_id, chain_id=1, contract="0x" + "ab" * 20, owner=owner,
                                        tx_hash="0x" + "cd" * 32, minted_at=dt.datetime.now(dt.timezone.utc)))


def test_cross_site_form_posts_are_refused(client: TestClient, wallet: Wallet) -> None:
    signed_in_by_paste(client, wallet)
    evil = client.post("/ask/questions", data={"text": "forged", "consent_to_training": "true"},
                       headers={"Origin": "https://evil.example"}, follow_redirects=False)
    assert evil.status_code == 403 and "cross-site" in evil.text
    no_origin = TestClient(client.app, base_url=ORIGIN)
    no_origin.cookies.update(client.cookies)
    assert no_origin.post("/ask/questions", data={"text": "forged", "consent_to_training": "true"}).status_code == 403
    assert client.get("/api/questions/mine").json() == []


def test_bad_pasted_signature_shows_the_reason(client: TestClient, wallet: Wallet) -> None:
    page = client.get("/ask", params={"address": wallet.address})
    message = unescape(re.search(r'<textarea id="message"[^>]*>(.*?)</textarea>', page.text, re.S).group(1))
    refused = client.post("/ask/sign", data={"message": message, "signature": "0x" + "ab" * 65})
    assert refused.status_code == 401 and "sign-in refused" in refused.text
    assert client.get("/ask", params={"address": "0x123"}).text.count("not an Ethereum address") == 1


def test_pages_send_security_headers_and_no_third_party(client: TestClient) -> None:
    page = client.get("/ask")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"
    assert not re.search(r'(src|href)="(https?:)?//', page.text)


def test_non_admin_cannot_answer_from_the_form(client: TestClient, wallet: Wallet) -> None:
    signed_in_by_paste(client, wallet)
    assert client.get("/admin").status_code == 403
    assert client.post("/admin/questions/1/answer", data={"text": "x"}).status_code == 403


def test_form_input_the_database_cannot_hold_is_refused_with_the_reason(client: TestClient, wallet: Wallet, admin: Wallet) -> None:
    signed_in_by_paste(client, wallet)
    for data, reason in (({"text": "a\x00b", "consent_to_training": "true"}, "NUL character"),
                         ({"text": "fine", "post": "x\x00", "consent_to_training": "true"}, "NUL character"),
                         ({"text": "fine", "language": "<b>en</b>", "consent_to_training": "true"}, "not a language tag")):
        refused = client.post("/ask/questions", data=data)
        assert refused.status_code == 422 and reason in refused.text, refused.text
    assert client.get("/api/questions/mine").json() == []
    client.post("/ask/questions", data={"text": "A fair question", "consent_to_training": "true"})
    question_id = client.get("/api/questions/mine").json()[0]["id"]
    admin_client = TestClient(client.app, base_url=ORIGIN, headers={"Origin": ORIGIN})
    signed_in_by_paste(admin_client, admin)
    for path, data in ((f"/admin/questions/{question_id}/answer", {"text": "\x00"}),
                       (f"/admin/questions/{question_id}/reject", {"reason": "\x00"})):
        refused = admin_client.post(path, data=data)
        assert refused.status_code == 422 and "NUL character" in refused.text, refused.text
    assert client.get("/api/questions/mine").json()[0]["status"] == "pending"
