"""A digest of everything a page is rendered from, so that an unchanged page is not rendered.

`Fingerprints.of(value)` walks a template's context (documents, posts, tags, the site's
settings, the helper functions in the globals, with the closures they carry) and digests it.
It is generic on purpose: a new page, a new context variable or a new global added by anyone
is covered without telling the cache, because whatever a template can reach from its context
is in the digest. Objects it cannot see into digest to something that changes every build (so
their pages are simply always rendered). Pure; memoised per object for one build.

`reach(value)` says which Documents a value leads to (by source path), found by the same
walk: `sitegen serve` redoes only the pages that reach a document whose text changed
(sitegen.live). `EVERYTHING` stands for a value whose reach cannot be known (an object
the walk cannot see into, or a cycle): such a page is always redone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import hashlib
import types
from collections import abc
from pathlib import Path, PurePath
from typing import Any, Mapping

import orjson


def _h(*parts: str) -> str:
    """A digest of several strings, each told apart from its neighbours (JSON, in C; a lone
    surrogate, which JSON cannot hold, goes the slow way, its bytes told apart by a first NUL)."""
    try:
        data = orjson.dumps(parts)
    except orjson.JSONEncodeError:
        h = hashlib.blake2b(b"\0", digest_size=16)
        for part in parts:
            encoded = part.encode("utf-8", "surrogatepass")
            h.update(len(encoded).to_bytes(8, "little"))
            h.update(encoded)
        return h.hexdigest()
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _kind(cls: type) -> str:
    """A type's full name, as the digests name it (made once per type)."""
    found = _KINDS.get(cls)
    if found is None:
        found = _KINDS[cls] = f"{cls.__module__}.{cls.__qualname__}"
    return found


_KINDS: dict[type, str] = {}


EVERYTHING = "*"  # in a reach: every document (sitegen.live redoes the page whatever changed)
NOTHING: frozenset[str] = frozenset()


def _none(*parts: str) -> str:
    return ""


