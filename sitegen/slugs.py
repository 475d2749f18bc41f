"""Stable URL slugs for tags and heading ids: letters of every script kept (Hangul too)."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_DROP = re.compile(r"[^\w\s-]", re.UNICODE)
_DASHES = re.compile(r"[\s_-]+", re.UNICODE)


def slugify(text: str) -> str:
    """'Hello, World!' -> 'hello-world'; '안녕 세계' -> '안녕-세계'. May return ''."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _DROP.sub("", text)
    return _DASHES.sub("-", text).strip("-")


def tag_slug(name: str) -> str:
    """A tag's slug: never empty, so no tag is lost even when it is all punctuation."""
    return slugify(name) or "tag-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
