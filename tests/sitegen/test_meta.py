"""_headers as static hosts read it: every path gets exactly one Cache-Control."""

from __future__ import annotations

from sitegen.build import build_files
from sitegen.meta import headers_for, parse_headers

from .conftest import post


def test_each_output_path_matches_one_cache_rule(make_site) -> None:  # type: ignore[no-untyped-def]
    files = build_files(make_site({"blog/hello/index.md": post(), "blog/hello/a.png": b"png", "about/index.md": post()})).files
    rules = parse_headers(files["_headers"].decode())
    for path in files:
        if path == "_headers":
            continue
        url = "/" + path.removesuffix("index.html")
        found = headers_for(url, rules)
        expected = "public, max-age=31536000, immutable" if path.startswith("assets/") else "public, max-age=0, must-revalidate"
        assert found["Cache-Control"] == expected, url  # a second matching rule would append to it


def test_llms_txt_and_robots(make_site) -> None:  # type: ignore[no-untyped-def]
    files = build_files(make_site({"blog/hello/index.md": post(title="Hello", desc="A greeting")})).files
    assert "- [Hello](https://blog.example/hello/index.md): A greeting" in files["llms.txt"].decode()
    assert "Sitemap: https://blog.example/sitemap.xml" in files["robots.txt"].decode()
