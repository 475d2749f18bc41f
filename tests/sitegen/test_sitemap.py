"""sitemap.xml is written as text; it must be exactly what ElementTree writes and indents for
the same entries (the format sitemap readers were given before, and a well-formed document)."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

from sitegen.build import BuildOptions, read_site
from sitegen.site import Site
from sitegen.sitemap import SITEMAP, XHTML, entries, sitemap

from .conftest import REPO, SITE_TOML, post


def by_element_tree(site: Site) -> bytes:
    """The same entries written by ElementTree: the reference."""
    ET.register_namespace("", SITEMAP)
    ET.register_namespace("xhtml", XHTML)
    root = ET.Element(f"{{{SITEMAP}}}urlset")
    for loc, lastmod, alternates in entries(site):
        url = ET.SubElement(root, f"{{{SITEMAP}}}url")
        ET.SubElement(url, f"{{{SITEMAP}}}loc").text = loc
        if lastmod:
            ET.SubElement(url, f"{{{SITEMAP}}}lastmod").text = lastmod
        if len(alternates) > 1:
            for language, href in alternates:
                ET.SubElement(url, f"{{{XHTML}}}link", rel="alternate", hreflang=language, href=href)
            ET.SubElement(url, f"{{{XHTML}}}link", rel="alternate", hreflang="x-default", href=alternates[0][1])
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
