"""sitegen.plainyaml reads a plain frontmatter to exactly what PyYAML's safe loader makes of it
(types included: True is not 1), and leaves anything else to PyYAML (None)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitegen import plainyaml
from sitegen.content import load_frontmatter


def typed(value: Any) -> Any:
    """A value with every type spelled out (1 == True == 1.0 in Python)."""
    if isinstance(value, dict):
        return ("dict", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [typed(v) for v in value])
    if isinstance(value, dt.datetime):
        return ("datetime", value.isoformat(), repr(value.tzinfo))
    return (type(value).__name__, repr(value))


def safe_load(text: str) -> Any:
    try:
        return yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return "<error>"


def check(text: str) -> Any:
    found = plainyaml.values(text)
    if found is not None:
        assert typed(found) == typed(safe_load(text)), text
        assert typed(yaml.load(text, Loader=yaml.SafeLoader)) == typed(found), text  # the pure-Python loader too
    return found


def test_a_typical_frontmatter_is_read_here() -> None:
    text = ('title: "뾩팻 path: #1"\ndate: 2015-01-01T20:59:00+09:00\nlanguage: ko-KR\nauthor: \'이서연\'\n'
            "img: ./img/photo-0.jpg\ntags:\n  - network\n  - static-site\nrevision: 9\npublish: 1\nrevised: 2016-02-03\n"
            "series:\ndraft: no\nweight: 1.5\n")
    found = check(text)
    assert found is not None
    assert found["date"] == dt.datetime(2015, 1, 1, 20, 59, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    assert found["revised"] == dt.date(2016, 2, 3) and found["series"] is None and found["draft"] is False
    assert found["tags"] == ["network", "static-site"] and found["revision"] == 9 and found["weight"] == 1.5
    assert load_frontmatter(text) == found


def test_what_is_not_plain_goes_to_pyyaml() -> None:
    for text in ("tags: [a, b]\n", "title: a # note\n", 'title: "a\\"b"\n', "title: |\n  block\n", "a: 1\na: 2\n",
                 "title:\n  multi\n  line\n", "a:\n  b: 1\n", "title: x\n  - y\n", "\ttitle: x\n", "title: x\r\n",
                 "on: 1\n", "title: &anchor x\n", "title: !tag x\n", "- a\n", "title: 'it''s'\n", "title: a: b\n",
                 "x: \u2028\n", "title: a:\n", "? complex\n", "title: \"a\" b\n"):
        assert plainyaml.values(text) is None, text
    assert load_frontmatter("tags: [a, b]\n") == {"tags": ["a", "b"]}


# values a plain frontmatter may hold, every implicit type among them, and (rarer) what is not plain
_TYPICAL = st.sampled_from([
    "a", "hello world", "ko-KR", "./img/x.jpg", "https://x.example/a?b=c", "C#", "a:b", "yes", "No", "on", "OFF", "true",
    "False", "y", "n", "null", "Null", "~", "", "0", "-1", "+5", "007", "08", "0x1F", "0b101", "0o17", "1_000", "1:30",
    "190:20:30", "1.5", ".5", "1e3", "1.0e+3", "1.", ".inf", "-.Inf", ".nan", "2026-01-31", "2026-1-3",
    "2026-01-31T09:00:00+09:00", "2026-01-31 09:00:00", "2026-01-31T09:00:00Z", "2026-01-31t09:00:00.5-05:30",
    "2026-13-45", "=", "<<", "<", "안녕", "뾩팻 path", "x  y", "a'b", 'a"b', "a\\b", "a ,b", "a [b]", "x%", "a - b",
    "a -b", "a?", "\u00a0x", "é",
])
_ODD = st.sampled_from([
    "!", "&", "*", "-", "- x", "?", "[x]", "{x}", "'", '"', "%x", "@x", "`x`", "|", ">", " lead", "trail ", "a #b",
    "a# b", "a: b", "a:", "\t", "\ufeff", "\x85", "\u2028", "\x07", "\r", "#",
])
_GOOD_KEYS = st.sampled_from(["title", "date", "desc", "img", "tags", "x", "y", "n", "_k", "a-b", "k1", "é"])
_ODD_KEYS = st.sampled_from(["Yes", "on", "null", "True", "~", "1k", "a b", "-k", "k:"])


@st.composite
def _frontmatter(draw: st.DrawFn, odd: bool) -> str:
    """Lines of `key: value` and `key:` with items; with `odd`, also what is not plain."""
    words = st.one_of(_TYPICAL, _ODD) if odd else _TYPICAL
    keys = st.one_of(_GOOD_KEYS, _ODD_KEYS) if odd else _GOOD_KEYS
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        key = draw(keys)
        quote = draw(st.sampled_from(["", "", "", "'", '"']))
        value = draw(words)
        gap = draw(st.sampled_from([" ", "  ", "", " \t"] if odd else [" ", "  "]))
        if draw(st.booleans()):
            lines.append(f"{key}:{gap}{quote}{value}{quote}{draw(st.sampled_from(['', ' ', '  # c'] if odd else ['', ' ']))}")
        else:
            lines.append(f"{key}:")
            indent = draw(st.sampled_from(["", "  ", "    "]))
            for _ in range(draw(st.integers(0, 3))):
                item_quote = draw(st.sampled_from(["", "'", '"']))
                lines.append(f"{draw(st.sampled_from([indent, ' '] if odd else [indent]))}-{draw(st.sampled_from([' ', '  ', ''] if odd else [' ', '  ']))}"
                             f"{item_quote}{draw(words)}{item_quote}")
        if draw(st.integers(0, 5)) == 0:
            lines.append(draw(st.sampled_from(["", "   ", "# comment", "...", "  more"] if odd else ["", "   "])))
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n"]))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_frontmatter(odd=False))
def test_plain_frontmatter_reads_as_pyyaml_does(text: str) -> None:
    check(text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_frontmatter(odd=True))
def test_frontmatter_read_here_only_when_plain(text: str) -> None:
    check(text)