class Fingerprints:
    def __init__(self, fixed: Mapping[int, tuple[Any, str]] | None = None, *, digests: bool = True) -> None:
        """`fixed`: {id(obj): (obj, digest)} for objects digested otherwise (the template
        environment: by its template files). `digests=False`: only `reach` is wanted, every
        digest is "" (the walk without the hashing; sitegen.live)."""
        self._h = _h if digests else _none
        self.digests = digests
        self.memo: dict[int, tuple[Any, str]] = dict(fixed or {})  # id -> (the object, kept alive; digest)
        self.reached: dict[int, frozenset[str]] = {}  # id -> the documents the object leads to (with memo)
        self.collecting: set[str] | None = None  # the reach of the object being walked
        self.busy: set[int] = set()
        self.objects: dict[str, Any] = {}  # digest -> an object with that digest
        self.unstable = 0

    def reach(self, *values: Any) -> frozenset[str]:
        """The source paths of the Documents the values lead to (EVERYTHING among them when
        the walk met something it cannot see into), digesting them on the way."""
        outer, self.collecting = self.collecting, set()
        try:
            for value in values:
                self.of(value)
            return frozenset(self.collecting)
        finally:
            self.collecting = outer

    def of(self, value: Any) -> str:
        cls = type(value)
        if cls is str:  # the most common values first, by exact type (a subclass is told apart below)
            return "s:" + value if len(value) <= 64 else self._h("str", value)
        if cls is int:
            return "i:" + int.__repr__(value)
        if value is None:
            return "None"
        key = id(value)
        found = self.memo.get(key)
        if found is not None and found[0] is value:
            if self.collecting is not None:
                reached = self.reached.get(key)
                if reached:
                    self.collecting.update(reached)
            return found[1]
        if isinstance(value, (bool, int, float, complex)):
            return f"{cls.__name__}:{value!r}"
        if isinstance(value, str):
            return f"{_kind(cls)}:{value}" if len(value) <= 64 else self._h(_kind(cls), value)
        if isinstance(value, (bytes, bytearray)):
            return "bytes:" + hashlib.blake2b(value, digest_size=16).hexdigest()
        if value is Ellipsis or value is NotImplemented:
            return repr(value)
        if isinstance(value, types.ModuleType):  # its code is in the cache's stamp (sitegen) or a library's version
            return f"module:{value.__name__}"
        if isinstance(value, (dt.datetime, dt.date, dt.time, dt.timedelta, PurePath, enum.Enum)):
            digest = f"{cls.__name__}:{value!r}"
            self.objects.setdefault(digest, value)  # template functions take these as arguments
            return digest
        if key in self.busy:
            if self.collecting is not None:
                self.collecting.add(EVERYTHING)
            return f"cycle:{cls.__qualname__}"
        self.busy.add(key)
        outer, self.collecting = self.collecting, set()
        try:
            digest = self._walk(value, cls)
        finally:
            self.busy.discard(key)
            mine, self.collecting = self.collecting, outer
        self.memo[key] = (value, digest)
        if mine:
            self.reached[key] = frozenset(mine)
            if outer is not None:
                outer.update(mine)
        self.objects.setdefault(digest, value)
        return digest

    def _walk(self, value: Any, cls: type) -> str:
        """The digest of a value that holds others: its type's name and what it holds, each
        part digested by `of` (a mapping's keys and values, a dataclass's field names and
        values, in turn)."""
        of = self.of
        if cls is tuple or cls is list:
            return self._h(_kind(cls), *[of(v) for v in value])
        if cls is dict:
            return self._mapping(value, cls)
        names = _dataclass_fields(cls)
        if names is not None:
            inputs = getattr(value, "inputs", None)
            if isinstance(inputs, str) and inputs:  # a Document: the digest of what it was parsed from
                for name in _plain_fields(cls) if self.digests else ():  # its small values, so template functions given them are checked
                    small = getattr(value, name)
                    if isinstance(small, (dt.date, tuple)) and not dataclasses.is_dataclass(small):
                        of(small)
                self.collecting.add(str(getattr(value, "source", "")))  # type: ignore[union-attr]
                return self._h(_kind(cls), inputs)
            parts = [_kind(cls)]
            for name in names:
                parts += (name, of(getattr(value, name)))
            return self._h(*parts)
        if isinstance(value, (list, tuple)):
            return self._h(_kind(cls), *[of(v) for v in value])
        if isinstance(value, (set, frozenset)):
            return self._h(_kind(cls), *sorted([of(v) for v in value]))
        if isinstance(value, abc.Mapping):
            return self._mapping(value, cls)
        if isinstance(value, types.MethodType):
            return self._h("method", of(value.__self__), of(value.__func__))
        if isinstance(value, types.FunctionType):
            code = value.__code__
            cells = tuple(cell.cell_contents for cell in value.__closure__ or ())
            return self._h("function", value.__module__, value.__qualname__, self._code(code), of(cells),
                           of(value.__defaults__), of(value.__kwdefaults__))
        if isinstance(value, types.BuiltinFunctionType):
            return self._h("builtin", _kind(cls), getattr(value, "__qualname__", ""), of(getattr(value, "__self__", None)))
        if isinstance(value, type):
            return self._h("type", value.__module__, value.__qualname__)
        state = getattr(value, "__dict__", None)
        if isinstance(state, dict) and state:
            return self._h(_kind(cls), of(state))
        self.unstable += 1
        if self.collecting is not None:
            self.collecting.add(EVERYTHING)
        return self._h("unstable", _kind(cls), str(id(value)), repr(value))

    def _mapping(self, value: abc.Mapping[Any, Any], cls: type) -> str:
        of = self.of
        parts = [_kind(cls)]
        for k, v in value.items():
            parts += (of(k), of(v))
        return self._h(*parts)

    def _code(self, code: types.CodeType) -> str:
        nested = [self._code(c) for c in code.co_consts if isinstance(c, types.CodeType)]
        constants = [self.of(c) for c in code.co_consts if not isinstance(c, types.CodeType)]  # frozensets: by content
        return self._h(code.co_code.hex(), *constants, *code.co_names, *nested)


