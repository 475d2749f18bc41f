"""sitegen.likeness: two template contexts made from two versions of a site show the same
thing when everything around their documents is alike and each document is the very same
object or the counterpart it was given; anything else, or anything it cannot see into, is not."""

from __future__ import annotations

import dataclasses

from sitegen.build import build_files
from sitegen.likeness import Likeness

from .conftest import post


def _documents(make_site):  # type: ignore[no-untyped-def]
    site = build_files(make_site({"blog/a/index.md": post("A"), "blog/b/index.md": post("B")})).site
    assert site is not None
    return site.documents


def test_contexts_alike_around_the_same_documents(make_site) -> None:  # type: ignore[no-untyped-def]
    a, b = _documents(make_site)
    renamed = dataclasses.replace(a, title="A, renamed")
    same = Likeness({id(a): renamed}).same

    @dataclasses.dataclass(frozen=True)
    class Around:
        previous: object
        related: tuple[object, ...]
        minutes: int

    def context(doc: object, related: tuple[object, ...], minutes: int = 3, lang: str = "ko-KR") -> dict[str, object]:
        return {"lang": lang, "doc": doc, "around": Around(None, related, minutes), "alternates": [doc], "n": 1.5}

    assert same(context(b, (a,)), context(b, (renamed,)))  # the counterpart stands for its old self
    assert same(context(a, (b,)), context(renamed, (b,)))
    assert not same(context(b, (a,)), context(b, (b,)))  # another document
    assert not same(context(b, (a,)), context(b, (a, b)))
    assert not same(context(b, (a,)), context(b, (a,), minutes=4))  # a field of a dataclass
    assert not same(context(b, (a,)), context(b, (a,), lang="en-GB"))  # a value of a dict
    assert not same({"x": 1}, {"x": True})  # equal, but not the same type
    assert not same({"x": 1}, {"y": 1}) and not same([1, 2], [1, 2, 3])
    assert not Likeness().same(a, renamed)  # without the counterpart: another document
    assert not same(b, dataclasses.replace(b))  # an equal copy is not the document


def test_functions_by_their_code_and_closures_and_cycles_end(make_site) -> None:  # type: ignore[no-untyped-def]
    a, b = _documents(make_site)
    same = Likeness().same

    def closing_over(value: object):  # type: ignore[no-untyped-def]
        return lambda: value

    assert same(closing_over(a), closing_over(a)) and not same(closing_over(a), closing_over(b))
    one: list[object] = [1]
    one.append(one)
    other: list[object] = [1]
    other.append(other)
    assert same(one, other)  # a cycle: alike as far as it goes
    assert not same(object(), object())  # nothing to see into
