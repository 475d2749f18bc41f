"""Whether two template contexts (or any two values a template is given) show the same thing,
when they were made from two versions of a site that share most of their documents.

`Likeness.same(a, b)` compares values made by two builds of the context: a Document only
to itself (the same object: a document that did not change is the same object in both
sites, sitegen.live) or to its given counterpart, and everything around documents by its structure: tuples, lists and
dicts item by item, dataclasses field by field, functions by their code and what their
closures hold, other objects by their attributes. Anything it cannot see into is not the
same. Pure; memoised per pair of objects, so the large values pages share (a side's list of
every post, the table of translations a template function closes over) are compared once.

sitegen.live uses it when posts' titles, tags or dates change, each changed document taken
as the same as its counterpart: a page whose context, and the globals its templates see, are
the same as the last build's in that sense, and whose reach (every document its context and
template calls led to) holds none of the changed documents, shows exactly what it showed then.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import types
from pathlib import PurePath
from typing import Any

from .content import Document

_PLAIN = (str, int, float, bool, complex, bytes, type(None), dt.datetime, dt.date, dt.time, dt.timedelta, PurePath, enum.Enum)
_SCALARS = frozenset({str, int, float, bool, type(None)})


class Likeness:
    def __init__(self, counterparts: dict[int, Document] | None = None) -> None:
        """`counterparts`: {id(a document of the first site): the document that replaced it in
        the second}, taken as the same (sitegen.live redoes every page that reached them)."""
        self.counterparts = counterparts or {}
        self.memo: dict[tuple[int, int], tuple[Any, Any, bool]] = {}  # (id, id) -> (a, b kept alive, same)
        self.busy: set[tuple[int, int]] = set()

    def same(self, a: Any, b: Any) -> bool:
        if a is b:
            return True
        kind = type(a)
        if kind in _SCALARS:  # most of what a context holds: told apart first, by exact type
            return type(b) is kind and bool(a == b)
        if isinstance(a, Document):  # (a resting one's counterpart is a Document: sitegen.records)
            return self.counterparts.get(id(a)) is b  # else another object: another document
        if kind is not type(b):
            return False
        if isinstance(a, _PLAIN):
            return bool(a == b)
        key = (id(a), id(b))
        found = self.memo.get(key)
        if found is not None and found[0] is a and found[1] is b:
            return found[2]
        if key in self.busy:
            return True  # a cycle: the same so far (what the rest of the walk decides)
        self.busy.add(key)
        try:
            result = self._walk(a, b)
        finally:
            self.busy.discard(key)
        self.memo[key] = (a, b, result)
        return result

    def _walk(self, a: Any, b: Any) -> bool:
        # (`x is y or ...` inline: most items of two contexts are the very same objects)
        same = self.same
        if isinstance(a, (list, tuple)):
            if len(a) != len(b):
                return False
            for x, y in zip(a, b, strict=True):
                if x is not y and not same(x, y):
                    return False
            return True
        if isinstance(a, dict):
            if len(a) != len(b):
                return False
            for (k, v), (j, w) in zip(a.items(), b.items(), strict=True):
                if k != j or (v is not w and not same(v, w)):
                    return False
            return True
        if isinstance(a, (set, frozenset)):
            return all(isinstance(item, _PLAIN) for item in a) and a == b
        if dataclasses.is_dataclass(a) and not isinstance(a, type):
            for name in _field_names(type(a)):
                x, y = getattr(a, name), getattr(b, name)
                if x is not y and not same(x, y):
                    return False
            return True
        if isinstance(a, types.FunctionType):
            return (a.__code__ is b.__code__ and self.same(a.__defaults__, b.__defaults__)
                    and self.same(a.__kwdefaults__, b.__kwdefaults__)
                    and self.same(tuple(c.cell_contents for c in a.__closure__ or ()),
                                  tuple(c.cell_contents for c in b.__closure__ or ())))
        if isinstance(a, types.MethodType):
            return a.__func__ is b.__func__ and self.same(a.__self__, b.__self__)
        if isinstance(a, (types.BuiltinFunctionType, types.ModuleType, type)):
            return False  # not the same object (`is` above)
        state = getattr(a, "__dict__", None)
        if isinstance(state, dict) and state and not hasattr(a, "__slots__"):
            return self.same(state, b.__dict__)
        return False  # nothing to see into: not known to be the same


_FIELDS: dict[type, tuple[str, ...]] = {}


def _field_names(kind: type) -> tuple[str, ...]:
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = tuple(item.name for item in dataclasses.fields(kind))
    return names


__all__ = ["Likeness"]
