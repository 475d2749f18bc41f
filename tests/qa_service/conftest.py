"""Fixtures for the service: a fresh database per test on SQLite and on PostgreSQL, an app
bound to it, and wallets that sign in the way a browser or a script would."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Awaitable, Callable, Iterator, TypeVar

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from qa_service import auth
from qa_service.app import create_app
from qa_service.db import AsyncStatements
from qa_service.settings import Settings
from tests.conftest import require

from .servers import SECRET_KEY, ModelServer, postgres_schema

PG_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
ORIGIN = "http://127.0.0.1:8001"
ADMIN = Account.from_key("0x" + "11" * 32)


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_SERVER, connect_timeout=3):
            return True
    except Exception:
        return False


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    require(postgres_available(), "PostgreSQL is not reachable on 127.0.0.1:5432 (database test)")
    with postgres_schema(PG_SERVER) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'qa.sqlite3'}"
    return request.getfixturevalue("pg_url")


def make_settings(database_url: str, **overrides: object) -> Settings:
    values = dict(database_url=database_url, domain="127.0.0.1:8001", uri=ORIGIN, chain_id=1,
                  admin_addresses=ADMIN.address, secret_key=SECRET_KEY)
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_settings(db_url)


@pytest.fixture
def make_client(db_url: str) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def factory(**overrides: object) -> TestClient:
        app = create_app(make_settings(db_url, **overrides))
        client = TestClient(app, base_url=ORIGIN, headers={"Origin": ORIGIN})
        client.__enter__()
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.__exit__(None, None, None)  # the app's lifespan closes its pools


@pytest.fixture
def client(make_client) -> TestClient:  # type: ignore[no-untyped-def]
    return make_client()


T = TypeVar("T")


def awaited(engine: Engine, call: Callable[[AsyncStatements], Awaitable[T]]) -> T:
    """Run one of the async domain functions on `engine`, as the app would."""
    async def run() -> T:
        statements = AsyncStatements(engine)
        try:
            return await call(statements)
        finally:
            await statements.close()

    return asyncio.run(run())


def sign(account, text: str) -> str:  # type: ignore[no-untyped-def]
    return "0x" + account.sign_message(encode_defunct(text=text)).signature.hex().removeprefix("0x")


@dataclass
class Wallet:
    account: object

    @property
    def address(self) -> str:
        return self.account.address  # type: ignore[attr-defined]

    def message(self, client: TestClient, **changes: object) -> str:
        nonce = client.get("/api/auth/nonce").json()["nonce"]
        settings = client.app.state.settings
        message = auth.message_for(self.address, nonce, settings=settings, now=dt.datetime.now(dt.timezone.utc))
        return message.with_(**changes).to_text() if changes else message.to_text()

    def sign_in(self, client: TestClient) -> str:
        text = self.message(client)
        response = client.post("/api/auth/verify", json={"message": text, "signature": sign(self.account, text)})
        assert response.status_code == 200, response.text
        return response.json()["token"]


@pytest.fixture
def wallet() -> Wallet:
    return Wallet(Account.create())


@pytest.fixture
def admin() -> Wallet:
    return Wallet(ADMIN)


def http_sign_in(url: str, account) -> str:  # type: ignore[no-untyped-def]
    """Sign `account` in to a real server at `url` (QA_DOMAIN and QA_URI as ORIGIN names
    them); its bearer token."""
    import httpx

    nonce = httpx.get(f"{url}/api/auth/nonce").json()["nonce"]
    text = auth.message_for(account.address, nonce, settings=make_settings("sqlite://"),
                            now=dt.datetime.now(dt.timezone.utc)).to_text()
    response = httpx.post(f"{url}/api/auth/verify", json={"message": text, "signature": sign(account, text)})
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


@pytest.fixture(scope="session")
def automaton_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny demo automaton (`qa-service train --tiny`), trained once per session on an export
    of a few answered questions: a model folder with its tokenizer and chat template."""
    try:
        import peft  # noqa: F401
        import torch  # noqa: F401
        import trl  # noqa: F401
    except ImportError as error:
        require(False, f"{error.name} is missing: install the project's [test] extra (scripts/test does)")
    from .automaton_model import answered_export, train_tiny

    root = tmp_path_factory.mktemp("automaton")
    return train_tiny(answered_export(root), root / "automaton")


@pytest.fixture(scope="session")
def model_server(automaton_model: Path) -> Iterator[ModelServer]:
    """`transformers serve` on a free port, run from the folder that holds the model: a request
    naming the model by its absolute path gets it (loaded on first use). A test may kill it;
    the next one using it finds it started again."""
    require(ModelServer.command() is not None,
            "transformers serve is missing: install the project's [test] extra (transformers[serving])")
    server = ModelServer(cwd=str(automaton_model.parent))
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def served(model_server: ModelServer) -> ModelServer:
    """model_server, running (started again if an earlier test killed it)."""
    if model_server.process is None or model_server.process.poll() is not None:
        model_server.start()
    return model_server


@pytest.fixture
def log(tmp_path: Path) -> Path:
    """Where the automaton's stub model server records the requests it gets (model_stub.py)."""
    return tmp_path / "model-requests.jsonl"


@pytest.fixture
def talk(make_client, log: Path) -> Iterator[Callable[..., TestClient]]:  # type: ignore[no-untyped-def]
    """A client of a service whose automaton is the stub model server (its behaviour and the
    settings given), running in a thread of this process."""
    from .model_stub import stub_server

    with contextlib.ExitStack() as stack:
        def factory(behaviour: object = None, **settings: object) -> TestClient:
            url = stack.enter_context(stub_server(log, behaviour))  # type: ignore[arg-type]
            return make_client(automaton_url=url, **{"automaton_system": "You are the author.", **settings})  # type: ignore[no-any-return]

        yield factory
