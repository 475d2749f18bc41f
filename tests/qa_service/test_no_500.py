"""Junk at every endpoint of the OpenAPI document: always a 4xx with a detail, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from .conftest import Wallet

JUNK = [
    b"", b"null", b"[]", b"{}", b"not json", b'{"text": 5, "consent_to_training": "no"}',
    b'{"message": "\\u0000", "signature": "0x' + b"zz" * 65 + b'"}',
    b'{"amount": 1e309, "idempotency_key": "", "reason": null}',
    b'{"text": "' + "\U0001F600".encode() * 10 + b'", "alternatives": [{"text": ""}, 3]}',
    # PostgreSQL's text cannot hold U+0000: every field that reaches it must be refused first.
    b'{"text": "a\\u0000", "consent_to_training": true}', b'{"text": "a", "consent_to_training": true, "post": "\\u0000"}',
    b'{"text": "a", "alternatives": [{"text": "\\u0000"}]}', b'{"reason": "\\u0000"}',
    b'{"amount": 1, "idempotency_key": "\\u0000", "reason": "x"}',
]


@pytest.mark.parametrize("authenticated", [False, True], ids=["anonymous", "admin"])
def test_every_endpoint_refuses_junk_with_a_4xx(make_client, admin: Wallet, authenticated: bool) -> None:  # type: ignore[no-untyped-def]
    client: TestClient = make_client(rate_ip_per_minute=0, rate_address_per_minute=0)  # the junk is many requests
    headers = {"Authorization": f"Bearer {admin.sign_in(client)}"} if authenticated else {}
    client.cookies.clear()
    paths = client.get("/openapi.json").json()["paths"]
    assert len(paths) >= 10
    ending = ("/api/account", "/api/auth/logout")  # they end the session: last, so the rest run signed in
    for template, methods in sorted(paths.items(), key=lambda item: ending.index(item[0]) + 1 if item[0] in ending else 0):
        if authenticated and template not in ending:
            assert client.get("/api/questions/mine", headers=headers).status_code == 200, "still signed in"
        for ident in ("1", "999999", "-1", "abc", "1e3", "2147483648", "4961785146363901849613893632"):
            path = template.replace("{question_id}", ident).replace("{token_id}", ident)
            for method in methods:
                bodies = JUNK if method in ("post", "put", "patch") else [b""]
                for body in bodies:
                    response = client.request(method.upper(), path, content=body,
                                              headers={**headers, "Content-Type": "application/json"})
                    assert response.status_code < 500, (method, path, body, response.text)
                    if response.status_code >= 400:
                        assert "detail" in response.json(), (method, path, body)
    for status in ("nonsense", "'; DROP TABLE questions; --"):
        response = client.get("/api/admin/questions", params={"status": status}, headers=headers)
        assert response.status_code in (401, 422), response.text
