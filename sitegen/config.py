"""Site settings from `site.toml`, validated once and passed around as one frozen object."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping
from urllib.parse import urlsplit

from .errors import BuildError, Problem

LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?(-[A-Za-z0-9]{5,8})*$")

_KNOWN = {
    "title", "base_url", "default_language", "author", "description", "languages",
    "per_page", "offline", "qa_url", "feed_limit", "theme_color", "unsafe_html",
}


def is_language_tag(value: object) -> bool:
    """A BCP 47 tag of the common shape: language, optional script, region, variants."""
    return isinstance(value, str) and bool(LANGUAGE_TAG.match(value))


@dataclass(frozen=True)
class SiteConfig:
    title: str
    base_url: str  # absolute, always ending in "/"
    default_language: str = "en-GB"
    author: str = ""
    description: str = ""
    languages: Mapping[str, str] = field(default_factory=dict)  # tag -> label, in file order
    per_page: int = 10
    feed_limit: int = 20
    offline: bool = False
    qa_url: str | None = None
    theme_color: str = "#1d4ed8"
    unsafe_html: str = "refuse"  # raw HTML that would run a script: "refuse" it, or "warn" and publish it as text
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc

    @property
    def base_path(self) -> str:
        """The path part of base_url ("/" or "/blog/"): where the site lives on its host."""
        return urlsplit(self.base_url).path or "/"

    def absolute(self, url: str) -> str:
        """An output-relative URL ("hello/", "feed.xml") made absolute from base_url."""
        return self.base_url + url.lstrip("/")

    def language_label(self, tag: str) -> str:
        return self.languages.get(tag, tag)

    @classmethod
    def load(cls, path: Path, *, base_url: str | None = None) -> "SiteConfig":
        name = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise BuildError([Problem(name, None, "no such file: run `sitegen init` to start a blog here, or pass --config FILE")]) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise BuildError([Problem(name, None, f"cannot read ({exc}): make it a readable UTF-8 file")]) from None
        return cls.parse(text, name=name, base_url=base_url)

    @classmethod
    def parse(cls, text: str, *, name: str = "site.toml", base_url: str | None = None) -> "SiteConfig":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            line = _toml_error_line(exc)
            raise BuildError([Problem(name, line, f"invalid TOML ({exc}): fix the syntax")]) from None
        problems: list[Problem] = []

        def where(key: str) -> int | None:
            for number, raw in enumerate(text.splitlines(), 1):
                if re.match(rf"\s*{re.escape(key)}\s*=", raw):
                    return number
            return None

        def want(key: str, kind: type | tuple[type, ...], default: Any, what: str) -> Any:
            value = data.get(key, default)
            if value is not default and (not isinstance(value, kind) or isinstance(value, bool) and kind is int):
                problems.append(Problem(name, where(key), f"'{key}' must be {what}"))
                return default
            return value

        title = want("title", str, None, "a string")
        if not title:
            problems.append(Problem(name, where("title"), "missing 'title': add title = \"My blog\""))
        url = base_url or want("base_url", str, "http://127.0.0.1:8000/", "an absolute URL string")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(Problem(name, where("base_url"), f"'base_url' must be an absolute http(s) URL, got {url!r}"))
        url = url if url.endswith("/") else url + "/"
        default_language = want("default_language", str, "en-GB", "a BCP 47 tag such as \"ko-KR\"")
        if not is_language_tag(default_language):
            problems.append(Problem(name, where("default_language"), f"'default_language' {default_language!r} is not a BCP 47 tag such as \"ko-KR\""))
        languages = want("languages", dict, {}, "a table of tag = \"label\"")
        for tag, label in languages.items():
            if not is_language_tag(tag) or not isinstance(label, str):
                problems.append(Problem(name, where("languages"), f"languages: {tag!r} = {label!r} must be a BCP 47 tag with a string label"))
        per_page = want("per_page", int, 10, "a whole number")
        if per_page < 1:
            problems.append(Problem(name, where("per_page"), "'per_page' must be at least 1"))
        feed_limit = want("feed_limit", int, 20, "a whole number")
        offline = want("offline", bool, False, "true or false")
        qa_url = want("qa_url", str, None, "an absolute URL string")
        if qa_url is not None and urlsplit(qa_url).scheme not in ("http", "https"):
            problems.append(Problem(name, where("qa_url"), f"'qa_url' must be an absolute http(s) URL, got {qa_url!r}"))
        unsafe_html = want("unsafe_html", str, "refuse", '"refuse" or "warn"')
        if unsafe_html not in ("refuse", "warn"):
            problems.append(Problem(name, where("unsafe_html"), f"'unsafe_html' must be \"refuse\" or \"warn\", got {unsafe_html!r}"))
        if problems:
            raise BuildError(problems)
        return cls(
            title=title,
            base_url=url,
            default_language=default_language,
            author=want("author", str, "", "a string"),
            description=want("description", str, "", "a string"),
            languages=MappingProxyType(dict(languages)),
            per_page=per_page,
            feed_limit=feed_limit,
            offline=offline,
            qa_url=qa_url.rstrip("/") if qa_url else None,
            theme_color=want("theme_color", str, "#1d4ed8", "a CSS colour string"),
            unsafe_html=unsafe_html,
            extra=MappingProxyType({k: v for k, v in sorted(data.items()) if k not in _KNOWN}),
        )


def _toml_error_line(exc: tomllib.TOMLDecodeError) -> int | None:
    match = re.search(r"line (\d+)", str(exc))
    return int(match.group(1)) if match else None
