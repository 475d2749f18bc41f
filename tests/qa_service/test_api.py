"""The HTTP API of SPEC section 3, end to end through the app, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading

import pytest
from eth_account import Account
from fastapi.testclient import TestClient

from qa_service.credits import award_amount

from .conftest import ORIGIN, Wallet, sign


def ask(client: TestClient, token: str, text: str = "How do you pick a temperature?", **extra) -> dict:  # type: ignore[no-untyped-def]
    body = {"text": text, "consent_to_training": True, **extra}
    response = client.post("/api/questions", json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.text
    return response.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- sign-in -------------------------------------------------------------------------------

def test_sign_in_sets_a_strict_httponly_cookie_and_token(client: TestClient, wallet: Wallet) -> None:
    text = wallet.message(client)
    response = client.post("/api/auth/verify", json={"message": text, "signature": sign(wallet.account, text)})
    assert response.status_code == 200
    assert response.json()["address"] == wallet.address
    cookie = response.headers["set-cookie"]
    assert "qa_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie  # 127.0.0.1 is plain HTTP; any other host gets Secure
    assert client.get("/api/questions/mine").status_code == 200  # the cookie works
    client.cookies.clear()
    assert client.get("/api/questions/mine").status_code == 401
    assert client.get("/api/questions/mine", headers=bearer(response.json()["token"])).status_code == 200


def test_replayed_message_is_refused(client: TestClient, wallet: Wallet) -> None:
    text = wallet.message(client)
    body = {"message": text, "signature": sign(wallet.account, text)}
    assert client.post("/api/auth/verify", json=body).status_code == 200
    again = client.post("/api/auth/verify", json=body)
    assert again.status_code == 401 and "nonce" in again.json()["detail"]


def test_message_bound_elsewhere_is_refused(client: TestClient, wallet: Wallet) -> None:
    for changes, reason in (({"domain": "evil.example"}, "domain"), ({"chain_id": 5}, "chain"),
                            ({"uri": "https://evil.example"}, "uri"), ({"nonce": "neverissued1"}, "nonce")):
        text = wallet.message(client, **changes)
        response = client.post("/api/auth/verify", json={"message": text, "signature": sign(wallet.account, text)})
        assert response.status_code == 401, changes
        assert reason in response.json()["detail"]


def test_bad_signatures_and_garbage_are_401_not_500(client: TestClient, wallet: Wallet) -> None:
    text = wallet.message(client)
    other = Wallet(Account.create())
    cases = [
        {"message": text, "signature": sign(other.account, text)},
        {"message": text, "signature": "0x" + "00" * 65},
        {"message": text, "signature": "nonsense"},
        {"message": "hello", "signature": sign(wallet.account, "hello")},
    ]
    for body in cases:
        response = client.post("/api/auth/verify", json=body)
        assert response.status_code == 401, body
        assert response.json()["detail"].startswith("sign-in refused")


def test_logout_ends_the_session_server_side(client: TestClient, wallet: Wallet) -> None:
    token = wallet.sign_in(client)
    assert client.post("/api/auth/logout", headers=bearer(token)).status_code == 204
    client.cookies.clear()
    assert client.get("/api/questions/mine", headers=bearer(token)).status_code == 401


def test_unauthenticated_calls_are_401(client: TestClient) -> None:
    client.cookies.clear()
    assert client.get("/api/questions/mine").status_code == 401
    assert client.post("/api/questions", json={"text": "x", "consent_to_training": True}).status_code == 401
    assert client.get("/api/credits", headers=bearer("forged")).status_code == 401


# --- questions -----------------------------------------------------------------------------

def test_ask_list_withdraw(client: TestClient, wallet: Wallet) -> None:
    token = wallet.sign_in(client)
    created = ask(client, token, language="ko-KR", public=True)
    assert created["status"] == "pending" and created["language"] == "ko-KR" and created["public"] is True
    mine = client.get("/api/questions/mine", headers=bearer(token)).json()
    assert [q["id"] for q in mine] == [created["id"]]
    withdrawn = client.post(f"/api/questions/{created['id']}/withdraw", headers=bearer(token))
    assert withdrawn.json()["status"] == "withdrawn"


def test_bad_question_input_is_4xx_and_stores_nothing(client: TestClient, wallet: Wallet) -> None:
    token = wallet.sign_in(client)
    too_long = "가" * (client.app.state.settings.max_question_chars + 1)
    assert client.post("/api/questions", json={"text": too_long, "consent_to_training": True}, headers=bearer(token)).status_code == 413
    assert client.post("/api/questions", json={"text": "hi", "consent_to_training": "yes"}, headers=bearer(token)).status_code == 422
    assert client.post("/api/questions", json={"text": "   ", "consent_to_training": True}, headers=bearer(token)).status_code == 422
    assert client.post("/api/questions", json={"consent_to_training": True}, headers=bearer(token)).status_code == 422
    broken = client.post("/api/questions", content=b'{"text": "x",', headers={**bearer(token), "Content-Type": "application/json"})
    assert broken.status_code == 422 and "detail" in broken.json()
    assert client.get("/api/questions/mine", headers=bearer(token)).json() == []


def test_unknown_or_foreign_question_is_404(client: TestClient, wallet: Wallet) -> None:
    owner = wallet.sign_in(client)
    question = ask(client, owner)
    stranger = Wallet(Account.create()).sign_in(client)
    assert client.post(f"/api/questions/{question['id']}/withdraw", headers=bearer(stranger)).status_code == 404
    assert client.post("/api/questions/999999/withdraw", headers=bearer(owner)).status_code == 404
    assert client.post("/api/questions/abc/withdraw", headers=bearer(owner)).status_code == 422


def test_body_size_cap(client: TestClient, wallet: Wallet) -> None:
    token = wallet.sign_in(client)
    huge = {"text": "x" * (client.app.state.settings.max_body_bytes + 10), "consent_to_training": True}
    response = client.post("/api/questions", json=huge, headers=bearer(token))
    assert response.status_code == 413 and "detail" in response.json()


# --- admin, answers, credits -----------------------------------------------------------------

def test_answer_pays_once_with_alternatives(client: TestClient, wallet: Wallet, admin: Wallet) -> None:
    asker = wallet.sign_in(client)
    question = ask(client, asker, text="What does temperature do?")
    reviewer = admin.sign_in(client)
    pending = client.get("/api/admin/questions?status=pending", headers=bearer(reviewer)).json()
    assert [q["id"] for q in pending] == [question["id"]] and pending[0]["asker"] == wallet.address
    answer = "It divides the logits before the softmax."
    body = {"text": answer, "alternatives": [{"text": "It makes output random."}, {"text": "Magic."}]}
    response = client.post(f"/api/admin/questions/{question['id']}/answer", json=body, headers=bearer(reviewer))
    assert response.status_code == 200, response.text
    result = response.json()
    expected = award_amount(len("What does temperature do?"), len(answer), settings=client.app.state.settings)
    assert result["credits_awarded"] == expected > 0
    assert result["token_id"] == question["id"] and result["question"]["status"] == "answered"
    assert [a["text"] for a in result["question"]["alternatives"]] == ["It makes output random.", "Magic."]
    again = client.post(f"/api/admin/questions/{question['id']}/answer", json=body, headers=bearer(reviewer))
    assert again.status_code == 409
    credits = client.get("/api/credits", headers=bearer(asker)).json()
    assert credits["balance"] == expected and len(credits["entries"]) == 1
    mine = client.get("/api/questions/mine", headers=bearer(asker)).json()[0]
    assert mine["answer"] == answer and mine["token_id"] == question["id"]


def test_non_admin_is_403_and_reject_works(client: TestClient, wallet: Wallet, admin: Wallet) -> None:
    asker = wallet.sign_in(client)
    question = ask(client, asker)
    assert client.get("/api/admin/questions", headers=bearer(asker)).status_code == 403
    reviewer = admin.sign_in(client)
    rejected = client.post(f"/api/admin/questions/{question['id']}/reject", json={"reason": "off topic"}, headers=bearer(reviewer))
    assert rejected.json()["status"] == "rejected" and rejected.json()["reject_reason"] == "off topic"
    assert client.post(f"/api/admin/questions/{question['id']}/answer", json={"text": "late"}, headers=bearer(reviewer)).status_code == 409
    assert client.get("/api/credits", headers=bearer(asker)).json()["balance"] == 0


def test_spend_is_idempotent_and_never_overdraws(client: TestClient, wallet: Wallet, admin: Wallet) -> None:
    asker = wallet.sign_in(client)
    question = ask(client, asker)
    reviewer = admin.sign_in(client)
    earned = client.post(f"/api/admin/questions/{question['id']}/answer", json={"text": "An answer."}, headers=bearer(reviewer)).json()["credits_awarded"]
    spend = {"amount": 3, "idempotency_key": "llm-call-1", "reason": "chat"}
    first = client.post("/api/credits/spend", json=spend, headers=bearer(asker))
    assert first.json()["balance"] == earned - 3
    assert client.post("/api/credits/spend", json=spend, headers=bearer(asker)).json()["balance"] == earned - 3
    too_much = client.post("/api/credits/spend", json={"amount": earned, "idempotency_key": "k2", "reason": ""}, headers=bearer(asker))
    assert too_much.status_code == 409 and "not enough" in too_much.json()["detail"]
    assert client.post("/api/credits/spend", json={"amount": -5, "idempotency_key": "k3"}, headers=bearer(asker)).status_code == 422
    assert client.get("/api/credits", headers=bearer(asker)).json()["balance"] == earned - 3


def test_spends_past_the_balance_answer_409_through_the_api(client: TestClient, wallet: Wallet, admin: Wallet) -> None:
    """The HTTP shape of a refused spend (409, balance unchanged). The test client runs these one
    after another, so this does not guard the row lock: test_credits.py's
    test_spends_at_once_from_many_processes_never_overdraw does."""
    asker = wallet.sign_in(client)
    question = ask(client, asker)
    reviewer = admin.sign_in(client)
    earned = client.post(f"/api/admin/questions/{question['id']}/answer", json={"text": "An answer."}, headers=bearer(reviewer)).json()["credits_awarded"]
    statuses: list[int] = []

    def spend(i: int) -> None:
        response = client.post("/api/credits/spend", json={"amount": earned // 2 + 1, "idempotency_key": f"c{i}", "reason": ""}, headers=bearer(asker))
        statuses.append(response.status_code)

    threads = [threading.Thread(target=spend, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [409] * 5
    assert client.get("/api/credits", headers=bearer(asker)).json()["balance"] == earned - (earned // 2 + 1)


def test_delete_account_removes_everything(client: TestClient, wallet: Wallet) -> None:
    token = wallet.sign_in(client)
    ask(client, token)
    response = client.request("DELETE", "/api/account", headers=bearer(token))
    assert response.status_code == 200 and response.json()["questions_deleted"] == 1
    assert client.get("/api/questions/mine", headers=bearer(token)).status_code == 401


# --- cross-site and rate limits --------------------------------------------------------------

def test_cookie_writes_from_another_origin_are_refused(client: TestClient, wallet: Wallet) -> None:
    wallet.sign_in(client)  # the cookie is now in the client
    body = {"text": "cross-site", "consent_to_training": True}
    refused = client.post("/api/questions", json=body, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403
    assert client.post("/api/questions", json=body, headers={"Origin": ORIGIN}).status_code == 201
    assert [q["text"] for q in client.get("/api/questions/mine").json()] == ["cross-site"]


def test_a_signed_message_posted_as_a_form_or_text_signs_no_one_in(client: TestClient, wallet: Wallet) -> None:
    """What a cross-site form or a no-CORS fetch can send (login CSRF) is not read as JSON."""
    text = wallet.message(client)
    body = json.dumps({"message": text, "signature": sign(wallet.account, text)})
    for media_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        refused = client.post("/api/auth/verify", content=body, headers={"Content-Type": media_type})
        assert refused.status_code == 415 and "application/json" in refused.json()["detail"], media_type
        assert "set-cookie" not in refused.headers
    signed = client.post("/api/auth/verify", content=body, headers={"Content-Type": "application/json; charset=utf-8"})
    assert signed.status_code == 200, "the nonce was never burnt by the refused posts"


def test_nonce_rate_limit_is_429_with_retry_after(make_client) -> None:  # type: ignore[no-untyped-def]
    client = make_client(rate_nonce_per_minute=3)
    codes = [client.get("/api/auth/nonce").status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    limited = client.get("/api/auth/nonce")
    assert int(limited.headers["retry-after"]) >= 1 and "detail" in limited.json()


def test_writes_per_address_are_rate_limited_and_store_nothing(make_client, wallet: Wallet) -> None:  # type: ignore[no-untyped-def]
    client = make_client(rate_address_per_minute=2)
    token = wallet.sign_in(client)
    ask(client, token, text="first")
    ask(client, token, text="second")
    limited = client.post("/api/questions", json={"text": "third", "consent_to_training": True}, headers=bearer(token))
    assert limited.status_code == 429 and wallet.address in limited.json()["detail"]
    assert int(limited.headers["retry-after"]) >= 1
    assert [q["text"] for q in client.get("/api/questions/mine", headers=bearer(token)).json()] == ["second", "first"]
    other = Wallet(Account.create())
    ask(client, other.sign_in(client), text="another asker is not held back")


def test_calls_per_ip_are_rate_limited(make_client) -> None:  # type: ignore[no-untyped-def]
    client = make_client(rate_ip_per_minute=4)
    codes = [client.get("/openapi.json").status_code for _ in range(6)]
    assert codes == [200] * 4 + [429] * 2


def test_session_cookie_is_secure_outside_localhost(make_client, wallet: Wallet) -> None:  # type: ignore[no-untyped-def]
    client = make_client(domain="qa.example.org", uri="https://qa.example.org")
    text = wallet.message(client)
    response = client.post("/api/auth/verify", json={"message": text, "signature": sign(wallet.account, text)})
    assert response.status_code == 200, response.text
    cookie = response.headers["set-cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie


def test_openapi_document_lists_the_api(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/auth/nonce", "/api/auth/verify", "/api/questions", "/api/credits/spend",
                 "/api/admin/questions/{question_id}/answer"):
        assert path in paths
    # The hot routes read their bodies themselves: the document must still say what they take.
    for path, fields in (("/api/auth/verify", {"message", "signature"}), ("/api/questions", {"text", "consent_to_training"})):
        operation = paths[path]["post"]
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        assert fields <= set(schema["properties"]) and fields <= set(schema["required"])
        assert "422" in operation["responses"]


def test_a_body_without_content_type_is_415_and_burns_no_nonce(client: TestClient, wallet: Wallet) -> None:
    """A no-CORS fetch with a string body and no type was read as JSON and signed a reader in."""
    text = wallet.message(client)
    body = json.dumps({"message": text, "signature": sign(wallet.account, text)}).encode()
    request = client.build_request("POST", "/api/auth/verify", content=body)
    assert "content-type" not in request.headers  # as a browser sends a Blob without a type
    refused = client.send(request)
    assert refused.status_code == 415 and "application/json" in refused.json()["detail"]
    assert "set-cookie" not in refused.headers
    token = wallet.sign_in(client)
    spend = client.build_request("POST", "/api/credits/spend", headers=bearer(token),
                                 content=json.dumps({"amount": 1, "idempotency_key": "k", "reason": "r"}).encode())
    assert "content-type" not in spend.headers
    assert client.send(spend).status_code == 415, "every JSON route, not only the hand-read ones"
    assert client.post("/api/auth/verify", content=body, headers={"Content-Type": "application/json"}).status_code == 200


def test_the_ask_page_issues_nonces_under_the_same_limit(make_client) -> None:  # type: ignore[no-untyped-def]
    """GET /ask?address= wrote a nonce row per request with no limit: a cross-site <img> could fill the table."""
    from sqlalchemy import func, select

    from qa_service.models import SIGN_INS

    client = make_client(rate_nonce_per_minute=3)
    address = Account.create().address
    codes = [client.get(f"/ask?address={address}").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    limited = client.get(f"/ask?address={address}")
    assert limited.headers["content-type"].startswith("text/html") and int(limited.headers["retry-after"]) >= 1
    assert client.get("/api/auth/nonce").status_code == 429, "one limit for both ways of asking"
    with client.app.state.engine.connect() as db:
        assert db.execute(select(func.count()).select_from(SIGN_INS)).scalar_one() == 3


def test_the_origin_check_trusts_qa_uri_not_the_host_header(client: TestClient, wallet: Wallet) -> None:
    wallet.sign_in(client)
    body = {"text": "cross-site", "consent_to_training": True}
    refused = client.post("/api/questions", json=body, headers={"Origin": "http://evil.example", "Host": "evil.example"})
    assert refused.status_code == 403 and ORIGIN in refused.json()["detail"]
    logout = client.post("/api/auth/logout", headers={"Origin": "http://evil.example", "Host": "evil.example"})
    assert logout.status_code == 403
    assert client.get("/api/questions/mine").json() == []


@pytest.mark.parametrize("changes,reason", [
    ({"scheme": "evil"}, "scheme"),
    ({"statement": "Sign in to transfer everything you own."}, "statement"),
    ({"statement": None}, "statement"),
    ({"issued_at": "2020-01-01T00:00:00Z"}, "older than a nonce lives"),
    ({"expiration_time": "2999-01-01T00:00:00Z"}, "later than a session may last"),
])
def test_a_message_the_service_did_not_issue_signs_no_one_in(client: TestClient, wallet: Wallet, changes: dict,  # type: ignore[type-arg]
                                                             reason: str) -> None:
    text = wallet.message(client, **changes)
    refused = client.post("/api/auth/verify", json={"message": text, "signature": sign(wallet.account, text)})
    assert refused.status_code == 401 and reason in refused.json()["detail"], refused.text