@functools.lru_cache(maxsize=None)
def _dataclass_fields(kind: type) -> tuple[str, ...] | None:
    """A dataclass's field names, in order, found once per class (dataclasses.fields filters
    them anew at every call, and every page's context is walked); None for any other type, and
    for a dataclass that is also a sequence, set or mapping (walked as one, as before)."""
    if not dataclasses.is_dataclass(kind) or issubclass(kind, (list, tuple, set, frozenset, abc.Mapping)):
        return None
    return tuple(item.name for item in dataclasses.fields(kind))


@functools.lru_cache(maxsize=None)
def _plain_fields(kind: type) -> tuple[str, ...]:
    """A dataclass's fields but those the class holds through a data descriptor (a Document's
    `raw`, kept compressed: reading it decompresses the whole text, and it is never a date nor
    a tuple, the values a Document's walk looks for)."""
    def through_descriptor(name: str) -> bool:
        held = next((base.__dict__[name] for base in kind.__mro__ if name in base.__dict__), None)
        return hasattr(type(held), "__get__") and hasattr(type(held), "__set__")
    return tuple(name for name in _dataclass_fields(kind) or () if not through_descriptor(name))


def templates_digest(folders: tuple[Path, ...]) -> str:
    """Every template file of the theme (the author's and the built-in one), names and bytes."""
    parts: list[str] = []
    for index, folder in enumerate(folders):
        root = folder / "templates"
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            if path.is_file():
                parts += [str(index), path.relative_to(root).as_posix(), hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()]
    return _h(*parts)


__all__ = ["Fingerprints", "templates_digest", "EVERYTHING"]


_KEYED = frozenset({str, int, bool, type(None)})  # exact types whose equal values write the same JSON (not float: 0.0 == -0.0)


def _key(args: tuple[Any, ...], kwargs: Mapping[str, Any], result: Any) -> tuple[Any, ...]:
    """A call known again: the number of arguments, then each argument (named ones with their
    name) and the result, as itself when it is a str, as (its type, itself) when its type is
    in _KEYED (1 == True and "a" == Markup("a"), whose JSON differ), else as (its id,): the
    same object again, whose digest and reach are memoised for the build (Calls keeps it alive)."""
    parts: list[Any] = [len(args)]
    for value in args:
        kind = type(value)
        parts.append(value if kind is str else (kind, value) if kind in _KEYED else (id(value),))
    for name, value in kwargs.items():
        kind = type(value)
        parts += (name, value if kind is str else (kind, value) if kind in _KEYED else (id(value),))
    kind = type(result)
    parts.append(result if kind is str else (kind, result) if kind in _KEYED else (id(result),))
    return tuple(parts)


