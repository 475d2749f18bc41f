"""The automaton through its API, against a real OpenAI-compatible server on 127.0.0.1 (the
stub in model_stub.py, which records every request it gets), on SQLite and PostgreSQL:
readers pay for replies, choose among the candidates, the conversation goes on from the
chosen one; a model failure or a short balance charges nothing; a retry pays once."""

from __future__ import annotations

import datetime as dt
import re
import signal
import threading
import time
from pathlib import Path
from typing import Callable

import pytest
from eth_account import Account
from fastapi.testclient import TestClient

from qa_service.credits import record_award
from qa_service.dataset.rows import pseudonym
from qa_service.db import writing
from qa_service.settings import secret_bytes

from .conftest import Wallet
from .model_stub import Behaviour, requests_in, stub_process, stub_server
from .servers import SECRET_KEY

Client = Callable[..., TestClient]
_awards = iter(range(10_000, 10**9))


def fund(client: TestClient, wallet: Wallet, amount: int) -> None:
    """Credits for `wallet`, as an answered question would award them."""
    with writing(client.app.state.engine) as db:  # type: ignore[attr-defined]
        record_award(db, address=wallet.address, question_id=next(_awards), amount=amount,
                     now=dt.datetime.now(dt.timezone.utc))


def balance(client: TestClient, headers: dict[str, str]) -> int:
    return int(client.get("/api/credits", headers=headers).json()["balance"])


def signed(client: TestClient, wallet: Wallet) -> dict[str, str]:
    return {"Authorization": f"Bearer {wallet.sign_in(client)}"}


def test_candidates_choice_and_the_conversation_goes_on_from_the_chosen_one(talk, wallet: Wallet, log: Path) -> None:  # type: ignore[no-untyped-def]
    client = talk(automaton_price=2)
    me = signed(client, wallet)
    fund(client, wallet, 10)
    first = client.post("/api/automaton/conversations", headers=me,
                        json={"message": "What do you write about?", "idempotency_key": "k1", "consent_to_training": True})
    assert first.status_code == 201, first.text
    reply = first.json()
    assert reply["balance"] == 8 and balance(client, me) == 8, "one price per reply, not per candidate"
    turn = reply["turn"]
    assert len(turn["candidates"]) == 3 and len(set(turn["candidates"])) == 3
    assert turn["model"] == "automaton" and turn["model_version"] == "stub-v1" and not turn["choice_made"]
    [sent] = requests_in(log)
    assert sent["body"]["n"] == 3 and sent["body"]["model"] == "automaton"
    assert sent["body"]["messages"] == [{"role": "system", "content": "You are the author."},
                                        {"role": "user", "content": "What do you write about?"}]
    conversation = reply["conversation"]["id"]

    refused = client.post(f"/api/automaton/conversations/{conversation}/turns", headers=me,
                          json={"message": "And why?", "idempotency_key": "k2"})
    assert refused.status_code == 409 and "choose" in refused.json()["detail"]
    assert balance(client, me) == 8 and len(requests_in(log)) == 1, "refused before the model was asked or paid"

    chose = client.post(f"/api/automaton/turns/{turn['id']}/choice", headers=me, json={"chosen": 1})
    assert chose.status_code == 200 and chose.json()["chosen"] == 1 and chose.json()["choice_made"]
    assert client.post(f"/api/automaton/turns/{turn['id']}/choice", headers=me, json={"chosen": 2}).status_code == 409

    second = client.post(f"/api/automaton/conversations/{conversation}/turns", headers=me,
                         json={"message": "And why?", "idempotency_key": "k2"})
    assert second.status_code == 201, second.text
    assert requests_in(log)[-1]["body"]["messages"] == [
        {"role": "system", "content": "You are the author."},
        {"role": "user", "content": "What do you write about?"},
        {"role": "assistant", "content": turn["candidates"][1]},  # the chosen one, not the first
        {"role": "user", "content": "And why?"}]

    # None is like him: that message has no reply, and joins the next one.
    second_turn = second.json()["turn"]
    none = client.post(f"/api/automaton/turns/{second_turn['id']}/choice", headers=me, json={"chosen": None})
    assert none.status_code == 200 and none.json()["chosen"] is None and none.json()["choice_made"]
    third = client.post(f"/api/automaton/conversations/{conversation}/turns", headers=me,
                        json={"message": "Say more.", "idempotency_key": "k3"})
    assert third.status_code == 201 and third.json()["balance"] == 4
    assert requests_in(log)[-1]["body"]["messages"][-2:] == [
        {"role": "assistant", "content": turn["candidates"][1]}, {"role": "user", "content": "And why?\n\nSay more."}]

    shown = client.get(f"/api/automaton/conversations/{conversation}", headers=me).json()
    assert [t["position"] for t in shown["turns"]] == [0, 1, 2] and shown["asker"] is None
    assert [c["id"] for c in client.get("/api/automaton/conversations", headers=me).json()] == [conversation]
    other = signed(client, Wallet(Account.create()))
    assert client.get(f"/api/automaton/conversations/{conversation}", headers=other).status_code == 404
    assert client.post(f"/api/automaton/turns/{turn['id']}/choice", headers=other, json={"chosen": 0}).status_code == 404


