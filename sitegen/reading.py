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
import datetime as dt
import enum
import functools
import types
from collections import ChainMap
from pathlib import PurePath
from typing import Any, Callable

import jinja2
from jinja2.runtime import Context
from jinja2.utils import _PassArg

from .content import Document
from .fingerprint import Calls, Fingerprints
from .fragments import Recorder, SharedExtension

TEXT = frozenset({"raw", "body", "body_start", "rendered", "inputs", "minutes", "markdown", "html"})  # what a document's text decides
SETTLED_ATTRIBUTES = frozenset(item.name for item in dataclasses.fields(Document) if item.name not in TEXT) | {"revision_date"}
# filters that give back (parts of) the sequence they are given, looking at attributes through
# the environment (so those lookups are watched), never printing or comparing a document's text
STRUCTURAL_FILTERS = frozenset({"length", "count", "list", "first", "last", "reverse", "rejectattr", "selectattr",
                                "select", "reject", "map", "batch", "slice", "groupby", "dictsort", "default", "d"})
SETTLED_FUNCTIONS = frozenset({"versions"})  # template globals that read only settled fields of what they are given
# values the walk (fingerprint.Fingerprints.of) takes as they are, reaching no document
_PLAIN = (str, int, float, complex, bytes, bytearray, dt.date, dt.time, dt.timedelta, PurePath, enum.Enum, types.ModuleType)
# callables Jinja's Context.call gives nothing to (no `jinja_pass_arg` can be set on them): called directly
_DIRECT = frozenset({types.BuiltinFunctionType, types.MethodWrapperType, types.WrapperDescriptorType})
_DICT_NAMES = frozenset(dir(dict))  # what getattr finds on a dict before its keys
_UNDEFINED_BY_STOP = "value was undefined because a callable raised a StopIteration exception"  # Context.call's words


