"""The reader's language: which one a page speaks, and its words.

Messages are gettext catalogs (`locale/<lang>/LC_MESSAGES/messages.po`, extracted from the
templates and the code by Babel: see `babel.cfg`). English is the source language, so it
needs no catalog. The .po files are the only copies: they are compiled in memory by Babel
the first time a language is asked for, so a clean clone runs without a build step and no
compiled file can go stale.

A page's language is the first of: `?lang=`, the language of the post the reader came from,
the browser's Accept-Language, English.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES = Path(__file__).with_name("locale")
LANGUAGES = ("en", "ko")  # the interface's; English first: the fallback
DEFAULT = "en"
# What a question is tagged with when the reader names nothing else, per interface language.
QUESTION_TAGS = {"en": "en-GB", "ko": "ko-KR"}
LABELS = {"en": "English", "ko": "한국어"}


def N_(message: str) -> str:
    """Marks a message for extraction where it is defined; it is translated where it is shown."""
    return message


def supported(tag: str | None) -> str | None:
    """The interface language a BCP 47 tag falls under ("ko-KR" -> "ko"), or None."""
    if not tag:
        return None
    primary = tag.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else None


def from_accept_language(header: str | None) -> str | None:
    """The best supported language of an Accept-Language header (RFC 9110 q-values), or None."""
    best: tuple[float, int, str] | None = None
    for position, item in enumerate((header or "").split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        language = supported(tag)
        if language and quality > 0 and (best is None or (quality, -position) > (best[0], best[1])):
            best = (quality, -position, language)
    return best[2] if best else None


def negotiate(*, asked: str | None, post_language: str | None, accept_language: str | None) -> str:
    """?lang=, then the post's language, then Accept-Language, then English."""
    return supported(asked) or supported(post_language) or from_accept_language(accept_language) or DEFAULT


@cache
def translations(language: str) -> NullTranslations:
    """The catalog of an interface language, compiled from its .po file once per process."""
    po = LOCALES / language / "LC_MESSAGES" / "messages.po"
    if language == DEFAULT or not po.is_file():
        return NullTranslations()
    with po.open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def gettext(language: str, message: str, /, **params: object) -> str:
    text = translations(language).gettext(message)
    return text % params if params else text
