"""The parsed repodata cache: one file per repodata.json, read per package name.

Layout (all integers little-endian)::

    PREFIX      ASCII line: magic, format version, Python and marshal versions
    blocks      one marshal block per package name
    index       marshal (names, table): the names in block order, and per name a packed
                u64 offset, u32 length, u32 crc32 of its block (a few objects, not a
                tuple of three ints per name: a warm open of a 30k-name file stays cheap)
    header      marshal dict: source key, info, index offset/length/crc32, body size
    trailer     u32 header length, u32 header crc32

A reader checks the prefix, the header's checksum, the source key, the file size and the
index's checksum up front, and each block's checksum when (and only when) the block is read:
a warm solve touches only the names it reaches, and nothing it reads is trusted unchecked.
Writers write a temporary file in the same directory and ``os.replace`` it into place, so a
reader sees either a whole old file or a whole new one. Any failure to read means "no cache"
(the caller rebuilds); any failure to write means "no cache" too, never an error.

The cache stores no channel name, URL or flag: those are applied when records are
materialised (``repodata.py``), so one cache serves every way of reading its source.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import struct
import sys
import tempfile
import time
import weakref
import zlib
from itertools import accumulate

# 2: the header's info carries feature -> tracking names; 3: the index is a packed table,
# and equal strings within a block are written once (repodata.py shares them); 4: a large
# file's blocks may carry their records' best-first order (repodata.py's _add_orders); 5: a
# block of well-formed records has a third part in every file (None, or that order)
FORMAT_VERSION = 5
PREFIX = (
    f"conda-altsolver repodata cache v{FORMAT_VERSION} "
    f"{sys.implementation.name}-{sys.version_info[0]}.{sys.version_info[1]} "
    f"marshal-{marshal.version}\n"
).encode("ascii")
_TRAILER = struct.Struct("<II")  # header length, header crc32
_ENTRY = struct.Struct("<QII")  # one index entry: block offset, length, crc32
SUFFIX = ".altcache"
_WRITE_BATCH = 4096  # blocks per write (a few MB of a large file's cache at a time)
_HAS_PREAD = hasattr(os, "pread")


class CacheInvalid(Exception):
    """A cache file that must not be used (stale, truncated, corrupt or foreign)."""


def source_key(path: str, etag: str | None = None) -> tuple:
    """The identity of a repodata file: (absolute path, size, mtime_ns, etag)."""
    path = os.path.abspath(path)
    st = os.stat(path)
    return (path, st.st_size, st.st_mtime_ns, etag or "")


def cache_path_for(source: str, cache_dir: str | None = None) -> str:
    """Beside the source (``repodata.json.altcache``), or in ``cache_dir`` under a hash of
    the source's absolute path (one directory may serve many channels)."""
    source = os.path.abspath(source)
    if cache_dir is None:
        return source + SUFFIX
    digest = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()[:20]
    return os.path.join(cache_dir, digest + SUFFIX)


def write_cache(cache_path: str, key: tuple, info: dict, blocks: dict) -> bool:
    """Write ``blocks`` (name -> any marshal-able value) atomically; False when impossible.

    ``key`` is ``source_key(...)``; ``info`` any small marshal-able dict kept in the header.
    """
    try:
        directory = os.path.dirname(cache_path) or "."
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            dir=directory, prefix=os.path.basename(cache_path) + ".", suffix=".tmp"
        )
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as out:
            if hasattr(os, "fchmod"):
                # mkstemp makes the file private; a cache beside shared repodata is not.
                os.fchmod(out.fileno(), 0o644)
            _write_body(out, key, info, blocks)
        # No fsync: a torn file after a crash fails its checksums and is rebuilt.
        os.replace(tmp, cache_path)
        _remove_stale_temps(cache_path)
        return True
    except (OSError, ValueError):
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return False


def _remove_stale_temps(cache_path: str) -> None:
    """Temporary files of writers killed mid-write (an hour old: no live writer takes that)."""
    directory, base = os.path.split(cache_path)
    cutoff = time.time() - 3600
    try:
        for entry in os.scandir(directory or "."):
            name = entry.name
            if name.startswith(base + ".") and name.endswith(".tmp"):
                if entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
    except OSError:
        pass


