"""The build cache: `.sitegen-cache/cache.sqlite3` beside site.toml.

It maps a digest of everything an expensive step reads to what the step produced: YAML
frontmatter -> its values, a Markdown body (+ the site host, link prefix, line offset and the
sizes of the images beside it) -> the rendered HTML and what was found in it, and, for the
output, each file's path -> the digest of its bytes. Keys are digests of the inputs, so an
entry can only be reused for exactly the input it was made from; the cache never decides what
changed, it only remembers results.

Never pickle: values are JSON (orjson: decoding the cache is most of a rebuild's reading, and
orjson decodes it several times faster than the standard library), compressed with Zstandard at
level 1 (a cold build at 5,000 posts packs ~140 MB of pages and renders: zlib's fastest level
took ~2.7 s of CPU for it, zstd 0.8 s, for the same size; it reads back 3x faster too). The database carries a stamp (sitegen's
version, the Markdown libraries' and plugins' versions, the cache format); a file that is not
ours, not of this stamp, or damaged (a torn write, a disk error) is discarded with one warning
line and the build goes on cold. SQLite's journal makes every commit all-or-nothing, so a
build killed at any point leaves either the previous or the new cache.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import sqlite3
import threading
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable, Iterator

import orjson
import zstandard

from .errors import Problem

FORMAT = 5  # 5: renders without their sections (sitegen.markdown.sections); 4: entries in a rowid table (3: pages' HTML as bytes, not JSON; 2: zstd frames; 1: zlib)
FOLDER = ".sitegen-cache"
# a rowid table, its key in an index of its own: entries of ~10 KB in a WITHOUT ROWID table
# put their first KB in every interior page of its tree too (a fan-out of ~4: ~460,000 page
# reads to store a 5,000-post build, twice the time of this table, and slower lookups)
ENTRIES = "CREATE TABLE entries (kind TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (kind, key))"
FILE = "cache.sqlite3"
_LIBRARIES = ("orjson", "markdown-it-py", "mdit-py-plugins", "pygments", "latex2mathml", "pyyaml", "jinja2", "imagesize", "zstandard")


def digest(*parts: bytes | str) -> str:
    """A stable digest of several parts (length-prefixed, so ("ab", "c") != ("a", "bc"))."""
    h = hashlib.blake2b(digest_size=20)
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def _source_digest() -> str:
    """Our own code (Markdown plugins, interface words ...) changes output without a version
    bump: the stamp carries a digest of every module of the package."""
    folder = Path(__file__).parent
    return digest(*(path.read_bytes() for path in sorted(folder.rglob("*.py"))))


@functools.lru_cache(maxsize=1)
def stamp() -> str:
    """The cache's stamp: what this process's code and libraries are (the same for its life,
    whatever is installed meanwhile: it runs the code it loaded); found once, ~25 ms."""
    from . import __version__

    versions = []
    for name in _LIBRARIES:
        try:
            versions.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name}=?")
    return f"sitegen-cache/{FORMAT} sitegen={__version__} {' '.join(versions)} code={_source_digest()}"


# --- JSON with the few YAML types JSON lacks -------------------------------------------------


class Unstorable(Exception):
    """A value the cache cannot store exactly: the step's result is simply not cached."""


def encode(value: Any) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return {"$f": repr(value)}
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None and not isinstance(value.tzinfo, dt.timezone):
            raise Unstorable("a datetime with a named time zone")
        return {"$dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$d": value.isoformat()}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {"$map": [[encode(k), encode(v)] for k, v in value.items()]}
    raise Unstorable(type(value).__name__)


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        if "$f" in value:
            return float(value["$f"])
        if "$dt" in value:
            return dt.datetime.fromisoformat(value["$dt"])
        if "$d" in value:
            return dt.date.fromisoformat(value["$d"])
        return {decode(k): decode(v) for k, v in value["$map"]}
    return value


