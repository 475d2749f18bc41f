"""`{% shared %} ... {% endshared %}`: a part of a template rendered once per build for the
values it names, its HTML used again wherever they come back.

A post's entry in a list is the same on every page that lists it (the home pages and each of
its tags' pages): the theme marks it shared and it is rendered once. The block's key is every
variable its body reads from around it (found when the template is compiled), each by value
(a string, a number) or by identity (a post, a catalog, a function), and the autoescape mode;
so a block that names the loop around it (`loop`), reaches the context otherwise (an
include, a block, a macro, a filter taking the context) or changes a namespace is not shared
but rendered every time, as if the tags were not there. What it promises beyond: its HTML
depends on those values only, as every page's does on its context (sitegen.fingerprint).

The bookkeeping of incremental builds is kept whole: what the body read of the documents
(sitegen.reading) and the template calls it made (fingerprint.Calls) are noted with its HTML
and noted again, in the page using it, each time it is used.
"""

from __future__ import annotations

import hashlib
from typing import Any, Callable, Iterable

from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.filters import FILTERS
from jinja2.parser import Parser
from jinja2.runtime import EvalContext, Undefined
from jinja2.utils import _PassArg, pass_eval_context

_KEYED = frozenset({str, int, bool, type(None)})  # values whose equal ones print the same (not float: 0.0 == -0.0)
_SELECTING = {"map", "select", "reject", "selectattr", "rejectattr"}
_SPECIAL = {"loop", "self", "super", "caller", "varargs", "kwargs"}  # a block naming these is not shared
_UNSHARED = (nodes.Include, nodes.Extends, nodes.Block, nodes.Import, nodes.FromImport, nodes.Macro, nodes.CallBlock,
             nodes.NSRef, nodes.ExprStmt, nodes.ContextReference, nodes.DerivedContextReference)


class _NotShared(Exception):
    pass


class Recorder:
    """What a template's render notes besides its HTML (sitegen.reading and fingerprint.Calls
    implement it): `capture` starts noting apart, `release` ends it, adds what was noted to
    what was noted before and gives it back; `replay` adds it again. `mode` says what is noted
    (a fragment noted in one mode is not replayed in another)."""

    def mode(self) -> tuple[bool, ...]:
        return ()

    def capture(self) -> Any:
        return None

    def release(self, outer: Any) -> Any:
        return None

    def replay(self, noted: Any) -> None:
        pass


class SharedExtension(Extension):
    tags = {"shared"}

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.made: dict[tuple[Any, ...], tuple[Any, Any, tuple[Any, ...]]] = {}  # key -> (HTML, what was noted, the values)

    def forget(self) -> None:
        """A new build: its documents and functions are new."""
        self.made = {}

    def parse(self, parser: Parser) -> nodes.Node | list[nodes.Node]:
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endshared",), drop_needle=True)
        try:
            names = sorted(_free(body, set(), self.environment))
        except _NotShared:
            return body
        if _SPECIAL & set(names):
            return body
        block = f"{parser.name}:{lineno}:{hashlib.blake2b(repr(body).encode(), digest_size=8).hexdigest()}"  # its body decides
        key = nodes.Tuple([nodes.Name(name, "load") for name in names], "load")
        call = self.call_method("_render", [nodes.Const(block), nodes.Const(tuple(names)), key])
        return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    @pass_eval_context
    def _render(self, eval_ctx: EvalContext, block: str, names: tuple[str, ...], values: tuple[Any, ...],
                caller: Callable[[], str]) -> str:
        recorder: Recorder = getattr(self.environment, "recorder", None) or Recorder()
        key: list[Any] = [block, eval_ctx.autoescape, *recorder.mode()]
        for value in values:
            kind = type(value)
            key.append(value if kind is str else (kind, value) if kind in _KEYED else
                       Undefined if isinstance(value, Undefined) else (id(value),))
        made = self.made.get(tuple(key))
        if made is not None:
            recorder.replay(made[1])
            return made[0]
        if any(_takes_context(value) for value in values):
            return caller()  # a function that reads the context: not only what the block names
        outer = recorder.capture()
        try:
            html = caller()
        finally:
            noted = recorder.release(outer)
        self.made[tuple(key)] = (html, noted, values)  # the values kept: their ids stay theirs
        return html

    _render.sitegen_reads_nothing = True  # type: ignore[attr-defined]  # its body's reads are noted as they happen


