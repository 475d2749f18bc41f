"""sitemap.xml is written as text; it must be exactly what ElementTree writes and indents for
the same tree (the format sitemap readers were given before, and a well-formed document)."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

from sitegen.build import BuildOptions, read_site
from sitegen.languages import sides
from sitegen.site import Site
from sitegen.sitemap import SITEMAP, XHTML, sitemap

from .conftest import REPO, SITE_TOML, post


def by_element_tree(site: Site) -> bytes:
    """The same sitemap built as an ElementTree: the reference."""
    config = site.config
    ET.register_namespace("", SITEMAP)
    ET.register_namespace("xhtml", XHTML)
    root = ET.Element(f"{{{SITEMAP}}}urlset")

    def add(loc: str, lastmod: str | None = None, alternates: list[tuple[str, str]] | None = None) -> None:
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


def test_the_example_site_map_is_element_trees() -> None:
    site = read_site(BuildOptions(content=REPO / "content", config=REPO / "site.toml", theme=REPO / "theme"))
    assert sitemap(site) == by_element_tree(site)
    assert ET.fromstring(sitemap(site)).tag == f"{{{SITEMAP}}}urlset"


@pytest.mark.parametrize("translated", [True, False])
def test_a_site_of_awkward_names_is_mapped_as_element_tree_would(make_site, translated: bool) -> None:  # type: ignore[no-untyped-def]
    files = {
        "blog/a&b/index.md": post(title="A & B <tags>", date="2026-01-02", tags='["음악", "R&D", "<x>"]'),
        "blog/quote/index.md": post(title='"Quoted"', date="2026-01-03", revised="2026-02-01", tags="[music]"),
        "about/index.md": post(title="About"),
    }
    if translated:
        files["blog/quote/en-GB.md"] = post(title="In English", date="2026-01-03", tags="[music]")
    options = make_site(files, SITE_TOML.replace("https://blog.example/", "https://blog.example/a&b/"))
    site = read_site(options)
    assert sitemap(site) == by_element_tree(site)
    assert (b"xhtml:link" in sitemap(site)) is translated
