"""The small files around the pages: robots.txt, manifest.webmanifest, llms.txt,
llms-full.txt and _headers (cache and security headers for static hosts and `serve`)."""

from __future__ import annotations

import fnmatch
import json
from typing import Iterator, Mapping

from .config import SiteConfig
from .content import Document
from .site import Site

ASSETS = "assets/"  # fingerprinted theme files: their names change with their content
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=0, must-revalidate"
SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "media-src 'self'; frame-src https:; object-src 'none'; base-uri 'self'; form-action 'self' https:"
    ),
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


def robots(site: Site) -> bytes:
    return f"User-agent: *\nAllow: /\n\nSitemap: {site.config.absolute('sitemap.xml')}\n".encode()


def manifest(site: Site) -> bytes:
    config = site.config
    data = {
        "name": config.title,
        "short_name": config.title[:12],
        "description": config.description,
        "lang": config.default_language,
        "start_url": config.base_path,
        "scope": config.base_path,
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": config.theme_color,
    }
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def llms(site: Site) -> bytes:
    """The llms.txt format: a title, a summary, then sections of links to the Markdown."""
    config = site.config
    lines = [f"# {config.title}", ""]
    if config.description:
        lines += [f"> {config.description}", ""]
    languages = sorted({d.language for d in site.documents})
    lines += [
        f"Written by {config.author or config.title}. Every page links to its Markdown source;"
        f" languages: {', '.join(languages) or config.default_language}.",
        "",
        "## Posts",
        "",
    ]
    for post in site.posts:
        for document in post.documents:
            desc = f": {document.desc}" if document.desc else ""
            lines.append(f"- [{document.title}]({config.absolute(document.source_url)}){desc}")
    if site.pages:
        lines += ["", "## Pages", ""]
        for page in site.pages:
            for document in page.documents:
                lines.append(f"- [{document.title}]({config.absolute(document.source_url)})")
    lines += ["", "## Optional", "", f"- [Every post in full]({config.absolute('llms-full.txt')})", ""]
    return "\n".join(lines).encode()


def llms_full(site: Site) -> bytes:
    return b"".join(llms_full_parts(site))


def llms_full_parts(site: Site) -> Iterator[bytes]:
    """llms-full.txt in pieces, made as they are asked for: the title, then one per document,
    in `llms_full_order`."""
    yield f"# {site.config.title}\n".encode()
    for document in llms_full_order(site):
        yield llms_full_part(site.config, document)


def llms_full_order(site: Site) -> list[Document]:
    return [document for group in (*site.posts, *site.pages) for document in group.documents]


def llms_full_part(config: SiteConfig, document: Document) -> bytes:
    return b"".join((
        f"\n---\n\n# {document.title}\n\nURL: {config.absolute(document.url)}\n"
        f"Source: {config.absolute(document.source_url)}\nLanguage: {document.language}\n"
        f"Date: {document.date.isoformat()}\nRevision: {document.revision}\n\n".encode(),
        document.body_utf8,  # the text's bytes as they are: not made a str to be encoded again
        b"\n",
    ))


def headers(site: Site, files: Mapping[str, object]) -> bytes:
    """Netlify / Cloudflare Pages `_headers`: no header appears in two matching rules."""
    base = site.config.base_path
    rules: list[tuple[str, dict[str, str]]] = [(f"{base}*", dict(SECURITY))]
    tops = sorted({path.split("/", 1)[0] + ("/" if "/" in path else "") for path in files})
    for top in tops:
        if top == ASSETS:
            rules.append((f"{base}{ASSETS}*", {"Cache-Control": IMMUTABLE}))
        elif top == "sw.js":
            rules.append((f"{base}sw.js", {"Cache-Control": "no-cache"}))
        elif top.endswith("/"):
            rules.append((f"{base}{top}*", {"Cache-Control": REVALIDATE}))
        elif top == "index.html":
            rules.append((base, {"Cache-Control": REVALIDATE}))
            rules.append((f"{base}index.html", {"Cache-Control": REVALIDATE}))
        elif top != "_headers":
            rules.append((f"{base}{top}", {"Cache-Control": REVALIDATE}))
    out = []
    for pattern, values in rules:
        out.append(pattern)
        out += [f"  {name}: {value}" for name, value in values.items()]
    return ("\n".join(out) + "\n").encode()


def parse_headers(text: str) -> list[tuple[str, dict[str, str]]]:
    """Read a `_headers` file back: [(pattern, {header: value})] in file order."""
    rules: list[tuple[str, dict[str, str]]] = []
    for raw in text.splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        if not raw[0].isspace():
            rules.append((raw.strip(), {}))
        elif rules and ":" in raw:
            name, value = raw.strip().split(":", 1)
            rules[-1][1][name.strip()] = value.strip()
    return rules


def headers_for(url_path: str, rules: list[tuple[str, dict[str, str]]]) -> dict[str, str]:
    """The headers a static host sends for a URL path: every matching rule, combined."""
    found: dict[str, str] = {}
    for pattern, values in rules:
        if url_path == pattern or fnmatch.fnmatchcase(url_path, pattern):
            for name, value in values.items():
                found[name] = f"{found[name]}, {value}" if name in found else value
    return found
