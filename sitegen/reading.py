"""What a page, while its templates render, read of the documents it shows beyond their
settled fields (title, date, tags, URL ...): their text, render or reading time.

A list page shows a post's title, date and tags; when only the post's text changes, the list
comes out the same and `sitegen serve` need not make it again (sitegen.live). The templates
are watched where they can reach a document: every attribute or item they look up
(`environment.getattr`/`getitem`), every call (`Context.call`: global functions, methods,
macros), every filter but those that only rearrange sequences, and every value they print.
A document given to a call or a filter, or printed, counts as read in full, except by the
global functions that look at settled fields only (`SETTLED_FUNCTIONS`). A value the walk
cannot see into counts as every document (fingerprint.EVERYTHING).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, Callable

import jinja2
from jinja2.runtime import Context

from .content import Document
from .fingerprint import Fingerprints

TEXT = frozenset({"raw", "body", "body_start", "rendered", "inputs", "minutes", "markdown", "html"})  # what a document's text decides
SETTLED_ATTRIBUTES = frozenset(item.name for item in dataclasses.fields(Document) if item.name not in TEXT) | {"revision_date"}
# filters that give back (parts of) the sequence they are given, looking at attributes through
# the environment (so those lookups are watched), never printing or comparing a document's text
STRUCTURAL_FILTERS = frozenset({"length", "count", "list", "first", "last", "reverse", "rejectattr", "selectattr",
                                "select", "reject", "map", "batch", "slice", "groupby", "dictsort", "default", "d"})
SETTLED_FUNCTIONS = frozenset({"versions"})  # template globals that read only settled fields of what they are given
_PLAIN = (str, int, float)  # values the walk (fingerprint.Fingerprints.of) takes as they are, reaching no document


class ReadingEnvironment(jinja2.Environment):
    """A Jinja environment that, while `reading` is a set, adds to it the source of every
    document a template reads more of than its settled fields."""

    reading: set[str] | None = None
    settled_functions: frozenset[int] = frozenset()  # ids of the callables in SETTLED_FUNCTIONS

    def __init__(self, **options: Any) -> None:
        super().__init__(finalize=self._printed, **options)
        self.walker = Fingerprints(digests=False)
        self.context_class = ReadingContext
        self.filters = {name: f if name in STRUCTURAL_FILTERS else _watched(self, f) for name, f in self.filters.items()}

    def settle(self, functions: dict[str, Any]) -> None:
        """Say which globals read settled fields only (after they are set or wrapped)."""
        self.settled_functions = frozenset(id(f) for name, f in functions.items() if name in SETTLED_FUNCTIONS)

    def read_all(self, *values: Any) -> None:
        """Every document the values lead to counts as read. Most are plain (a URL path, a
        language tag, a number: ~30 calls a page) and lead nowhere: the walk is not started."""
        if self.reading is not None:
            deep = [value for value in values if value is not None and not isinstance(value, _PLAIN)]
            if deep:
                self.reading.update(self.walker.reach(*deep))

    def getattr(self, obj: Any, attribute: str) -> Any:
        if self.reading is not None and isinstance(obj, Document) and attribute not in SETTLED_ATTRIBUTES:
            self.reading.add(str(obj.source))
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if self.reading is not None and isinstance(obj, Document) and argument not in SETTLED_ATTRIBUTES:
            self.reading.add(str(obj.source))
        return super().getitem(obj, argument)

    def _printed(self, value: Any) -> Any:
        if self.reading is not None and not isinstance(value, (str, int, float)) and value is not None:
            self.read_all(value)
        return value


class ReadingContext(Context):
    def call(__self, __obj: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:  # noqa: N805 (Jinja's own signature)
        environment = __self.environment
        if isinstance(environment, ReadingEnvironment) and environment.reading is not None \
                and id(__obj) not in environment.settled_functions and (args or kwargs):
            environment.read_all(*args, *(v for k, v in kwargs.items() if not k.startswith("_")))
        return super().call(__obj, *args, **kwargs)


def _watched(environment: ReadingEnvironment, function: Callable[..., Any]) -> Callable[..., Any]:
    """A filter whose arguments count as read (Jinja's context, environment and evaluation
    context, passed first to some filters, are not walked)."""
    passes = getattr(function, "jinja_pass_arg", None)

    @functools.wraps(function)
    def watched(*args: Any, **kwargs: Any) -> Any:
        if environment.reading is not None:
            environment.read_all(*(args[1:] if passes is not None else args), *kwargs.values())
        return function(*args, **kwargs)

    return watched


__all__ = ["ReadingEnvironment", "TEXT", "SETTLED_ATTRIBUTES", "STRUCTURAL_FILTERS", "SETTLED_FUNCTIONS"]
