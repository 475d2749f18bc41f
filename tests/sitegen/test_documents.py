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
from sitegen.build import BuildOptions, build_site, read_site
from sitegen.markdown import rendered_to_json

from .conftest import post


def blog() -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {}
    for i in range(24):
        body = f"## 제목 {i}\n\n본문 {i}, `code`, [link](../p{(i + 1) % 24:02d}/).\n\n```python\nprint({i})\n```\n\n| a | b |\n|---|---|\n| {i} | x |\n"
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


def test_a_body_asked_for_otherwise_than_predicted_is_rendered_then_without_waiting_for_the_rest(
        make_site: Callable[..., BuildOptions], monkeypatch: pytest.MonkeyPatch) -> None:
    """The bodies go to the workers as the files are gone through, before the parse asks for
    them; one asked for otherwise than predicted (its language guessed wrong here) is rendered
    when asked for, the others still coming are not waited for first, and the documents are
    those made here."""
    options = make_site(blog())
    here = parsed(replace(options, jobs=1))
    predict = documents._predict

    def guessing_wrong(*args: Any) -> Any:
        for rel, request in predict(*args):
            if request is not None and rel.as_posix() == "blog/p07/index.md":
                request = (*request[:6], "fr-FR", request[7])
            yield rel, request

    monkeypatch.setattr(documents, "_predict", guessing_wrong)
    asked: list[tuple[bool, int, int]] = []
    has = documents.Renders.has

    def noting(self: documents.Renders, slot: documents.Slot) -> bool:
        before = len(self.flight)
        found = has(self, slot)
        if slot[0].as_posix() == "blog/p07/index.md":
            asked.append((found, before, len(self.flight)))
        return found

    monkeypatch.setattr(documents.Renders, "has", noting)
    assert parsed(replace(options, jobs=2)) == here
    assert asked[0][0] is False and asked[0][1] == asked[0][2] > 0  # none of the renders still coming taken for it


def test_a_rebuild_sends_only_the_bodies_that_changed(make_site: Callable[..., BuildOptions]) -> None:
    """Going through the files, the bodies the cache has are taken and the others sent: to the
    workers when there are at least a chunk of them, else rendered here; either way the site is
    the one a clean build makes."""
    files = blog()
    options = make_site(files)
    build_site(replace(options, jobs=2))
    for changed in (20, 3):
        for i in range(changed):
            name = f"blog/p{i:02d}/index.md"
            text = files[name]
            if isinstance(text, str):  # (blog/p05, with its BOM, is bytes: left as it is)
                files[name] = text.replace("본문", f"고친 본문 {changed}")
                (options.content / name).write_text(files[name], encoding="utf-8")
        result = build_site(replace(options, jobs=2))
        bom = 1 if changed > 5 else 0
        assert result.counts["markdown rendered"] == changed - bom
        clean = options.out.with_name(f"clean-{changed}")
        build_site(replace(options, out=clean, cache=False))
        assert _tree(clean) == _tree(options.out)


def _tree(folder: Any) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
