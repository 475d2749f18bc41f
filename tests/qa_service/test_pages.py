"""/ask and /admin with JavaScript off: every step is a plain form, as a browser posts it."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from urllib.parse import urlencode

from eth_account import Account
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


def test_the_post_travels_through_sign_in_into_the_question_the_list_and_the_queue(
        make_client, wallet: Wallet, admin: Wallet) -> None:  # type: ignore[no-untyped-def]
    client = make_client(site_url="https://blog.example/")
    came_from = {"post": "why-i-write/", "rev": "2", "post_lang": "ko-KR"}
    step2 = client.get("/ask", params={**came_from, "address": wallet.address})
    assert "why-i-write" in step2.text and '<html lang="ko"' in step2.text, "the post's language, from the link"
    assert f"<code>{wallet.address}</code>" in step2.text, "step 2 shows the address being signed in"
    action = unescape(re.search(r'<form method="post" action="([^"]+)" class="stack" id="sign-form"', step2.text).group(1))
    message = unescape(re.search(r'<textarea id="message"[^>]*>(.*?)</textarea>', step2.text, re.S).group(1))
    signed = client.post(action, data={"message": message, "signature": sign(wallet.account, message)}, follow_redirects=False)
    assert signed.status_code == 303
    landing = signed.headers["location"]
    assert "post=why-i-write" in landing and "rev=2" in landing and "done=signed_in" in landing
    page = client.get(landing)
    assert "로그인했습니다" in page.text, "sign-in is confirmed"
    assert '<option value="ko-KR" selected>' in page.text, "the question's language defaults to the post's"
    form = re.search(r'<form method="post" action="([^"]+/ask/questions[^"]*)"', page.text) or \
        re.search(r'<form method="post" action="(/ask/questions[^"]*)"', page.text)
    fields = dict(re.findall(r'<input type="hidden" name="(post|post_revision)" value="([^"]+)"', page.text))
    assert fields == {"post": "why-i-write", "post_revision": "2"}
    asked = client.post(unescape(form.group(1)), data={**fields, "text": "왜 기계를 위해 쓰나요?", "language": "ko-KR",
                                                       "consent_to_training": "true"}, follow_redirects=False)
    mine = client.get("/api/questions/mine").json()[0]
    assert (mine["post"], mine["post_revision"], mine["language"]) == ("why-i-write", 2, "ko-KR")
    page = client.get(asked.headers["location"])
    assert f"{mine['id']}번 질문을 보냈습니다" in page.text, "asking is confirmed, in the reader's language"
    assert 'href="https://blog.example/why-i-write/"' in page.text and "개정 2판" in page.text

    admin_client = make_client(site_url="https://blog.example/")
    signed_in_by_paste(admin_client, admin)
    queue = admin_client.get("/admin?lang=en")
    assert 'href="https://blog.example/why-i-write/">why-i-write</a> (revision 2)' in queue.text
    listed = admin_client.get("/api/admin/questions").json()[0]
    assert (listed["post"], listed["post_revision"]) == ("why-i-write", 2)


def test_a_post_given_by_its_page_path_is_kept_as_its_slug(client: TestClient, wallet: Wallet) -> None:
    wallet.sign_in(client)
    for given, slug in (("why-i-write/en-GB/", "why-i-write"), ("/softmax-temperature/", "softmax-temperature"),
                        ("나는-왜", "나는-왜")):
        made = client.post("/api/questions", json={"text": "q", "consent_to_training": True, "post": given,
                                                   "post_revision": 1})
        assert made.status_code == 201 and made.json()["post"] == slug, made.text
    for bad in ("", "a b", "x?y=1", "<b>"):
        refused = client.post("/api/questions", json={"text": "q", "consent_to_training": True, "post": bad})
        assert refused.status_code == 422, bad
    assert client.post("/api/questions", json={"text": "q", "consent_to_training": True,
                                                "post_revision": 2}).status_code == 422, "a revision of no post"


def test_every_action_is_confirmed_and_only_what_can_be_done_is_offered(client: TestClient, wallet: Wallet,
                                                                        admin: Wallet) -> None:
    signed_in_by_paste(client, wallet)
    page = client.get("/ask?lang=en")
    assert "/admin" not in page.text, "no admin link for a reader"
    assert "Credits are what you spend" in page.text, "credits are explained beside the balance"
    for text in ("first", "second", "third"):
        client.post("/ask/questions?lang=en", data={"text": text, "consent_to_training": "true"})
    first, second, third = sorted(q["id"] for q in client.get("/api/questions/mine").json())
    withdrawn = client.post(f"/ask/questions/{third}/withdraw?lang=en", follow_redirects=False)
    assert f"Question #{third} was withdrawn" in client.get(withdrawn.headers["location"]).text

    admin_client = TestClient(client.app, base_url=ORIGIN, headers={"Origin": ORIGIN})
    signed_in_by_paste(admin_client, admin)
    assert 'href="/admin' in admin_client.get("/ask").text, "the admin sees the review link"
    answered = admin_client.post(f"/admin/questions/{first}/answer?lang=en", data={"text": "An answer."},
                                 follow_redirects=False)
    confirmed = admin_client.get(answered.headers["location"]).text
    assert f"Question #{first} was answered; its asker was awarded" in confirmed
    empty = admin_client.post(f"/admin/questions/{second}/reject?lang=en", data={"reason": "  "})
    assert empty.status_code == 422 and "give a reason for rejecting" in empty.text
    assert client.get("/api/questions/mine").json()[1]["status"] == "pending", "nothing changed"
    rejected = admin_client.post(f"/admin/questions/{second}/reject?lang=ko", data={"reason": "Off topic <here>"},
                                 follow_redirects=False)
    confirmed = admin_client.get(rejected.headers["location"]).text
    assert f"{second}번 질문을 거절했습니다" in confirmed and "Off topic &lt;here&gt;" in confirmed

    page = client.get("/ask?lang=en").text
    withdraw_forms = re.findall(r'action="/ask/questions/(\d+)/withdraw', page)
    assert withdraw_forms == [], "withdraw is offered only while a question waits"
    assert "His reason: Off topic &lt;here&gt;" in page, "the asker reads the reason"
    client.post("/ask/questions?lang=en", data={"text": "fourth", "consent_to_training": "true"})
    page = client.get("/ask?lang=en").text
    assert len(re.findall(r'action="/ask/questions/(\d+)/withdraw', page)) == 1
    assert client.post("/api/admin/questions/1/reject", json={"reason": ""}).status_code in (401, 403, 422)


def test_a_wrong_signature_says_what_to_check_in_both_languages(client: TestClient, wallet: Wallet) -> None:
    for lang, words in (("en", "Check that:"), ("ko", "다음을 확인하세요")):
        page = client.get("/ask", params={"address": wallet.address, "lang": lang})
        message = unescape(re.search(r'<textarea id="message"[^>]*>(.*?)</textarea>', page.text, re.S).group(1))
        other = Wallet(Account.create())
        refused = client.post(f"/ask/sign?lang={lang}", data={"message": message, "signature": sign(other.account, message)})
        assert refused.status_code == 401
        assert words in refused.text and f"<code>{wallet.address}</code>" in refused.text
        assert message in unescape(refused.text), "the same message is shown again to sign"
        assert "qa_session" not in refused.headers.get("set-cookie", "")


def test_a_follow_up_from_the_page_and_the_conversation_in_the_queue(client: TestClient, wallet: Wallet,
                                                                    admin: Wallet) -> None:
    signed_in_by_paste(client, wallet)
    client.post("/ask/questions?lang=en", data={"text": "First question", "consent_to_training": "true"})
    first = client.get("/api/questions/mine").json()[0]["id"]
    assert "/follow-up" not in client.get("/ask?lang=en").text, "nothing to reply to before an answer"
    admin_client = TestClient(client.app, base_url=ORIGIN, headers={"Origin": ORIGIN})
    signed_in_by_paste(admin_client, admin)
    admin_client.post(f"/admin/questions/{first}/answer", data={"text": "First answer"})
    page = client.get("/ask?lang=en").text
    action = unescape(re.search(r'action="([^"]*/follow-up[^"]*)"', page).group(1))
    assert action.startswith(f"/ask/questions/{first}/follow-up")
    sent = client.post(action, data={"text": "A follow-up <b>?</b>"}, follow_redirects=False)
    follow = client.get("/api/questions/mine").json()[0]
    assert (follow["reply_to"], follow["thread_id"]) == (first, first)
    page = client.get(sent.headers["location"]).text
    assert f"Your follow-up #{follow['id']} was sent" in page
    assert "/follow-up" not in page, "no second reply while the follow-up waits"
    assert page.index("First question") < page.index("First answer") < page.index("A follow-up &lt;b&gt;?&lt;/b&gt;")
    queue = admin_client.get("/admin?lang=ko").text
    assert "지금까지의 대화" in queue and queue.index("First question") < queue.index("First answer") < \
        queue.index("A follow-up &lt;b&gt;")
    assert f"{first}번에 이어진 후속 질문" in queue
