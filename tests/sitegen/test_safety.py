"""No script on any page: every built page of the example site (with and without the offline
worker) and of sites whose posts carry hostile raw HTML is read with an HTML parser written
here, independently of sitegen.safety; and sitegen itself refuses such a post, or with
unsafe_html = "warn" publishes the offending tags as text."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.build import BuildOptions, build_site
from sitegen.cli import main
from sitegen.errors import BuildError
from sitegen.safety import _QUICK, _Scanner, might_be_unsafe, scan

from .conftest import REPO, SITE_TOML, post

HOST = "blog.example"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a0e5e1a40000000049454e44ae426082")


class Audit(HTMLParser):
    """Everything on a page that runs a script or loads from another host. The one script
    allowed: the offline worker's registration, `<script src=".../assets/sw-register.<hash>.js"
    defer>` with no inline code, only when the site asked for offline = true."""

    def __init__(self, host: str, offline: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.host, self.offline = host, offline
        self.found: list[str] = []
        self.registrations = 0
        self._in_script = False

    def foreign(self, url: str) -> bool:
        netloc = urlsplit(re.sub(r"[\x00-\x20]", "", url)).netloc
        return bool(netloc) and netloc != self.host

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "script":
            self._in_script = True
            if self.offline and re.fullmatch(r"/(.*/)?assets/sw-register\.[0-9a-f]+\.js", values.get("src", "")) and set(values) == {"src", "defer"}:
                self.registrations += 1
            else:
                self.found.append(f"<script {values}>")
        if tag in ("embed", "object", "applet", "frame", "base"):
            self.found.append(f"<{tag}>")
        if tag == "meta" and "http-equiv" in values and values["http-equiv"].lower() == "refresh":
            self.found.append("<meta http-equiv=refresh>")
        if tag == "iframe" and (not values.get("src", "").startswith("https://") and self.foreign(values.get("src", "")) or
                                re.match(r"\s*(javascript|data|http):", values.get("src", ""), re.I) or "srcdoc" in values):
            self.found.append(f"<iframe {values}>")
        for name, value in values.items():
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=>")
            if re.match(r"^\s*(javascript|vbscript):", re.sub(r"[\x00-\x20]", "", value), re.I):
                self.found.append(f"<{tag} {name}={value}>")
            if name in ("srcset", "imagesrcset") and any(self.foreign(c.split()[0]) for c in value.split(",") if c.split()):
                self.found.append(f"<{tag} {name}={value}>")
            if name == "style" and self.css(value):
                self.found.append(f"<{tag} style={value}>")
        loads = tag in ("img", "script", "source", "video", "audio", "track", "input") or \
            tag == "link" and values.get("rel", "") not in ("canonical", "alternate")
        for name in ("src", "href", "poster", "data"):
            if loads and self.foreign(values.get(name, "")):
                self.found.append(f"<{tag} {name}={values[name]}> loads from another host")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.found.append(f"inline script {data.strip()[:40]!r}")
        if self.lasttag == "style" and self.css(data):
            self.found.append(f"<style> {data.strip()[:60]!r}")

    def css(self, text: str) -> bool:
        return bool(re.search(r"@import|expression\s*\(", text, re.I)) or any(
            self.foreign(url) for url in re.findall(r"url\(\s*['\"]?([^'\")\s]+)", text, re.I))


def audit_pages(out: Path, host: str, *, offline: bool = False) -> dict[str, list[str]]:
    pages = sorted(out.rglob("*.html"))
    assert len(pages) >= 3, "pages were built"
    found = {}
    for page in pages:
        audit = Audit(host, offline)
        audit.feed(page.read_text(encoding="utf-8"))
        audit.close()
        if offline:
            assert audit.registrations == 1, f"{page}: the offline worker is registered once"
        if audit.found:
            found[str(page.relative_to(out))] = audit.found
    return found


@pytest.mark.parametrize("offline", [False, True], ids=["example", "example-offline"])
def test_no_page_of_the_example_site_runs_a_script_or_loads_from_another_host(tmp_path: Path, offline: bool) -> None:
    config = tmp_path / "site.toml"
    config.write_text((REPO / "site.toml").read_text(encoding="utf-8").replace("offline = false", f"offline = {str(offline).lower()}"),
                      encoding="utf-8")
    out = tmp_path / "public"
    build_site(BuildOptions(content=REPO / "content", out=out, config=config, theme=REPO / "theme", cache=False))
    assert (out / "sw.js").exists() == offline
    assert audit_pages(out, "automata.example", offline=offline) == {}


# (raw HTML in a post, what the refusal names). Each is a way a post could run a script or
# make a reader's browser call another host.
HOSTILE = [
    ("<script>alert(1)</script>", "<script>"),
    ('<SCRIPT SRC="https://evil.example/x.js"></SCRIPT>', "<script>"),
    ('<img src="x.png" onerror="alert(1)">', "onerror"),
    ("<img/onerror=alert(1) src=x.png>", "onerror"),  # CommonMark leaves these two as text;
    ("<svg/onload=alert(1)>", "onload"),  # another engine may not, and browsers read them as tags
    ('<p><a href="javascript:alert(1)">click</a></p>', "javascript:"),
    ('<a href=" jav&#x09;ascript:alert(1)">x</a>', "javascript:"),
    ('<a href="javascr\tipt:alert(1)">x</a>', "javascript:"),  # a browser drops the tab
    ('<svg><script>alert(1)</script></svg>', "<script>"),
    ('<svg><animate onbegin="alert(1)" attributeName="x"/></svg>', "onbegin"),
    ('<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>', "javascript:"),
    ('<details open ontoggle="alert(1)"><summary>x</summary></details>', "ontoggle"),
    ('<iframe src="http://player.example/1"></iframe>', "only https://"),
    ('<iframe src="javascript:alert(1)"></iframe>', "javascript:"),
    ('<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>', "srcdoc"),
    ('<embed src="https://evil.example/x.swf">', "<embed>"),
    ('<object data="https://evil.example/x.svg"></object>', "<object>"),
    ('<img src="a.png" srcset="https://tracker.example/a.png 2x">', "srcset"),
    ('<p style="background: url(https://tracker.example/p.gif)">x</p>', "style"),
    ('<style>@import "https://evil.example/x.css";</style>', "@import"),
    ('<p style="background: \\75rl(https://tracker.example/p.gif)">x</p>', "style"),
    ('<form action="javascript:alert(1)"><button>go</button></form>', "javascript:"),
    ('<meta http-equiv="refresh" content="0;url=https://evil.example/">', "<meta>"),
    ('<base href="https://evil.example/">', "<base>"),
    ('<link rel="stylesheet" href="https://evil.example/x.css">', "<link>"),
]
SAFE = [
    '<iframe src="https://www.youtube-nocookie.com/embed/xyz" title="Video" loading="lazy"></iframe>',
    '<iframe src="demo/index.html" title="Demo"></iframe>',
    '<figure><img src="notebook.png" srcset="notebook.png 1x, notebook@2x.png 2x" alt="a notebook"></figure>',
    '<video controls src="clip.mp4"></video>',
    '<p style="color: #333">grey</p>',
    '<a href="https://other.example/">a link</a>',
    "<p>onion = 3, javascript: the good parts, url(x)</p>",
]


@pytest.mark.parametrize("raw, named", HOSTILE, ids=[named for _raw, named in HOSTILE])
def test_each_way_to_run_a_script_is_found(raw: str, named: str) -> None:
    findings = scan(raw, host=HOST)
    assert findings and any(named.lower() in f.what.lower() for f in findings), findings


@pytest.mark.parametrize("raw", SAFE)
def test_what_the_author_may_write_passes(raw: str) -> None:
    assert scan(raw, host=HOST) == []


# Pieces the pre-check's patterns are made of, in both cases, with the characters that
# case-insensitive matching folds onto ASCII letters (İ ı ſ K), Hangul, whitespace (what `\s`
# takes beyond ASCII too: the pre-check searches UTF-8) and a lone surrogate.
PIECES = ["<", ">", "&", "#", ";", "39;", "=", "(", ":", "\\", "\"", " ", "\t", "\n", "\r", "@", "-", "/", "x",
          "base", "meta", "link", "frame", "applet", "iframe", "embed", "object", "style", "script", "on", "click",
          "data", "src", "set", "url", "import", "expression", "behavior", "moz", "binding", "amp", "lt", "gt",
          "quot", "colon", "s", "k", "i", "Script", "STYLE", "ONLOAD", "Data", "URL", "\u0130", "\u0131", "\u017f",
          "\u212a", "한글", "ß", "Σ", "\u3000", "\xa0", "\x85", "\x1c", "\x0b", "\u2028", "\u202f", "\u1680", "\u205f", "\u2009",
          "\u200b", "\ud800", "\xc2", "é"]


@settings(max_examples=3000, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(PIECES), max_size=12))
def test_the_fast_pre_check_answers_as_the_pattern_does(pieces: list[str]) -> None:
    """A document the pre-check lets through unparsed is one the full pattern lets through."""
    text = "".join(pieces)
    expected = _QUICK.search(text.replace("\t", "").replace("\n", "").replace("\r", "")) is not None
    assert might_be_unsafe(text) == expected


@pytest.mark.parametrize("raw, named", HOSTILE, ids=[named for _raw, named in HOSTILE])
def test_whatever_the_parser_finds_the_pre_check_lets_through(raw: str, named: str) -> None:
    for variant in (raw, raw.upper(), raw.swapcase(), f"<p>한국어 {raw} 끝</p>"):
        scanner = _Scanner(variant, HOST)
        scanner.feed(variant)
        scanner.close()
        if scanner.findings:
            assert might_be_unsafe(variant), variant


def hostile_site(make_site: Callable[..., BuildOptions], toml: str = SITE_TOML) -> BuildOptions:
    # (the link check reads a href spelt with character references as a missing page: left out here)
    body = "Intro.\n\n" + "\n\n".join(raw for raw, _named in HOSTILE if "&#" not in raw and "\t" not in raw) + "\n\n```html\n<script>shown as code</script>\n```\n"
    return make_site({"blog/hostile/index.md": post(body=body), "blog/hostile/x.png": PNG, "blog/hostile/a.png": PNG,
                      "blog/calm/index.md": post(title="Calm", body="Nothing here.\n"),
                      "blog/code/index.md": post(title="Code", body="Write `<script>` in `onload=`:\n\n    <img onerror=x>\n")}, toml)


def test_a_post_with_hostile_html_is_refused_at_its_line(make_site: Callable[..., BuildOptions], capsys: pytest.CaptureFixture[str]) -> None:
    options = hostile_site(make_site)
    with pytest.raises(BuildError) as refused:
        build_site(options)
    problems = [p for p in refused.value.problems if p.path.endswith("blog/hostile/index.md")]
    assert len({p.line for p in problems}) >= len(HOSTILE) - 6, "each tag is named at its own line"
    assert all(p.path.endswith("blog/hostile/index.md") for p in refused.value.problems), "code blocks and inline code are text"
    lines = (options.content / "blog/hostile/index.md").read_text(encoding="utf-8").splitlines()
    script = next(p for p in problems if "<script>" in p.message)
    assert lines[script.line - 1] == "<script>alert(1)</script>", "the line given is the line in the file"
    assert all("remove it" in p.message and 'unsafe_html = "warn"' in p.message for p in problems)
    assert not options.out.exists(), "nothing is written"

    status = main(["build", "--content", str(options.content), "--config", str(options.config), "--theme", str(REPO / "theme"),
                   "--out", str(options.out)])
    err = capsys.readouterr().err
    assert status == 1 and "Traceback" not in err
    assert re.search(r"blog/hostile/index\.md:\d+: <script> would run a script", err), err


def test_warn_publishes_the_hostile_tags_as_text_and_no_page_runs_anything(make_site: Callable[..., BuildOptions]) -> None:
    options = hostile_site(make_site, SITE_TOML + 'unsafe_html = "warn"\n')
    result = build_site(options)
    warned = [w for w in result.warnings if "published as text" in w.message]
    assert len(warned) >= len(HOSTILE) - 4 and all(w.path.endswith("blog/hostile/index.md") for w in warned)
    assert audit_pages(options.out, HOST) == {}
    page = (options.out / "hostile/index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script" in page, "the tag is shown as text"
    assert '<iframe src="http://' not in page and "&lt;iframe src=&quot;http://" not in page


def test_unsafe_html_setting_takes_only_refuse_or_warn(make_site: Callable[..., BuildOptions]) -> None:
    options = make_site({"blog/a/index.md": post()}, SITE_TOML + 'unsafe_html = "allow"\n')
    with pytest.raises(BuildError, match=r"site\.toml:6: 'unsafe_html' must be \"refuse\" or \"warn\""):
        build_site(options)


def test_the_pre_check_reads_every_space_as_the_pattern_does() -> None:
    spaces = [chr(c) for c in range(0x3001) if chr(c).isspace()]
    for space in spaces + ["\u00a0\u3000", ""]:
        for text in (f"<p onclick{space}=x>", f"x{space}:expression{space}(1)", f"a{space}BEHAVIOR{space}: b", f"한글 ONload{space}{space}="):
            expected = _QUICK.search(text.replace("\t", "").replace("\n", "").replace("\r", "")) is not None
            assert might_be_unsafe(text) == expected, repr(text)
    assert not might_be_unsafe("<p>onclick\u200b=x, 한글</p>")  # a zero-width space is no space
