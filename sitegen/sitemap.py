"""sitemap.xml with an xhtml:link hreflang alternate for every language version."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from .languages import sides
from .site import Site

SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML = "http://www.w3.org/1999/xhtml"


def sitemap(site: Site) -> bytes:
    config = site.config
    ET.register_namespace("", SITEMAP)
    ET.register_namespace("xhtml", XHTML)
    root = ET.Element(f"{{{SITEMAP}}}urlset")

    def add(loc: str, lastmod: str | None = None, alternates: list[tuple[str, str]] | None = None) -> None:
        """alternates: (language, absolute URL) of every version, x-default first."""
        url = ET.SubElement(root, f"{{{SITEMAP}}}url")
        ET.SubElement(url, f"{{{SITEMAP}}}loc").text = loc
        if lastmod:
            ET.SubElement(url, f"{{{SITEMAP}}}lastmod").text = lastmod
        if alternates and len(alternates) > 1:
            for language, href in alternates:
                ET.SubElement(url, f"{{{XHTML}}}link", rel="alternate", hreflang=language, href=href)
            ET.SubElement(url, f"{{{XHTML}}}link", rel="alternate", hreflang="x-default", href=alternates[0][1])

    all_sides = sides(site)
    homes = [(side.language, config.absolute(side.prefix)) for side in all_sides]
    newest = max((d.date for d in site.listed()), default=None)
    add(config.base_url, newest.date().isoformat() if newest else None, homes)
    for group in (*site.posts, *site.pages):
        default = group.version(config.default_language)
        versions = [(d.language, config.absolute(d.url)) for d in sorted(group.documents, key=lambda d: d is not default)]
        for document in group.documents:
            lastmod = (document.revision_date or document.date).date().isoformat() if document.kind == "post" else None
            add(config.absolute(document.url), lastmod, versions)
    # each language's side: its index, tags and tag pages, with the other sides as alternates
    tag_sides: dict[str, list[tuple[str, str]]] = {}
    for side in all_sides:
        for tag_group in side.tags:
            tag_sides.setdefault(tag_group.tag.slug, []).append((side.language, config.absolute(f"{side.prefix}tags/{tag_group.tag.slug}/")))
    for side in all_sides:
        if side.prefix:
            add(config.absolute(side.prefix), None, homes)
        add(config.absolute(f"{side.prefix}tags/"), None, [(s.language, config.absolute(f"{s.prefix}tags/")) for s in all_sides if s.tags])
        for tag_group in side.tags:
            add(config.absolute(f"{side.prefix}tags/{tag_group.tag.slug}/"), None, tag_sides[tag_group.tag.slug])
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
