"""One Markdown file -> one `Document`: frontmatter validated, body rendered.

`parse_document` is pure: it takes the file's text and returns a Document or the problems
found in it, each naming file:line and what to do.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Callable, Literal, Mapping

import frontmatter
import yaml
import zstandard

from .config import SiteConfig, is_language_tag
from .errors import Problem
from . import plainyaml
from .markdown import Rendered, Section, render_markdown, sections as split_sections
from .slugs import tag_slug

KNOWN_KEYS = {"title", "date", "language", "author", "desc", "img", "tags", "revision", "publish", "revised", "series"}
_FENCE = re.compile(r"^---[ \t]*$")


@dataclass(frozen=True, order=True)
class Tag:
    slug: str
    name: str


@dataclass(frozen=True)
class Asset:
    """A file copied as it is: post images, page files, anything outside Markdown."""

    source: PurePosixPath
    url: str  # output-relative path, e.g. "hello/cover.png"


class _Packed(threading.local):
    """A Zstandard codec per thread (one is not to be used by two threads at once)."""

    def __init__(self) -> None:
        self.pack = zstandard.ZstdCompressor(level=1)
        self.unpack = zstandard.ZstdDecompressor()


_CODEC = _Packed()


class Utf8:
    """A text given as the UTF-8 it was decoded from (a file's bytes, which the build holds
    anyway): a PackedText field set to it holds those bytes as they are."""

    __slots__ = ("data",)

    def __init__(self, data: bytes):
        self.data = data


class PackedText:
    """A dataclass field of text held as a Zstandard frame of its UTF-8 (a copy, not
    zstandard's worst-case buffer: sitegen.cache.pack) and made a str again each time it is
    read. A document's text is read two or three times a build (its published Markdown,
    llms-full.txt, the safety screen), and held through all of it: 82 MB of str at 5,000
    Korean posts, 39 MB packed. Set to a `Utf8`, it holds that UTF-8 unpacked: a parse's
    documents keep their files' bytes (62 MB there), which encoding and packing again took
    ~50 us a post of the build's one process."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.slot = f"_{name}_packed"
        self.plain = f"_{name}_utf8"  # set when the slot holds the UTF-8 itself

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        held = obj.__dict__
        try:
            blob = held[self.slot]
        except KeyError:  # not set: a subclass may supply it (records.Resting.__getattr__)
            raise AttributeError(self.name) from None
        return (blob if self.plain in held else _CODEC.unpack.decompress(blob)).decode("utf-8", "surrogatepass")

    def utf8(self, obj: Any) -> bytes:
        """The text's UTF-8, without making the str."""
        blob = obj.__dict__.get(self.slot)
        if blob is None:
            return getattr(obj, self.name).encode("utf-8", "surrogatepass")
        return blob if self.plain in obj.__dict__ else _CODEC.unpack.decompress(blob)

    def __set__(self, obj: Any, value: str | Utf8) -> None:
        if isinstance(value, Utf8):
            obj.__dict__[self.slot] = value.data
            obj.__dict__[self.plain] = True
            return
        data = value.encode("utf-8", "surrogatepass")
        obj.__dict__[self.slot] = bytes(memoryview(_CODEC.pack.compress(data)))
        obj.__dict__.pop(self.plain, None)


