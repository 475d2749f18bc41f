"""Local links and images must point at something the build writes; images need alt text."""

from __future__ import annotations

import posixpath
from typing import Iterable, Mapping
from urllib.parse import unquote, urlsplit

from .content import Document
from .errors import Problem
from .site import Site


def resolve(document: Document, target: str, base_path: str) -> str | None:
    """The output path a local link points at, or None when it leaves the site."""
    path = unquote(urlsplit(target).path)
    if path.startswith("/"):
        if not path.startswith(base_path):
            return None
        joined = path[len(base_path):]
    else:
        joined = posixpath.join(document.folder, path)
    trailing = joined.endswith("/") or joined == ""
    normal = posixpath.normpath(joined) if joined else "."
    if normal.startswith(".."):
        return None
    normal = "" if normal == "." else normal
    return normal + "/" if trailing and normal else normal


def exists(path: str, files: Mapping[str, object]) -> bool:
    if path in files:
        return True
    folder = path if path.endswith("/") or path == "" else path + "/"
    return folder + "index.html" in files


def broken(document: Document, target: str, base_path: str, files: Mapping[str, object]) -> bool:
    """Whether a link or image of `document` to `target` points at nothing the site has."""
    if target.startswith(("https://", "http://", "mailto:", "#")):
        return False  # what urlsplit would find leaving the page or the site, without it
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path:
        return False
    resolved = resolve(document, target, base_path)
    return resolved is None or not exists(resolved, files)


def check_references(site: Site, files: Mapping[str, object], *, strict_alt: bool = False,
                     documents: Iterable[Document] | None = None) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) of the site's documents' links and images, or only of `documents`."""
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for document in site.documents if documents is None else documents:
        for ref in document.rendered.references:
            if ref.kind == "image" and ref.alt == "":
                problem = Problem(document.display, ref.line, f"image '{ref.target}' has no alt text: describe it, as in ![a red bicycle]({ref.target})")
                (errors if strict_alt else warnings).append(problem)
            if broken(document, ref.target, site.config.base_path, files):
                what = "image" if ref.kind == "image" else "link"
                errors.append(Problem(document.display, ref.line, f"broken {what} '{ref.target}': nothing in the site at that path; fix the path or add the file"))
    return errors, warnings
