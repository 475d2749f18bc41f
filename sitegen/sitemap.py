"""sitemap.xml with an xhtml:link hreflang alternate for every language version."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from .content import Document
from .site import Site

SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML = "http://www.w3.org/1999/xhtml"


def sitemap(site: Site) -> bytes:
    config = site.config
    ET.register_namespace("", SITEMAP)
    ET.register_namespace("xhtml", XHTML)
    root = ET.Element(f"{{{SITEMAP}}}urlset")

    def add(loc: str, lastmod: str | None = None, alternates: tuple[Document, ...] = (),
            default: Document | None = None) -> None:
        url = ET.SubElement(root, f"{{{SITEMAP}}}url")
        ET.SubElement(url, f"{{{SITEMAP}}}loc").text = loc
        if lastmod:
            ET.SubElement(url, f"{{{SITEMAP}}}lastmod").text = lastmod
        for alternate in alternates:
            ET.SubElement(url, f"{{{XHTML}}}link", rel="alternate", hreflang=alternate.language, href=config.absolute(alternate.url))
        if alternates and default is not None:
            ET.SubElement(url, f"{{{XHTML}}}link", rel="alternate", hreflang="x-default", href=config.absolute(default.url))

    newest = max((d.date for d in site.listed()), default=None)
    add(config.base_url, newest.date().isoformat() if newest else None)
    for group in (*site.posts, *site.pages):
        alternates = group.documents if len(group.documents) > 1 else ()
        default = group.version(config.default_language)
        for document in group.documents:
            lastmod = document.date.date().isoformat() if document.kind == "post" else None
            add(config.absolute(document.url), lastmod, alternates, default)
    add(config.absolute("tags/"))
    for tag in site.tags:
        add(config.absolute(f"tags/{tag.tag.slug}/"))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
