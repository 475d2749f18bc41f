"""The posts config: long sections split at paragraph boundaries (never inside a code fence),
each part with its heading path; footnote definitions travel with the parts that cite them."""

from __future__ import annotations

from pathlib import Path

from qa_service.dataset.posts import post_rows, sections
from sitegen.build import BuildOptions, read_site


def paragraph(n: int) -> str:
    return f"Paragraph {n}. " + "words " * 80  # about 500 characters


def test_a_long_section_splits_at_paragraphs_and_keeps_every_one_whole() -> None:
    paragraphs = [paragraph(n) .strip() for n in range(10)]
    fence = "```python\nx = 1\n\n\ny = 2\n```"  # blank lines inside a fence are not boundaries
    markdown = "\n\n".join(paragraphs[:5] + [fence] + paragraphs[5:])
    parts = sections([markdown], max_chars=1200)
    assert len(parts) > 3 and all(index == 0 for index, _ in parts)
    assert all(len(text) <= 1200 for _, text in parts)
    assert "\n\n".join(text for _, text in parts) == markdown, "nothing lost, nothing reordered, no paragraph cut"
    assert any(fence in text for _, text in parts), "the code block stays in one part"


def test_a_paragraph_longer_than_the_bound_stays_whole() -> None:
    long = "x" * 3000
    assert sections([f"short\n\n{long}\n\nafter"], max_chars=1000) == [(0, "short"), (0, long), (0, "after")]


def test_footnotes_travel_with_the_part_that_cites_them() -> None:
    first = "Intro cites one[^one].\n\n" + paragraph(1) + "\n\nLater cites two[^two] and one[^one] again."
    second = "Second section cites two[^two]."
    last = ("Closing words.\n\n[^one]: The first note.\n    Its second line.\n\n    Its second paragraph.\n"
            "[^two]: The second note.\n\n[^unused]: Never cited.")
    parts = sections([first, second, last], max_chars=600)
    texts = [text for _, text in parts]
    cites_one = [t for t in texts if "one[^one]" in t]
    assert cites_one and all("[^one]: The first note.\n    Its second line.\n\n    Its second paragraph." in t for t in cites_one)
    assert all("[^two]: The second note." in t for t in texts if "[^two]." in t or "two[^two]" in t)
    closing = texts[-1]
    assert closing.startswith("Closing words.") and "[^one]:" not in closing and "[^two]:" not in closing
    assert "[^unused]: Never cited." not in "".join(texts[:-1]), "an uncited note is not copied anywhere else"


def test_post_rows_keep_the_heading_path_on_every_part(tmp_path: Path) -> None:
    body = "\n\n".join(paragraph(n) for n in range(12))
    post = f"---\ntitle: Long\ndate: 2026-01-01\n---\n\nIntro.\n\n## Part\n\n### Deep\n\n{body}\n\nNote[^n].\n\n[^n]: The note.\n"
    (tmp_path / "content/blog/long").mkdir(parents=True)
    (tmp_path / "content/blog/long/index.md").write_text(post, encoding="utf-8")
    (tmp_path / "site.toml").write_text('title = "T"\nbase_url = "https://b.example/"\n', encoding="utf-8")
    site = read_site(BuildOptions(content=tmp_path / "content", config=tmp_path / "site.toml"))
    rows = list(post_rows(site, max_chars=2000))
    deep = [row for row in rows if row["heading_path"] == ["Part", "Deep"]]
    assert len(deep) >= 3 and all(len(row["text"]) <= 2000 for row in deep)
    assert all(row["url"].startswith("https://b.example/long/#") for row in deep)
    assert deep[-1]["text"].endswith("Note[^n].\n\n[^n]: The note.")
    assert len({row["id"] for row in rows}) == len(rows)
