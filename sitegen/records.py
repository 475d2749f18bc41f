"""Documents remembered by file metadata, so that a rebuild does not parse what did not change.

A Markdown file's Document depends on its bytes, the files in its folder (the images it
measures, the files it links beside it), the site's settings, its place and the diagram
renderer. A record keyed by the metadata of all of these (name, size, mtime, inode; see
sitegen.snapshot for why metadata is enough and when it is not) holds the Document's small
fields; its text is the file itself, read again, and its render stays in the build cache
as the compressed blob it was stored as, decoded each time a page, a feed or an export asks for
it (`StoredRendered`). Only documents that parsed without a problem and passed the safety
screen are recorded, so a remembered document needs neither again.

Files modified less than `RACY_NS` before the build are never looked up nor recorded: their
metadata could hide an edit made in the same clock tick.
"""

from __future__ import annotations

import bisect
import functools
import datetime as dt
from dataclasses import dataclass, field, fields
from json.decoder import scanstring  # type: ignore[attr-defined]  # (the C scanner json.loads uses; not in typeshed)
from pathlib import PurePosixPath
from typing import Any, Callable, Iterator, Mapping

from .cache import Cache, Unstorable, decode, digest, encode, unpack, unpack_bytes
from .content import Document, Tag
from .markdown import Reference, Rendered, rendered_from_json
from .snapshot import RACY_NS

Stat = tuple[int, int, int]  # size, mtime_ns, inode

HEAVY = {"raw", "rendered"}  # not in the record: the file and the render cache hold them
_RAW_SLOT = vars(Document)["raw"].slot  # where a document holds its packed text (content.PackedText)
_SMALL = tuple(item.name for item in fields(Document) if item.name not in HEAVY)  # what a record holds, in order


# how a render's entry starts (documents.render_job packs {"rendered": {"html": ...}, ...}; orjson
# keeps the keys' order and writes no space): its HTML is the JSON string that follows
_HTML_FIRST = b'{"rendered":{"html":"'


class StoredRendered(Rendered):
    """A Rendered held as the cache's compressed blob: its references are known at once (the
    link check reads them all), its other fields are decoded from the blob each time one is
    read and never kept, so that a build holds no document's HTML but while a page, a feed or
    the safety screen uses it (~40 KB of text a post, ~6 KB compressed)."""

    def __init__(self, blob: bytes, references: tuple[Reference, ...]):  # noqa: D107 (dataclass fields read lazily)
        object.__setattr__(self, "_blob", blob)
        object.__setattr__(self, "references", references)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "_blob":
            raise AttributeError(name)
        if name == "html":  # once per page showing the post: its string alone decoded, not the headings and references
            text = unpack_bytes(self._blob)
            if text.startswith(_HTML_FIRST):
                try:
                    return scanstring(text.decode("utf-8"), len(_HTML_FIRST))[0]
                except (UnicodeDecodeError, ValueError):
                    pass
        data = unpack(self._blob)["rendered"]
        if name == "html":
            return data["html"]
        return getattr(rendered_from_json(data), name)

    def __reduce__(self) -> Any:  # a worker sends the blob, not the text
        return (StoredRendered, (self._blob, self.references))


class Signatures:
    """Each folder holding a Markdown file -> a digest of the metadata of all files under it
    (None when one of them is too recent to be trusted), taken when first asked for."""

    def __init__(self, stats: Mapping[PurePosixPath, Stat], now_ns: int):
        self.stats, self.now_ns = stats, now_ns
        self.names: list[tuple[str, PurePosixPath]] | None = None
        self.keys: list[str] = []
        self.taken: dict[PurePosixPath, str | None] = {}

    def __getitem__(self, folder: PurePosixPath) -> str | None:
        if folder in self.taken:
            return self.taken[folder]
        if self.names is None:
            self.names = sorted((str(path), path) for path in self.stats)
            self.keys = [name for name, _path in self.names]
        prefix = f"{folder}/"
        start, end = bisect.bisect_left(self.keys, prefix), bisect.bisect_left(self.keys, prefix[:-1] + "0")  # "0" follows "/"
        under = [(name, self.stats[path]) for name, path in self.names[start:end]]
        if any(stat[1] >= self.now_ns - RACY_NS for _name, stat in under):
            found = None
        else:
            found = digest(*(f"{name}\0{stat[0]}\0{stat[1]}\0{stat[2]}" for name, stat in under))
        self.taken[folder] = found
        return found


