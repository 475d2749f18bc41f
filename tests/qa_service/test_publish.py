"""`qa-service publish`: answered, public, consented threads become blog posts that sitegen
builds with no script: a "Readers' questions" section on the post's page, the Q&A tag page as
the index, entries in the feeds; askers under a pseudonym, personal data scrubbed, every
reader's character shown as text; the same data gives the same site, byte for byte."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qa_service.cli import main
from sitegen.build import BuildOptions, build_files

from .conftest import Wallet
from .servers import SECRET_KEY
from .test_dataset import POST, SITE_TOML, TRANSLATION

EVIL = "<script>alert(1)</script> *왜* [x](javascript:alert(1)) $x$ &amp; mail me: jihun.han@example.com"


@pytest.fixture
def blog(tmp_path: Path) -> tuple[Path, Path]:
    content = tmp_path / "content"
    (content / "blog/why").mkdir(parents=True)
    (content / "blog/why/index.md").write_text(POST, encoding="utf-8")
    (content / "blog/why/en-GB.md").write_text(TRANSLATION, encoding="utf-8")
    (tmp_path / "site.toml").write_text(SITE_TOML + 'author = "한지훈"\n', encoding="utf-8")
    return content, tmp_path / "site.toml"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def thread(client: TestClient, asker: str, author: str, *turns: tuple[str, str], public: bool = True,
           consent: bool = True, post: str | None = "why") -> int:
    about = {"post": post, "post_revision": 2} if post else {}
    first = client.post("/api/questions", headers=bearer(asker), json={
        "text": turns[0][0], "consent_to_training": consent, "public": public, "language": "ko-KR", **about}).json()["id"]
    at = first
    for number, (question, answer) in enumerate(turns):
        if number:
            at = client.post(f"/api/questions/{at}/follow-ups", headers=bearer(asker), json={"text": question}).json()["id"]
        if answer:
            assert client.post(f"/api/admin/questions/{at}/answer", headers=bearer(author),
                               json={"text": answer}).status_code == 200
    return int(first)


def test_published_threads_build_into_the_blog(client: TestClient, wallet: Wallet, admin: Wallet, blog, db_url: str,
                                               monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    content, config = blog
    monkeypatch.setenv("QA_DATABASE_URL", db_url)
    monkeypatch.setenv("QA_SECRET_KEY", SECRET_KEY)
    me, author = wallet.sign_in(client), admin.sign_in(client)
    thread(client, me, author, (EVIL, "문체를 배웁니다. <b>정말로</b>"), ("그다음에는요?", "쓰기 시작하죠."),
           ("아직 답이 없는 질문", ""))
    thread(client, me, author, ("비공개 질문", "비공개 답"), public=False)
    thread(client, me, author, ("학습 거부 질문", "답"), consent=False)
    thread(client, me, author, ("글 없는 질문", "글 없는 답"), post=None)

    assert main(["publish", "--content", str(content), "--config", str(config)]) == 0
    written = sorted(content.glob("blog/qa-*/index.md"))
    assert len(written) == 2, "answered, public and consented only"
    about_post = next(p for p in written if "qa_post: why" in p.read_text(encoding="utf-8"))
    text = about_post.read_text(encoding="utf-8")
    assert wallet.address.lower() not in text.lower() and "jihun.han@example.com" not in text, "no address, no e-mail"
    assert re.search(r"독자 [0-9a-f]{6}", text) and "아직 답이 없는 질문" not in text, "pseudonym; unanswered turn left out"
    assert "그다음에는요" in text and "쓰기 시작하죠" in text

    result = build_files(BuildOptions(content=content, config=config, out=tmp_path / "public", cache=False))
    page = result.files["why/index.html"].decode()
    section = page[page.index('class="readers-questions"'):]
    assert "독자의 질문" in section and "그다음에는요?" in section and "쓰기 시작하죠." in section
    assert "<script" not in page and 'href="javascript' not in page and "<math" not in section
    assert "&lt;script&gt;alert(1)&lt;/script&gt; *왜*" in section, "what the reader typed, shown as text"
    assert "<b>정말로</b>" not in section and "&lt;b&gt;정말로&lt;/b&gt;" in section
    slug = about_post.parent.name
    assert f"{slug}/index.html" in result.files and "tags/qa/index.html" in result.files, "each thread's page, the index"
    assert slug in result.files["tags/qa/index.html"].decode()
    assert slug in result.files["feed.xml"].decode() and slug in result.files["rss.xml"].decode()
    assert all(b"<script" not in data for name, data in result.files.items() if name.endswith(".html"))

    # Nothing changed: nothing written, the same site byte for byte.
    before = {p: p.stat().st_mtime_ns for p in written}
    assert main(["publish", "--content", str(content), "--config", str(config)]) == 0
    assert {p: p.stat().st_mtime_ns for p in written} == before
    again = build_files(BuildOptions(content=content, config=config, out=tmp_path / "public", cache=False))
    assert again.files == result.files

    # The asker leaves: his threads leave the blog at the next publish.
    assert client.delete("/api/account", headers=bearer(me)).status_code == 200
    assert main(["publish", "--content", str(content), "--config", str(config)]) == 0
    assert not list(content.glob("blog/qa-*")), "withdrawn or deleted: unpublished"
    assert (content / "blog/why/index.md").read_text(encoding="utf-8") == POST, "the author's files untouched"
