"""The `qa-service` command: serve, migrate. `main(argv) -> exit status`."""

from __future__ import annotations

import argparse
import sys

from pydantic import ValidationError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="qa-service", description="Sign in with Ethereum, ask the author, earn credits.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the service with uvicorn (migrates first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8001)
    serve.add_argument("--workers", type=int, default=1, help="processes (set QA_SECRET_KEY when > 1)")
    serve.add_argument("--log-level", default="info")
    commands.add_parser("migrate", help="bring the database schema up to date")
    args = parser.parse_args(argv)

    from .settings import Settings

    try:
        settings = Settings()
    except ValidationError as exc:
        for error in exc.errors():
            print(f"qa-service: setting {'.'.join(str(p) for p in error['loc'])}: {error['msg']}", file=sys.stderr)
        return 2
    if args.command == "migrate":
        from .db import make_engine, migrate

        migrate(make_engine(settings.database_url))
        print(f"schema up to date: {settings.database_url.split('@')[-1]}")
        return 0
    if args.command == "serve":
        import uvicorn

        from .db import make_engine, migrate

        migrate(make_engine(settings.database_url))
        print(f"Q&A service on http://{args.host}:{args.port}/ask (sign-in domain {settings.domain}, chain {settings.chain_id})")
        uvicorn.run("qa_service.app:create_app", factory=True, host=args.host, port=args.port,
                    workers=args.workers, log_level=args.log_level, proxy_headers=True)
        return 0
    return 2
