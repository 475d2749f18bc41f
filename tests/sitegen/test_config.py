"""site.toml: defaults, validation with line numbers, unknown keys kept."""

from __future__ import annotations

import pytest

from sitegen.config import SiteConfig
from sitegen.errors import BuildError


def test_defaults_and_normalisation() -> None:
    config = SiteConfig.parse('title = "T"\nbase_url = "https://x.org/blog"\nfavicon = "f.ico"\n')
    assert config.base_url == "https://x.org/blog/" and config.base_path == "/blog/" and config.host == "x.org"
    assert config.absolute("hello/") == "https://x.org/blog/hello/"
    assert config.per_page == 10 and config.offline is False and config.qa_url is None
    assert dict(config.extra) == {"favicon": "f.ico"}


@pytest.mark.parametrize("text,line,fragment", [
    ('base_url = "https://x.org/"\n', None, "missing 'title'"),
    ('title = "T"\nbase_url = "ftp://x"\n', 2, "'base_url' must be an absolute http(s) URL"),
    ('title = "T"\ndefault_language = "korean!"\n', 2, "not a BCP 47 tag"),
    ('title = "T"\noffline = "yes"\n', 2, "'offline' must be true or false"),
    ('title = "T"\nper_page = 0\n', 2, "'per_page' must be at least 1"),
    ('title = "T\n', 1, "invalid TOML"),
])
def test_bad_settings_name_their_line(text: str, line: int | None, fragment: str) -> None:
    with pytest.raises(BuildError) as caught:
        SiteConfig.parse(text, name="site.toml")
    problem = caught.value.problems[0]
    assert problem.line == line and fragment in problem.message


def test_base_url_override_wins() -> None:
    assert SiteConfig.parse('title = "T"\nbase_url = "https://a.org/"\n', base_url="https://b.org").base_url == "https://b.org/"
