"""Answer NFTs' metadata and images as a wallet or marketplace fetches them: EIP-721's JSON
with the image beside it, the asker's words only when he made them public, every text
escaped, nothing for a question that is not (or no longer) answered."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from eth_account import Account
from fastapi.testclient import TestClient

from qa_service.nft import DELETED, PRIVATE, wrap

from .conftest import ORIGIN, Wallet

SVG = "{http://www.w3.org/2000/svg}"


def asked_and_answered(client: TestClient, asker: Wallet, admin: Wallet, text: str, answer: str, *, public: bool) -> int:
    token = asker.sign_in(client)
    question = client.post("/api/questions", json={"text": text, "consent_to_training": True, "public": public,
                                                   "language": "ko-KR"}, headers={"Authorization": f"Bearer {token}"}).json()
    reviewer = admin.sign_in(client)
    result = client.post(f"/api/admin/questions/{question['id']}/answer", json={"text": answer, "alternatives": [{"text": "b"}]},
                         headers={"Authorization": f"Bearer {reviewer}"}).json()
    return int(result["token_id"])


def test_public_answer_metadata_and_image(client: TestClient, wallet: Wallet, admin: Wallet) -> None:
    question = '<script>alert("x")</script> 왜 기계를 위해 글을 쓰나요? & why'
    token_id = asked_and_answered(client, wallet, admin, question, "Because <b>it</b> learns.", public=True)
    response = client.get(f"/nft/{token_id}.json")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert response.headers["access-control-allow-origin"] == "*" and "max-age" in response.headers["cache-control"]
    data = response.json()
    assert data["name"] == f"Automata answers #{token_id}"
    assert data["image"] == f"{ORIGIN}/nft/{token_id}.svg"
    assert data["description"] == f"Q: {question}\n\nA: Because <b>it</b> learns."
    traits = {a["trait_type"]: a for a in data["attributes"]}
    assert traits["Language"]["value"] == "ko-KR" and traits["Public"]["value"] == "yes"
    assert traits["Alternatives"]["value"] == 1 and traits["Answered"]["display_type"] == "date"
    assert traits["Answered"]["value"] > 1_700_000_000

    image = client.get(f"/nft/{token_id}.svg")
    assert image.status_code == 200 and image.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(image.text)  # well-formed: the question's markup stayed text
    assert root.tag == f"{SVG}svg" and root.find(f".//{SVG}script") is None
    shown = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert '<script>alert("x")</script>' in shown and f"#{token_id}" in shown
    assert "http" not in image.text.replace("http://www.w3.org/2000/svg", ""), "nothing loaded from anywhere"


def test_private_answer_shows_neither_question_nor_answer(client: TestClient, wallet: Wallet, admin: Wallet) -> None:
    token_id = asked_and_answered(client, wallet, admin, "My private worry", "A private reply", public=False)
    data = client.get(f"/nft/{token_id}.json").json()
    assert data["description"] == PRIVATE
    image = client.get(f"/nft/{token_id}.svg").text
    for secret in ("My private worry", "A private reply"):
        assert secret not in json.dumps(data) and secret not in image


def test_only_answered_questions_have_tokens(client: TestClient, wallet: Wallet, admin: Wallet) -> None:
    token_id = asked_and_answered(client, wallet, admin, "Soon withdrawn", "Answered", public=True)
    asker = wallet.sign_in(client)
    pending = client.post("/api/questions", json={"text": "Still pending", "consent_to_training": True},
                          headers={"Authorization": f"Bearer {asker}"}).json()["id"]
    for missing in (pending, 999999):
        for suffix in ("json", "svg"):
            response = client.get(f"/nft/{missing}.{suffix}")
            assert response.status_code == 404 and "no answer NFT" in response.json()["detail"]
    for malformed in ("0", "abc", "-1"):  # not a token id at all (ids start at 1): the request is wrong, 422, as for any bad path
        response = client.get(f"/nft/{malformed}.json")
        assert response.status_code == 422, (malformed, response.status_code)
    refused = client.post(f"/api/questions/{token_id}/withdraw", headers={"Authorization": f"Bearer {asker}"})
    assert refused.status_code == 409 and "only while it is pending" in refused.json()["detail"]
    assert client.get(f"/nft/{token_id}.json").status_code == 200, "an answered question stays: its token keeps its meaning"


def test_a_deleted_accounts_token_answers_as_deleted_and_its_id_is_never_reused(
        client: TestClient, wallet: Wallet, admin: Wallet) -> None:
    """The newest question's id (its token id) went to the next asker on SQLite once its
    asker deleted his account: the token then showed someone else's question."""
    token_id = asked_and_answered(client, wallet, admin, "Mine, soon deleted", "An answer", public=True)
    session = wallet.sign_in(client)
    assert client.request("DELETE", "/api/account", headers={"Authorization": f"Bearer {session}"}).status_code == 200

    other = Wallet(Account.create())
    other_token = asked_and_answered(client, other, admin, "Another reader's question", "Another answer", public=True)
    assert other_token > token_id, "ids, and so token ids, are never handed out twice"
    data = client.get(f"/nft/{token_id}.json")
    assert data.status_code == 200 and data.json()["description"] == DELETED
    assert data.json()["name"] == f"Automata answers #{token_id}"
    assert {"trait_type": "Status", "value": "deleted"} in data.json()["attributes"]
    image = client.get(f"/nft/{token_id}.svg").text
    for gone in ("Mine, soon deleted", "An answer", "Another reader"):
        assert gone not in data.text and gone not in image
    assert f"#{token_id}" in image and "deleted" in image
    assert "Another reader's question" in client.get(f"/nft/{other_token}.json").json()["description"]


def test_wrap_counts_wide_characters_twice_and_ends_with_an_ellipsis() -> None:
    assert wrap("가나다라 마바사", columns=8) == ["가나다라", "마바사"]
    assert wrap("abcdefghij", columns=4) == ["abcd", "efgh", "ij"]
    lines = wrap("word " * 200, columns=20, max_lines=3)
    assert len(lines) == 3 and lines[-1].endswith("…") and all(len(line) <= 20 for line in lines)
    assert wrap("first\nsecond", columns=40) == ["first", "second"]