def test_a_server_that_ignores_n_is_asked_again_one_call_at_a_time(talk, wallet: Wallet, log: Path) -> None:  # type: ignore[no-untyped-def]
    client = talk(Behaviour(ignore_n=True), automaton_candidates=3)
    me = signed(client, wallet)
    fund(client, wallet, 1)
    reply = client.post("/api/automaton/conversations", headers=me, json={"message": "Hi", "idempotency_key": "a"})
    assert reply.status_code == 201, reply.text
    assert len(set(reply.json()["turn"]["candidates"])) == 3
    assert [r["body"]["n"] for r in requests_in(log)] == [3, 1, 1]
    assert reply.json()["balance"] == 0


def test_short_of_credits_is_told_how_to_earn_them_and_pays_nothing(talk, wallet: Wallet, log: Path) -> None:  # type: ignore[no-untyped-def]
    client = talk(automaton_price=5)
    me = signed(client, wallet)
    fund(client, wallet, 4)
    refused = client.post("/api/automaton/conversations", headers=me, json={"message": "Hi", "idempotency_key": "a"})
    assert refused.status_code == 402
    assert "balance is 4" in refused.json()["detail"] and "question" in refused.json()["detail"]
    assert balance(client, me) == 4 and requests_in(log) == [], "the model is not asked for what cannot be paid"
    assert client.get("/api/automaton/conversations", headers=me).json() == []


@pytest.mark.parametrize("behaviour", [Behaviour(status=500), Behaviour(malformed=True)], ids=["500", "malformed"])
def test_a_failing_model_charges_nothing_and_stores_nothing(talk, wallet: Wallet, log: Path, behaviour: Behaviour) -> None:  # type: ignore[no-untyped-def]
    client = talk(behaviour)
    me = signed(client, wallet)
    fund(client, wallet, 3)
    failed = client.post("/api/automaton/conversations", headers=me, json={"message": "Hi", "idempotency_key": "a"})
    assert failed.status_code == 502 and "nothing was charged" in failed.json()["detail"]
    assert "127.0.0.1" not in failed.text, "the model server's address is not the reader's to see"
    assert balance(client, me) == 3 and client.get("/api/automaton/conversations", headers=me).json() == []


def test_a_model_that_does_not_answer_in_time_is_a_504_and_charges_nothing(talk, wallet: Wallet, log: Path) -> None:  # type: ignore[no-untyped-def]
    client = talk(Behaviour(hang=True), automaton_timeout=0.5)
    me = signed(client, wallet)
    fund(client, wallet, 3)
    started = time.monotonic()
    late = client.post("/api/automaton/conversations", headers=me, json={"message": "Hi", "idempotency_key": "a"})
    assert late.status_code == 504 and "0.5 s" in late.json()["detail"]
    assert time.monotonic() - started < 5
    assert balance(client, me) == 3 and len(requests_in(log)) == 1


