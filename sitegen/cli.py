"""The `sitegen` command: build, serve, new, check. `main(argv) -> exit status`."""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib
import os
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import replace
from typing import Iterator, NoReturn
from pathlib import Path

from . import __version__
from .config import SiteConfig, is_language_tag
from .errors import BuildError, Problem
from .options import BuildOptions

# The rest of sitegen (Markdown, templates) is imported by the commands that need it: an
# unchanged blog's `sitegen build` answers before (sitegen.unchanged, sitegen.survey).


def _build_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--content", type=Path, default=Path("content"), help="content folder (default: content/)")
    parser.add_argument("--out", type=Path, default=Path("public"), help="output folder (default: public/; serve: a temporary folder)")
    parser.add_argument("--config", type=Path, default=Path("site.toml"), help="settings file (default: site.toml)")
    parser.add_argument("--theme", type=Path, default=None, help="theme folder (default: theme/ beside the config)")
    parser.add_argument("--drafts", action="store_true", help="build posts with publish: 0 too")
    parser.add_argument("--base-url", default=None, help="override base_url from site.toml")
    parser.add_argument("--no-cache", action="store_true", help="ignore .sitegen-cache/ beside site.toml: build everything from nothing")
    parser.add_argument("--jobs", type=int, default=None, metavar="N", help="processes rendering Markdown (default: one per core)")


def _options(args: argparse.Namespace, *, strict_alt: bool = False) -> BuildOptions:
    return BuildOptions(
        content=args.content, out=args.out, config=args.config, theme=args.theme,
        drafts=args.drafts, base_url=args.base_url, strict_alt=strict_alt,
        cache=not args.no_cache, jobs=args.jobs,
    )


def _port(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = -1
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)")
    return number


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="sitegen", description="Markdown blog -> static, script-free, offline-ready site.")
    root.add_argument("--version", action="version", version=f"sitegen {__version__}")
    commands = root.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build the site into the output folder")
    _build_arguments(build)
    build.add_argument("--timings", action="store_true", help="print how long each stage took (read, parse, render ... write)")
    serve = commands.add_parser("serve", help="build, serve on 127.0.0.1 and rebuild on change (drafts shown)")
    _build_arguments(serve)
    serve.set_defaults(out=None)  # a temporary folder: a preview never lands in public/
    serve.add_argument("--no-drafts", action="store_true", help="preview only what `sitegen build` publishes")
    serve.add_argument("--port", type=_port, default=8000, help="port on 127.0.0.1 (default: 8000; 0: any free one)")
    serve.add_argument("--host", default="127.0.0.1", help=argparse.SUPPRESS)
    init = commands.add_parser("init", help="start a new blog in DIR (default: here)")
    init.add_argument("dir", nargs="?", type=Path, default=Path("."))
    init.add_argument("--title", default=None, help="the blog's title (default: My blog)")
    init.add_argument("--base-url", default="http://127.0.0.1:8000/", help="where the site will live (default: the preview address)")
    init.add_argument("--language", default=None, help="BCP 47 tag of the blog's language (default: from $LANG, else en-GB)")
    init.add_argument("--author", default="", help="your name, for feeds and pages")
    new = commands.add_parser("new", help="scaffold content/blog/SLUG/index.md from a slug or a title")
    new.add_argument("slug", help='a slug (my-post) or a title ("My Second Post!") to derive one from')
    new.add_argument("--title", default=None)
    new.add_argument("--lang", default=None, help="language tag (default: the site's)")
    new.add_argument("--content", type=Path, default=Path("content"))
    new.add_argument("--config", type=Path, default=Path("site.toml"))
    _build_arguments(commands.add_parser("check", help="validate content without writing anything"))
    theme = commands.add_parser("theme", help="show where the built-in theme is, or copy it out for customising")
    theme.add_argument("--copy", type=Path, metavar="DIR", default=None,
                       help="copy the built-in theme into DIR (theme/ beside site.toml is used by build and serve)")
    return root


def _problems(error: BuildError) -> int:
    for problem in error.problems:
        print(problem, file=sys.stderr)
    print(f"sitegen: {len(error.problems)} problem(s); nothing was written", file=sys.stderr)
    return 1


