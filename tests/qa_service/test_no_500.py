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
]


@pytest.mark.parametrize("authenticated", [False, True], ids=["anonymous", "admin"])
def test_every_endpoint_refuses_junk_with_a_4xx(client: TestClient, admin: Wallet, authenticated: bool) -> None:
    headers = {"Authorization": f"Bearer {admin.sign_in(client)}"} if authenticated else {}
    client.cookies.clear()
    paths = client.get("/openapi.json").json()["paths"]
    assert len(paths) >= 10
    for template, methods in paths.items():
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
