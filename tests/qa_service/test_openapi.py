"""The OpenAPI document tells the truth: schemathesis generates requests from it for every
operation, valid and invalid, sends them to a real server on 127.0.0.1 (SQLite and
PostgreSQL), anonymously and as a signed-in admin, and checks every answer against the
document: a documented status, the documented content type and body shape, never a 5xx."""

from __future__ import annotations

import datetime as dt
import tempfile
from typing import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings as hypothesis_settings
from schemathesis import checks

from qa_service import auth
from qa_service.app import create_app
from qa_service.settings import Settings

from .conftest import ADMIN, make_settings, sign
from .servers import SECRET_KEY, free_port, service

CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance, checks.response_headers_conformance]


@pytest.fixture
def served(db_url: str) -> Iterator[tuple[str, str]]:
    """A real server and an admin's bearer token for it."""
    port = free_port()
    domain, uri = f"127.0.0.1:{port}", f"http://127.0.0.1:{port}"
    env = {"QA_DATABASE_URL": db_url, "QA_DOMAIN": domain, "QA_URI": uri, "QA_ADMIN_ADDRESSES": ADMIN.address,
           "QA_SECRET_KEY": SECRET_KEY, "QA_RATE_IP_PER_MINUTE": "0", "QA_RATE_NONCE_PER_MINUTE": "0",
           "QA_RATE_ADDRESS_PER_MINUTE": "0"}
    with service(env, port) as base:
        nonce = httpx.get(f"{base}/api/auth/nonce").json()["nonce"]
        text = auth.message_for(ADMIN.address, nonce, settings=Settings(database_url=db_url, domain=domain, uri=uri),
                                now=dt.datetime.now(dt.timezone.utc)).to_text()
        token = httpx.post(f"{base}/api/auth/verify", json={"message": text, "signature": sign(ADMIN, text)}).json()["token"]
        yield base, token


def document() -> dict:
    """The document as the app serves it (building the app migrates a throw-away SQLite file)."""
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(make_settings(f"sqlite:///{folder}/qa.sqlite3"))
        return app.openapi()


schema = schemathesis.openapi.from_dict(document())


@schema.parametrize()
@hypothesis_settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_answer_is_what_the_document_says(case: schemathesis.Case, served: tuple[str, str]) -> None:
    base, token = served
    case.call_and_validate(base_url=base, checks=CHECKS)
    case.call_and_validate(base_url=base, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
