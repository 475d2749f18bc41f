"""The values of a plain frontmatter (`key: value` lines and `- item` lists of one-line
scalars) read without PyYAML's parser and its constructor in Python, or None for anything else
(PyYAML then reads it).

Reading the frontmatter was ~0.15-0.25 ms a post in the build's one process, most of it
PyYAML's constructor walking its nodes, for the few lines nearly every post has. Here the lines
are cut by hand and each scalar's type is decided and made by PyYAML's own resolver and safe
constructor (the same int, date, bool, null ... rules as the loader), so a frontmatter taken here
gets the values yaml.safe_load would give it. What is not surely plain (quotes with escapes or
inside, comments, flow collections, anchors, tags, block scalars, multi-line values, nesting,
tabs, other line ends, a repeated key, characters YAML refuses) goes to PyYAML.
tests/sitegen/test_plainyaml.py compares both on generated frontmatter.
"""

from __future__ import annotations

import re
from typing import Any

from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

_RESOLVER = Resolver()
_CONSTRUCTOR = SafeConstructor()
_STR = "tag:yaml.org,2002:str"
_IMPLICIT = _RESOLVER.yaml_implicit_resolvers  # first character -> the types a scalar so starting may have
_ANY_FIRST = bool(_IMPLICIT.get(None))
# the characters PyYAML's reader accepts (yaml.reader.Reader.NON_PRINTABLE), less the line
# ends other than "\n" (\r \x85 \u2028 \u2029), tabs and the byte order mark: with any of
# those PyYAML reads the text
_REFUSED = re.compile("[^\x0A\x20-\x7E\xA0-\u2027\u202A-\uD7FF\uE000-\uFEFE\uFF00-\uFFFD\U00010000-\U0010ffff]")
_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?: +|$)")
_ITEM = re.compile(r"( *)- +")
# a plain scalar cannot start with an indicator; " #" starts a comment, ": " a mapping
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")


def _scalar(text: str) -> Any:
    """A one-line value as PyYAML makes it, or raises _NotPlain."""
    if not text:
        raise _NotPlain
    first = text[0]
    if first == '"' or first == "'":
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != first or first in inner or "\\" in inner:
            raise _NotPlain
        return inner  # a quoted scalar is a str, never resolved
    if first in _INDICATORS or "#" in text or ": " in text or text[-1] == ":":
        raise _NotPlain
    if first not in _IMPLICIT and not _ANY_FIRST:
        return text  # no implicit type starts so: Resolver.resolve's str
    tag = _RESOLVER.resolve(ScalarNode, text, (True, False))
    if tag == _STR:
        return text
    constructor = SafeConstructor.yaml_constructors.get(tag)
    if constructor is None:
        raise _NotPlain
    return constructor(_CONSTRUCTOR, ScalarNode(tag, text))


class _NotPlain(Exception):
    pass


def values(text: str) -> dict[Any, Any] | None:
    """The mapping a plain frontmatter holds (a new one each call), or None: not plain."""
    if _REFUSED.search(text):
        return None
    result: dict[Any, Any] = {}
    items: list[Any] | None = None  # the list the last key opened (`key:` and nothing after)
    indent = -1  # its items' indentation, once known
    last: Any = None  # the key that opened `items`
    try:
        for line in text.split("\n"):
            line = line.rstrip(" ")
            if not line:
                continue
            if line[0] == " " or line[0] == "-":
                found = _ITEM.match(line)
                if found is None or items is None or (indent >= 0 and len(found[1]) != indent):
                    return None
                indent = len(found[1])
                items.append(_scalar(line[found.end():]))
                continue
            key_found = _KEY.match(line)
            if key_found is None:
                return None
            key = _scalar(key_found[1])
            if not isinstance(key, str) or key in result:
                return None
            if items is not None and not items:
                result[last] = None  # `key:` with no items: null
            rest = line[key_found.end():]
            if rest:
                result[key] = _scalar(rest)
                items = None
            else:
                items, indent, last = [], -1, key
                result[key] = items
    except (_NotPlain, ValueError, TypeError):
        return None
    if items is not None and not items:
        result[last] = None
    return result or None
