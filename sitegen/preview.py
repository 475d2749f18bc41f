"""What only the dev server (`sitegen serve`) adds to what it serves: a small script that
reloads the open page after each rebuild, and a page listing a broken build's problems.

Neither is ever written by `sitegen build`: they exist only in the dev server's answers.
Pure functions over bytes; serve.py does the HTTP.
"""

from __future__ import annotations

import html

from .errors import Problem

PREFIX = "/__sitegen/"  # no content path can start with it (hidden names are skipped)
SCRIPT_PATH = PREFIX + "reload.js"
EVENTS_PATH = PREFIX + "events"

# Server-sent events: the server answers "reload" once a build newer than the page has
# finished (good or broken). data-build is "<server run>.<build number>": EventSource
# reconnects by itself when the server restarts, and a page from another run reloads at once.
RELOAD_JS = b"""\
(function () {
  "use strict";
  var since = document.currentScript.getAttribute("data-build");
  var events = new EventSource("/__sitegen/events?since=" + encodeURIComponent(since));
  events.addEventListener("reload", function () { events.close(); location.reload(); });
})();
"""


def script_tag(build: str) -> bytes:
    return f'<script src="{SCRIPT_PATH}" data-build="{build}"></script>'.encode()


def inject_reload(page: bytes, build: str) -> bytes:
    """The page with the reload script before </body> (or at the end when there is none)."""
    tag = script_tag(build)
    at = page.rfind(b"</body>")
    return page + tag if at < 0 else page[:at] + tag + b"\n" + page[at:]


def error_page(problems: tuple[Problem, ...], build: str) -> bytes:
    """What the browser shows while the build is broken: each problem's file, line and message."""
    rows = "\n".join(
        f"<li><code>{html.escape(p.path)}{'' if p.line is None else ':' + str(p.line)}</code> {html.escape(p.message)}</li>"
        for p in problems
    )
    count = len(problems)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Build failed · sitegen</title>
<style>
body {{ font: 1rem/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; background: #fff; }}
h1 {{ color: #a30000; font-size: 1.4rem; }} li {{ margin: .5rem 0; }} code {{ font-family: ui-monospace, monospace; font-weight: 600; }}
@media (prefers-color-scheme: dark) {{ body {{ color: #eee; background: #161616; }} h1 {{ color: #ff8a80; }} }}
</style>
</head>
<body>
<main>
<h1>The build failed: {count} problem{'' if count == 1 else 's'}</h1>
<p>Fix {'it' if count == 1 else 'them'} and save: this page reloads by itself once the site builds again.</p>
<ol class="problems">
{rows}
</ol>
</main>
{script_tag(build).decode()}
</body>
</html>
""".encode()
