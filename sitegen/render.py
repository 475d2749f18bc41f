"""The Site -> HTML pages, published Markdown sources, copied assets and theme files.

`render_site` returns {output path: bytes}; it touches no disk but the theme it is given
(templates and static files, read once by `Theme.load`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import jinja2

from .config import SiteConfig
from .i18n import human_date, strings
from .mdplugins.highlight import pygments_css
from .site import Site
from .theme import static_files, template_loader, theme_folders

def fingerprint(name: str, data: bytes) -> str:
    """style.css -> style.3f2a9c1e.css: a new name whenever the content changes."""
    stem, dot, suffix = name.rpartition(".")
    digest = hashlib.sha256(data).hexdigest()[:10]
    return f"{stem}.{digest}.{suffix}" if dot else f"{name}.{digest}"


@dataclass(frozen=True)
class Theme:
    """Templates and static files, read once; static names fingerprinted."""

    env: jinja2.Environment
    static: Mapping[str, bytes]  # fingerprinted output path -> bytes
    urls: Mapping[str, str]  # logical name ("style.css") -> fingerprinted output path

    folders: tuple[Path, ...] = ()  # where names were looked up, the author's theme first

    @classmethod
    def load(cls, folder: Path | None) -> "Theme":
        """The author's theme folder (None or absent: none) over the built-in theme."""
        folders = theme_folders(folder)
        env = jinja2.Environment(
            loader=template_loader(folders),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        static: dict[str, bytes] = {}
        urls: dict[str, str] = {}
        for name, path in static_files(folders).items():
            data = path.read_bytes()
            if name == "style.css":
                data = data + b"\n/* code highlighting (Pygments) */\n" + pygments_css().encode()
            out = "assets/" + fingerprint(name, data)
            static[out] = data
            urls[name] = out
        return cls(env, static, urls, folders)


def _url(config: SiteConfig, path: str) -> str:
    """A root-relative URL for an output path ("" for home): works on any host and offline."""
    return config.base_path + path


def render_site(site: Site, theme: Theme) -> dict[str, bytes]:
    config = site.config
    files: dict[str, bytes] = {}
    env = theme.env
    env.globals.update(
        site=config,
        url=lambda path="": _url(config, path),
        absolute=config.absolute,
        css=_url(config, theme.urls.get("style.css", "")),
        static=lambda name: _url(config, theme.urls[name]),
        human_date=human_date,
        pages=site.pages,
    )

    def page(template: str, path: str, language: str, **context: Any) -> None:
        html = env.get_template(template).render(
            lang=language, t=strings(language), path=path,
            canonical=config.absolute(path.removesuffix("index.html")), **context,
        )
        files[path] = html.encode("utf-8")

    for group in (*site.posts, *site.pages):
        for document in group.documents:
            out = document.url + "index.html"
            alternates = [d for d in group.documents]
            page(
                "post.html" if document.kind == "post" else "page.html",
                out,
                document.language,
                doc=document,
                alternates=alternates if len(alternates) > 1 else [],
                x_default=group.version(config.default_language),
            )
            files[document.source_url] = document.raw.encode("utf-8")

    listed = site.listed()
    chunks = [listed[i:i + config.per_page] for i in range(0, len(listed), config.per_page)] or [()]
    for number, chunk in enumerate(chunks, 1):
        path = "index.html" if number == 1 else f"page/{number}/index.html"
        page(
            "index.html", path, config.default_language, posts=chunk, number=number, total=len(chunks),
            hidden_drafts=site.hidden_drafts,
            newer=None if number == 1 else ("" if number == 2 else f"page/{number - 1}/"),
            older=f"page/{number + 1}/" if number < len(chunks) else None,
        )

    page("tags.html", "tags/index.html", config.default_language, groups=site.tags)
    for tag_group in site.tags:
        page("tag.html", f"tags/{tag_group.tag.slug}/index.html", config.default_language, group=tag_group)
    page("404.html", "404.html", config.default_language)

    files.update(theme.static)
    return files


__all__ = ["Theme", "render_site", "human_date", "fingerprint"]