@dataclass(frozen=True)
class Document:
    """A post, a translation of one, or a standalone page."""

    source: PurePosixPath  # relative to the content root, e.g. blog/hello/en-GB.md
    display: str  # the path shown in messages
    kind: Literal["post", "page"]
    slug: str  # the post's or page's folder name
    language: str
    is_translation: bool  # a <lang>.md beside index.md
    title: str
    date: dt.datetime  # timezone-aware
    author: str
    desc: str
    img: str | None
    tags: tuple[Tag, ...]
    revision: int
    publish: bool
    extra: Mapping[str, Any]
    raw: str  # the file as published, frontmatter kept (held packed: PackedText, below)
    body_start: int  # where the body starts in `raw` (`body`)
    body_line: int  # the file line where the body starts
    rendered: Rendered
    url: str  # output-relative: "hello/", "hello/en-GB/", "about/"
    source_url: str  # output-relative: "hello/index.md", "hello/en-GB.md"
    folder: str = field(default="")  # output-relative folder of its assets: "hello/"
    revised: dt.datetime | None = None  # when this revision was made (frontmatter `revised`)
    series: str | None = None  # the series the post is part of (frontmatter `series`)
    # a digest of everything it was parsed from (set by the build; "" = unknown): pages that
    # show it are re-rendered only when it changes (sitegen.fingerprint)
    inputs: str = field(default="", compare=False, repr=False)
    minutes: int | None = field(default=None, compare=False, repr=False)  # reading time, when the build knows it
    markdown: str = field(default="", compare=False, repr=False)  # its render's key in the build cache ("" = none)

    @property
    def revision_date(self) -> dt.datetime | None:
        """The date of the current revision: `revised`; for revision 1, the publication date;
        None when a later revision does not say when it was made."""
        return self.revised or (self.date if self.revision == 1 else None)

    @property
    def html(self) -> str:
        return self.rendered.html

    @property
    def raw_utf8(self) -> bytes:
        """`raw` as UTF-8 (the published Markdown file's bytes)."""
        return _RAW.utf8(self)

    @property
    def body(self) -> str:
        """The text after the frontmatter: cut from `raw` when read, not held twice."""
        return self.raw[self.body_start:]

    @property
    def sections(self) -> tuple[Section, ...]:
        """The body split at its headings, each with the path of headings above it (the
        dataset's posts)."""
        return split_sections(self.body, self.rendered.headings, self.body_line - 1)

    @property
    def body_utf8(self) -> bytes:
        """`body.strip()` as UTF-8 (llms-full.txt), cut from `raw_utf8` without making the
        text a str and encoding it again (64 MB of it at 5,000 posts)."""
        found = stripped_tail(self.raw_utf8, self.body_start)
        return found if found is not None else self.body.strip().encode("utf-8")


def stripped_tail(data: bytes, start: int) -> bytes | None:
    """`data.decode()[start:].strip().encode()` made on the bytes: only the characters before
    `start` (the frontmatter) and at the two ends decoded. None when it cannot say (not UTF-8,
    or an end that str.strip takes and bytes.strip does not: U+00A0, U+3000 ...)."""
    head = _decoded_prefix(data[:4 * start])
    if head is None or len(head) < start:
        return None
    tail = data[len(head[:start].encode("utf-8", "surrogatepass")):].strip()
    if not tail:
        return tail
    first, last = _edge(tail, True), _edge(tail, False)
    if first is None or last is None or first.isspace() or last.isspace():
        return None
    return tail


def _decoded_prefix(data: bytes) -> str | None:
    """The UTF-8 `data` decoded, less a character its end cuts in two (None: not UTF-8)."""
    for cut in range(4):
        try:
            return data[:len(data) - cut].decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            continue
    return None


def _edge(data: bytes, first: bool) -> str | None:
    """The first or last character of UTF-8 `data` (None: not UTF-8 there)."""
    for size in range(1, 5):
        try:
            return (data[:size] if first else data[-size:]).decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            continue
    return None


# set once the dataclass is made (its __init__ sets the field through it), so that the field
# has no default
_RAW = PackedText()
_RAW.__set_name__(Document, "raw")
Document.raw = _RAW  # type: ignore[assignment]


@dataclass(frozen=True)
class Located:
    """Where a Markdown file sits in the content tree and what it claims."""

    kind: Literal["post", "page"]
    slug: str
    language_from_name: str | None  # "en-GB" for en-GB.md, None for index.md