def test_the_model_server_killed_mid_reply_charges_nothing(make_client: Client, wallet: Wallet, log: Path) -> None:
    with stub_process(log, "--hang") as (url, process):
        client = make_client(automaton_url=url)
        me = signed(client, wallet)
        fund(client, wallet, 3)

        def kill_once_it_holds_the_request() -> None:
            deadline = time.monotonic() + 20
            while not requests_in(log) and time.monotonic() < deadline:
                time.sleep(0.02)
            process.send_signal(signal.SIGKILL)

        killer = threading.Thread(target=kill_once_it_holds_the_request)
        killer.start()
        failed = client.post("/api/automaton/conversations", headers=me, json={"message": "Hi", "idempotency_key": "a"})
        killer.join()
        assert process.wait(timeout=10) == -signal.SIGKILL and len(requests_in(log)) == 1, "killed while it held it"
    assert failed.status_code == 502, failed.text
    assert "nothing was charged" in failed.json()["detail"] and url not in failed.text
    assert balance(client, me) == 3 and client.get("/api/automaton/conversations", headers=me).json() == []
    # The same key once the server is back: this time it is paid, once.
    with stub_server(log) as url:
        client.app.state.settings = client.app.state.settings.model_copy(update={"automaton_url": url})  # type: ignore[attr-defined]
        again = client.post("/api/automaton/conversations", headers=me, json={"message": "Hi", "idempotency_key": "a"})
        assert again.status_code == 201 and again.json()["balance"] == 2


def test_a_retried_request_is_charged_once_and_returns_the_same_turn(talk, wallet: Wallet, log: Path) -> None:  # type: ignore[no-untyped-def]
    client = talk()
    me = signed(client, wallet)
    fund(client, wallet, 5)
    body = {"message": "Hi", "idempotency_key": "retry-me"}
    first = client.post("/api/automaton/conversations", headers=me, json=body).json()
    again = client.post("/api/automaton/conversations", headers=me, json=body)
    assert again.status_code == 201
    assert again.json()["turn"]["id"] == first["turn"]["id"] and again.json()["balance"] == 4 == balance(client, me)
    assert len(requests_in(log)) == 1, "a replay does not ask the model again"
    conversation, turn = first["conversation"]["id"], first["turn"]["id"]
    client.post(f"/api/automaton/turns/{turn}/choice", headers=me, json={"chosen": 0})
    path = f"/api/automaton/conversations/{conversation}/turns"
    replies = [client.post(path, headers=me, json={"message": "More", "idempotency_key": "second"}) for _ in range(3)]
    assert {r.status_code for r in replies} == {201} and len({r.json()["turn"]["id"] for r in replies}) == 1
    assert balance(client, me) == 3
    entries = client.get("/api/credits", headers=me).json()["entries"]
    assert sorted(e["key"] for e in entries if e["amount"] < 0) == ["spend:automaton:retry-me", "spend:automaton:second"]


