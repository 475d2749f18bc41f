"""The words the theme itself says, in the page's language: a small catalog (Korean and
English; any other language reads the English), dates, reading time and language names.

A page speaks its own language: a Korean post, the Korean index and its tag pages use the
Korean words and one Korean date format; the English side (/en-GB/) the English ones.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

CATALOG: dict[str, dict[str, str]] = {
    "ko": {
        "skip": "본문으로 건너뛰기", "menu": "사이트 메뉴", "home": "홈", "tags": "태그", "all_posts": "모든 글",
        "newer": "← 최신 글", "older": "이전 글 →", "page": "페이지", "pages": "페이지 이동",
        "languages": "다른 언어로 읽기", "also_in": "다른 언어", "source": "마크다운 원문", "ask": "저자에게 질문하기",
        "revision": "{number}판, {date}", "revision_number": "{number}판", "posts_tagged": "태그", "contents": "목차",
        "not_found": "페이지를 찾을 수 없습니다", "not_found_body": "주소를 확인하거나 홈에서 글을 찾아 보세요.",
        "feed": "피드", "published": "게시", "by": "글", "code": "코드", "code_in": "{language} 코드",
        "equation": "수식", "previous_post": "이전 글", "next_post": "다음 글", "post_navigation": "글 이동",
        "related": "관련 글", "reading_time": "{minutes}분 분량", "series": "연재: {name}",
        "series_part": "{total}편 중 {number}편", "no_posts": "아직 글이 없습니다.", "tag_count": "{count}편",
        "draft": "초안: 아직 게시되지 않은 글입니다 (publish: 0)", "draft_short": "초안",
        "drafts_hidden": "초안 {n}개는 숨겨져 있습니다 (sitegen serve 또는 --drafts로 보기).",
    },
    "en": {
        "skip": "Skip to content", "menu": "Site menu", "home": "Home", "tags": "Tags", "all_posts": "All posts",
        "newer": "← Newer posts", "older": "Older posts →", "page": "Page", "pages": "Pages",
        "languages": "Read in", "also_in": "Also in", "source": "Markdown source", "ask": "Ask the author",
        "revision": "revision {number}, {date}", "revision_number": "revision {number}", "posts_tagged": "Tagged", "contents": "Contents",
        "not_found": "Page not found", "not_found_body": "Check the address, or find the post from the home page.",
        "feed": "Feed", "published": "Published", "by": "by", "code": "Code", "code_in": "{language} code",
        "equation": "Equation", "previous_post": "Previous post", "next_post": "Next post",
        "post_navigation": "More posts", "related": "Related posts", "reading_time": "{minutes} min read",
        "series": "Series: {name}", "series_part": "part {number} of {total}", "no_posts": "No posts yet.",
        "tag_count": "{count} posts",
        "draft": "Draft: not published yet (publish: 0)", "draft_short": "draft",
        "drafts_hidden": "{n} draft(s) hidden (see them with sitegen serve, or --drafts).",
    },
}
# What a language calls itself, for the language switch when site.toml names it only with a
# flag (emoji flags are empty boxes on machines without an emoji font).
ENDONYMS = {
    "ko": "한국어", "en": "English", "ja": "日本語", "zh": "中文", "de": "Deutsch", "fr": "Français",
    "es": "Español", "it": "Italiano", "pt": "Português", "ru": "Русский", "nl": "Nederlands",
    "sv": "Svenska", "pl": "Polski", "tr": "Türkçe", "vi": "Tiếng Việt", "uk": "Українська",
}
MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December"]
_EMOJI = re.compile("[\U0001F1E6-\U0001F1FF\U0001F300-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]")
_HAN = r"\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u9fff\uac00-\ud7af"  # Hangul and Han (and kana)
_HANGUL_OR_HAN_RUN = re.compile(f"[{_HAN}]+")
_NEITHER_ASCII_NOR_HAN = re.compile(f"[^\\x00-\\x7f{_HAN}]")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# UTF-8 bytes: an ASCII letter or digit (what _WORD takes of ASCII) -> "a", any other byte -> " "
_WORD_BYTES = bytes.maketrans(bytes(range(256)), bytes(ord("a") if c < 128 and chr(c).isalnum() else ord(" ") for c in range(256)))


def base(language: str) -> str:
    return language.split("-")[0].lower()


def strings(language: str) -> dict[str, str]:
    """The catalog for a BCP 47 tag; English for a language the catalog lacks."""
    return CATALOG.get(base(language), CATALOG["en"])


def human_date(moment: dt.date, language: str) -> str:
    """One date format per language: "2026년 3월 14일", "14 March 2026"."""
    if base(language) == "ko":
        return f"{moment.year}년 {moment.month}월 {moment.day}일"
    return f"{moment.day} {MONTHS_EN[moment.month - 1]} {moment.year}"


def language_name(tag: str, label: str | None = None) -> str:
    """A language in words: the site's label without emoji, else its own name, else the tag."""
    words = " ".join(_EMOJI.sub("", unicodedata.normalize("NFC", label or "")).split())
    return words or ENDONYMS.get(base(tag), tag)


def reading_minutes(text: str) -> int:
    """Minutes to read: Hangul and Han at 500 characters a minute, other words at 230.
    Not remembered: a cache keyed by whole posts held every post's text in each Markdown
    worker (~20 KB a post); a build computes it once per post (Document.minutes)."""
    characters, words = _characters_and_words(text)
    return max(1, round(characters / 500 + words / 230))


def _characters_and_words(text: str) -> tuple[int, int]:
    """(Hangul and Han characters, other words): what `_HANGUL_OR_HAN.subn(" ", text)` counts
    and then `_WORD.findall` of its text, found without a match object per character or word
    (~0.45 -> 0.1 ms on a Korean post; tests/sitegen/test_i18n.py compares both ways)."""
    if text.isascii() or _NEITHER_ASCII_NOR_HAN.search(text) is None:
        # each of those characters is 3 bytes of UTF-8 (U+1100-U+D7AF) and a word's end
        data = text.encode("utf-8")
        marks = data.translate(_WORD_BYTES)
        return (len(data) - len(text)) // 2, marks.count(b" a") + marks.startswith(b"a")
    # a run of them becomes one space (fewer matches than a space each): the characters are
    # what the text lost, plus the one space left for each run
    spaced, runs = _HANGUL_OR_HAN_RUN.subn(" ", text)
    return len(text) - len(spaced) + runs, len(_WORD.findall(spaced))