# line ends str.splitlines knows besides "\n"
_OTHER_LINE_ENDS = re.compile("[\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def split_frontmatter(text: str) -> tuple[str | None, int, str]:
    """(yaml text or None, line where the body starts (1-based), body)."""
    if text.startswith("---"):  # the frontmatter's lines alone, when "\n" is their only line end
        start = text.find("\n") + 1
        if start and _FENCE.match(text, 0, start - 1):
            at, index = start, 1
            while True:
                end = text.find("\n", at)
                line = text[at:end] if end >= 0 else text[at:]
                if _FENCE.match(line) or line == "...":
                    stop = end + 1 if end >= 0 else len(text)
                    if _OTHER_LINE_ENDS.search(text, 0, stop) is None:
                        return text[start:at], index + 2, text[stop:]
                    break
                if end < 0:
                    break
                at, index = end + 1, index + 1
    lines = text.splitlines(keepends=True)
    if not lines or not _FENCE.match(lines[0].rstrip("\r\n")):
        return None, 1, text
    for index in range(1, len(lines)):
        if _FENCE.match(lines[index].rstrip("\r\n")) or lines[index].rstrip("\r\n") == "...":
            return "".join(lines[1:index]), index + 2, "".join(lines[index + 1:])
    return "".join(lines[1:]), len(lines) + 1, ""


def _key_line(yaml_text: str, key: str) -> int:
    for number, raw in enumerate(yaml_text.splitlines(), 2):
        if re.match(rf"{re.escape(key)}\s*:", raw):
            return number
    return 1


def load_frontmatter(yaml_text: str) -> Any:
    """The frontmatter's values (YAML, safe subset); yaml.YAMLError on bad syntax.
    A plain one (most) is read by sitegen.plainyaml, to the same values, 3x faster."""
    found = plainyaml.values(yaml_text)
    return found if found is not None else frontmatter.YAMLHandler().load(yaml_text)


def parse_date(value: object) -> dt.datetime | None:
    """ISO 8601 date or date-time; an offset is kept, none means UTC."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def parse_document(
    source: PurePosixPath,
    text: str,
    config: SiteConfig,
    where: Located,
    *,
    display: str | None = None,
    image_size: Callable[[str], tuple[int, int] | None] | None = None,
    asset_exists: Callable[[str], bool] = lambda name: True,
    diagrams: Mapping[str, str] | None = None,
    render: Callable[[str, int, str, str], Rendered] | None = None,
    load_yaml: Callable[[str], Any] | None = None,
    utf8: bytes | None = None,
) -> tuple[Document | None, list[Problem]]:
    """`render(body, line_offset, link_prefix, language)` and `load_yaml(text)` may be given to reuse
    earlier results (the build cache); they must return what the defaults would. `utf8`: the
    text's UTF-8 when the caller has it (the file's bytes), which the document then holds."""
    name = display or str(source)
    yaml_text, body_line, body = split_frontmatter(text)
    if yaml_text is None:
        return None, [Problem(name, 1, "no frontmatter: start the file with a '---' block holding title and date")]
    try:
        meta = (load_yaml or load_frontmatter)(yaml_text) if yaml_text.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        reason = getattr(exc, "problem", None) or "malformed YAML"
        return None, [Problem(name, line, f"malformed YAML in frontmatter ({reason}): fix the syntax")]
    if not isinstance(meta, dict):
        return None, [Problem(name, 1, "frontmatter must be a mapping of 'key: value' lines")]

    problems: list[Problem] = []

    def bad(key: str, message: str) -> None:
        problems.append(Problem(name, _key_line(yaml_text, key), message))

    title = meta.get("title")
    if title is None or (isinstance(title, str) and not title.strip()):
        problems.append(Problem(name, 1, "missing 'title': add a 'title: ...' line to the frontmatter"))
    elif not isinstance(title, (str, int, float)):
        bad("title", "'title' must be text")
    date = None
    if "date" not in meta:
        problems.append(Problem(name, 1, "missing 'date': add 'date: 2026-01-31T09:00:00+09:00' (ISO 8601) to the frontmatter"))
    else:
        date = parse_date(meta["date"])
        if date is None:
            bad("date", f"'date' {meta['date']!r} is not an ISO 8601 date: write it like 2026-01-31 or 2026-01-31T09:00:00+09:00")
    language = meta.get("language", where.language_from_name or config.default_language)
    if not is_language_tag(language):
        bad("language", f"'language' {language!r} is not a BCP 47 tag: write it like ko-KR or en-GB")
    elif where.language_from_name and language != where.language_from_name:
        bad("language", f"'language' {language!r} contradicts the file name {source.name}: make them agree")
    tags_value = meta.get("tags", [])
    if isinstance(tags_value, str):
        tags_value = [tags_value]
    if not isinstance(tags_value, list) or not all(isinstance(t, (str, int, float)) for t in tags_value):
        bad("tags", "'tags' must be a list of words, like [music, 음악]")
        tags_value = []
    tags = tuple(sorted({Tag(tag_slug(str(t).strip()), str(t).strip()) for t in tags_value if str(t).strip()}))
    revision = meta.get("revision", 1)
    if isinstance(revision, bool) or not isinstance(revision, int) or revision < 1:
        bad("revision", f"'revision' must be a whole number of at least 1, got {revision!r}")
        revision = 1
    publish = meta.get("publish", 1)
    if publish in (1, True, "1", "true", "yes"):
        publish = True
    elif publish in (0, False, "0", "false", "no"):
        publish = False
    else:
        bad("publish", f"'publish' must be 1 or 0 (true or false), got {publish!r}")
        publish = True
    img = meta.get("img")
    if img is not None:
        if not isinstance(img, str) or not img.strip():
            bad("img", "'img' must name a file beside the post")
            img = None
        elif "://" not in img and not asset_exists(img):
            bad("img", f"'img' {img!r} is not a file beside the post: add it or fix the name")
    revised = None
    if meta.get("revised") is not None:
        revised = parse_date(meta["revised"])
        if revised is None:
            bad("revised", f"'revised' {meta['revised']!r} is not an ISO 8601 date: write the date of this revision like 2026-03-14")
    series = meta.get("series")
    if series is not None and (not isinstance(series, (str, int, float)) or isinstance(series, bool) or not str(series).strip()):
        bad("series", "'series' must be the series' name, like 'Account abstraction'")
        series = None
    for key in ("author", "desc"):
        if key in meta and not isinstance(meta[key], (str, type(None))):
            bad(key, f"'{key}' must be text")

    link_prefix = "../" if where.language_from_name else ""
    body_language = language if is_language_tag(language) else config.default_language
    if render is not None:  # the build's cached render (it knows the diagrams itself)
        rendered = render(body, body_line - 1, link_prefix, body_language)
    else:
        rendered = render_markdown(
            body, site_host=config.host, line_offset=body_line - 1, image_size=image_size,
            link_prefix=link_prefix, language=body_language, diagrams=diagrams,
        )
    if problems or date is None:
        return None, problems

    folder = f"{where.slug}/"
    is_translation = where.language_from_name is not None
    url = f"{folder}{language}/" if is_translation else folder
    return Document(
        source=source,
        display=name,
        kind=where.kind,
        slug=where.slug,
        language=language,
        is_translation=is_translation,
        title=str(title).strip(),
        date=date,
        author=str(meta.get("author") or config.author),
        desc=str(meta.get("desc") or ""),
        img=img,
        tags=tags,
        revision=revision,
        publish=publish,
        extra={k: meta[k] for k in sorted(meta) if k not in KNOWN_KEYS},
        raw=text if utf8 is None else Utf8(utf8),  # type: ignore[arg-type]  # (PackedText takes either)
        body_start=len(text) - len(body),
        body_line=body_line,
        rendered=rendered,
        url=url,
        source_url=f"{folder}{source.name}",
        folder=folder,
        revised=revised,
        series=str(series).strip() if series is not None else None,
    ), []
