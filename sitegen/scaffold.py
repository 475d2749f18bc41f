"""What sitegen writes for an author to fill in: `sitegen init` (a whole new blog) and
`sitegen new` (one post). The texts are pure functions; `init_site` and `new_post` write
them, never over an existing file."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from .config import SiteConfig, is_language_tag
from .errors import BuildError, Problem
from .slugs import slugify

SLUG = re.compile(r"^[\w][\w-]*$", re.UNICODE)
FIRST_POST = "hello-world"


def slug_and_title(name: str, title: str | None) -> tuple[str, str]:
    """`sitegen new NAME`: NAME is a slug ("my-post") or a title ("My Second Post!") to derive one from."""
    if SLUG.match(name):
        return name, title or name.replace("-", " ").capitalize()
    slug = slugify(name)
    if not slug:
        raise BuildError([Problem(repr(name), None, "no letters or digits to make a URL slug from: give one, e.g. sitegen new my-post --title '...'")])
    return slug, title or name.strip()


def _yaml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def new_post_text(title: str, language: str, now: dt.datetime) -> str:
    return (
        "---\n"
        f"title: {_yaml_string(title)}\n"
        f"date: {now.replace(microsecond=0).isoformat()}\n"
        f"language: {language}\n"
        "desc: \n"
        "tags: []\n"
        "revision: 1\n"
        "publish: 0\n"
        "---\n\n"
        "Write here. `publish: 0` keeps this a draft: `sitegen serve` shows it, marked as a draft;\n"
        "`sitegen build` leaves it out until you set `publish: 1`.\n"
    )


def new_post(content: Path, name: str, *, title: str | None, language: str, now: dt.datetime) -> Path:
    slug, title = slug_and_title(name, title)
    if not is_language_tag(language):
        raise BuildError([Problem("--lang", None, f"{language!r} is not a BCP 47 tag such as ko-KR or en-GB")])
    folder = content / "blog" / slug
    target = folder / "index.md"
    if folder.exists():
        raise BuildError([Problem(str(folder), None, "already exists: choose another title or slug")])
    _write({target: new_post_text(title, language, now)})
    return target


def site_toml(*, title: str, base_url: str, language: str, author: str) -> str:
    return (
        "# Site settings for sitegen: every key is explained in sitegen's README (\"site.toml\").\n"
        f"title = {_yaml_string(title)}\n"
        f"base_url = {_yaml_string(base_url)}  # where the site will live; canonical URLs and feeds use it\n"
        f"default_language = {_yaml_string(language)}\n"
        f"author = {_yaml_string(author)}\n"
        "description = \"\"\n"
        "# languages = { \"ko-KR\" = \"한국어\", \"en-GB\" = \"English\" }  # a blog in two languages: the switch's labels\n"
        "per_page = 10\n"
    )


def first_post_text(language: str, now: dt.datetime) -> str:
    korean = language.lower().startswith("ko")
    title = "첫 글" if korean else "Hello, world"
    body = (
        "블로그가 생겼습니다. 이 글은 `content/blog/hello-world/index.md`에 있습니다.\n\n"
        "## 다음 할 일\n\n"
        "- `sitegen new \"글 제목\"`: 새 글(초안)을 만듭니다.\n"
        "- `sitegen serve`: http://127.0.0.1:8000/ 에서 미리 보고, 저장할 때마다 다시 만듭니다.\n"
        "- `sitegen build`: `public/`에 사이트를 만듭니다. 그 폴더를 어느 정적 호스트에나 올리면 됩니다.\n"
    ) if korean else (
        "This blog has just been started. This post lives in `content/blog/hello-world/index.md`.\n\n"
        "## What next\n\n"
        "- `sitegen new \"A title\"` starts a new post (a draft).\n"
        "- `sitegen serve` previews the site on http://127.0.0.1:8000/ and rebuilds it as you save.\n"
        "- `sitegen build` writes the site into `public/`: put that folder on any static host.\n"
    )
    return (
        f"---\ntitle: {_yaml_string(title)}\ndate: {now.replace(microsecond=0).isoformat()}\n"
        f"language: {language}\ntags: []\nrevision: 1\npublish: 1\n---\n\n{body}"
    )


def about_text(language: str, author: str, now: dt.datetime) -> str:
    korean = language.lower().startswith("ko")
    title = "소개" if korean else "About"
    who = author or ("저자" if korean else "the author")
    body = f"{who}의 블로그입니다.\n" if korean else f"This is the blog of {who}.\n"
    return f"---\ntitle: {_yaml_string(title)}\ndate: {now.date().isoformat()}\nlanguage: {language}\n---\n\n{body}"


def init_files(*, title: str, base_url: str, language: str, author: str, now: dt.datetime) -> dict[str, str]:
    """{path relative to the new blog's folder: text}: everything `sitegen init` writes."""
    toml = site_toml(title=title, base_url=base_url, language=language, author=author)
    SiteConfig.parse(toml, name="site.toml")  # a bad --base-url or --language fails here, before anything is written
    return {
        "site.toml": toml,
        f"content/blog/{FIRST_POST}/index.md": first_post_text(language, now),
        "content/about/index.md": about_text(language, author, now),
        ".gitignore": "# sitegen's output and build cache\n/public/\n/.sitegen-cache/\n",
    }


def init_site(folder: Path, files: dict[str, str]) -> list[Path]:
    """Write a new blog into folder, or nothing at all when any of its files already exists."""
    targets = {folder / rel: text for rel, text in files.items()}
    clashes = [path for path in targets if path.exists()]
    if clashes:
        raise BuildError([Problem(str(path), None, "already exists: sitegen init starts a new blog; run it in an empty folder") for path in clashes])
    _write(targets)
    return list(targets)


def _write(files: dict[Path, str]) -> None:
    for path, text in files.items():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("x", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise BuildError([Problem(str(path), None, f"cannot write ({exc.strerror}): choose a folder you can write to")]) from None
