"""`qa-service publish --content DIR`: the answered, public, consented conversations as blog
posts that sitegen builds without any JavaScript.

The content convention (README, "Readers' questions on the blog"): each thread is a post of
its own, `blog/qa-<id>/index.md`, tagged `Q&A` (the tag's page is the Q&A index; as posts
they are in the feeds, the sitemap and llms.txt) with `qa_post: <slug>` in its frontmatter
naming the post it was asked from; the theme's `_readers_questions.html` lists them in a
"Readers' questions" section on that post's page. Askers appear under a keyed pseudonym
("Reader 3f2a1c"), never their address; every text goes through the export's PII scrubber
and is escaped, so nothing a reader typed can become markup or script.

Pure in the middle (`thread_files`: threads and posts -> {path: text}); `publish` reads the
database and the site and writes only what changed, removing the threads gone since (a
withdrawal, a deleted account), so the site stays byte-identical when nothing changed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import yaml
from sqlalchemy import Engine

from sitegen.build import BuildOptions, read_site
from sitegen.site import Site

from . import questions
from .dataset.pii import scrub
from .dataset.rows import keyed, thread_id
from .questions import QuestionView

FOLDER = "blog"
PREFIX = "qa-"  # blog/qa-<id>/index.md: the folders publish owns
MARK = "qa_thread"  # the frontmatter key that says a post was written by publish
TAG = "Q&A"
WORDS = {
    "ko": {"reader": "독자", "author": "저자", "about": "이 질문이 나온 글:", "title": "질문"},
    "en": {"reader": "Reader", "author": "The author", "about": "Asked about", "title": "Q"},
}
ASCII_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")


@dataclass(frozen=True)
class Post:
    slug: str
    title: str


def escaped(text: str) -> str:
    """Plain text as Markdown that renders as exactly that text: every ASCII punctuation mark
    backslash-escaped (CommonMark allows it for all of them), so no emphasis, link, HTML,
    math or entity; lines kept as hard breaks, paragraphs as paragraphs."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()) if p.strip()]
    return "\n\n".join("\\\n".join(ASCII_PUNCTUATION.sub(r"\\\1", line.strip()) for line in p.splitlines() if line.strip())
                       for p in paragraphs)


def quoted(markdown: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in markdown.splitlines())


def _short(text: str, limit: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _utc(moment: dt.datetime) -> str:
    """ISO 8601 with its offset, to the second (SQLite hands back naive UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat()


def slug_of(thread: str) -> str:
    """blog/<slug>/ of a thread: its keyed id, shortened (stable from one publish to the next)."""
    return PREFIX + thread.removeprefix("t-")[:12]


def thread_post(question: QuestionView, *, key: bytes, posts: dict[str, Post], author: str) -> tuple[str, str]:
    """(path, Markdown) of one answered thread."""
    words = WORDS["ko" if question.language.lower().startswith("ko") else "en"]
    thread = thread_id(question.id, key)
    reader = f"{words['reader']} {keyed('asker', question.asker.lower(), key)[:6]}"
    turns = [question, *question.follow_ups]
    first, _ = scrub(question.text)
    asked_about = posts.get(question.post or "")
    front: dict[str, object] = {
        "title": f"{words['title']}. {_short(first, 60)}",
        "date": _utc(question.answered_at or question.created_at),
        "language": question.language,
        "desc": _short(first, 160),
        "tags": [TAG],
        "revision": len(turns),
        MARK: thread,
        "qa_asker": reader,
    }
    if asked_about:
        front["qa_post"] = asked_about.slug
        if question.post_revision:
            front["qa_post_revision"] = question.post_revision
    body: list[str] = []
    if asked_about:
        body.append(f"{escaped(words['about'])} [{escaped(asked_about.title)}](../{asked_about.slug}/)")
    for turn in turns:
        asked, _ = scrub(turn.text)
        answered, _ = scrub(turn.answer or "")
        body += [f"**{escaped(reader)}**", quoted(escaped(asked)), f"**{escaped(author or words['author'])}**",
                 escaped(answered)]
    header = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=1000).strip()
    return f"{FOLDER}/{slug_of(thread)}/index.md", f"---\n{header}\n---\n\n" + "\n\n".join(body) + "\n"


def thread_files(threads: Iterable[QuestionView], *, key: bytes, posts: dict[str, Post], author: str) -> dict[str, str]:
    """{path under the content folder: Markdown} of every published thread. Pure."""
    return dict(sorted(thread_post(q, key=key, posts=posts, author=author) for q in threads))


def blog_posts(site: Site) -> dict[str, Post]:
    """slug -> the post (its title in its own language) of every published post but publish's own."""
    found: dict[str, Post] = {}
    for post in site.posts:
        documents = [d for d in post.documents if MARK not in d.extra]
        if documents:
            main = next((d for d in documents if not d.is_translation), documents[0])
            found[post.slug] = Post(post.slug, main.title)
    return found


def owned(content: Path) -> set[str]:
    """The thread posts a previous publish wrote (its folders, marked in their frontmatter)."""
    found = set()
    for index in sorted((content / FOLDER).glob(f"{PREFIX}*/index.md")):
        if re.search(rf"^{MARK}: ", index.read_text(encoding="utf-8"), re.M):
            found.add(index.relative_to(content).as_posix())
    return found


@dataclass(frozen=True)
class Published:
    written: list[str]
    removed: list[str]
    unchanged: int


def publish(engine: Engine, *, content: Path, config: Path, key: bytes) -> Published:
    """Write the published threads into `content`; only changed files are touched."""
    site = read_site(BuildOptions(content=content, config=config))
    threads = [q for batch in questions.training_batches(engine, public_only=True) for q in batch]
    files = thread_files(threads, key=key, posts=blog_posts(site), author=site.config.author)
    written, unchanged = [], 0
    for rel, text in files.items():
        path = content / rel
        data = text.encode("utf-8")
        if path.is_file() and path.read_bytes() == data:
            unchanged += 1
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.new")
        temporary.write_bytes(data)
        temporary.replace(path)
        written.append(rel)
    removed = sorted(owned(content) - set(files))
    for rel in removed:
        (content / rel).unlink()
        folder = (content / rel).parent
        if not any(folder.iterdir()):
            folder.rmdir()
    return Published(written, removed, unchanged)