class Calls:
    """The template globals that are functions, each call a page makes noted with a digest of
    its arguments and its result. A page's digest then needs only the functions' code, not
    everything their closures reach (a helper closing over every document would otherwise make
    every page depend on every document); the noted calls are checked again before a page is
    reused: same arguments, same result, or the page is rendered."""

    def __init__(self, prints: Fingerprints, functions: Mapping[str, Any]):
        self.prints = prints
        self.functions = dict(functions)
        self.noted: dict[str, None] | None = None  # the page's calls as JSON, each once, in order: many pages make the same ones
        self.confirmed: set[str] = set()  # noted calls found to give their result again (pure within a build)
        self.reached: dict[str, frozenset[str]] = {}  # a call (JSON) -> the documents its arguments and result lead to
        self.touched: set[str] | None = None  # without noting: the documents the page's calls led to
        self.alive: list[Any] = []  # the objects named by their id in a call's key (_key), kept so the id stays theirs

    def wrap(self, name: str) -> Any:
        """The function, its calls noted while `noted` (or `touched`) is set. Most calls are
        made again and again (url("tags/x/"), human_date(a post's date, "en")): a call is
        known by its key (_key) and its JSON and reach are made once."""
        function = self.functions[name]
        texts: dict[tuple[Any, ...], str] = {}
        reaches: dict[tuple[Any, ...], frozenset[str]] = {}

        def noted(*args: Any, **kwargs: Any) -> Any:
            result = function(*args, **kwargs)
            page, touched = self.noted, self.touched
            if page is None and touched is None:
                return result
            if not kwargs and len(args) == 1 and type(args[0]) is str and type(result) is str:
                key: tuple[Any, ...] = (args[0], result)
            else:
                key = _key(args, kwargs, result)
            if touched is not None:
                reach = reaches.get(key)
                if reach is None:
                    reach = reaches[key] = self.prints.reach(*args, *kwargs.values(), result)
                    self._keep(key, args, kwargs, result)
                touched.update(reach)
            if page is not None:
                text = texts.get(key)
                if text is None:
                    text = self._text(name, args, kwargs, result)
                    if text:
                        texts[key] = text
                        self._keep(key, args, kwargs, result)
                page[text] = None
            return result

        return noted

    def _text(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any], result: Any) -> str:
        """A call as JSON (its arguments and result by value or digest), its reach noted; ""
        when it is beyond JSON (a 70-bit integer ...): the page is simply rendered next time."""
        call = [name, [self._arg(a) for a in args], {k: self._arg(v) for k, v in kwargs.items()}, self.prints.of(result)]
        try:
            text = orjson.dumps(call).decode()
        except TypeError:
            text = ""
        if text not in self.reached or not text:  # the same call again: the same digests, the same documents
            self.reached[text] = self.reached.get(text, NOTHING) | self.prints.reach(*args, *kwargs.values(), result)
        return text

    def _keep(self, key: tuple[Any, ...], *values: Any) -> None:
        """Keep alive what a key names by id (see _key), once the key is remembered."""
        if key and type(key[0]) is int:
            self.alive.append(values)

    def code(self) -> str:
        return _h(*(f"{name}={self._code_only(f)}" for name, f in sorted(self.functions.items())))

    def _code_only(self, function: Any) -> str:
        code = getattr(function, "__code__", None)
        if isinstance(code, types.CodeType):
            return _h(getattr(function, "__module__", "") or "", getattr(function, "__qualname__", ""), self.prints._code(code))
        return self.prints.of(function)

    def _arg(self, value: Any) -> Any:
        if value is None or isinstance(value, (bool, int, float, str)):
            return [value]
        return {"fp": self.prints.of(value)}

    def still(self, noted: list[str]) -> bool:
        """Every noted call, made again with today's objects, gives the same result. A call
        (as its JSON text) is decoded and made once per build, however many pages made it."""
        objects = self.prints.objects
        missing = object()

        def arg(value: Any) -> Any:
            if isinstance(value, list):
                return value[0]
            return objects.get(value["fp"], missing)

        try:
            if self.confirmed.issuperset(noted):  # most pages: every call already made again for another
                return True
        except TypeError:  # not a list of texts (a cache entry this version did not write): checked below
            pass
        for call in noted:
            if call in self.confirmed:
                continue
            if not isinstance(call, str) or not call or not self._still(call, orjson.loads(call), arg, missing):
                return False
            self.confirmed.add(call)  # the same call on another page: same arguments, same result
        return True

    def reach(self, noted: list[str]) -> frozenset[str]:
        """The documents the noted calls' arguments and results lead to (made or checked in
        this build); EVERYTHING for a call that was neither."""
        everything = (EVERYTHING,)
        return frozenset().union(*[self.reached.get(call, everything) for call in noted])

    def _still(self, text: str, call: list[Any], arg: Any, missing: object) -> bool:
        name, args, kwargs, result = call
        function = self.functions.get(name)
        if function is None:
            return False
        values = [arg(a) for a in args]
        named = {k: arg(v) for k, v in kwargs.items()}
        if any(v is missing for v in (*values, *named.values())):
            return False
        try:
            made = function(*values, **named)
            self.reached[text] = self.prints.reach(*values, *named.values(), made)
            return bool(self.prints.of(made) == result)
        except Exception:
            return False


__all__ += ["Calls"]
