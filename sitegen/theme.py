"""The theme: the author's `theme/` folder laid over the built-in one shipped in the package.

The built-in theme's source is the repository's top-level `theme/`; `sitegen/default_theme`
points at it (a symlink) and the wheel carries its files as package data, so an installed
sitegen builds a site that has no theme of its own. A template or static file the author's
folder lacks comes from the built-in theme under the same name.
"""

from __future__ import annotations

import shutil
import traceback
from pathlib import Path
from typing import Callable

import jinja2

from .errors import BuildError, Problem

BUILTIN = Path(__file__).resolve().parent / "default_theme"


def theme_folders(folder: Path | None) -> tuple[Path, ...]:
    """The folders a name is looked up in, the author's first; a folder that is not there is skipped."""
    own = (folder,) if folder is not None and folder.is_dir() and folder.resolve() != BUILTIN else ()
    return (*own, BUILTIN)


class UnreadableTemplate(jinja2.TemplateError):
    def __init__(self, path: Path, line: int) -> None:
        super().__init__(f"{path} is not UTF-8 text")
        self.path, self.line = path, line


class _Templates(jinja2.FileSystemLoader):
    """A theme's templates/ folder; a file that is not UTF-8 is named, with its line."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        try:
            return super().get_source(environment, template)
        except UnicodeDecodeError as error:
            path = Path(str(self.searchpath[0]), template)
            data = path.read_bytes()
            raise UnreadableTemplate(path, data[: error.start].count(b"\n") + 1) from None


def template_loader(folders: tuple[Path, ...]) -> jinja2.BaseLoader:
    return jinja2.ChoiceLoader([_Templates(str(folder / "templates")) for folder in folders])


def static_files(folders: tuple[Path, ...]) -> dict[str, Path]:
    """{name relative to static/: file}, the author's file winning over the built-in one."""
    found: dict[str, Path] = {}
    for folder in reversed(folders):
        static = folder / "static"
        for path in sorted(static.rglob("*")) if static.is_dir() else []:
            if path.is_file() and not path.name.startswith("."):
                found[path.relative_to(static).as_posix()] = path
    return dict(sorted(found.items()))


def missing_theme(folder: Path) -> BuildError:
    return BuildError([Problem(str(folder), None, "theme folder not found: fix --theme, or leave it out to use the built-in theme")])


def template_problem(error: BaseException, folders: tuple[Path, ...]) -> Problem | None:
    """A template that failed to load or render, as one line naming the template file and line;
    None when the error did not come from a template (a bug in sitegen, not the author's input)."""
    if isinstance(error, jinja2.TemplateSyntaxError):
        where = error.filename or error.name or "template"
        return Problem(where, error.lineno, f"template syntax error ({error.message}): fix the template")
    if isinstance(error, jinja2.TemplateNotFound):
        looked = ", ".join(str(f / "templates") for f in folders)
        return Problem(str(error.name or "template"), None, f"template not found in {looked}: add it to your theme, or check the name")
    if isinstance(error, UnreadableTemplate):
        return Problem(str(error.path), error.line, "not UTF-8 text: save the template as UTF-8")
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.endswith((".html", ".xml", ".txt", ".j2"))]
    message = str(error) or type(error).__name__
    if frames:
        return Problem(frames[-1].filename, frames[-1].lineno, f"template error ({message}): fix the template")
    if isinstance(error, jinja2.TemplateError):
        return Problem(str(folders[0] / "templates"), None, f"template error ({message}): fix the template")
    return None


def copy_theme(target: Path) -> list[Path]:
    """The built-in theme copied into target for customising; nothing already there is overwritten."""
    sources = [p for p in sorted(BUILTIN.rglob("*")) if p.is_file()]
    clashes = [target / p.relative_to(BUILTIN) for p in sources if (target / p.relative_to(BUILTIN)).exists()]
    if clashes:
        raise BuildError([Problem(str(path), None, "already exists: move it away or copy the theme into another folder") for path in clashes])
    written = []
    for source in sources:
        destination = target / source.relative_to(BUILTIN)
        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination)
        except OSError as exc:
            raise BuildError([Problem(str(destination), None, f"cannot write ({exc.strerror}): choose a folder you can write to")]) from None
        written.append(destination)
    return written
