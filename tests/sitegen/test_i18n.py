"""The theme's own words, dates, language names and reading time, per language."""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen import i18n
from sitegen.i18n import CATALOG, human_date, language_name, reading_minutes, strings


def test_korean_and_english_catalogs_say_the_same_things() -> None:
    assert set(CATALOG["ko"]) == set(CATALOG["en"])
    assert strings("ko-KR")["all_posts"] == "모든 글" and strings("en-GB")["all_posts"] == "All posts"
    assert strings("de-DE") is CATALOG["en"], "a language the catalog lacks reads English"


def test_one_date_format_per_language() -> None:
    moment = dt.datetime(2026, 3, 14, 9, 30, tzinfo=dt.timezone.utc)
    assert human_date(moment, "ko-KR") == "2026년 3월 14일"
    assert human_date(moment, "en-GB") == "14 March 2026"


def test_languages_are_named_in_words_never_by_a_flag_alone() -> None:
    assert language_name("ko-KR", "🇰🇷 한국어") == "한국어"
    assert language_name("en-GB", "🇬🇧 English") == "English"
    assert language_name("en-GB", "🇬🇧") == "English", "a flag-only label falls back to the language's own name"
    assert language_name("ja-JP") == "日本語" and language_name("xx-YY") == "xx-YY"


def test_reading_time_counts_hangul_by_character_and_latin_by_word() -> None:
    assert reading_minutes("") == 1
    assert reading_minutes("word " * 2300) == 10  # 230 words a minute
    assert reading_minutes("가" * 5000) == 10  # 500 Hangul characters a minute
    assert reading_minutes("가" * 2500 + " word" * 1150) == 10


def _counted_by_matches(text: str) -> tuple[int, int]:
    """What reading_minutes counts, as it was first written: a match per character, then per word."""
    spaced, characters = re.subn(r"[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u9fff\uac00-\ud7af]", " ", text)
    return characters, len(re.findall(r"[^\W_]+", spaced))


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aZ09_ .,\n\t-`*#") + ["가", "힣", "ᄀ", "ㅎ", "あ", "カ", "漢", "㐀", "é", "ß", "²", "٣", "—",
                                                                  "“", "\u3000", "\ud7b0", "\uff21", "😀", "\ud800"])))
def test_reading_counts_as_by_matches(text: str) -> None:
    assert i18n._characters_and_words(text) == _counted_by_matches(text)
