"""Atom 1.0 (feed.xml) and RSS 2.0 (rss.xml) of the newest posts, full content included;
each language's side has its own (`en-GB/feed.xml`: the posts written in or translated into
English), the root's lists what the root index lists.

The feed's `updated` is the newest post's date, never the clock, so builds stay
byte-identical.
"""

from __future__ import annotations

import datetime as dt
from email.utils import format_datetime
from typing import Any, Callable
from xml.etree import ElementTree as ET

from .content import Document
from .languages import Side, sides
from .mdplugins.links import absolutize
from .site import Site

ATOM = "http://www.w3.org/2005/Atom"


def _xml(root: ET.Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _newest(listed: tuple[Document, ...]) -> dt.datetime:
    return max((d.date for d in listed), default=dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc))


def feeds(site: Site, keep: Callable[[str], Any] | None = None) -> dict[str, Any]:
    """{output path: feed} for every side: feed.xml and rss.xml, en-GB/feed.xml ...
    `keep(path)`: what to publish instead of making the feed again, or None (sitegen.live)."""
    out: dict[str, Any] = {}
    for side in sides(site):
        for path, make in ((f"{side.prefix}feed.xml", atom), (f"{side.prefix}rss.xml", rss)):
            found = keep(path) if keep is not None else None
            out[path] = found if found is not None else make(site, side)
    return out


def texts_read(site: Site) -> dict[str, frozenset[str]]:
    """{output path of a feed: the documents (source paths) whose text it carries}: the newest
    of its side. Of every other document a feed reads only what sitegen.live calls settled."""
    found: dict[str, frozenset[str]] = {}
    for side in sides(site):
        newest = frozenset(str(document.source) for document in side.documents[: site.config.feed_limit])
        found[f"{side.prefix}feed.xml"] = found[f"{side.prefix}rss.xml"] = newest
    return found


def atom(site: Site, side: Side | None = None) -> bytes:
    config = site.config
    side = side or sides(site)[0]
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {"xml:lang": side.language})

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        element.text = text
        return element

    sub(feed, "id", config.absolute(side.prefix))
    sub(feed, "title", config.title)
    if config.description:
        sub(feed, "subtitle", config.description)
    sub(feed, "updated", _newest(side.documents).isoformat())
    sub(feed, "link", rel="self", type="application/atom+xml", href=config.absolute(f"{side.prefix}feed.xml"))
    sub(feed, "link", rel="alternate", type="text/html", href=config.absolute(side.prefix))
    author = sub(feed, "author")
    sub(author, "name", config.author or config.title)
    sub(feed, "generator", "sitegen")
    for document in side.documents[: config.feed_limit]:
        entry = sub(feed, "entry", **{"xml:lang": document.language})
        sub(entry, "id", config.absolute(document.url))
        sub(entry, "title", document.title)
        sub(entry, "link", rel="alternate", type="text/html", href=config.absolute(document.url))
        for alternate in site.alternates(document):
            if alternate is not document:
                sub(entry, "link", rel="alternate", type="text/html", hreflang=alternate.language, href=config.absolute(alternate.url))
        sub(entry, "published", document.date.isoformat())
        sub(entry, "updated", document.date.isoformat())
        if document.author:
            sub(sub(entry, "author"), "name", document.author)
        for tag in document.tags:
            sub(entry, "category", term=tag.slug, label=tag.name)
        if document.desc:
            sub(entry, "summary", document.desc)
        sub(entry, "content", absolutize(document.html, config.absolute(document.url)), type="html")
    return _xml(feed)


def rss(site: Site, side: Side | None = None) -> bytes:
    config = site.config
    side = side or sides(site)[0]
    root = ET.Element("rss", {"version": "2.0"})
    root.set("xmlns:atom", ATOM)
    channel = ET.SubElement(root, "channel")

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, tag, attrs)
        element.text = text
        return element

    sub(channel, "title", config.title)
    sub(channel, "link", config.absolute(side.prefix))
    sub(channel, "description", config.description or config.title)
    sub(channel, "language", side.language)
    sub(channel, "lastBuildDate", format_datetime(_newest(side.documents)))
    sub(channel, "generator", "sitegen")
    sub(channel, "atom:link", href=config.absolute(f"{side.prefix}rss.xml"), rel="self", type="application/rss+xml")
    for document in side.documents[: config.feed_limit]:
        item = sub(channel, "item")
        sub(item, "title", document.title)
        sub(item, "link", config.absolute(document.url))
        sub(item, "guid", config.absolute(document.url), isPermaLink="true")
        sub(item, "pubDate", format_datetime(document.date))
        for tag in document.tags:
            sub(item, "category", tag.name)
        sub(item, "description", absolutize(document.html, config.absolute(document.url)))
    return _xml(root)
