"""The `qa-service` command: serve, migrate, backup, restore, export, train, publish, deploy-nft, mint. `main(argv) -> exit status`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, cast

from pydantic import ValidationError

if TYPE_CHECKING:
    from .settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="qa-service", description="Sign in with Ethereum, ask the author, earn credits.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the service with uvicorn (migrates first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8001)
    serve.add_argument("--workers", type=int, default=1, help="processes (set QA_SECRET_KEY when > 1)")
    serve.add_argument("--log-level", default="info")
    commands.add_parser("migrate", help="bring the database schema up to date")
    backup = commands.add_parser("backup", help="write a consistent copy of the database while the service runs "
                                                "(SQLite: online backup; PostgreSQL: pg_dump)")
    backup.add_argument("--out", type=Path, required=True, help="the backup file to write (must not exist)")
    restore = commands.add_parser("restore", help="bring a backup back into an empty database (QA_DATABASE_URL)")
    restore.add_argument("file", type=Path, help="a file written by `qa-service backup`")
    export = commands.add_parser("export", help="write the posts and the answered questions as a Hugging Face dataset folder")
    export.add_argument("--content", type=Path, default=Path("content"), help="the blog's content folder (default content/)")
    export.add_argument("--config", type=Path, default=Path("site.toml"), help="the blog's site.toml (default site.toml)")
    export.add_argument("--out", type=Path, default=Path("dataset"), help="the dataset folder to write (default dataset/)")
    export.add_argument("--test-percent", type=int, default=10, choices=range(0, 101), metavar="0-100",
                        help="share of questions and posts in the test split (default 10)")
    export.add_argument("--system", default=None, help="a system turn put before every conversation, in every config")
    export.add_argument("--pii", choices=("scrub", "drop"), default="scrub",
                        help="scrub: replace personal data and secrets with typed placeholders (default); "
                             "drop: leave out every row in which any was found")
    export.add_argument("--by-asker", action="store_true",
                        help="also write by-asker/<asker pseudonym>/: each asker's rows alone, to train his own adapter")
    train = commands.add_parser("train", help="train the author's automaton on an export: SFT on sft, then DPO on "
                                               "preference and choices; writes a model folder `transformers serve` serves")
    train.add_argument("--dataset", type=Path, default=Path("dataset"), help="the folder `qa-service export` wrote (default dataset/)")
    train.add_argument("--out", type=Path, required=True, help="the model folder to write (replaced when training succeeds)")
    kind = train.add_mutually_exclusive_group(required=True)
    kind.add_argument("--base", help="the model to start from: a folder or a Hub name this machine has")
    kind.add_argument("--tiny", action="store_true", help="a tiny random model and a tokenizer trained on the export "
                                                          "(a demo that talks nonsense; nothing downloaded)")
    train.add_argument("--lora", action="store_true", help="train a LoRA adapter of --base and save the adapter alone (peft)")
    train.add_argument("--merge", action="store_true", help="with --lora: save the base with the adapter merged in, "
                                                            "a whole model (transformers serve cannot load a bare adapter)")
    train.add_argument("--asker", default=None, help="only this asker's conversations (his pseudonym, the export's `asker` column)")
    train.add_argument("--epochs", type=float, default=3.0, help="passes over the data per stage (default 3)")
    train.add_argument("--max-steps", type=int, default=-1, help="at most this many steps per stage (default: no cap)")
    train.add_argument("--batch-size", type=int, default=2)
    train.add_argument("--learning-rate", type=float, default=None, help="default 1e-3 (tiny), 2e-4 (lora), 1e-5 (whole model)")
    train.add_argument("--max-length", type=int, default=512, help="tokens per example; longer ones are cut (default 512)")
    train.add_argument("--seed", type=int, default=0)
    publish = commands.add_parser("publish", help="write the answered, public, consented conversations into the blog's content")
    publish.add_argument("--content", type=Path, default=Path("content"), help="the blog's content folder (default content/)")
    publish.add_argument("--config", type=Path, default=Path("site.toml"), help="the blog's site.toml (default site.toml)")
    commands.add_parser("example-thread", help="add one answered, public example conversation unless one is there (scripts/run)")
    commands.add_parser("secret", help="print a new QA_SECRET_KEY (32 random bytes, hex)")
    deploy = commands.add_parser("deploy-nft", help="deploy the AnswerNFT contract, owned by QA_MINTER_KEY (needs QA_RPC_URL)")
    deploy.add_argument("--name", default=None, help="the collection's on-chain name (default QA_NFT_COLLECTION)")
    deploy.add_argument("--symbol", default="ANSWER")
    mint = commands.add_parser("mint", help="mint every answered question's NFT to its asker (needs QA_RPC_URL, QA_MINTER_KEY, QA_NFT_CONTRACT)")
    mint.add_argument("--batch", type=int, default=20, choices=range(1, 201), metavar="1-200", help="tokens per transaction (default 20)")
    mint.add_argument("--dry-run", action="store_true", help="list the tokens not yet minted and their askers; send nothing")
    args = parser.parse_args(argv)

    from .settings import Settings, new_secret

    if args.command == "train":
        return _train(args)
    if args.command == "secret":
        print(new_secret())
        return 0
    try:
        settings = Settings()
    except ValidationError as exc:
        for error in exc.errors():
            print(f"qa-service: setting {'.'.join(str(p) for p in error['loc'])}: {error['msg']}", file=sys.stderr)
        return 2
    if args.command == "migrate":
        _migrate(settings)
        print(f"schema up to date: {settings.database_url.split('@')[-1]}")
        return 0
    if args.command in ("backup", "restore"):
        return _backup(args, settings)
    if args.command == "export":
        return _export(args, settings)
    if args.command == "publish":
        return _publish(args, settings)
    if args.command == "example-thread":
        from .db import dispose, make_engine, migrate
        from .example import add_example

        engine = make_engine(settings.database_url)
        try:
            migrate(engine)
            added = add_example(engine, settings=settings)
        finally:
            dispose(engine)
        print(f"example conversation added (question {added})" if added else "a published conversation is there already")
        return 0
    if args.command == "mint" and args.dry_run:
        return _unminted(settings)
    if args.command in ("deploy-nft", "mint"):
        return _chain(args, settings)
    if args.command == "serve":
        import uvicorn

        _migrate(settings)
        print(f"Q&A service on http://{args.host}:{args.port}/ask (sign-in domain {settings.domain}, chain {settings.chain_id})")
        from .serving import protocol

        # The httptools protocol with a header size cap, a header deadline and a connection
        # cap (serving.py); idle keep-alive connections close after 5 s (uvicorn's own).
        uvicorn.run("qa_service.app:create_app", factory=True, host=args.host, port=args.port,
                    workers=args.workers, log_level=args.log_level, proxy_headers=True,
                    http=cast("type[asyncio.Protocol]", protocol(settings)), timeout_keep_alive=5)
        return 0
    return 2


def _migrate(settings: Settings) -> None:
    from .db import dispose, make_engine, migrate

    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
    finally:
        dispose(engine)


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    from . import backup
    from .db import dispose, make_engine

    try:
        if args.command == "backup":
            print(backup.backup(settings.database_url, args.out))
            return 0
        engine = make_engine(settings.database_url)
        try:
            print(backup.restore(settings.database_url, args.file, engine))
        finally:
            dispose(engine)
        return 0
    except backup.BackupError as error:
        print(f"qa-service {args.command}: {error.detail}", file=sys.stderr)
        return 1


def _publish(args: argparse.Namespace, settings: Settings) -> int:
    from sitegen.errors import BuildError

    from .db import dispose, make_engine, migrate
    from .publish import publish

    if not settings.secret_key:
        print("qa-service publish: set QA_SECRET_KEY (it keys the askers' pseudonyms and the threads' names; "
              "`qa-service secret` prints one) and keep it, so the published pages keep their names", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        done = publish(engine, content=args.content, config=args.config, key=settings.key)
    except BuildError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(f"qa-service publish: nothing written; {args.content} is as it was", file=sys.stderr)
        return 1
    finally:
        dispose(engine)
    for rel in done.written:
        print(f"wrote {args.content / rel}")
    for rel in done.removed:
        print(f"removed {args.content / rel} (withdrawn, no longer public, or its asker left)")
    print(f"{len(done.written)} written, {done.unchanged} unchanged, {len(done.removed)} removed; "
          f"`sitegen build` puts them on the blog")
    return 0


def _export(args: argparse.Namespace, settings: Settings) -> int:
    from sitegen.errors import BuildError

    from .dataset import ExportOptions, export
    from .db import dispose, make_engine, migrate

    if not settings.secret_key:
        print("qa-service export: set QA_SECRET_KEY (the key of the dataset's pseudonyms, at least 32 random bytes; "
              "`qa-service secret` prints one) and keep it: the same key keeps every id the same from one export to "
              "the next", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    options = ExportOptions(content=args.content, config=args.config, out=args.out,
                            test_percent=args.test_percent, system=args.system, pii=args.pii, by_asker=args.by_asker)
    try:
        migrate(engine)
        summary = export(options, engine, key=settings.key)
    except BuildError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(f"qa-service export: nothing written; {args.out} is as it was", file=sys.stderr)
        return 1
    except OSError as error:  # a full disk, a file too large, a folder we may not write in
        print(f"qa-service export: cannot write {error.filename or args.out} ({error.strerror or error}): free some space "
              f"or pass --out DIR where you can write; nothing written; {args.out} is as it was", file=sys.stderr)
        return 1
    finally:
        dispose(engine)
    for config, splits in summary.rows.items():
        rows = f"{splits.get('train', 0)} train, {splits.get('test', 0)} test" if sum(splits.values()) else "no rows yet, left out"
        dropped = f" ({summary.dropped[config]} left out: personal data found)" if summary.dropped.get(config) else ""
        print(f"{config}: {rows}{dropped}")
    scrubbed = ", ".join(f"{kind} in {n} row(s)" for kind, n in sorted(summary.pii.items()))
    if scrubbed and args.pii == "scrub":
        print(f"scrubbed: {scrubbed}")
    print(f"removed.jsonl: {summary.removed} thread(s) removed since earlier exports")
    if args.by_asker:
        print(f"by-asker/: the rows of {summary.askers} asker(s), one folder each")
    print(f"dataset written to {args.out}/ (load it with datasets.load_dataset({str(args.out)!r}, 'sft'))")
    return 0


def _train(args: argparse.Namespace) -> int:
    """train needs no settings: an export in, a model folder out."""
    try:
        from .training import TrainError, TrainOptions, train
    except ImportError as error:  # pragma: no cover - the train extra is in the test extra
        print(f"qa-service train: {error.name} is missing: install the project with its train extra "
              f"(pip install -e '.[train]')", file=sys.stderr)
        return 2
    options = TrainOptions(dataset=args.dataset, out=args.out, base=args.base, tiny=args.tiny, lora=args.lora, merge=args.merge,
                           asker=args.asker, epochs=args.epochs, max_steps=args.max_steps, batch_size=args.batch_size,
                           learning_rate=args.learning_rate, max_length=args.max_length, seed=args.seed)
    try:
        summary = train(options)
    except TrainError as error:
        print(f"qa-service train: {error}; nothing written, {args.out} is as it was", file=sys.stderr)
        return 1
    except ImportError as error:
        print(f"qa-service train: {error.name} is missing: install the project with its train extra "
              f"(pip install -e '.[train]')", file=sys.stderr)
        return 2
    rows = ", ".join(f"{config} {n}" for config, n in summary.rows.items())
    steps = ", ".join(f"{stage} {n} steps (last loss {summary.loss[stage]:.3f})" for stage, n in summary.steps.items())
    print(f"rows: {rows}")
    print(f"trained: {steps} in {summary.seconds:.1f} s")
    if args.lora and not args.merge:
        print(f"adapter written to {args.out}/; serve it beside its base: "
              f"vllm serve {args.base} --enable-lora --lora-modules NAME={args.out.resolve()}")
    else:
        print(f"model written to {args.out}/; serve it: transformers serve --host 127.0.0.1 --port 8002, "
              f"and set QA_AUTOMATON_URL=http://127.0.0.1:8002 QA_AUTOMATON_MODEL={args.out.resolve()}")
    return 0


def _unminted(settings: Settings) -> int:
    """mint --dry-run: what the next `mint` would send, from the database alone (no node, no key)."""
    from .db import dispose, make_engine, migrate
    from .minting import unminted

    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        todo = unminted(engine)
    finally:
        dispose(engine)
    for token_id, asker in todo:
        print(f"token {token_id} -> {asker}")
    print(f"{len(todo)} token(s) to mint" if todo else "nothing to mint")
    return 0


def _chain(args: argparse.Namespace, settings: Settings) -> int:
    """deploy-nft and mint: both sign with QA_MINTER_KEY and talk to QA_RPC_URL."""
    import datetime as dt

    needed = {"QA_RPC_URL": settings.rpc_url, "QA_MINTER_KEY": settings.minter_key}
    if args.command == "mint":
        needed["QA_NFT_CONTRACT"] = settings.nft_contract
    missing = [name for name, value in needed.items() if not value]
    if missing:
        print(f"qa-service {args.command}: set {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        from eth_account import Account

        from . import chain, minting
        from .db import dispose, make_engine, migrate

        w3 = chain.connect(str(settings.rpc_url))
    except ImportError:
        print(f"qa-service {args.command}: web3 is missing: install the project with its chain extra (pip install -e '.[chain]')",
              file=sys.stderr)
        return 2
    try:
        minter = Account.from_key(str(settings.minter_key))
    except (ValueError, TypeError):
        print(f"qa-service {args.command}: QA_MINTER_KEY is not a private key (64 hex digits)", file=sys.stderr)
        return 2
    try:
        if args.command == "deploy-nft":
            address = minting.deploy(w3, minter, name=args.name or settings.nft_collection, symbol=args.symbol,
                                     base_uri=f"{settings.uri}/nft/")
            print(f"AnswerNFT deployed at {address} (owner {minter.address}); set QA_NFT_CONTRACT={address}")
            return 0
        engine = make_engine(settings.database_url)
        try:
            migrate(engine)
            minted = minting.mint_pending(engine, w3, minter, contract_address=str(settings.nft_contract),
                                          now=dt.datetime.now(dt.timezone.utc), batch=args.batch)
        finally:
            dispose(engine)
    except minting.ChainError as error:
        print(f"qa-service {args.command}: {error.detail}", file=sys.stderr)
        return 1
    except chain.REVERTS as error:  # refused while estimating gas: nothing was sent
        print(f"qa-service {args.command}: {minting.explain(data if isinstance(data := getattr(error, 'data', None), str) else '')}; nothing sent", file=sys.stderr)
        return 1
    except chain.NODE_ERRORS as error:  # the node: unreachable, refusing, the minter out of funds
        print(f"qa-service {args.command}: the node at QA_RPC_URL answered {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    for token in minted:
        how = f"in {token.tx_hash}" if token.tx_hash else "already on chain, now recorded"
        print(f"token {token.token_id} -> {token.owner} {how}")
    sent = sum(1 for token in minted if token.tx_hash)
    found = f", {len(minted) - sent} found on chain and recorded" if len(minted) > sent else ""
    print(f"{sent} token(s) minted{found}" if minted else "nothing to mint")
    return 0
