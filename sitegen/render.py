"""The Site -> HTML pages, published Markdown sources, copied assets and theme files.

`render_site` returns {output path: bytes}; it touches no disk but the theme it is given
(templates and static files, read once by `Theme.load`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import jinja2

from .config import SiteConfig
from .mdplugins.highlight import pygments_css
from .site import Site
from .theme import static_files, template_loader, theme_folders

STRINGS = {
    "ko": {
        "skip": "본문으로 건너뛰기", "home": "홈", "tags": "태그", "about": "소개",
        "newer": "← 최신 글", "older": "이전 글 →", "page": "페이지", "languages": "다른 언어로 읽기",
        "source": "마크다운 원문", "ask": "저자에게 질문하기", "revision": "개정", "posts_tagged": "태그",
        "not_found": "페이지를 찾을 수 없습니다", "not_found_body": "주소를 확인하거나 홈에서 글을 찾아 보세요.",
        "feed": "피드", "all_posts": "모든 글", "published": "게시", "by": "글",
        "draft": "초안: 아직 게시되지 않은 글입니다 (publish: 0)", "draft_short": "초안",
        "no_posts": "아직 글이 없습니다.", "drafts_hidden": "초안 {n}개는 숨겨져 있습니다 (sitegen serve 또는 --drafts로 보기).",
    },
    "en": {
        "skip": "Skip to content", "home": "Home", "tags": "Tags", "about": "About",
        "newer": "← Newer posts", "older": "Older posts →", "page": "Page", "languages": "Read in",
        "source": "Markdown source", "ask": "Ask the author", "revision": "Revision", "posts_tagged": "Tagged",
        "not_found": "Page not found", "not_found_body": "Check the address, or find the post from the home page.",
        "feed": "Feed", "all_posts": "All posts", "published": "Published", "by": "by",
        "draft": "Draft: not published yet (publish: 0)", "draft_short": "draft",
        "no_posts": "No posts yet.", "drafts_hidden": "{n} draft(s) hidden (see them with sitegen serve, or --drafts).",
    },
}
MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December"]


def strings(language: str) -> dict[str, str]:
    return STRINGS.get(language.split("-")[0].lower(), STRINGS["en"])


def human_date(moment: dt.datetime, language: str) -> str:
    if language.lower().startswith("ko"):
        return f"{moment.year}년 {moment.month}월 {moment.day}일"
    return f"{moment.day} {MONTHS_EN[moment.month - 1]} {moment.year}"


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
