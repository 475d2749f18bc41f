"""`sitegen new`: a post folder with frontmatter to fill in."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from .config import is_language_tag
from .errors import BuildError, Problem

SLUG = re.compile(r"^[\w][\w-]*$", re.UNICODE)


def new_post_text(title: str, language: str, now: dt.datetime) -> str:
    safe_title = title.replace('"', '\\"')
    return (
        "---\n"
        f'title: "{safe_title}"\n'
        f"date: {now.replace(microsecond=0).isoformat()}\n"
        f"language: {language}\n"
        "desc: \n"
        "tags: []\n"
        "revision: 1\n"
        "publish: 0\n"
        "---\n\n"
        "Write here. `publish: 0` keeps this a draft: build it with `sitegen build --drafts`.\n"
    )


def new_post(content: Path, slug: str, *, title: str | None, language: str, now: dt.datetime) -> Path:
    if not SLUG.match(slug):
        raise BuildError([Problem(slug, None, "a slug is letters, digits, '-' and '_' only: choose another")])
    if not is_language_tag(language):
        raise BuildError([Problem("--lang", None, f"{language!r} is not a BCP 47 tag such as ko-KR or en-GB")])
    folder = content / "blog" / slug
    target = folder / "index.md"
    if folder.exists():
        raise BuildError([Problem(str(folder), None, "already exists: choose another slug")])
    folder.mkdir(parents=True)
    target.write_text(new_post_text(title or slug.replace("-", " ").capitalize(), language, now), encoding="utf-8")
    return target
