"""Markdown bodies rendered by forked workers (sitegen.documents) are the bodies rendered in
the build's one process, and reach the workers without their bytes going through a pipe."""

from __future__ import annotations

import dataclasses
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from typing import Any, Callable

import pytest

from sitegen import documents
from sitegen.build import BuildOptions, read_site
from sitegen.markdown import rendered_to_json

from .conftest import post


def blog() -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {}
    for i in range(24):
        body = f"## 제목 {i}\n\n본문 {i}, `code`, [link](../p{(i + 1) % 24}/).\n\n```python\nprint({i})\n```\n\n| a | b |\n|---|---|\n| {i} | x |\n"
        files[f"blog/p{i:02d}/index.md"] = post(title=f"Post {i}", date=f"2026-01-{i % 28 + 1:02d}", tags=f"[t{i % 3}]", body=body)
        if i % 4 == 0:
            files[f"blog/p{i:02d}/en-GB.md"] = post(title=f"Post {i} in English", date=f"2026-01-{i % 28 + 1:02d}", body=f"Text {i}.\n")
    files["blog/p05/index.md"] = b"\xef\xbb\xbf" + str(files["blog/p05/index.md"]).encode("utf-8")  # a BOM: the body starts one later
    return files


def parsed(options: BuildOptions) -> dict[str, dict[str, Any]]:
    site = read_site(replace(options, cache=False))
    found = {}
    for document in site.documents:
        values = {f.name: getattr(document, f.name) for f in dataclasses.fields(document) if f.name != "rendered"}
        values["rendered"] = rendered_to_json(document.rendered)
        found[document.display] = values
    return found


def test_bodies_rendered_by_forked_workers_are_those_rendered_here_and_go_without_their_bytes(
        make_site: Callable[..., BuildOptions], monkeypatch: pytest.MonkeyPatch) -> None:
    options = make_site(blog())
    here = parsed(replace(options, jobs=1))
    sent: list[documents.Job] = []
    submit = ProcessPoolExecutor.submit

    def noting(self: ProcessPoolExecutor, function: Any, jobs: list[documents.Job]) -> Any:
        sent.extend(jobs)
        return submit(self, function, jobs)

    monkeypatch.setattr(ProcessPoolExecutor, "submit", noting)
    forked = parsed(replace(options, jobs=2))
    assert len(here) == 30 and forked == here
    assert len(sent) == 30 and all(job.data == b"" and job.held >= 0 for job in sent)  # the workers read what they inherited
    assert documents._HELD == []  # let go of once the parse is over


def test_a_worker_that_fails_fails_the_parse_and_leaves_no_worker_behind(make_site: Callable[..., BuildOptions],
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A render that raises in a worker is raised by the parse (not waited for forever), and
    the workers and what they inherited are gone afterwards."""
    import multiprocessing

    from sitegen import markdown

    render = markdown.render_markdown

    def failing(body: str, **options: Any) -> Any:
        if "본문 13," in body:
            raise RuntimeError(f"a render failed in process {os.getpid()}")
        return render(body, **options)

    monkeypatch.setattr(documents, "render_markdown", failing)  # (set before the workers fork: theirs too)
    options = make_site(blog())
    others = set(multiprocessing.active_children())  # (other tests' processes, under one pytest)
    with pytest.raises(RuntimeError, match="a render failed") as raised:
        read_site(replace(options, cache=False, jobs=2))
    assert str(raised.value) != f"a render failed in process {os.getpid()}"  # in a worker
    assert set(multiprocessing.active_children()) <= others and documents._HELD == []
