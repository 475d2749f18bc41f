"""One Markdown file -> a Document: frontmatter fields validated, URLs derived."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from pathlib import PurePosixPath

from hypothesis import example, given, settings
from hypothesis import strategies as st

from sitegen.config import SiteConfig
from sitegen.content import Located, parse_date, parse_document, split_frontmatter, stripped_tail
from sitegen.slugs import slugify, tag_slug

CONFIG = SiteConfig.parse('title = "T"\nbase_url = "https://blog.example/"\ndefault_language = "ko-KR"\n')


def parse(text: str, name: str = "index.md", language: str | None = None):  # type: ignore[no-untyped-def]
    return parse_document(PurePosixPath(f"blog/hello/{name}"), text, CONFIG, Located("post", "hello", language))


def test_fields_defaults_and_urls() -> None:
    document, problems = parse("---\ntitle: 안녕\ndate: 2026-03-14T09:30:00+09:00\ntags: [음악, Music Review, 음악]\nseries: x\nmood: calm\n---\n\nBody.\n")
    assert problems == [] and document is not None
    assert document.language == "ko-KR" and document.revision == 1 and document.publish is True
    assert document.date == dt.datetime(2026, 3, 14, 0, 30, tzinfo=dt.timezone.utc)
    assert [t.slug for t in document.tags] == ["music-review", "음악"]
    assert document.url == "hello/" and document.source_url == "hello/index.md" and document.body_line == 8
    assert document.extra == {"mood": "calm"} and document.series == "x" and document.revised is None


def test_a_document_given_its_files_bytes_holds_them_and_reads_as_one_given_its_text() -> None:
    """The build hands a parse the file's bytes with its text: the document keeps those bytes as
    they are (its published Markdown), its text, body and fields as when given the text alone."""
    text = "---\ntitle: 안녕\ndate: 2026-03-14\n---\n\n본문 Body.\n"
    data = text.encode("utf-8")
    held, problems = parse_document(PurePosixPath("blog/hello/index.md"), text, CONFIG, Located("post", "hello", None), utf8=data)
    packed, _ = parse(text)
    assert problems == [] and held is not None and packed is not None
    assert held.raw_utf8 is data and packed.raw_utf8 == data and packed.raw_utf8 is not data
    assert held.raw == packed.raw == text and held.body == packed.body and held.body_utf8 == packed.body_utf8
    assert held == packed
    assert replace(held, title="x").raw_utf8 == data and replace(held, raw="new").raw_utf8 == b"new"


def test_translation_urls_and_language_from_file_name() -> None:
    document, problems = parse("---\ntitle: Hi\ndate: 2026-03-14\n---\n", name="en-GB.md", language="en-GB")
    assert problems == [] and document is not None
    assert document.language == "en-GB" and document.is_translation
    assert document.url == "hello/en-GB/" and document.source_url == "hello/en-GB.md"


def test_dates_and_frontmatter_split() -> None:
    assert parse_date("2026-01-31") == dt.datetime(2026, 1, 31, tzinfo=dt.timezone.utc)
    assert parse_date("2026-01-31T09:00:00Z") == dt.datetime(2026, 1, 31, 9, tzinfo=dt.timezone.utc)
    assert parse_date("31/01/2026") is None
    assert split_frontmatter("no frontmatter") == (None, 1, "no frontmatter")
    assert split_frontmatter("---\na: 1\n---\nbody\n") == ("a: 1\n", 4, "body\n")


def test_no_frontmatter_is_a_problem_at_line_1() -> None:
    document, problems = parse("# just markdown\n")
    assert document is None and problems[0].line == 1 and "no frontmatter" in problems[0].message


def test_slugs_keep_letters_of_every_script_and_are_never_empty() -> None:
    assert slugify("Hello, World!") == "hello-world"
    assert slugify("한국어 태그") == "한국어-태그"
    assert slugify("Ｆｕｌｌ width") == "full-width"
    assert tag_slug("!!!").startswith("tag-") and tag_slug("!!!") == tag_slug("!!!")


_EDGES = st.sampled_from([" ", "\n", "\t", "\r\n", "\u00a0", "\u3000", "\x1c", "\x85", "\u2028", "é", "한", "😀", "x", "\ufeff"])


@given(st.lists(_EDGES | st.text(max_size=8), max_size=12), st.integers(min_value=0, max_value=40))
@example(["---\ntitle: 한\n---\n", "\u3000본문\u00a0 \n"], 18)
def test_a_body_cut_and_stripped_on_the_bytes_is_the_one_cut_and_stripped_on_the_text(pieces: list[str], start: int) -> None:
    """llms-full.txt takes each body as bytes (content.stripped_tail): the same bytes as the
    text's, whatever the characters at the cut and at the ends; or None, and then the text's."""
    text = "".join(pieces)
    found = stripped_tail(text.encode(), start)
    assert found is None or found == text[start:].strip().encode()
    if len(text) >= start and text[start:].strip() == text[start:].strip(" \t\n\r\x0b\x0c"):
        assert found == text[start:].strip().encode()  # what bytes.strip takes is all str.strip takes: no need of the text


def _split_by_lines(text: str) -> tuple[str | None, int, str]:
    """split_frontmatter as it was written first: every line of the file, as str.splitlines cuts them."""
    lines = text.splitlines(keepends=True)
    fence = re.compile(r"^---[ \t]*$")
    if not lines or not fence.match(lines[0].rstrip("\r\n")):
        return None, 1, text
    for index in range(1, len(lines)):
        if fence.match(lines[index].rstrip("\r\n")) or lines[index].rstrip("\r\n") == "...":
            return "".join(lines[1:index]), index + 2, "".join(lines[index + 1:])
    return "".join(lines[1:]), len(lines) + 1, ""


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["---", "--- ", "---\t", "----", "...", ".. .", "a: 1", "x", "", " ", "\n", "\n", "\n",
                                 "\r\n", "\r", "\x85", "\u2028", "\x0c", "---\n", "...\n", "본문"]), max_size=12))
def test_frontmatter_split_as_by_lines(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert split_frontmatter(text) == _split_by_lines(text)
