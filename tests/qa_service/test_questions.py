"""Conversations: an asker replies to an answer with a follow-up, the author answers each
turn; a thread is one conversation of any depth. Credits are paid per answered turn, the
answer NFT is one per thread (the first question's id), consent, publicity and post are
the thread's."""

from __future__ import annotations

import datetime as dt

from eth_account import Account
from fastapi.testclient import TestClient
from sqlalchemy import select

from qa_service.db import make_engine, migrate
from qa_service.models import QUESTIONS
from qa_service import questions

from .conftest import Wallet


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def answer(client: TestClient, admin_token: str, question_id: int, text: str, *drafts: str) -> dict:  # type: ignore[type-arg]
    response = client.post(f"/api/admin/questions/{question_id}/answer", headers=bearer(admin_token),
                           json={"text": text, "alternatives": [{"text": d} for d in drafts]})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_thread_of_any_depth_with_credits_per_turn_and_one_nft(client: TestClient, wallet: Wallet, admin: Wallet) -> None:
    me, author = wallet.sign_in(client), admin.sign_in(client)
    first = client.post("/api/questions", headers=bearer(me), json={
        "text": "왜 기계를 위해 쓰나요?", "consent_to_training": True, "public": True, "language": "ko-KR",
        "post": "why-i-write", "post_revision": 2}).json()
    answered = answer(client, author, first["id"], "언젠가 읽을 테니까.", "그냥.")
    assert answered["token_id"] == first["id"]
    turn = first["id"]
    for depth in range(1, 4):
        made = client.post(f"/api/questions/{turn}/follow-ups", headers=bearer(me), json={"text": f"그래서 {depth}?"})
        assert made.status_code == 201, made.text
        body = made.json()
        assert (body["thread_id"], body["reply_to"], body["status"]) == (first["id"], turn, "pending")
        assert (body["consent_to_training"], body["public"], body["post"], body["post_revision"], body["language"]) == \
            (True, True, "why-i-write", 2, "ko-KR"), "a follow-up takes the thread's consent, publicity, post, language"
        result = answer(client, author, body["id"], f"답 {depth}")
        assert result["credits_awarded"] > 0 and result["token_id"] == first["id"], "credits per turn, the thread's NFT"
        turn = body["id"]
    mine = client.get("/api/questions/mine", headers=bearer(me)).json()
    assert len(mine) == 4 and {q["thread_id"] or q["id"] for q in mine} == {first["id"]}
    assert [q["token_id"] for q in mine if q["token_id"]] == [first["id"]], "one answer NFT per thread"
    entries = client.get("/api/credits", headers=bearer(me)).json()["entries"]
    assert sorted(e["question_id"] for e in entries) == sorted(q["id"] for q in mine), "every answered turn paid once"
    assert client.get(f"/nft/{first['id']}.json").status_code == 200
    # The export hands the thread out whole, in order.
    [thread] = questions.for_training(client.app.state.engine)
    assert [thread.text, *[f.text for f in thread.follow_ups]] == ["왜 기계를 위해 쓰나요?", "그래서 1?", "그래서 2?", "그래서 3?"]


def test_only_the_latest_answer_of_ones_own_thread_can_be_followed_up(client: TestClient, wallet: Wallet,
                                                                       admin: Wallet) -> None:
    me, author, other = wallet.sign_in(client), admin.sign_in(client), Wallet(Account.create()).sign_in(client)
    first = client.post("/api/questions", headers=bearer(me), json={"text": "q1", "consent_to_training": False}).json()
    follow = f"/api/questions/{first['id']}/follow-ups"
    assert client.post(follow, headers=bearer(me), json={"text": "too early"}).status_code == 409, "nothing to reply to"
    answer(client, author, first["id"], "a1")
    assert client.post(follow, headers=bearer(other), json={"text": "not mine"}).status_code == 404
    assert client.post(follow, headers=bearer(me), json={"text": " "}).status_code == 422
    second = client.post(follow, headers=bearer(me), json={"text": "q2"}).json()
    again = client.post(follow, headers=bearer(me), json={"text": "q2 again"})
    assert again.status_code == 409 and "already has a follow-up" in again.json()["detail"], "one conversation, not a fork"
    assert client.post(f"/api/questions/{second['id']}/withdraw", headers=bearer(me)).status_code == 200
    third = client.post(follow, headers=bearer(me), json={"text": "q2, put better", "language": "en-GB"})
    assert third.status_code == 201 and third.json()["language"] == "en-GB", "a withdrawn follow-up frees the answer"
    answer(client, author, third.json()["id"], "a2")
    assert client.post(follow, headers=bearer(me), json={"text": "back to a1"}).status_code == 409, "only the latest"
    assert client.post(f"/api/questions/{third.json()['id']}/follow-ups", headers=bearer(me),
                       json={"text": "q3"}).status_code == 201
    assert client.post("/api/questions/999999/follow-ups", headers=bearer(me), json={"text": "x"}).status_code == 404


def test_questions_stored_before_threads_become_one_turn_threads(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine, "0005")
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    old = dict(asker="0x" + "Ab" * 20, text="old", language="en", consent_to_training=True, public=False,
               status="answered", post="why-i-write", post_revision=2, created_at=now, updated_at=now,
               answer="old answer", answered_at=now, token_id=1)
    with engine.begin() as db:
        db.execute(QUESTIONS.insert(), old)  # only the columns 0005 has
    migrate(engine)
    with engine.begin() as db:
        row = db.execute(select(QUESTIONS.c.thread_id, QUESTIONS.c.reply_to, QUESTIONS.c.text)).one()
    assert (row.thread_id, row.reply_to, row.text) == (None, None, "old")
    [thread] = questions.for_training(engine)
    assert (thread.text, thread.thread, thread.follow_ups) == ("old", thread.id, [])
    engine.dispose()