def _selects(name: str, function: Any) -> bool:
    """Jinja's own map, select, reject, selectattr or rejectattr: they take the context only to
    call the filters and tests they are given by name (checked apart)."""
    return name in _SELECTING and FILTERS[name] in (function, getattr(function, "__wrapped__", None))


def _takes_context(value: Any) -> bool:
    """Whether Jinja would give the callable the context (Context.call looks at it and at its __call__)."""
    if not callable(value):
        return False
    return _PassArg.context in (getattr(value, "jinja_pass_arg", None), getattr(type(value).__call__, "jinja_pass_arg", None))


def _free(body: Iterable[nodes.Node], bound: set[str], environment: Any) -> set[str]:
    """The names the statements read from around them: those not bound before they are read
    within the statements (a set, a for loop's target). Raises _NotShared for what reaches
    the context otherwise."""
    found: set[str] = set()
    bound = set(bound)
    for node in body:
        _visit(node, bound, found, environment)
    return found


def _targets(target: nodes.Node) -> set[str]:
    """The names a target (`x`, `x, y`) binds."""
    return {target.name} if isinstance(target, nodes.Name) else {name.name for name in target.find_all(nodes.Name)}


def _visit(node: nodes.Node, bound: set[str], found: set[str], environment: Any) -> None:
    if isinstance(node, _UNSHARED):
        raise _NotShared(type(node).__name__)
    if isinstance(node, nodes.Name):
        if node.ctx == "load" and node.name not in bound:
            found.add(node.name)
        elif node.ctx != "load":
            bound.add(node.name)
        return
    if isinstance(node, (nodes.Filter, nodes.Test)):
        function = (environment.filters if isinstance(node, nodes.Filter) else environment.tests).get(node.name)
        if function is None or (_takes_context(function) and not _selects(node.name, function)):
            raise _NotShared(f"{node.name}: reads the context")
    if isinstance(node, nodes.Const) and isinstance(node.value, str):  # a filter or test named to map/select/reject
        for table in (environment.filters, environment.tests):
            if node.value in table and _takes_context(table[node.value]) and not _selects(node.value, table[node.value]):
                raise _NotShared(f"{node.value}: reads the context")
    if isinstance(node, nodes.For):
        _visit(node.iter, bound, found, environment)
        inner = bound | _targets(node.target) | {"loop"}
        if node.test is not None:
            _visit(node.test, set(inner), found, environment)
        found |= _free(node.body, inner, environment)
        found |= _free(node.else_, bound, environment)
        return
    if isinstance(node, nodes.Assign):
        _visit(node.node, bound, found, environment)
        bound |= _targets(node.target)
        return
    if isinstance(node, nodes.AssignBlock):
        found |= _free(node.body, bound, environment)
        if node.filter is not None:
            _visit(node.filter, set(bound), found, environment)
        bound |= _targets(node.target)
        return
    if isinstance(node, nodes.With):
        for value in node.values:
            _visit(value, bound, found, environment)
        found |= _free(node.body, bound | set().union(*map(_targets, node.targets)), environment)
        return
    if isinstance(node, nodes.If):  # a set in a branch is not taken as bound after it (more names: never fewer)
        _visit(node.test, bound, found, environment)
        found |= _free(node.body, bound, environment)
        for branch in node.elif_:
            _visit(branch, set(bound), found, environment)
        found |= _free(node.else_, bound, environment)
        return
    for child in node.iter_child_nodes():
        _visit(child, bound if isinstance(child, nodes.Expr) else set(bound), found, environment)


__all__ = ["SharedExtension", "Recorder"]