class _Codec(threading.local):
    """A Zstandard compressor and decompressor per thread: one is not to be used by two threads
    at once (sitegen.live stages pages from two), and making one per call costs more than the
    call (~60 us)."""

    def __init__(self) -> None:
        self.pack = zstandard.ZstdCompressor(level=1)
        self.unpack = zstandard.ZstdDecompressor()


_CODEC = _Codec()
Unreadable = (zstandard.ZstdError, ValueError)  # what a damaged entry raises in `unpack`


def pack(value: Any) -> bytes:
    """A value as a Zstandard frame of its JSON (the frame records its size, so `unpack` needs
    no bound). Copied out: zstandard's result is cut down from a buffer of the worst-case
    size, and 6,250 renders held so took 245 MB of RSS for 42 MB of frames (copied: 102 MB,
    as zlib's)."""
    return bytes(memoryview(_CODEC.pack.compress(orjson.dumps(value))))


def unpack(blob: bytes) -> Any:
    return orjson.loads(_CODEC.unpack.decompress(blob))


def pack_bytes(data: bytes) -> bytes:
    """Bytes as a Zstandard frame of themselves, not of a JSON string: a page's HTML, which
    is written out as bytes. (Held as a JSON string, restoring 6,939 pages at 5,000 posts
    spent 1.2 s of CPU making them str and 0.7 s making them UTF-8 again, beside 0.35 s
    decompressing them.)"""
    return bytes(memoryview(_CODEC.pack.compress(data)))


def unpack_bytes(blob: bytes) -> bytes:
    return _CODEC.unpack.decompress(blob)


# --- the store -------------------------------------------------------------------------------


# cache files this process found whole, with their metadata then: `sitegen build` opens the
# cache twice (to see whether anything changed, then to build) and checks it once
_CHECKED: dict[str, tuple[int, int, int]] = {}
# beside the cache file: its metadata right after the last commit (a build's or the dev
# server's), so the next process need not check a file nothing has written since (SQLite's
# quick_check reads all of it: 0.07 s at 5,000 posts with the file in memory, 0.7 s without)
COMMITTED = "committed.json"


