"""The language of a text the asker did not label, from the scripts its letters are in:
Hangul -> ko, kana -> ja, Han alone -> zh, Cyrillic -> ru, Latin -> en. Only what the script
tells for sure; a text with no letters gets the default."""

from __future__ import annotations

import unicodedata

SCRIPTS = (("HANGUL", "ko"), ("HIRAGANA", "ja"), ("KATAKANA", "ja"), ("CJK", "zh"), ("CYRILLIC", "ru"), ("LATIN", "en"))


def detect(text: str, *, default: str = "en") -> str:
    counts: dict[str, int] = {}
    for char in text:
        if not char.isalpha():
            continue
        name = unicodedata.name(char, "")
        for script, tag in SCRIPTS:
            if name.startswith(script):
                counts[tag] = counts.get(tag, 0) + 1
                break
    if not counts:
        return default
    letters = sum(counts.values())
    # A Korean or Japanese sentence carries Latin words (and Japanese carries Han): a script of
    # its own in a fifth of the letters decides.
    for tag in ("ko", "ja"):
        if counts.get(tag, 0) * 5 >= letters:
            return tag
    return max(sorted(counts), key=lambda tag: counts[tag])
