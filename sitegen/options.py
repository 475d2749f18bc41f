"""What a build is asked to do: the one settings object every stage is given."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from .cache import FOLDER, Cache, digest, stamp


@dataclass(frozen=True)
class BuildOptions:
    content: Path = Path("content")
    out: Path = Path("public")
    config: Path = Path("site.toml")
    theme: Path | None = None  # default: theme/ beside the config file, else the built-in theme
    drafts: bool = False
    base_url: str | None = None
    strict_alt: bool = False  # missing alt text is a problem (sitegen check), not only a warning
    cache: bool = True  # reuse .sitegen-cache/ beside the config (--no-cache: build from nothing)
    jobs: int | None = None  # processes rendering Markdown (default: one per core)

    @property
    def cache_dir(self) -> Path:
        return self.config.parent / FOLDER

    def open_cache(self) -> Cache:
        return Cache.open(self.cache_dir) if self.cache else Cache.disabled()

    def compiled_templates(self) -> Path | None:
        """Where compiled templates are kept (render.Theme.load): beside the build cache, one
        folder per sitegen version and code (the code compiled depends on the environment's
        settings, which are sitegen's); None without the cache or where it cannot be made."""
        if not self.cache:
            return None
        folder = self.cache_dir / f"templates-{digest(stamp())[:16]}"
        if not folder.is_dir():
            try:
                folder.mkdir(parents=True)
            except OSError:
                return None
            for old in self.cache_dir.glob("templates-*"):  # another version's
                if old != folder:
                    shutil.rmtree(old, ignore_errors=True)
        return folder

    @property
    def theme_dir(self) -> Path:
        """The author's theme folder (it may not exist: then the built-in theme is used alone)."""
        return self.theme or self.config.parent / "theme"
