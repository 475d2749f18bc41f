"""A digest of everything a page is rendered from, so that an unchanged page is not rendered.

`Fingerprints.of(value)` walks a template's context (documents, posts, tags, the site's
settings, the helper functions in the globals, with the closures they carry) and digests it.
It is generic on purpose: a new page, a new context variable or a new global added by anyone
is covered without telling the cache, because whatever a template can reach from its context
is in the digest. Objects it cannot see into digest to something that changes every build (so
their pages are simply always rendered). Pure; memoised per object for one build.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
import types
from pathlib import Path, PurePath
from typing import Any, Mapping


def _h(*parts: str) -> str:
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


class Fingerprints:
    def __init__(self, fixed: Mapping[int, tuple[Any, str]] | None = None) -> None:
        """`fixed`: {id(obj): (obj, digest)} for objects digested otherwise (the template
        environment: by its template files)."""
        self.memo: dict[int, tuple[Any, str]] = dict(fixed or {})  # id -> (the object, kept alive; digest)
        self.busy: set[int] = set()
        self.unstable = 0

    def of(self, value: Any) -> str:
        if value is None or isinstance(value, (bool, int, float, complex)):
            return f"{type(value).__name__}:{value!r}"
        if isinstance(value, str):
            return _h(type(value).__name__, value) if len(value) > 64 else f"{type(value).__name__}:{value!r}"
        if isinstance(value, (bytes, bytearray)):
            return "bytes:" + hashlib.blake2b(value, digest_size=16).hexdigest()
        if value is Ellipsis or value is NotImplemented:
            return repr(value)
        if isinstance(value, types.ModuleType):  # its code is in the cache's stamp (sitegen) or a library's version
            return f"module:{value.__name__}"
        if isinstance(value, (dt.datetime, dt.date, dt.time, dt.timedelta, PurePath, enum.Enum)):
            return f"{type(value).__name__}:{value!r}"
        key = id(value)
        found = self.memo.get(key)
        if found is not None and found[0] is value:
            return found[1]
        if key in self.busy:
            return f"cycle:{type(value).__qualname__}"
        self.busy.add(key)
        try:
            digest = self._walk(value)
        finally:
            self.busy.discard(key)
        self.memo[key] = (value, digest)
        return digest

    def _walk(self, value: Any) -> str:
        kind = f"{type(value).__module__}.{type(value).__qualname__}"
        if isinstance(value, (list, tuple)):
            return _h(kind, *(self.of(v) for v in value))
        if isinstance(value, (set, frozenset)):
            return _h(kind, *sorted(self.of(v) for v in value))
        if isinstance(value, Mapping):
            return _h(kind, *(f"{self.of(k)}={self.of(v)}" for k, v in value.items()))
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            inputs = getattr(value, "inputs", None)
            if isinstance(inputs, str) and inputs:  # a Document: the digest of what it was parsed from
                return _h(kind, inputs)
            return _h(kind, *(f"{f.name}={self.of(getattr(value, f.name))}" for f in dataclasses.fields(value)))
        if isinstance(value, types.MethodType):
            return _h("method", self.of(value.__self__), self.of(value.__func__))
        if isinstance(value, types.FunctionType):
            code = value.__code__
            cells = tuple(cell.cell_contents for cell in value.__closure__ or ())
            return _h("function", value.__module__, value.__qualname__, self._code(code), self.of(cells),
                      self.of(value.__defaults__), self.of(value.__kwdefaults__))
        if isinstance(value, types.BuiltinFunctionType):
            return _h("builtin", kind, getattr(value, "__qualname__", ""), self.of(getattr(value, "__self__", None)))
        if isinstance(value, type):
            return _h("type", value.__module__, value.__qualname__)
        state = getattr(value, "__dict__", None)
        if isinstance(state, dict) and state:
            return _h(kind, self.of(state))
        self.unstable += 1
        return _h("unstable", kind, str(id(value)), repr(value))

    def _code(self, code: types.CodeType) -> str:
        nested = [self._code(c) for c in code.co_consts if isinstance(c, types.CodeType)]
        constants = [self.of(c) for c in code.co_consts if not isinstance(c, types.CodeType)]  # frozensets: by content
        return _h(code.co_code.hex(), *constants, *code.co_names, *nested)


def templates_digest(folders: tuple[Path, ...]) -> str:
    """Every template file of the theme (the author's and the built-in one), names and bytes."""
    parts: list[str] = []
    for index, folder in enumerate(folders):
        root = folder / "templates"
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            if path.is_file():
                parts += [str(index), path.relative_to(root).as_posix(), hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()]
    return _h(*parts)


__all__ = ["Fingerprints", "templates_digest"]