class ReadingEnvironment(jinja2.Environment):
    """A Jinja environment that, while `reading` is a set, adds to it the source of every
    document a template reads more of than its settled fields."""

    reading: set[str] | None = None
    calls: Calls | None = None  # the template functions' calls noted (render_site)
    settled_functions: frozenset[int] = frozenset()  # ids of the callables in SETTLED_FUNCTIONS
    plain_functions: frozenset[int] = frozenset()  # ids of the globals that are functions taking no context
    loaded: dict[str, jinja2.Template] | None = None  # this build's templates by name (begin ... finish)

    def __init__(self, **options: Any) -> None:
        super().__init__(finalize=self._printed, extensions=[SharedExtension], **options)
        self.walker = Fingerprints(digests=False)
        self.context_class = ReadingContext
        self.filters = {name: f if name in STRUCTURAL_FILTERS else _watched(self, f) for name, f in self.filters.items()}
        self.recorder = _Noting(self)

    def begin(self, calls: Calls | None = None) -> None:
        """A new build: nothing walked, no fragment made (sitegen.fragments); `calls`, the
        template functions' calls noted, when they are."""
        self.walker = Fingerprints(digests=False)
        self.calls = calls
        self.loaded = {}
        for extension in self.extensions.values():
            if isinstance(extension, SharedExtension):
                extension.forget()

    def finish(self) -> None:
        """The build is over: templates are looked at on disk again when asked for."""
        self.loaded = None

    def _load_template(self, name: str, globals: Any) -> jinja2.Template:
        """Within a build, a template found once is taken again without asking the disk whether
        it changed (Jinja's auto_reload looks at the file's time for every page and include):
        a build renders every page with the templates it started with."""
        loaded = self.loaded
        if loaded is None or globals:
            return super()._load_template(name, globals)
        found = loaded.get(name)
        if found is None:
            found = loaded[name] = super()._load_template(name, globals)
        return found

    def render(self, name: str, context: dict[str, Any]) -> str:
        """get_template(name).render(**context), the template's globals and the context merged
        into one dict without iterating Jinja's ChainMap in Python (once per page)."""
        template = self.get_template(name)
        namespace = template.globals
        merged: dict[str, Any] = {}
        for mapping in reversed(namespace.maps) if isinstance(namespace, ChainMap) else (namespace,):
            merged.update(mapping)
        merged.update(context)
        try:
            return self.concat(template.root_render_func(template.new_context(merged, shared=True)))
        except Exception:
            self.handle_exception()

    def settle(self, functions: dict[str, Any]) -> None:
        """Say which globals read settled fields only, and which are plain functions (taking no
        context: ReadingContext.call calls them directly), after they are set or wrapped."""
        self.settled_functions = frozenset(id(f) for name, f in functions.items() if name in SETTLED_FUNCTIONS)
        self.plain_functions = frozenset(id(f) for f in functions.values()
                                         if type(f) is types.FunctionType and not hasattr(f, "jinja_pass_arg"))

    def read_all(self, *values: Any) -> None:
        """Every document the values lead to counts as read. Most are plain (a URL path, a
        language tag, a number: ~30 calls a page) and lead nowhere: the walk is not started."""
        if self.reading is not None:
            deep = [value for value in values if value is not None and not isinstance(value, _PLAIN)]
            if deep:
                self.reading.update(self.walker.reach(*deep))

    def getattr(self, obj: Any, attribute: str) -> Any:
        """jinja2.Environment.getattr, written out (it is the most frequent call of a render).
        A plain dict's key (the catalog's `t.title`) is looked up first when no attribute of
        dicts has its name: what getattr would find after raising AttributeError."""
        if type(obj) is dict and attribute not in _DICT_NAMES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        if self.reading is not None and isinstance(obj, Document) and attribute not in SETTLED_ATTRIBUTES:
            self.reading.add(str(obj.source))
        try:
            return getattr(obj, attribute)
        except AttributeError:
            pass
        try:
            return obj[attribute]
        except (TypeError, LookupError, AttributeError):
            return self.undefined(obj=obj, name=attribute)

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
        """Context.call, the arguments noted as read; a builtin or a global function that takes
        no context is called directly (what Context.call would do, without its look-ups)."""
        environment = __self.environment
        if not isinstance(environment, ReadingEnvironment):
            return super().call(__obj, *args, **kwargs)
        if kwargs:  # Jinja passes these inside loops and blocks, for callables that take the context
            loop_vars, block_vars = kwargs.pop("_loop_vars", None), kwargs.pop("_block_vars", None)
        else:
            loop_vars = block_vars = None
        if environment.reading is not None and id(__obj) not in environment.settled_functions:
            named = [v for k, v in kwargs.items() if not k.startswith("_")] if kwargs else ()
            for value in (*args, *named) if named else args:
                if value is not None and not isinstance(value, _PLAIN):
                    if not getattr(__obj, "sitegen_reads_nothing", False):  # a shared fragment: its body notes its reads
                        environment.read_all(*args, *named)
                    break
        if type(__obj) in _DIRECT or id(__obj) in environment.plain_functions:
            try:
                return __obj(*args, **kwargs)
            except StopIteration:
                return environment.undefined(_UNDEFINED_BY_STOP)
        if type(__obj) is types.MethodType and getattr(__obj, "jinja_pass_arg", None) is _PassArg.eval_context:
            try:  # a shared fragment (sitegen.fragments), on every page: what Context.call would do
                return __obj(__self.eval_ctx, *args, **kwargs)
            except StopIteration:
                return environment.undefined(_UNDEFINED_BY_STOP)
        if loop_vars is not None:
            kwargs["_loop_vars"] = loop_vars
        if block_vars is not None:
            kwargs["_block_vars"] = block_vars
        return super().call(__obj, *args, **kwargs)


class _Noting(Recorder):
    """What a shared fragment's body noted (sitegen.fragments): the documents it read, and its
    template calls as noted (Calls.noted) or the documents they led to (Calls.touched)."""

    def __init__(self, environment: ReadingEnvironment) -> None:
        self.environment = environment

    def mode(self) -> tuple[bool, ...]:
        calls = self.environment.calls
        return (self.environment.reading is not None, calls is not None and calls.noted is not None,
                calls is not None and calls.touched is not None)

    def capture(self) -> Any:
        environment, calls = self.environment, self.environment.calls
        outer = (environment.reading, calls.noted if calls else None, calls.touched if calls else None)
        if environment.reading is not None:
            environment.reading = set()
        if calls is not None:
            calls.noted = {} if calls.noted is not None else None
            calls.touched = set() if calls.touched is not None else None
        return outer

    def release(self, outer: Any) -> Any:
        environment, calls = self.environment, self.environment.calls
        reading, noted, touched = environment.reading, calls.noted if calls else None, calls.touched if calls else None
        environment.reading = outer[0]
        if calls is not None:
            calls.noted, calls.touched = outer[1], outer[2]
        mine = (reading or None, noted or None, touched or None)  # the block's own: never changed after
        self.replay(mine)
        return mine

    def replay(self, noted: Any) -> None:
        reading, calls_noted, touched = noted
        environment, calls = self.environment, self.environment.calls
        if reading and environment.reading is not None:
            environment.reading.update(reading)
        if calls is not None:
            if calls_noted and calls.noted is not None:
                calls.noted.update(calls_noted)
            if touched and calls.touched is not None:
                calls.touched.update(touched)


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