def record_key(rel: PurePosixPath, display: str, folder_signature: str | None, settings: str, renderer: str) -> str | None:
    if folder_signature is None:
        return None
    return digest(str(rel), display, folder_signature, settings, renderer)


class Keys(Mapping[PurePosixPath, str]):
    """The record key of each of `sources` (those that have one: `record_key`), taken when first
    asked for: a build whose cache holds no record to look up (a cold one) takes each as its
    document is parsed, while the workers render, rather than all before they start (~0.2 s
    at 5,000 posts)."""

    def __init__(self, sources: Mapping[PurePosixPath, str], signatures: Signatures, settings: str, renderer: str):
        self.sources = sources  # path -> display
        self.signatures, self.settings, self.renderer = signatures, settings, renderer
        self.taken: dict[PurePosixPath, str | None] = {}

    def _key(self, rel: PurePosixPath) -> str | None:
        if rel not in self.taken:
            display = self.sources.get(rel)
            self.taken[rel] = None if display is None else \
                record_key(rel, display, self.signatures[rel.parent], self.settings, self.renderer)
        return self.taken[rel]

    def __getitem__(self, rel: PurePosixPath) -> str:
        found = self._key(rel)
        if found is None:
            raise KeyError(rel)
        return found

    def __contains__(self, rel: object) -> bool:
        return isinstance(rel, PurePosixPath) and self._key(rel) is not None

    def __iter__(self) -> Iterator[PurePosixPath]:
        return (rel for rel in self.sources if self._key(rel) is not None)

    def __len__(self) -> int:
        return sum(1 for _rel in self)


def to_record(document: Document, markdown_key: str) -> dict[str, Any] | None:
    """The document's small fields (None when one cannot be stored exactly)."""
    values: dict[str, Any] = {}
    try:
        for name in _SMALL:
            value = getattr(document, name)
            if name == "source":
                value = str(value)
            elif name == "tags":
                value = [[tag.slug, tag.name] for tag in value]
            elif name == "extra":
                value = encode(dict(value))
            elif isinstance(value, dt.datetime):
                value = encode(value)
            values[name] = value
    except Unstorable:
        return None
    references = [[r.kind, r.target, r.line, r.alt] for r in document.rendered.references]
    return {"document": values, "markdown": markdown_key, "references": references}


@dataclass
class Recording:
    """The records of the documents a build parsed, stored once its site stands (build_files:
    while the pages render, not between the parse and the render) and kept for its resume
    state (sitegen.resume), which holds the same records but for their references."""

    pending: list[tuple[Document, tuple[str, str]]] = field(default_factory=list)  # (document, (record key, markdown key))
    made: dict[str, tuple[Document, dict[str, Any]]] = field(default_factory=dict)  # by display

    def store(self, cache: Cache) -> None:
        for document, (key, markdown) in self.pending:
            record = to_record(document, markdown)
            if record is not None:
                cache.put("doc", key, record)
                self.made[document.display] = (document, record)
        self.pending.clear()

    def resting(self, document: Document) -> dict[str, Any] | None:
        """resting_record(document), from the record stored when it is this document's."""
        found = self.made.get(document.display)
        if found is None or found[0] is not document or found[1]["markdown"] != document.markdown:
            return resting_record(document)
        return {name: value for name, value in found[1].items() if name != "references"}


class Resting(Document):
    """A Document whose text and render are read only when something asks for them: the text
    from its file, unchanged since its record was made, the render from its blob in the build
    cache (sitegen.resume). `Shelf` says where both are."""

    def __getattr__(self, name: str) -> Any:
        if name not in HEAVY:
            raise AttributeError(name)
        shelf: Shelf = self.__dict__["_shelf"]
        record = self.__dict__["_record"]
        value = shelf.rendered(record) if name == "rendered" else shelf.text(self.display)
        object.__setattr__(self, name, value)
        return value

    @property
    def raw_utf8(self) -> bytes:
        """The file's bytes (less a byte-order mark) when its text has not been asked for:
        read now, not kept (as `body`)."""
        if _RAW_SLOT not in self.__dict__:
            return self.__dict__["_shelf"].data(self.display).removeprefix(b"\xef\xbb\xbf")
        return super().raw_utf8

    @property
    def body(self) -> str:
        """The body cut from the file read now, the text not kept (and so not packed, to be
        unpacked at once: content.PackedText) when nothing has asked for it yet: restoring
        the output folder reads each body once, for llms-full.txt (0.8 s of 1.3 s there
        went to packing and unpacking at 5,000 posts)."""
        if _RAW_SLOT not in self.__dict__:
            return self.__dict__["_shelf"].text(self.display)[self.body_start:]
        return self.raw[self.body_start:]


