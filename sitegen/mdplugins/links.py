"""Links and images: rel on links to other hosts, lazy local images with their size,
and every link and image target recorded in env["targets"] for checking (not env["references"]:
markdown-it keeps `[label]: url` definitions there)."""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape, unescape
from typing import Any, Callable
from urllib.parse import unquote, urljoin, urlsplit

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore

_HTML_REF = re.compile(r"""<(a|img|video|source|audio)\b[^>]*?\s(href|src)\s*=\s*(["'])(.*?)\3""", re.I | re.S)
_ALT = re.compile(r"""\salt\s*=\s*(["'])(.*?)\1""", re.I | re.S)
_TAG = re.compile(r"<img\b[^>]*>", re.I | re.S)


@lru_cache(maxsize=4096)  # pure, and asked for every link of every post
def is_external(href: str, site_host: str | None) -> bool:
    parts = urlsplit(href)
    if href.startswith("//"):
        return parts.netloc != site_host
    return parts.scheme in ("http", "https") and parts.netloc != site_host


@lru_cache(maxsize=4096)  # pure, and asked for every link of every post
def is_relative(target: str) -> bool:
    """A path relative to the page: needs a prefix when the page moves one folder down."""
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and bool(parts.path) and not target.startswith("/")


def _prefixed_html(html: str, prefix: str) -> str:
    def fix(match: re.Match[str]) -> str:
        value = match.group(4)
        if not is_relative(value):
            return match.group(0)
        start, end = match.span(4)
        whole_start = match.start(0)
        text = match.group(0)
        return text[: start - whole_start] + prefix + value + text[end - whole_start:]

    return _HTML_REF.sub(fix, html)


_ANCHOR = re.compile(r"<a\b[^>]*>", re.I | re.S)
_HREF = re.compile(r"""\shref\s*=\s*(["'])(.*?)\1""", re.I | re.S)
_REL = re.compile(r"""\srel\s*=\s*(["'])(.*?)\1""", re.I | re.S)


def _external_rel_html(html: str, site_host: str | None) -> str:
    """rel="nofollow noopener" on raw-HTML <a> tags that point at other hosts too."""

    def fix(match: re.Match[str]) -> str:
        tag = match.group(0)
        href = _HREF.search(tag)
        if href is None or not is_external(href.group(2), site_host):
            return tag
        rel = _REL.search(tag)
        if rel is None:
            return tag[:2] + ' rel="nofollow noopener"' + tag[2:]
        values = rel.group(2).split()
        values += [v for v in ("nofollow", "noopener") if v not in values]
        return tag[: rel.start(2)] + " ".join(values) + tag[rel.end(2):]

    return _ANCHOR.sub(fix, html)


def absolutize(html: str, page_url: str) -> str:
    """Every src/href made absolute against the page's URL: for feeds, read away from the site."""

    def fix(match: re.Match[str]) -> str:
        start, end = match.span(4)
        offset = match.start(0)
        text = match.group(0)
        return text[: start - offset] + urljoin(page_url, match.group(4)) + text[end - offset:]

    return _HTML_REF.sub(fix, html)


_FIGURE = re.compile(r"<figure\b.*?</figure>", re.I | re.S)
_CAPTION = re.compile(r"<figcaption\b[^>]*>(.*?)</figcaption>", re.I | re.S)
_MARKUP = re.compile(r"<[^>]*>")


def caption_alt(html: str) -> str:
    """An <img> without alt in a <figure> takes its <figcaption> as its text alternative, as
    Hugo's figure shortcode does: the caption names the image for a screen reader."""

    def fix(match: re.Match[str]) -> str:
        figure = match.group(0)
        caption = _CAPTION.search(figure)
        text = " ".join(unescape(_MARKUP.sub(" ", caption.group(1))).split()) if caption else ""
        if not text:
            return figure
        return _TAG.sub(lambda img: img.group(0) if _ALT.search(img.group(0)) else
                        img.group(0)[:4] + f' alt="{escape(text)}"' + img.group(0)[4:], figure)

    return _FIGURE.sub(fix, html)


@lru_cache(maxsize=4096)  # pure, and asked for every link of every post
def is_local(target: str) -> bool:
    """A path into the site itself (relative or root-relative), not a fragment or mailto."""
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and bool(parts.path)


def links_plugin(
    md: MarkdownIt,
    *,
    site_host: str | None = None,
    link_prefix: str = "",
) -> None:
    """link_prefix: put before relative URLs, for a page one folder below its files.
    env["image_size"], if given, maps a local image path to its (width, height)."""

    def visit(state: StateCore) -> None:
        refs: list[dict[str, Any]] = state.env.setdefault("targets", [])
        image_size: Callable[[str], tuple[int, int] | None] | None = state.env.get("image_size")
        for block in state.tokens:
            line = (block.map[0] + 1) if block.map else 0
            if block.type == "html_block" and block.map:  # generated blocks (the TOC) have no map
                block.content = caption_alt(block.content)
                _scan_html(block.content, line, refs)
                block.content = _external_rel_html(block.content, site_host)
                if link_prefix:
                    block.content = _prefixed_html(block.content, link_prefix)
            for token in block.children or []:
                if token.type == "link_open":
                    href = str(token.attrGet("href") or "")
                    if token.attrGet("class") != "anchor":
                        refs.append({"kind": "link", "target": href, "line": line, "alt": None})
                    if is_external(href, site_host):
                        rel = str(token.attrGet("rel") or "").split()
                        for value in ("nofollow", "noopener"):
                            if value not in rel:
                                rel.append(value)
                        token.attrSet("rel", " ".join(rel))
                    elif link_prefix and is_relative(href):
                        token.attrSet("href", link_prefix + href)
                elif token.type == "image":
                    src = str(token.attrGet("src") or "")
                    alt = "".join(c.content for c in token.children or []) if token.children else token.content
                    refs.append({"kind": "image", "target": src, "line": line, "alt": alt})
                    if is_local(src):
                        token.attrSet("loading", "lazy")
                        token.attrSet("decoding", "async")
                        size = image_size(unquote(urlsplit(src).path)) if image_size else None
                        if size:
                            token.attrSet("width", str(size[0]))
                            token.attrSet("height", str(size[1]))
                    if link_prefix and is_relative(src):
                        token.attrSet("src", link_prefix + src)
                elif token.type == "html_inline":
                    _scan_html(token.content, line, refs)
                    token.content = _external_rel_html(token.content, site_host)
                    if link_prefix:
                        token.content = _prefixed_html(token.content, link_prefix)

    md.core.ruler.push("links_and_images", visit)


def _scan_html(html: str, line: int, refs: list[dict[str, Any]]) -> None:
    """References in raw HTML (<img src>, <a href>, <video src> ...), with the line they are on."""
    for match in _HTML_REF.finditer(html):
        tag = match.group(1).lower()
        at = line + html.count("\n", 0, match.start())
        alt = None
        if tag == "img":
            whole = _TAG.search(html, match.start())
            found = _ALT.search(whole.group(0)) if whole else None
            alt = found.group(2) if found else ""
        refs.append({"kind": "link" if tag == "a" else "image", "target": match.group(4), "line": at, "alt": alt})
