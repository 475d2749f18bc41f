"""`{% shared %}` (sitegen.fragments): a block is rendered once per build for the values it
reads, its HTML the same as without the tags, and a page using it again notes the same reads
and template calls as a page that rendered it."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import jinja2
import pytest

from sitegen.config import SiteConfig
from sitegen.content import Document, Located, parse_document
from sitegen.fingerprint import Calls, Fingerprints
from sitegen.reading import ReadingEnvironment

from .conftest import post

CONFIG = SiteConfig.parse('title = "T"\nbase_url = "https://blog.example/"\ndefault_language = "ko-KR"\n')


def environment(templates: dict[str, str]) -> ReadingEnvironment:
    env = ReadingEnvironment(loader=jinja2.DictLoader(templates), autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.begin()
    return env


def unshared(text: str) -> str:
    return text.replace("{% shared %}", "").replace("{% endshared %}", "")


LIST = """{% for item in items %}{% shared %}
<li>{{ shout(item.name) }}{% for tag in item.tags %} #{{ tag }}{% if not loop.last %},{% endif %}{% endfor %}</li>
{% endshared %}{% endfor %}"""


def test_a_shared_block_is_made_once_for_the_values_it_reads_and_prints_as_without_it() -> None:
    made: list[str] = []

    def shout(name: str) -> str:
        made.append(name)
        return name.upper() + "!"

    items = [{"name": "a", "tags": ["x", "y"]}, {"name": "<b>", "tags": []}]
    shared, plain = environment({"t": LIST}), environment({"t": unshared(LIST)})
    for env in (shared, plain):
        env.globals["shout"] = shout
    pages = [dict(items=items), dict(items=items[::-1]), dict(items=[{"name": "a", "tags": ["x", "y"]}])]
    expected = [plain.get_template("t").render(**page) for page in pages]
    made.clear()
    assert [shared.get_template("t").render(**page) for page in pages] == expected
    assert "<li>&lt;B&gt;!</li>" in expected[0] and "<li>A! #x, #y</li>" in expected[0]
    assert made == ["a", "<b>", "a"], "each item once; an equal but other item (the last page's) is made again"
    shared.begin()  # a new build makes them again
    made.clear()
    shared.get_template("t").render(items=items)
    assert made == ["a", "<b>"]


@pytest.mark.parametrize("body", [
    "{{ loop.index }}: {{ item }}",  # the loop around it
    "{% include 'part' %}",  # an include reads the context
    "{{ item | reads_context }}",  # a filter given the context
])
def test_a_block_that_reaches_beyond_its_names_is_made_every_time(body: str) -> None:
    template = "{% for item in items %}{% shared %}" + body + "{% endshared %}|{% endfor %}"
    shared, plain = environment({"t": template, "part": "{{ n }}"}), environment({"t": unshared(template), "part": "{{ n }}"})
    for env in (shared, plain):
        env.filters["reads_context"] = jinja2.pass_context(lambda context, value: f"{value}{context['n']}")
    for n in (1, 2):
        assert shared.get_template("t").render(items=["a", "a"], n=n) == plain.get_template("t").render(items=["a", "a"], n=n)
    assert not shared.extensions["sitegen.fragments.SharedExtension"].made


def test_a_page_using_a_block_again_notes_what_rendering_it_noted() -> None:
    """The documents read beyond their settled fields (sitegen.reading) and the template calls
    (fingerprint.Calls) of a page are the same whether its blocks were made for it or taken
    from another page, in the order the calls were made."""
    template = """{{ url("home") }}{% for doc in docs %}{% shared %}
<a href="{{ url(doc.url) }}">{{ doc.title }}</a>{% if with_text %}{{ doc.html | safe }}{% endif %}
{% endshared %}{% endfor %}{{ url("end") }}"""
    documents = [_document("one"), _document("two")]

    def notes(text: str, pages: list[dict[str, Any]]) -> list[tuple[list[str], frozenset[str]]]:
        env = environment({"t": text})
        calls = Calls(Fingerprints(), {"url": lambda path: "/" + path})
        env.begin(calls)
        env.globals["url"] = calls.wrap("url")
        env.settle(env.globals)
        found = []
        for page in pages:
            calls.noted, env.reading = {}, set()
            env.get_template("t").render(**page)
            found.append((list(calls.noted), frozenset(env.reading)))
        return found

    pages = [dict(docs=documents, with_text=False), dict(docs=documents[::-1], with_text=False),
             dict(docs=documents[1:], with_text=True), dict(docs=documents, with_text=True)]
    shared, plain = notes(template, pages), notes(unshared(template), pages)
    assert shared == plain
    assert shared[1][1] == frozenset() and shared[3][1] == {str(d.source) for d in documents}
    assert len(shared[1][0]) == 4 and shared[1][0][0] != shared[0][0][1]


def _document(slug: str) -> Document:
    text = post(title=slug.title(), body=f"The text of {slug}.\n")
    document, problems = parse_document(PurePosixPath(f"blog/{slug}/index.md"), text, CONFIG, Located("post", slug, None))
    assert document is not None and not problems
    return document