def _write_body(out, key: tuple, info: dict, blocks: dict) -> None:
    """Stream the blocks, then the index, then the header and its trailer: the header goes
    last because it holds the index's position, known only once the blocks are written."""
    names = tuple(blocks)
    values = list(blocks.values())
    table = bytearray()
    offset = 0
    crc32 = zlib.crc32
    out.write(PREFIX)
    # in batches, each one write and a few passes in C: a call and a write per block were a
    # fifth of the time a small file's cache took to write
    for start in range(0, len(values), _WRITE_BATCH):
        data = list(map(marshal.dumps, values[start:start + _WRITE_BATCH]))
        lengths = list(map(len, data))
        offsets = list(accumulate(lengths, initial=offset))
        table += b"".join(map(_ENTRY.pack, offsets, lengths, map(crc32, data)))
        out.write(b"".join(data))
        offset = offsets[-1]
    index_data = marshal.dumps((names, bytes(table)))
    out.write(index_data)
    header_data = marshal.dumps(
        {
            "key": tuple(key),
            "info": info,
            "index": (offset, len(index_data), crc32(index_data)),
            "body_size": offset + len(index_data),
        }
    )
    out.write(header_data)
    out.write(_TRAILER.pack(len(header_data), crc32(header_data)))


class CacheReader:
    """An open, validated cache file; ``block(name)`` reads and checks one block.

    The file descriptor stays open for the reader's life, so every block comes from the
    same file even if a writer replaces the path meanwhile. Reading (not mmap) keeps a file
    truncated in place by someone else an error we can catch, not a crash.
    """

    __slots__ = ("_fd", "_base", "index", "_table", "info", "blocks_read", "__weakref__")

    def __init__(self, fd: int, base: int, index: dict, table: bytes, info: dict):
        self._fd = fd
        self._base = base
        self.index = index  # name -> its entry's position in the table
        self._table = table
        self.info = info
        self.blocks_read = 0
        weakref.finalize(self, os.close, fd)

    def entry(self, name: str) -> tuple[int, int, int]:
        """(offset, length, crc32) of ``name``'s block; ``KeyError`` if the cache has none."""
        return _ENTRY.unpack_from(self._table, self.index[name] * _ENTRY.size)

    def block(self, name: str):
        """The block stored for ``name``; raises ``CacheInvalid`` if it fails its checks,
        ``KeyError`` if the cache has no such name."""
        offset, length, crc = self.entry(name)
        try:
            data = _pread(self._fd, length, self._base + offset)
        except OSError as exc:
            raise CacheInvalid(f"cannot read block {name!r}: {exc}") from exc
        if len(data) != length or zlib.crc32(data) != crc:
            raise CacheInvalid(f"block {name!r} is truncated or corrupt")
        self.blocks_read += 1
        try:
            return marshal.loads(data)
        except (ValueError, EOFError, TypeError) as exc:
            raise CacheInvalid(f"block {name!r} does not decode: {exc}") from exc


def _pread(fd: int, length: int, offset: int) -> bytes:
    """``os.pread`` where it exists (POSIX); elsewhere seek and read (one thread per reader)."""
    if _HAS_PREAD:
        return os.pread(fd, length, offset)
    os.lseek(fd, offset, os.SEEK_SET)
    return os.read(fd, length)


def open_cache(cache_path: str, key: tuple) -> CacheReader | None:
    """A reader over ``cache_path`` if it is a whole, current cache for ``key``, else None."""
    try:
        fd = os.open(cache_path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    try:
        base, index, table, info = _validate(fd, key)
    except (CacheInvalid, OSError, ValueError, EOFError, TypeError, KeyError):
        os.close(fd)
        return None
    return CacheReader(fd, base, index, table, info)


def _validate(fd: int, key: tuple) -> tuple[int, dict, bytes, dict]:
    """Check prefix, trailer, header checksum, source key, file size and index checksum."""
    size = os.fstat(fd).st_size
    if size < len(PREFIX) + _TRAILER.size or _pread(fd, len(PREFIX), 0) != PREFIX:
        raise CacheInvalid("foreign or truncated file")
    header_length, header_crc = _TRAILER.unpack(_pread(fd, _TRAILER.size, size - _TRAILER.size))
    header_start = size - _TRAILER.size - header_length
    if header_start < len(PREFIX):
        raise CacheInvalid("truncated or corrupt trailer")
    header_data = _pread(fd, header_length, header_start)
    if zlib.crc32(header_data) != header_crc:
        raise CacheInvalid("truncated or corrupt header")
    header = marshal.loads(header_data)
    if type(header) is not dict or header.get("key") != tuple(key):
        raise CacheInvalid("cache is for another source or an older version of it")
    if header["body_size"] != header_start - len(PREFIX):
        raise CacheInvalid("file size does not match its header")
    index_offset, index_length, index_crc = header["index"]
    index_data = _pread(fd, index_length, len(PREFIX) + index_offset)
    if len(index_data) != index_length or zlib.crc32(index_data) != index_crc:
        raise CacheInvalid("truncated or corrupt index")
    names, table = marshal.loads(index_data)
    if type(names) is not tuple or type(table) is not bytes or (
        len(table) != len(names) * _ENTRY.size
    ):
        raise CacheInvalid("index is not a table of names")
    index = dict(zip(names, range(len(names))))
    return len(PREFIX), index, table, header["info"]