def _locale_language() -> str:
    """ko_KR.UTF-8 -> ko-KR; anything unusable -> en-GB."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "").split(".")[0].replace("_", "-")
        if value:
            return value if is_language_tag(value) and value.count("-") == 1 else "en-GB"
    return "en-GB"


def _init(args: argparse.Namespace) -> int:
    language = args.language or _locale_language()
    if not is_language_tag(language):
        raise BuildError([Problem("--language", None, f"{language!r} is not a BCP 47 tag such as ko-KR or en-GB")])
    title = args.title or ("내 블로그" if language.lower().startswith("ko") else "My blog")
    from .scaffold import FIRST_POST, init_files, init_site

    files = init_files(title=title, base_url=args.base_url, language=language, author=args.author,
                       now=dt.datetime.now(dt.timezone.utc).astimezone())
    init_site(args.dir, files)
    where = "" if args.dir == Path(".") else f"cd {args.dir} && "
    print(f"started a blog in {args.dir}: site.toml, content/blog/{FIRST_POST}/index.md, content/about/index.md, .gitignore")
    print(f"next: {where}sitegen serve   (preview on http://127.0.0.1:8000/; `sitegen new \"A title\"` starts a post)")
    return 0


def _theme(copy_to: Path | None) -> int:
    from .theme import BUILTIN, copy_theme

    if copy_to is None:
        names = sorted(p.relative_to(BUILTIN).as_posix() for p in BUILTIN.rglob("*") if p.is_file())
        print(f"built-in theme: {BUILTIN.resolve()}")
        print("\n".join(f"  {name}" for name in names))
        print("copy it with `sitegen theme --copy theme`; a template your theme lacks comes from the built-in one")
        return 0
    written = copy_theme(copy_to)
    print(f"copied {len(written)} files of the built-in theme into {copy_to}; edit them there "
          f"(theme/ beside site.toml is used by default, or pass --theme {copy_to})")
    return 0


@contextmanager
def _rare_collections() -> Iterator[None]:
    """A build's heap grows by tens of thousands of documents, records and digests, which the
    cyclic collector would walk every 700 allocations: a title edit at 5,000 posts spent 1.9 s
    of its 8 s in 1,800 collections, 0.5 s with one every 50,000."""
    before = gc.get_threshold()
    gc.set_threshold(50_000, 20, 10)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _importing(name: str) -> threading.Thread:
    """A thread (not started) importing the module `name`, for a build that may not need it:
    a build that goes on has it ~0.1 s sooner (imported while this process waits for the
    survey's children), one that finds nothing changed leaves without waiting for it."""
    return threading.Thread(target=importlib.import_module, args=(name,), name="sitegen-import", daemon=True)


def _imported(thread: threading.Thread) -> None:
    """The import done, the thread gone (sitegen.forking forks only a process alone)."""
    if thread.ident is not None:
        thread.join()


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "build":
            with _rare_collections():
                start = time.perf_counter()
                from . import survey
                from .unchanged import check_build

                with survey.start(_options(args)) as surveying:  # (taken by a child process)
                    importing = _importing("sitegen.build")
                    surveying.meanwhile = importing.start  # (while this process would wait for the child)
                    same, ahead = check_build(_options(args), surveying)
                    if same is None:
                        _imported(importing)
                        from .build import build_site  # (if it was not: while the child lists the output folder)

                        inputs, present = surveying.inputs(), surveying.present()
                if same is not None:
                    for warning in same.warnings:
                        print(f"warning: {warning}", file=sys.stderr)
                    took = (time.perf_counter() - start) * 1000
                    print(f"nothing changed since the last build: {same.pages} pages, {same.files} files in {args.out} ({took:.0f} ms)")
                    if args.timings:
                        print(f"unchanged {took:.0f} ms")
                    return 0
                result = build_site(_options(args), inputs=inputs, present=lambda: present, ahead=ahead)
                for warning in result.warnings:
                    print(f"warning: {warning}", file=sys.stderr)
                if result.site_config.host.split(":")[0] in ("127.0.0.1", "localhost"):
                    print(f"warning: {args.config}: base_url is {result.site_config.base_url}, the preview address: canonical links "
                          "and feeds point there; set base_url to where the site will live (or pass --base-url) before publishing",
                          file=sys.stderr)
                took = (time.perf_counter() - start) * 1000
                if result.site is None:  # unchanged since check_build looked (a build that finished meanwhile)
                    print(f"nothing changed since the last build: {result.pages} pages, {result.file_count} files in {args.out} ({took:.0f} ms)")
                else:
                    print(f"built {result.pages} pages, {result.file_count} files into {args.out} in {took:.0f} ms")
                if args.timings:
                    print("  ".join(f"{stage} {seconds * 1000:.0f} ms" for stage, seconds in result.timings.items()))
                    print(", ".join(f"{what} {n}" for what, n in sorted(result.counts.items())) or "no build cache")
                return 0
        if args.command == "check":
            from .build import build_files

            result = build_files(_options(args, strict_alt=True))
            for warning in result.warnings:
                print(f"warning: {warning}", file=sys.stderr)
            site = result.site
            assert site is not None  # build_files always builds
            print(f"ok: {len(site.documents)} documents, {len(site.assets)} files, no problems")
            return 0
        if args.command == "serve":
            from .serve import serve

            options = replace(_options(args), drafts=not args.no_drafts, out=args.out or Path("public"))
            return serve(options, port=args.port, host=args.host, scratch_out=args.out is None)
        if args.command == "new":
            language = args.lang
            if language is None:
                language = SiteConfig.load(args.config).default_language if args.config.exists() else "en-GB"
            from .scaffold import new_post

            path = new_post(args.content, args.slug, title=args.title, language=language,
                            now=dt.datetime.now(dt.timezone.utc).astimezone())
            print(f"created {path}")
            return 0
        if args.command == "init":
            return _init(args)
        if args.command == "theme":
            return _theme(args.copy)
    except BuildError as error:
        return _problems(error)
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # a bug in sitegen, not the author's input: still one line, unless asked
        if os.environ.get("SITEGEN_TRACEBACK"):
            raise
        print(f"sitegen: internal error ({type(error).__name__}: {error}); this is a bug in sitegen: "
              "please report it with the output of the same command run with SITEGEN_TRACEBACK=1", file=sys.stderr)
        return 1
    return 2



def run() -> NoReturn:
    """The `sitegen` command: `main`, then out without tearing the heap down object by object
    (after a build at 5,000 posts that is ~0.2 s of a one-second rebuild, spent freeing what the
    kernel frees at once). Nothing is left to run then: the cache is committed and closed, every
    file written and closed, worker pools joined, the old output folder's removal detached
    (sitegen.output)."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