def test_the_daily_limit_says_when_it_resets(talk, wallet: Wallet, log: Path) -> None:  # type: ignore[no-untyped-def]
    client = talk(automaton_daily_limit=2)
    me = signed(client, wallet)
    fund(client, wallet, 10)
    for key in ("a", "b"):
        made = client.post("/api/automaton/conversations", headers=me, json={"message": "Hi", "idempotency_key": key})
        assert made.status_code == 201
    limited = client.post("/api/automaton/conversations", headers=me, json={"message": "Hi", "idempotency_key": "c"})
    assert limited.status_code == 429 and "00:00 UTC" in limited.json()["detail"]
    now = dt.datetime.now(dt.timezone.utc)
    midnight = (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    assert abs(int(limited.headers["retry-after"]) - (midnight - now).total_seconds()) < 5
    assert balance(client, me) == 8 and len(requests_in(log)) == 2
    replay = client.post("/api/automaton/conversations", headers=me, json={"message": "Hi", "idempotency_key": "a"})
    assert replay.status_code == 201, "a retry of a paid reply is not a new one"


def test_the_author_corrects_a_turn_and_the_conversation_goes_on_from_his_words(talk, wallet: Wallet, admin: Wallet,  # type: ignore[no-untyped-def]
                                                                               log: Path) -> None:
    client = talk()
    me = signed(client, wallet)
    fund(client, wallet, 5)
    reply = client.post("/api/automaton/conversations", headers=me,
                        json={"message": "<b>Hi</b>", "idempotency_key": "a"}).json()
    turn = reply["turn"]["id"]
    path = f"/api/admin/automaton/turns/{turn}/correction"
    assert client.post(path, headers=me, json={"reply": "mine"}).status_code == 403
    assert client.get("/api/admin/automaton", headers=me).status_code == 403
    boss = signed(client, admin)
    listed = client.get("/api/admin/automaton", headers=boss).json()
    assert listed[0]["asker"] == wallet.address and listed[0]["turns"][0]["message"] == "<b>Hi</b>"
    assert client.post(path, headers=boss, json={"reply": "  "}).status_code == 422
    corrected = client.post(path, headers=boss, json={"reply": "What I would say."})
    assert corrected.status_code == 200 and corrected.json()["correction"] == "What I would say."
    assert client.post("/api/admin/automaton/turns/999999/correction", headers=boss, json={"reply": "x"}).status_code == 404
    client.post(f"/api/automaton/turns/{turn}/choice", headers=me, json={"chosen": 0})
    client.post(f"/api/automaton/conversations/{reply['conversation']['id']}/turns", headers=me,
                json={"message": "Go on", "idempotency_key": "b"})
    assert requests_in(log)[-1]["body"]["messages"][-2] == {"role": "assistant", "content": "What I would say."}


def test_a_readers_adapter_is_named_by_his_pseudonym_never_his_address(talk, wallet: Wallet, log: Path) -> None:  # type: ignore[no-untyped-def]
    adapter = "reader-" + pseudonym(wallet.address, secret_bytes(SECRET_KEY))
    client = talk(Behaviour(models=[adapter, "automaton"]), automaton_adapters="reader-", automaton_key="sk-test")
    me = signed(client, wallet)
    fund(client, wallet, 1)
    made = client.post("/api/automaton/conversations", headers=me, json={"message": "Hi", "idempotency_key": "a"})
    assert made.status_code == 201 and made.json()["turn"]["model"] == adapter
    [sent] = requests_in(log)
    assert sent["body"]["model"] == adapter and sent["authorization"] == "Bearer sk-test"
    assert wallet.address.lower()[2:] not in str(sent).lower() and wallet.address[2:10].lower() not in adapter.lower()
    # A reader without an adapter of his own yet gets the base model.
    newcomer = Wallet(Account.create())
    them = signed(client, newcomer)
    fund(client, newcomer, 1)
    base = client.post("/api/automaton/conversations", headers=them, json={"message": "Hi", "idempotency_key": "a"})
    assert base.status_code == 201 and base.json()["turn"]["model"] == "automaton"
    assert [r["body"]["model"] for r in requests_in(log)[1:]] == [
        "reader-" + pseudonym(newcomer.address, secret_bytes(SECRET_KEY)), "automaton"]


def test_unset_the_automaton_is_not_there(client: TestClient, wallet: Wallet, admin: Wallet) -> None:
    me = signed(client, wallet)
    assert client.post("/api/automaton/conversations", headers=me,
                       json={"message": "Hi", "idempotency_key": "a"}).status_code == 404
    assert client.get("/api/automaton/conversations", headers=me).status_code == 404
    assert client.get("/api/admin/automaton", headers=signed(client, admin)).status_code == 404
    assert client.get("/automaton").status_code == 404
    assert not [p for p in client.get("/openapi.json").json()["paths"] if "automaton" in p]
    for page in ("/ask", "/admin"):
        assert "/automaton" not in client.get(page).text


def test_deleting_an_account_deletes_its_conversations(talk, wallet: Wallet, admin: Wallet) -> None:  # type: ignore[no-untyped-def]
    client = talk()
    me = signed(client, wallet)
    fund(client, wallet, 2)
    client.post("/api/automaton/conversations", headers=me, json={"message": "Hi", "idempotency_key": "a"})
    assert client.delete("/api/account", headers=me).status_code == 200
    assert client.get("/api/admin/automaton", headers=signed(client, admin)).json() == []


def test_settings_are_checked_with_a_clear_message() -> None:
    from pydantic import ValidationError

    from qa_service.settings import Settings

    for values, words in [({"automaton_url": "127.0.0.1:8000"}, "QA_AUTOMATON_URL must be the http(s) base URL"),
                          ({"automaton_candidates": 0}, "QA_AUTOMATON_CANDIDATES must be from 1 to 8"),
                          ({"automaton_price": 0}, "QA_AUTOMATON_PRICE"),
                          ({"automaton_timeout": 0}, "QA_AUTOMATON_TIMEOUT"),
                          ({"automaton_daily_limit": -1}, "QA_AUTOMATON_DAILY_LIMIT"),
                          ({"automaton_adapters": "a b"}, "QA_AUTOMATON_ADAPTERS")]:
        with pytest.raises(ValidationError, match=re.escape(words)):
            Settings(**values)  # type: ignore[arg-type]
    assert Settings(automaton_url="http://127.0.0.1:8000/v1/").automaton_url == "http://127.0.0.1:8000"
    assert not Settings(automaton_url="").automaton


def test_junk_at_every_automaton_endpoint_is_a_4xx(talk, wallet: Wallet, admin: Wallet, log: Path) -> None:  # type: ignore[no-untyped-def]
    from .test_no_500 import JUNK

    client = talk(rate_ip_per_minute=0, rate_address_per_minute=0)
    fund(client, admin, 100)
    headers = signed(client, admin)
    made = client.post("/api/automaton/conversations", headers=headers, json={"message": "Hi", "idempotency_key": "k"})
    assert made.status_code == 201
    paths = [p for p in client.get("/openapi.json").json()["paths"].items() if "automaton" in p[0]]
    assert len(paths) == 6
    junk = JUNK + [b'{"message": "", "idempotency_key": "x"}', b'{"message": "a", "idempotency_key": "\\u0000"}',
                   b'{"chosen": 99}', b'{"chosen": -1}', b'{"chosen": "1"}', b'{"reply": "\\u0000"}',
                   b'{"message": "a", "idempotency_key": "' + b"k" * 101 + b'"}',
                   b'{"message": "a", "idempotency_key": "p", "post": "a/b/c d"}']
    for template, methods in paths:
        for ident in ("1", "999999", "-1", "abc", "2147483648"):
            path = template.replace("{conversation_id}", ident).replace("{turn_id}", ident)
            for method in methods:
                for body in junk if method == "post" else [b""]:
                    response = client.request(method.upper(), path, content=body,
                                              headers={**headers, "Content-Type": "application/json"})
                    assert response.status_code < 500, (method, path, body, response.text)
                    if response.status_code >= 400:
                        assert "detail" in response.json(), (method, path, body)
    assert len(requests_in(log)) == 1, "no junk reached the model"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_same_request_sent_twice_at_once_is_charged_once(talk, wallet: Wallet, log: Path) -> None:  # type: ignore[no-untyped-def]
    client = talk(Behaviour(delay=0.5))
    me = signed(client, wallet)
    fund(client, wallet, 5)
    body = {"message": "Hi", "idempotency_key": "twice"}
    answers: list[object] = []
    senders = [threading.Thread(target=lambda: answers.append(
        client.post("/api/automaton/conversations", headers=me, json=body))) for _ in range(2)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    assert len(requests_in(log)) == 2, "both were under way at once (each asked the model)"
    assert {a.status_code for a in answers} == {201}  # type: ignore[attr-defined]
    assert len({a.json()["turn"]["id"] for a in answers}) == 1  # type: ignore[attr-defined]
    assert balance(client, me) == 4 and len(client.get("/api/automaton/conversations", headers=me).json()) == 1
