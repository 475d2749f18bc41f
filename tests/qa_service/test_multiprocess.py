"""Two service processes sharing one database (a SQLite file or PostgreSQL) behave as one."""

from __future__ import annotations

import datetime as dt
import threading

import httpx
from eth_account import Account

from qa_service import auth
from qa_service.settings import Settings

from .conftest import ADMIN, sign
from .servers import SECRET_KEY, free_port, service


def test_nonce_from_one_process_verifies_at_the_other_and_answers_pay_once(db_url: str) -> None:
    port_a, port_b = free_port(), free_port()
    domain, uri = f"127.0.0.1:{port_a}", f"http://127.0.0.1:{port_a}"
    env = {"QA_DATABASE_URL": db_url, "QA_DOMAIN": domain, "QA_URI": uri, "QA_ADMIN_ADDRESSES": ADMIN.address,
           "QA_SECRET_KEY": SECRET_KEY}
    settings = Settings(database_url=db_url, domain=domain, uri=uri)
    with service(env, port_a) as a, service(env, port_b) as b:
        asker = Account.create()
        nonce = httpx.get(f"{a}/api/auth/nonce").json()["nonce"]
        text = auth.message_for(asker.address, nonce, settings=settings, now=dt.datetime.now(dt.timezone.utc)).to_text()
        body = {"message": text, "signature": sign(asker, text)}
        signed = httpx.post(f"{b}/api/auth/verify", json=body)
        assert signed.status_code == 200, signed.text
        assert httpx.post(f"{a}/api/auth/verify", json=body).status_code == 401, "the nonce is burnt everywhere"
        token = signed.json()["token"]
        question = httpx.post(f"{a}/api/questions", json={"text": "Two servers, one answer?", "consent_to_training": True},
                              headers={"Authorization": f"Bearer {token}"}).json()

        admin_nonce = httpx.get(f"{b}/api/auth/nonce").json()["nonce"]
        admin_text = auth.message_for(ADMIN.address, admin_nonce, settings=settings, now=dt.datetime.now(dt.timezone.utc)).to_text()
        admin_token = httpx.post(f"{a}/api/auth/verify", json={"message": admin_text, "signature": sign(ADMIN, admin_text)}).json()["token"]
        results: list[httpx.Response] = []

        def answer(base: str) -> None:
            results.append(httpx.post(f"{base}/api/admin/questions/{question['id']}/answer", json={"text": "Yes: one."},
                                      headers={"Authorization": f"Bearer {admin_token}"}))

        threads = [threading.Thread(target=answer, args=(base,)) for base in (a, b, a, b)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(r.status_code for r in results) == [200, 409, 409, 409], [r.text for r in results]
        credits = httpx.get(f"{b}/api/credits", headers={"Authorization": f"Bearer {token}"}).json()
        assert len(credits["entries"]) == 1 and credits["balance"] == credits["entries"][0]["amount"] > 0
        assert httpx.post(f"{a}/api/auth/logout", headers={"Authorization": f"Bearer {token}"}).status_code == 204
        assert httpx.get(f"{b}/api/credits", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_concurrent_writers_in_two_processes_all_land(db_url: str) -> None:
    """Writers of two processes queue (a flock on SQLite, row locks on PostgreSQL): every
    request lands once, none fails with 'database is locked'."""
    port_a, port_b = free_port(), free_port()
    domain, uri = f"127.0.0.1:{port_a}", f"http://127.0.0.1:{port_a}"
    env = {"QA_DATABASE_URL": db_url, "QA_DOMAIN": domain, "QA_URI": uri, "QA_SECRET_KEY": SECRET_KEY,
           "QA_RATE_ADDRESS_PER_MINUTE": "0", "QA_RATE_IP_PER_MINUTE": "0"}
    settings = Settings(database_url=db_url, domain=domain, uri=uri)
    with service(env, port_a) as a, service(env, port_b) as b:
        asker = Account.create()
        nonce = httpx.get(f"{a}/api/auth/nonce").json()["nonce"]
        text = auth.message_for(asker.address, nonce, settings=settings, now=dt.datetime.now(dt.timezone.utc)).to_text()
        token = httpx.post(f"{b}/api/auth/verify", json={"message": text, "signature": sign(asker, text)}).json()["token"]
        statuses: list[int] = []

        def ask(base: str, index: int) -> None:
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
                for n in range(25):
                    statuses.append(client.post("/api/questions", json={"text": f"Question {index}.{n}?",
                                                                        "consent_to_training": True}).status_code)

        threads = [threading.Thread(target=ask, args=(base, i)) for i, base in enumerate((a, b, a, b, a, b))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses == [201] * 150
        mine = httpx.get(f"{a}/api/questions/mine", headers={"Authorization": f"Bearer {token}"}).json()
        assert len(mine) == 150 and len({q["id"] for q in mine}) == 150
