"""A small OpenAI-compatible chat server on 127.0.0.1 for the automaton's tests: it answers
`POST /v1/chat/completions` with predictable candidates ("<model> says <k>: <last user
message>") and appends every request it gets (path, Authorization, JSON body) to a log file
as one JSON line, written before it answers. Run in a thread (`stub_server`) or as its own
process (`python -m tests.qa_service.model_stub PORT LOG [options]`, `stub_process`), which
a test can kill with SIGKILL while it holds a request (`--hang`)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import httpx

from .servers import free_port


@dataclass
class Behaviour:
    ignore_n: bool = False  # answer one choice whatever `n` asks (Ollama, llama.cpp's server)
    hang: bool = False  # log the request, then never answer
    delay: float = 0.0  # seconds to think before answering
    status: int = 200  # answer this status instead (500: a broken server)
    malformed: bool = False  # answer 200 with JSON that is not a chat completion
    models: list[str] = field(default_factory=list)  # when given, any other model is a 404 (vLLM's way)
    fingerprint: str = "stub-v1"


def requests_in(log: Path) -> list[dict[str, object]]:
    """What the server received, oldest first."""
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]


def _handler(log: Path, behaviour: Behaviour) -> type[BaseHTTPRequestHandler]:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802  (readiness probe)
            self._send(200, {"object": "list", "data": [{"id": m} for m in behaviour.models]})

        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers.get("content-length", "0"))) or b"null")
            with lock, log.open("a", encoding="utf-8") as out:
                out.write(json.dumps({"path": self.path, "authorization": self.headers.get("authorization"),
                                      "body": body}, ensure_ascii=False) + "\n")
            if behaviour.hang:
                time.sleep(3600)
            time.sleep(behaviour.delay)
            if self.path != "/v1/chat/completions":
                self._send(404, {"error": {"message": f"no {self.path}"}})
                return
            model = body.get("model")
            if behaviour.models and model not in behaviour.models:
                self._send(404, {"error": {"message": f"The model `{model}` does not exist."}})
                return
            if behaviour.status != 200:
                self._send(behaviour.status, {"error": {"message": "broken on purpose"}})
                return
            if behaviour.malformed:
                self._send(200, {"choices": "none"})
                return
            last = next(m["content"] for m in reversed(body["messages"]) if m["role"] == "user")
            wanted = 1 if behaviour.ignore_n else int(body.get("n") or 1)
            done = len(requests_in(log)) - 1  # a different number per call, so candidates differ across calls
            choices = [{"index": i, "finish_reason": "stop",
                        "message": {"role": "assistant", "content": f"{model} says {done}.{i}: {last}"}}
                       for i in range(wanted)]
            self._send(200, {"id": "chatcmpl-1", "object": "chat.completion", "model": model, "choices": choices,
                             "system_fingerprint": behaviour.fingerprint})

        def _send(self, status: int, payload: object) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextlib.contextmanager
def stub_server(log: Path, behaviour: Behaviour | None = None) -> Iterator[str]:
    """The stub in a thread of this process; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(log, behaviour or Behaviour()))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def stub_process(log: Path, *options: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The stub as its own process (for a test that kills it); yields its URL and the process."""
    port = free_port()
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen([sys.executable, "-m", "tests.qa_service.model_stub", str(port), str(log), *options],
                               cwd=root, env={**os.environ, "PYTHONPATH": str(root)})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{url}/v1/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the model stub did not start") from None
                time.sleep(0.05)
        yield url, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("log", type=Path)
    parser.add_argument("--hang", action="store_true")
    parser.add_argument("--ignore-n", action="store_true")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), _handler(args.log, Behaviour(ignore_n=args.ignore_n,
                                                                                       hang=args.hang)))
    server.serve_forever()


if __name__ == "__main__":
    main()