def _file_state(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _committed(path: Path) -> tuple[int, int, int] | None:
    """The cache file's metadata as its last commit left it, if recorded."""
    try:
        found = orjson.loads((path.parent / COMMITTED).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    return tuple(found) if isinstance(found, list) and len(found) == 3 else None


def _record_commit(path: Path) -> None:
    """Note the file's metadata now that a commit of ours left it whole (see COMMITTED)."""
    record = path.parent / COMMITTED
    temporary = record.with_name(f".{COMMITTED}.{threading.get_ident()}")
    try:
        state = _file_state(path)
        _CHECKED[str(path)] = state
        temporary.write_bytes(orjson.dumps(list(state)))
        temporary.replace(record)
    except OSError:
        temporary.unlink(missing_ok=True)


LOCK_WAIT = 10.0  # seconds to wait for another build storing into the cache before building without it
SPILL_AT = 8 << 20  # bytes of pending entries from which they are stored ahead (Cache.store_ahead)


@dataclass
class Cache:
    """A table of (kind, key) -> JSON value, read lazily, written in one transaction that
    `commit` ends. What a build puts is held in memory up to SPILL_AT bytes, then stored into
    the open transaction by another thread while the build goes on (`store_ahead`): a cold
    build at 5,000 posts puts ~130 MB of packed pages and renders, which it used to hold to
    its end, then to write into a temporary file and read back at the commit (~0.5 s)."""

    path: Path | None  # None: a cache that remembers nothing (--no-cache)
    db: sqlite3.Connection | None = None
    pending: dict[tuple[str, str], bytes] = field(default_factory=dict)
    pending_size: int = 0
    dropped: set[tuple[str, str]] = field(default_factory=set)  # put, then found beyond JSON: deleted at the commit
    holding: bool = False  # a store_ahead failed: the rest is held in memory until the commit
    used: set[tuple[str, str]] = field(default_factory=set)
    warnings: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # "markdown rendered": 3 ... (for --timings)
    # store_ahead: the thread storing what was put so far, what it stores, and its failure if any
    ahead: tuple[threading.Thread, list[tuple[tuple[str, str], bytes]], list[BaseException]] | None = None

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    @classmethod
    def disabled(cls) -> "Cache":
        return cls(None)

    @classmethod
    def open(cls, folder: Path) -> "Cache":
        """The cache in `folder` (.sitegen-cache/), or a fresh one after one warning line."""
        cache = cls(folder / FILE)
        try:
            cache._connect(check=True)
        except (sqlite3.Error, OSError, ValueError) as exc:
            cache._discard(f"{exc}")
        return cache

    def _connect(self, *, check: bool) -> None:
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not self.path.exists() or self.path.stat().st_size == 0
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,  # (store_ahead, one thread at a time)
                             timeout=LOCK_WAIT)
        self.db = db
        db.execute("PRAGMA journal_mode=DELETE")
        db.execute("PRAGMA synchronous=NORMAL")
        if fresh:
            db.execute("BEGIN")
            db.execute("CREATE TABLE stamp (value TEXT NOT NULL)")
            db.execute(ENTRIES)
            db.execute("INSERT INTO stamp VALUES (?)", (stamp(),))
            db.execute("COMMIT")
            return
        state = _file_state(self.path)
        if check and _CHECKED.get(str(self.path)) != state:
            if _committed(self.path) != state:  # written since a commit of ours (a kill, a copy, another tool)
                ok = db.execute("PRAGMA quick_check").fetchone()
                if not ok or ok[0] != "ok":
                    raise ValueError(f"integrity check failed ({ok[0] if ok else 'no answer'})")
            _CHECKED[str(self.path)] = state
            row = db.execute("SELECT value FROM stamp").fetchone()
            if row is None or row[0] != stamp():
                raise ValueError("made by another version of sitegen or its Markdown plugins")

    def _discard(self, reason: str) -> None:
        assert self.path is not None
        self._settle()
        if "locked" in reason:  # another build is storing into it: theirs, not to be deleted
            if self.db is not None:
                self.db.close()
                self.db = None
            self.warnings = [Problem(str(self.path), None, f"the build cache is in use by another build ({reason}); "
                                                           "building without it")]
            self.path = None
            return
        if self.db is not None:
            self.db.close()
            self.db = None
        self.warnings = [Problem(str(self.path), None, f"build cache discarded ({reason}); building without it")]
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        try:
            self._connect(check=False)
        except (sqlite3.Error, OSError) as exc:
            self.warnings = [Problem(str(self.path), None, f"build cache unusable ({exc}); building without it")]
            self.db = None

    def _held(self, item: tuple[str, str]) -> bytes | None:
        """An entry put in this build and still in memory (one stored ahead is read from the
        database, in the open transaction)."""
        return self.pending.get(item)

    def _hold(self, item: tuple[str, str], blob: bytes) -> None:
        self.dropped.discard(item)
        self.pending_size += len(blob) - len(self.pending.get(item, b""))
        self.pending[item] = blob
        if self.pending_size >= SPILL_AT and not self.holding:
            self.store_ahead()

    def get(self, kind: str, key: str) -> Any | None:
        self.used.add((kind, key))
        self._settle()
        blob = self._held((kind, key))
        if blob is None and self.db is not None:
            try:
                row = self.db.execute("SELECT value FROM entries WHERE kind = ? AND key = ?", (kind, key)).fetchone()
            except sqlite3.Error as exc:
                self._discard(str(exc))
                return None
            blob = row[0] if row else None
        if blob is None:
            return None
        try:
            return unpack(blob)
        except Unreadable as exc:
            self._discard(f"entry {kind}/{key[:12]} unreadable: {exc}")
            return None

    def get_bytes(self, kind: str, key: str) -> bytes | None:
        """An entry stored with `pack_bytes` (`put_packed`), as its bytes."""
        blob = self._held((kind, key))
        if blob is None:
            blob = self.blobs(kind, [key]).get(key)
        self.used.add((kind, key))
        return self.unpacked_bytes(kind, key, blob) if blob is not None else None

    def get_many(self, kind: str, keys: Iterable[str]) -> dict[str, Any]:
        """Several entries at once (one query per 500 keys)."""
        found: dict[str, Any] = {}
        for key, blob in self.blobs(kind, keys).items():
            try:
                found[key] = unpack(blob)
            except Unreadable as exc:
                self._discard(f"entry {kind}/{key[:12]} unreadable: {exc}")
                return {}
        return found

    def blobs(self, kind: str, keys: Iterable[str], *, most: bool = False) -> dict[str, bytes]:
        """Several entries as stored (compressed), to be decoded later with `unpack`, if ever.
        `most`: the keys are most of the kind's entries (every page's HTML): one scan of the
        kind, in the file's order, and the others left out, rather than a lookup per key
        (0.07 s rather than 0.27 s for 6,939 pages at 5,000 posts)."""
        wanted = list(dict.fromkeys(keys))
        self.used.update((kind, key) for key in wanted)
        found: dict[str, bytes] = {}
        self._settle()
        if self.db is None:
            return found
        if most:
            every = self.stored(kind)
            return {key: every[key] for key in wanted if key in every}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            marks = ",".join("?" * len(chunk))
            try:
                rows = self.db.execute(f"SELECT key, value FROM entries WHERE kind = ? AND key IN ({marks})", (kind, *chunk)).fetchall()
            except sqlite3.Error as exc:
                self._discard(str(exc))
                return {}
            found.update((key, bytes(blob)) for key, blob in rows)
        return found

    def put(self, kind: str, key: str, value: Any) -> None:
        if self.path is None:
            return
        self.used.add((kind, key))
        try:
            blob = pack(value)
        except (TypeError, ValueError):  # beyond JSON (a 70-bit integer in YAML ...): simply not cached
            self.pending_size -= len(self.pending.pop((kind, key), b""))
            self.dropped.add((kind, key))  # (an earlier value may be stored ahead already)
            return
        self._hold((kind, key), blob)

    def put_packed(self, kind: str, key: str, blob: bytes) -> None:
        """put, for a value `pack` made already (in a render worker)."""
        if self.path is None:
            return
        self.used.add((kind, key))
        self._hold((kind, key), blob)

    def holds(self, kind: str) -> bool:
        """Whether any entry of a kind is here (False in a cold build: nothing to look up)."""
        if any(item[0] == kind for item in self.pending):
            return True
        self._settle()
        if self.db is None:
            return False
        try:
            return self.db.execute("SELECT 1 FROM entries WHERE kind = ? LIMIT 1", (kind,)).fetchone() is not None
        except sqlite3.Error as exc:
            self._discard(str(exc))
            return False

    def stored(self, kind: str) -> dict[str, bytes]:
        """Every entry of a kind as stored (compressed), each decoded with `unpacked` when it
        is wanted: 6,940 page entries decoded at once held ~55 MB at 5,000 posts."""
        self._settle()
        if self.db is None:
            return {}
        try:
            return dict(self.db.execute("SELECT key, value FROM entries WHERE kind = ?", (kind,)).fetchall())
        except sqlite3.Error as exc:
            self._discard(str(exc))
            return {}

    def unpacked(self, kind: str, key: str, blob: bytes) -> Any | None:
        """An entry `stored` gave, decoded (None, and the cache discarded, when it is damaged)."""
        try:
            return unpack(blob)
        except Unreadable as exc:
            self._discard(f"entry {kind}/{key[:12]} unreadable: {exc}")
            return None

    def unpacked_bytes(self, kind: str, key: str, blob: bytes) -> bytes | None:
        """`unpacked` for an entry of `pack_bytes`."""
        try:
            return unpack_bytes(blob)
        except Unreadable as exc:
            self.damaged(kind, key, exc)
            return None

    def damaged(self, kind: str, key: str, error: object) -> None:
        """An entry found unreadable (a torn write, a disk error): the cache is discarded."""
        self._discard(f"entry {kind}/{key[:12]} unreadable: {error}")

    def entries(self, kind: str) -> Iterator[tuple[str, Any]]:
        self._settle()
        if self.db is None:
            return
        try:
            for key, blob in self.db.execute("SELECT key, value FROM entries WHERE kind = ?", (kind,)).fetchall():
                yield key, unpack(blob)
        except (sqlite3.Error, *Unreadable) as exc:
            self._discard(str(exc))

    def store_ahead(self) -> None:
        """Store what was put so far into the open transaction (begun here if need be) in
        another thread, while the build goes on: SQLite works without Python's lock, and the
        entries leave memory. Until that thread is done nothing else may use the database:
        every method that reads it waits for it first (`_settle`); `commit` stores the rest and
        ends the transaction. A build killed meanwhile leaves the last commit's cache (SQLite's
        journal undoes the rest when the file is next opened)."""
        self._settle()  # (one thread at a time, each going on with the same transaction)
        if self.db is None or not self.pending:
            return
        batch = list(self.pending.items())
        self.pending.clear()
        self.pending_size = 0
        failed: list[BaseException] = []
        db = self.db

        def store() -> None:
            try:
                if not db.in_transaction:
                    db.execute("BEGIN IMMEDIATE")
                db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)",
                               ((kind, key, blob) for (kind, key), blob in batch))
            except BaseException as exc:  # noqa: B036 (handed to _settle: the batch is held again)
                failed.append(exc)

        thread = threading.Thread(target=store, name="sitegen-cache", daemon=True)
        self.ahead = (thread, batch, failed)
        thread.start()

    def _settle(self) -> None:
        """store_ahead's thread done. On its failure (a full disk ...), its entries are held
        again (unless put again since) and the rest of the build's are held in memory, for
        the commit to try once more."""
        if self.ahead is None:
            return
        thread, batch, failed = self.ahead
        thread.join()
        self.ahead = None
        if failed:
            self.holding = True
            for item, blob in batch:
                if item not in self.pending and item not in self.dropped:
                    self.pending[item] = blob
                    self.pending_size += len(blob)

    def commit(self, *, prune: bool = True) -> None:
        """Store what this build made and drop what it no longer used, in one transaction
        (`prune=False`: keep everything; a build that redid only part of the site)."""
        self._settle()
        if self.db is None:
            return
        try:
            if not self.db.in_transaction:  # (store_ahead began it)
                self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany("DELETE FROM entries WHERE kind = ? AND key = ?", self.dropped)
            self.db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)",
                                ((kind, key, blob) for (kind, key), blob in self.pending.items()))
            # a render's links (sitegen.live) stay as long as the render does
            used = self.used | {("links", key) for kind, key in self.used if kind == "markdown"} if prune else set()
            if prune and self.db.execute("SELECT count(*) FROM entries").fetchone()[0] > 2 * len(used) + 100:
                self.db.execute("CREATE TEMP TABLE IF NOT EXISTS keep (kind TEXT, key TEXT, PRIMARY KEY (kind, key))")
                self.db.execute("DELETE FROM keep")
                self.db.executemany("INSERT OR IGNORE INTO keep VALUES (?, ?)", used)
                self.db.execute("DELETE FROM entries WHERE (kind, key) NOT IN (SELECT kind, key FROM keep)")
            self.db.execute("COMMIT")
            self.pending.clear()
            self.pending_size = 0
            self.dropped.clear()
            self.holding = False
            _record_commit(self.path)  # type: ignore[arg-type]
        except sqlite3.Error as exc:
            try:
                self.db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            self.warnings = [Problem(str(self.path), None, f"could not save the build cache ({exc}); the next build starts cold")]

    def close(self) -> None:
        self._settle()
        if self.db is not None:
            self.db.close()
            self.db = None


__all__ = ["Cache", "Unstorable", "digest", "encode", "decode", "stamp", "FOLDER", "pack", "unpack", "pack_bytes", "unpack_bytes"]
