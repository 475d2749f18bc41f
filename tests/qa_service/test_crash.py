"""kill -9 of a server process in the middle of concurrent writes, three times over, on SQLite
and PostgreSQL: every acknowledged question is there after the restarts, and no answer pays
its asker twice, however often the author's answer is retried."""

from __future__ import annotations

import random
import secrets
import threading
import time
from collections import Counter

import httpx
from eth_account import Account
from sqlalchemy import select

from qa_service.db import dispose, make_engine
from qa_service.models import LEDGER, QUESTIONS

from .conftest import ADMIN, ORIGIN, http_sign_in
from .servers import free_port, service


def test_kill_9_under_concurrent_writes_loses_no_acknowledged_write_and_pays_once(db_url: str) -> None:
    port = free_port()
    env = {"QA_DATABASE_URL": db_url, "QA_URI": ORIGIN, "QA_DOMAIN": ORIGIN.split("//")[1], "QA_SECRET_KEY": secrets.token_hex(32),
           "QA_ADMIN_ADDRESSES": ADMIN.address, "QA_RATE_IP_PER_MINUTE": "0", "QA_RATE_ADDRESS_PER_MINUTE": "0",
           "QA_RATE_NONCE_PER_MINUTE": "0"}
    url = f"http://127.0.0.1:{port}"
    asked: list[int] = []  # acknowledged (201) questions
    answered: list[int] = []  # acknowledged (200) answers
    tokens: list[str] = []
    for _cycle in range(3):
        started: list = []  # type: ignore[type-arg]
        with service(env, port, started=started):
            if not tokens:
                tokens = [http_sign_in(url, Account.create()) for _ in range(3)] + [http_sign_in(url, ADMIN)]
            stop = threading.Event()

            def ask(token: str, stop: threading.Event) -> None:
                with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as client:
                    while not stop.is_set():
                        try:
                            response = client.post("/api/questions", json={"text": f"q{secrets.token_hex(3)}", "consent_to_training": True})
                        except httpx.HTTPError:
                            return  # the server died under us: this write was never acknowledged
                        assert response.status_code == 201, response.text
                        asked.append(int(response.json()["id"]))

            def answer(token: str, stop: threading.Event) -> None:  # the author answers, retrying the same questions
                with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as client:
                    while not stop.is_set():
                        if not asked:
                            time.sleep(0.01)
                            continue
                        qid = random.choice(asked)
                        try:
                            response = client.post(f"/api/admin/questions/{qid}/answer", json={"text": "An answer."})
                        except httpx.HTTPError:
                            return
                        assert response.status_code in (200, 409), response.text
                        if response.status_code == 200:
                            answered.append(qid)

            threads = [threading.Thread(target=ask, args=(t, stop)) for t in tokens[:3]]
            threads += [threading.Thread(target=answer, args=(tokens[3], stop)) for _ in range(2)]
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 60
            goal = len(asked) + 15
            while len(asked) < goal and time.monotonic() < deadline:  # writes under way, however slow the machine
                time.sleep(0.05)
            time.sleep(random.random() / 2)
            started[0].kill()  # kill -9, mid-write
            started[0].wait()
            stop.set()
            for thread in threads:
                thread.join()
    assert len(asked) > 30 and answered, f"{len(asked)} questions, {len(answered)} answers acknowledged"
    engine = make_engine(db_url)
    with engine.connect() as db:
        stored = {row.id: row.status for row in db.execute(select(QUESTIONS.c.id, QUESTIONS.c.status))}
        awards = Counter(row.key for row in db.execute(select(LEDGER.c.key).where(LEDGER.c.key.like("answer:%"))))
    dispose(engine)
    assert set(asked) <= set(stored), f"{len(set(asked) - set(stored))} acknowledged questions lost"
    assert all(stored[qid] == "answered" for qid in answered), "an acknowledged answer lost"
    assert len(answered) == len(set(answered)), "a question answered twice"
    assert max(awards.values()) == 1, "an answer paid twice"
    assert {int(key.split(":")[1]) for key in awards} == {qid for qid, status in stored.items() if status == "answered"}