class Gone(LookupError):
    """A resting document's file or render is no longer what its record says."""


class Shelf:
    """Where resting documents find their text (their files) and renders (the build cache)."""

    def __init__(self, blobs: Callable[[str, list[str]], Mapping[str, bytes]]):
        """`blobs(kind, keys)`: the cache's compressed entries (Cache.blobs)."""
        self.blobs = blobs

    def text(self, display: str) -> str:
        try:
            return self.data(display).decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError as error:
            raise Gone(f"{display}: {error}") from None

    def data(self, display: str) -> bytes:
        try:
            with open(display, "rb") as handle:
                return handle.read()
        except OSError as error:
            raise Gone(f"{display}: {error}") from None

    def rendered(self, record: Mapping[str, Any]) -> Rendered:
        key = str(record["markdown"])
        blob = self.blobs("markdown", [key]).get(key)
        if blob is None:
            raise Gone(f"the render of {record['document']['display']} is not in the build cache")
        return rendered_from_json(unpack(blob)["rendered"])


def resting(record: Mapping[str, Any], shelf: Shelf) -> Resting:
    """A document from its record alone (`resting_record`), its text and render left on the shelf."""
    document = object.__new__(Resting)
    document.__dict__.update(_values(record), _shelf=shelf, _record=record)
    return document


def resting_record(document: Document) -> dict[str, Any] | None:
    """`to_record` without the references, which a resting document's render holds: what
    `resting` makes the document again from (None when it cannot be stored exactly)."""
    if "_record" in document.__dict__:  # a resting document: its text is still the one recorded
        return document.__dict__["_record"]
    record = to_record(document, document.markdown)
    if record is not None:
        del record["references"]
    return record


def _references(record: Mapping[str, Any]) -> tuple[Reference, ...]:
    """The recorded links and images, made without the frozen dataclass's __init__ (one
    object.__setattr__ per field: ~100,000 references at 5,000 posts)."""
    made = []
    new = object.__new__
    for kind, target, line, alt in record["references"]:
        reference = new(Reference)
        reference.__dict__.update(kind=kind, target=target, line=line, alt=alt)
        made.append(reference)
    return tuple(made)


@functools.lru_cache(maxsize=4096)
def _tag(slug: str, name: str) -> Tag:
    """One Tag for each (slug, name), shared by the documents that have it: a page's digest
    walks each tag object once (sitegen.fingerprint), not once per post."""
    return Tag(slug, name)


def _values(record: Mapping[str, Any], source: PurePosixPath | None = None) -> dict[str, Any]:
    values = dict(record["document"])
    values["source"] = source if source is not None and str(source) == values["source"] else PurePosixPath(values["source"])
    values["tags"] = tuple(_tag(slug, name) for slug, name in values["tags"])
    values["extra"] = decode(values["extra"])
    values["markdown"] = record["markdown"]
    for name in ("date", "revised"):
        if values.get(name) is not None:
            values[name] = decode(values[name])
    return values


def from_record(record: Mapping[str, Any], text: str, blob: bytes, source: PurePosixPath | None = None) -> Document | None:
    """The Document again, from its record, its file's text and its render's blob (None
    when the text is not the one recorded: then it is parsed as usual). `source`: the path
    the record names, when the caller has it made already."""
    values = _values(record, source)
    if len(text) < values["body_start"]:
        return None
    return Document(raw=text, rendered=StoredRendered(blob, _references(record)), **values)


__all__ = ["StoredRendered", "Resting", "Shelf", "Gone", "resting", "resting_record", "Signatures", "Keys", "Recording", "record_key", "to_record",
           "from_record", "Stat"]
