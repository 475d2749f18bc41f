"""The author's model, asked through any OpenAI-compatible server (vLLM, llama.cpp's server,
Ollama, `transformers serve`): `candidates(...)` POSTs the conversation so far to
`{QA_AUTOMATON_URL}/v1/chat/completions` and returns N replies.

It asks for all N at once (`n`); a server that ignores `n` (Ollama, llama.cpp's server)
returns one, and the rest are asked one call at a time. The whole reply, every call
together, has QA_AUTOMATON_TIMEOUT seconds. Anything but N good replies is a `ModelFailed`
(502) or `ModelTimedOut` (504): the caller charges nothing and stores nothing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from .errors import BadGateway, GatewayTimeout
from .i18n import N_
from .settings import Settings

Message = dict[str, str]


class ModelFailed(BadGateway):
    def __init__(self, reason: str) -> None:
        super().__init__(N_("the author's model did not answer (%(reason)s): nothing was charged; try again later"),
                         reason=reason)


class ModelTimedOut(GatewayTimeout):
    def __init__(self, seconds: float) -> None:
        super().__init__(N_("the author's model took longer than %(seconds)s s: nothing was charged; try again later"),
                         seconds=f"{seconds:g}")


@dataclass(frozen=True)
class Candidates:
    texts: list[str]
    model: str  # the name the server answered with
    version: str | None  # its system_fingerprint, when it sends one


def _choices(body: Any) -> tuple[list[str], str | None, str | None]:
    """The replies of one chat completion answer, its model and its fingerprint; ModelFailed
    when it is not one."""
    if not isinstance(body, dict) or not isinstance(body.get("choices"), list) or not body["choices"]:
        raise ModelFailed("its answer had no choices")
    texts = []
    for choice in body["choices"]:
        message = choice.get("message") if isinstance(choice, dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, str):
            raise ModelFailed("a choice had no message content")
        texts.append(content.strip())
    model = body.get("model") if isinstance(body.get("model"), str) else None
    fingerprint = body.get("system_fingerprint") if isinstance(body.get("system_fingerprint"), str) else None
    return texts, model, fingerprint


async def _ask(client: httpx.AsyncClient, url: str, payload: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
    try:
        return await client.post(url, json=payload, headers=headers)
    except httpx.TimeoutException:
        raise
    except httpx.HTTPError as error:
        # The kind of failure only: the server's address is the operator's, not the reader's to see.
        raise ModelFailed(f"{type(error).__name__}: the connection failed") from None


async def candidates(settings: Settings, messages: list[Message], *, model: str | None = None,
                     transport: httpx.AsyncBaseTransport | None = None) -> Candidates:
    """N (QA_AUTOMATON_CANDIDATES) replies to `messages`. `model` is a reader's adapter
    (QA_AUTOMATON_ADAPTERS); a server that refuses it before answering anything (no adapter of his
    yet: vLLM says 404; `transformers serve` says 500 or drops the connection) is asked again
    with QA_AUTOMATON_MODEL, within the same timeout. No connection is kept alive between
    calls: a server that failed a request may have left its connection unusable."""
    assert settings.automaton_url is not None, "the automaton is off"
    url = f"{settings.automaton_url}/v1/chat/completions"
    headers = {"Authorization": f"Bearer {settings.automaton_key}"} if settings.automaton_key else {}
    wanted = settings.automaton_candidates
    names = [name for name in (model, settings.automaton_model) if name]
    timeout = httpx.Timeout(settings.automaton_timeout)
    try:
        async with asyncio.timeout(settings.automaton_timeout), \
                httpx.AsyncClient(timeout=timeout, transport=transport,
                                  limits=httpx.Limits(max_keepalive_connections=0)) as client:
            texts: list[str] = []
            answered_as = version = None
            while len(texts) < wanted:
                payload = {"model": names[0], "messages": messages, "n": wanted - len(texts) if not texts else 1,
                           "max_tokens": settings.automaton_max_tokens}
                try:
                    response = await _ask(client, url, payload, headers)
                except ModelFailed:
                    if len(names) > 1 and not texts:  # `transformers serve` drops the connection for a folder it lacks
                        names.pop(0)
                        continue
                    raise
                if response.status_code in (404, 500) and len(names) > 1 and not texts:
                    names.pop(0)  # no adapter of this reader's on the server: the base model answers
                    continue
                if response.status_code != 200:
                    raise ModelFailed(f"HTTP {response.status_code} from the model server")
                try:
                    body = response.json()
                except ValueError:
                    raise ModelFailed("its answer was not JSON") from None
                got, answered_as, version = _choices(body)
                texts += got[:wanted - len(texts)]
            return Candidates(texts, answered_as or names[0], version)
    except (TimeoutError, httpx.TimeoutException):
        raise ModelTimedOut(settings.automaton_timeout) from None


__all__ = ["Candidates", "ModelFailed", "ModelTimedOut", "candidates"]
