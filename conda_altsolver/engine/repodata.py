"""repodata.json -> a lazy ``Repo``: records are built per package name, on first request.

``load_repodata(path, channel)`` answers from the parsed cache (``cache.py``) when it is
current, reading only the blocks of the names a solve reaches; otherwise it parses the JSON
once, groups records by name, writes the cache and answers from it (or from memory when no
cache can be written).

Records follow conda's enrichment (``conda.core.subdir_data.SubdirData._process_raw_repodata``):

- ``packages.conda`` first, then ``packages``; a ``.tar.bz2`` whose ``.conda`` twin (same
  stem) exists is dropped, unless ``use_only_tar_bz2``, which drops every ``.conda`` instead;
  a ``.conda`` record with a twin gets ``legacy_bz2_md5`` and ``legacy_bz2_size``;
- records with ``record_version`` above 1 are ignored;
- ``arch`` and ``platform`` come from ``info`` (``None`` when it has none); ``subdir`` from
  ``info``, else the ``subdir`` argument, else the record, else the directory's name;
- ``fn`` is the key, ``channel`` the canonical channel name given, ``url`` the base URL (repodata
  v2 ``info.base_url`` if set, relative ones resolved against the subdir URL) joined with
  ``fn``; with ``add_pip`` python 2/3 records depend on ``pip`` too (conda's
  ``add_pip_as_python_dependency``, which the adapter passes from conda's context).

Within a name, records keep file order, ``.conda`` ones first, so answers never depend on
hashing. The cache holds records as they are in the file (in a large file, equal strings within
a name stored once, and the name's best-first order beside them; in any file, a mark on each
name whose records all have the field types the engine relies on, checked once when parsed):
channel, URL and flags are applied at materialisation, so one cache serves every caller.
"""

from __future__ import annotations

import json
import os
from itertools import chain
from pathlib import Path
from urllib.parse import urljoin

from . import cache as _cache
from .errors import EngineError
from .gcpause import gc_paused
from .policy import one_channel_order
from .repo import Repo, tracking_index

MAX_REPODATA_VERSION = 2
# Above this JSON size (bytes) a cold load answers from the cache it wrote, not from memory.
REOPEN_ABOVE = 8 << 20
# From this JSON size (bytes) on, the cache stores each name's equal strings once
# (``_share_strings``). Sharing costs a cold load a sixth to a quarter of its time on any file;
# it saves a warm solve up to 3% of its time and a quarter of its records' memory, which
# counts for a channel the size of conda-forge's and is a few MB at most below this size.
SHARE_ABOVE = REOPEN_ABOVE
# From this JSON size (bytes) on, the cache stores each name's best-first order with its block
# (``_add_orders``), so a warm solve neither keys nor sorts the records it loads: a tenth of a
# conda-forge-sized solve. Working the orders out costs the cold load a sixth more, spent on
# every record of the file; a small file's solve reads most of its records, so there it would
# only move that work to a cold load near 2x json.loads. (Checking the records' fields is
# cheap enough to do for every file when it is parsed: ``_parse``.)
ORDER_ABOVE = REOPEN_ABOVE
#: the parsed info's entry: feature -> names tracking it
TRACKING_KEY = "_altsolver_tracking"


class RepodataError(EngineError):
    """A repodata.json that cannot be read or does not have repodata's shape."""

    def __init__(self, path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"invalid repodata {self.path}: {reason}")


class RepodataRepo(Repo):
    """A ``Repo`` over one repodata.json.

    ``path``: the source file; ``info``: its ``info`` section; ``cache_status``: ``"hit"`` (answered from the cache),
    ``"written"`` (parsed, cache written), ``"unwritable"`` (parsed, no cache written: the
    directory refused, or the file changed while it was read) or ``"off"`` (parsed,
    caching not asked for). A cache block that fails its checksum mid-solve turns a
    ``"hit"`` into one of the others.
    """

    __slots__ = ("path", "_source")

    @property
    def cache_status(self) -> str:
        return self._source.status

    @property
    def info(self) -> dict:
        """The file's ``info`` section (``subdir``, ``base_url``, ``arch``, ``platform``)."""
        return self._source.info

    def loaded_names(self) -> frozenset[str]:
        """The names whose records it holds (``get`` keeps what it materialises, ``take``
        does not)."""
        return frozenset(self._by_name)


def load_repodata(
    path,
    channel: str,
    *,
    base_url: str | None = None,
    subdir: str | None = None,
    use_only_tar_bz2: bool = False,
    add_pip: bool = False,
    cache: bool = True,
    cache_dir: str | None = None,
    etag: str | None = None,
) -> RepodataRepo:
    """Read ``path`` (a repodata.json) into a lazy repo of records of ``channel``.

    ``base_url``: the URL of the subdir the file came from (default: the file's directory as
    a ``file://`` URL). ``cache_dir``: where the parsed cache lives (default: beside
    ``path``). ``etag``: any string that changes when the content does (an HTTP etag, a
    hash), added to the file's size and mtime in the cache key. Raises ``RepodataError``.
    """
    path = os.path.abspath(os.fspath(path))
    source = _BlockSource(path, cache, cache_dir, etag)
    materialise = _Materialiser(
        path, channel, source.info, base_url, subdir, use_only_tar_bz2, add_pip
    )

    orders: dict[str, tuple] = {}  # name -> its records' best-first order, where cached
    # name -> (block, its records): a block held in memory (no cache, or a small file's
    # just written) gives the same dicts on every load, and materialising is not idempotent
    # (python's added "pip"); a block read from the cache is new dicts each time
    made: dict[str, tuple] = {}

    def load(name: str) -> list[dict]:
        block = source.block(name)
        if block is None:
            return []
        known = made.get(name)
        if known is not None and known[0] is block:
            return list(known[1])
        records, order = materialise(block)
        if order is not None:
            orders[name] = order
        if source.reader is None:
            made[name] = (block, records)
        return records

    tracking = source.info.get(TRACKING_KEY, {})
    repo = RepodataRepo(load=load, names=source.names(),
                        tracking=lambda feature: tracking.get(feature, ()), order=orders.get)
    repo.path = path
    repo._source = source
    return repo


class _BlockSource:
    """Where the per-name blocks come from: a validated cache, or the parsed JSON.

    A block that fails its checksum while a solve runs makes the source fall back to
    parsing the JSON (and rewriting the cache): a bad cache costs time, never answers.
    """

    def __init__(self, path: str, use_cache: bool, cache_dir: str | None, etag: str | None):
        self.path = path
        self.groups: dict | None = None
        self.reader: _cache.CacheReader | None = None
        self.cache_path = _cache.cache_path_for(path, cache_dir) if use_cache else None
        try:
            self.key = _cache.source_key(path, etag)
        except OSError as exc:
            raise RepodataError(path, f"cannot read it ({exc.strerror or exc})") from exc
        if self.cache_path is not None:
            self.reader = _cache.open_cache(self.cache_path, self.key)
        if self.reader is not None:
            self.info = self.reader.info
            self.status = "hit"
        else:
            self._parse()

    def _parse(self, reopen: bool = True) -> None:
        """Parse the JSON and write the cache. For a large file, answer from the cache just
        written and drop the parsed records: that heap then never meets the cyclic GC (its
        passes over millions of objects cost more than freeing them) nor outlives the load.
        A small file's records stay in memory: cheaper than decoding most of them again.
        ``reopen=False`` (after a bad block) keeps answering from the parsed records."""
        with gc_paused():
            self.info, self.groups = parse_repodata(self.path)
            self.reader = None
            if self.cache_path is None:
                self.status = "off"
                return
            if self.key[1] >= SHARE_ABOVE:
                _share_strings(self.groups)
            if self.key[1] >= ORDER_ABOVE:
                _add_orders(self.groups, self.info)
            written = self._unchanged() and _cache.write_cache(
                self.cache_path, self.key, self.info, self.groups
            )
            self.status = "written" if written else "unwritable"
            if written and reopen and self.key[1] >= REOPEN_ABOVE:
                self.reader = _cache.open_cache(self.cache_path, self.key)
            if self.reader is not None:
                self.groups = None

    def _unchanged(self) -> bool:
        """Whether the file still has the identity it had before we read it: a file
        rewritten in place while we parsed must not have its old key on new content."""
        try:
            return _cache.source_key(self.path, self.key[3]) == self.key
        except OSError:
            return False

    def names(self):
        return self.groups.keys() if self.reader is None else self.reader.index.keys()

    def block(self, name: str):
        if self.reader is not None:
            if name not in self.reader.index:
                return None
            try:
                return self.reader.block(name)
            except _cache.CacheInvalid:
                self._parse(reopen=False)
        return self.groups.get(name)


def parse_repodata(path: str) -> tuple[dict, dict]:
    """Parse a repodata.json into (info, {name: block}), a block being ``(conda_entries,
    tar_entries)``, or ``(conda_entries, tar_entries, None)`` when every one of its records
    has the field types the engine relies on (``_FIELD_TYPES``): its reader then skips the
    materialiser's checks, run here once per record of the file rather than on every read.

    ``conda_entries``: ``(fn, record)`` pairs; ``tar_entries``: ``(fn, record, has_twin)``.
    Records above ``record_version`` 1 are already dropped; nothing else is applied.
    The loops run once per record of the whole channel on a cold start: keep them plain.
    """
    with gc_paused():
        return _parse(path)


def _parse(path: str) -> tuple[dict, dict]:
    data = _read_json(path)
    info = _read_info(data, path)
    packages = _section(data, "packages", path)
    conda_packages = _section(data, "packages.conda", path)
    groups: dict[str, tuple] = {}
    tracking: list[tuple[str, list]] = []  # (name, [record]) for the records tracking features
    malformed: set[str] = set()  # names with a record _well_formed refuses
    # the common record (a dict with a string name, no record_version) is read inline; any
    # other goes through _record_name, which drops it or raises naming it
    for fn, record in conda_packages.items():
        name = record.get("name") if record.__class__ is dict else None
        if name.__class__ is not str or not name or "record_version" in record:
            name = _record_name(record, fn, path)
            if name is None:
                continue
        if packages:
            twin = packages.get(fn[:-6] + ".tar.bz2")
            if twin is not None:
                record["legacy_bz2_md5"] = twin.get("md5")
                record["legacy_bz2_size"] = twin.get("size")
        entry = groups.get(name)
        if entry is None:
            entry = groups[name] = ([], [])
        entry[0].append((fn, record))
        if record.get("track_features"):
            tracking.append((name, [record]))
    for fn, record in packages.items():
        name = record.get("name") if record.__class__ is dict else None
        if name.__class__ is not str or not name or "record_version" in record:
            name = _record_name(record, fn, path)
            if name is None:
                continue
        # conda's twin test is on the key alone: "<stem>.conda" present means shadowed.
        has_twin = fn[:-8] + ".conda" in conda_packages if conda_packages else False
        entry = groups.get(name)
        if entry is None:
            entry = groups[name] = ([], [])
        entry[1].append((fn, record, has_twin))
        if record.get("track_features"):
            tracking.append((name, [record]))
    # every record read above is a dict with a string name (the others raised); a twin is
    # checked too, since use_only_tar_bz2 reads it, and so is a record_version 2 one, which
    # costs its name the mark at worst (_well_formed, inline: once per record of the file)
    for record in chain(conda_packages.values(), packages.values()):
        get = record.get
        if (type(get("version")) is not str or type(get("build")) is not str
                or type(get("build_number", 0)) is not int
                or type(get("depends", _NO_LIST)) is not list
                or type(get("constrains", _NO_LIST)) is not list
                or type(get("timestamp")) not in _TIMESTAMP_TYPES):
            malformed.add(get("name"))
    for name, (conda_entries, tar_entries) in groups.items():
        if name not in malformed:
            groups[name] = (conda_entries, tar_entries, None)
    # feature -> sorted names tracking it, kept in the cache header so that a lazy solve
    # learns every tracker of a feature without loading every name
    info[TRACKING_KEY] = {feature: sorted(names)
                          for feature, names in tracking_index(tracking).items()}
    return info, groups


#: record fields whose values repeat across one name's records
_SHARED_FIELDS = ("version", "license", "license_family", "subdir", "noarch")
_LIST_FIELDS = ("depends", "constrains")


def _share_strings(groups: dict) -> None:
    """Make equal strings within each name's records one object, in place, before caching:
    marshal writes an object it has already written as a back-reference, so each block is
    smaller, decodes faster and decodes into shared strings (a quarter less memory per record
    a warm solve loads, on conda-forge-like data). Field order and values are unchanged."""
    for name, parts in groups.items():
        memo = {name: name}
        share = memo.setdefault
        for part in parts[:2]:
            for entry in part:  # hot on a cold start: once per record of the channel
                record = entry[1]
                record["name"] = name
                for field in _SHARED_FIELDS:
                    value = record.get(field)
                    if value.__class__ is str:
                        record[field] = share(value, value)
                for field in _LIST_FIELDS:
                    value = record.get(field)
                    if value.__class__ is list and value:
                        record[field] = [share(t, t) if t.__class__ is str else t for t in value]


def _add_orders(groups: dict, info: dict) -> None:
    """Give each well-formed name's block (one with a third part, ``_parse``), in place, the
    best-first order of the records a default reading materialises (``.conda`` first, then
    ``.tar.bz2`` without a twin) as its third part, as ``Pool.group`` would sort them, where
    that order is certain.

    Certain means the records end up with one subdir (so the arch part of classic's key
    ties): ``info``'s, or, without one, their own when they all have the same (a reader's
    argument or the directory's name then replaces it for all of them alike); and no two
    share version and build (so none is a duplicate the pool would drop). Any other block
    stays as it is: its reader keys and sorts it (and, for a block of two parts, checks it
    and reports what is wrong, as before)."""
    one_subdir = bool(info.get("subdir"))
    for name, block in groups.items():
        if len(block) < 3:
            continue
        conda_entries, tar_entries = block[0], block[1]
        records = [record for _fn, record in conda_entries]
        records.extend([record for _fn, record, twin in tar_entries if not twin])
        if len({(record["version"], record["build"]) for record in records}) != len(records):
            continue
        if not one_subdir and len({record.get("subdir") or None for record in records}) > 1:
            continue
        try:
            order = one_channel_order(records)
        except (ValueError, TypeError, OverflowError):  # the reader's keys raise it again
            continue
        groups[name] = (conda_entries, tar_entries, tuple(order))


def _well_formed(record: dict) -> bool:
    """Whether every field of ``_FIELD_TYPES`` has its type (spelt out; ``_parse`` has it
    inline, since it runs once per record of the file)."""
    get = record.get
    return (type(get("version")) is str and type(get("build")) is str
            and type(get("build_number", 0)) is int and type(get("depends", _NO_LIST)) is list
            and type(get("constrains", _NO_LIST)) is list
            and type(get("timestamp")) in _TIMESTAMP_TYPES)


def _read_json(path: str) -> dict:
    try:
        with open(path, "rb") as stream:
            raw = stream.read()
    except OSError as exc:
        raise RepodataError(path, f"cannot read it ({exc.strerror or exc})") from exc
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise RepodataError(path, f"not valid JSON ({exc})") from exc
    if type(data) is not dict:
        raise RepodataError(path, f"top level is a {type(data).__name__}, not an object")
    return data


def _read_info(data: dict, path: str) -> dict:
    """The few ``info`` fields records inherit, checked."""
    info = data.get("info")
    if info is None:
        info = {}
    elif type(info) is not dict:
        raise RepodataError(path, "'info' is not an object")
    version = data.get("repodata_version", 1)
    if type(version) is not int:
        raise RepodataError(path, "'repodata_version' is not an integer")
    if version > MAX_REPODATA_VERSION:
        raise RepodataError(path, f"repodata_version {version} is newer than this reader")
    picked = {key: info.get(key) for key in ("subdir", "arch", "platform", "base_url")}
    for key, value in picked.items():
        if value is not None and type(value) is not str:
            raise RepodataError(path, f"'info.{key}' is not a string")
    return picked


def _section(data: dict, key: str, path: str) -> dict:
    section = data.get(key)
    if section is None:
        return {}
    if type(section) is not dict:
        raise RepodataError(path, f"{key!r} is not an object of records")
    return section


def _record_name(record, fn, path: str) -> str | None:
    """The record's name, or None for a record conda ignores (``record_version`` > 1)."""
    try:
        name = record["name"]
        record_version = record.get("record_version")
    except (TypeError, KeyError, AttributeError):
        raise RepodataError(path, f"record {fn!r} has no string 'name'") from None
    if type(name) is not str or not name or type(record) is not dict:
        raise RepodataError(path, f"record {fn!r} has no string 'name'")
    if record_version:
        if type(record_version) is not int:
            raise RepodataError(path, f"record {fn!r} has a non-integer 'record_version'")
        if record_version > 1:
            return None
    return name


class _Materialiser:
    """Turns one name's block into the engine's record dicts (conda's enrichment)."""

    def __init__(self, path, channel, info, base_url, subdir, use_only_tar_bz2, add_pip):
        self.path = path
        self.use_only_tar_bz2 = use_only_tar_bz2
        self.add_pip = add_pip
        self.url_prefix = _base_url(path, info.get("base_url"), base_url).rstrip("/") + "/"
        self.common = {"arch": info.get("arch"), "platform": info.get("platform"),
                       "channel": channel}
        # info's subdir (or the caller's) overrides every record's; else the record's own
        self.subdir = info.get("subdir") or subdir
        if self.subdir:
            self.common["subdir"] = self.subdir
        self.fallback_subdir = Path(path).parent.name

    def __call__(self, block) -> tuple[list[dict], tuple | None]:
        """The block's records, and their best-first order when the cache holds it (a large
        file's block, read the default way: ``_add_orders``)."""
        conda_entries, tar_entries = block[0], block[1]
        checked = len(block) > 2  # its records were checked when parsed (_parse)
        order = block[2] if checked and not self.use_only_tar_bz2 else None
        if self.use_only_tar_bz2:
            entries = [(fn, record) for fn, record, _twin in tar_entries]
        else:
            entries = list(conda_entries)
            entries.extend([(fn, record) for fn, record, twin in tar_entries if not twin])
        common, url_prefix, path = self.common, self.url_prefix, self.path
        records = []
        if not checked:  # a name with a malformed record: say which one, if it is read
            for fn, record in entries:
                if not _well_formed(record):
                    _reject(record, fn, path)
        for fn, record in entries:  # hot: once per record a solve reaches
            record.update(common)
            record["fn"] = fn
            record["url"] = url_prefix + fn
            records.append(record)
        if not self.subdir:
            for record in records:
                if not record.get("subdir"):
                    record["subdir"] = self.fallback_subdir
        if self.add_pip and records and records[0]["name"] == "python":
            for record in records:
                if record["version"].startswith(("2.", "3.")):
                    record["depends"] = [*record.get("depends", ()), "pip"]
        return records, order


_NO_LIST: list = []  # the default that passes the type check for an absent list field
#: a timestamp is a number (seconds or milliseconds), or absent
_TIMESTAMP_TYPES = (int, float, type(None))
#: (field, the types the engine relies on, what an absent field counts as, their name)
_FIELD_TYPES = (
    ("version", (str,), None, "a string"),
    ("build", (str,), None, "a string"),
    ("build_number", (int,), 0, "an integer"),
    ("depends", (list,), _NO_LIST, "a list"),
    ("constrains", (list,), _NO_LIST, "a list"),
    ("timestamp", _TIMESTAMP_TYPES, None, "a number"),
)


def _reject(record: dict, fn: str, path: str):
    """Raise for the first field of ``record`` without the type the engine relies on."""
    for key, kinds, default, what in _FIELD_TYPES:
        if type(record.get(key, default)) not in kinds:
            raise RepodataError(path, f"record {fn!r}: {key!r} is not {what}")
    raise AssertionError("_reject called on a valid record")


def _base_url(path: str, info_base_url: str | None, subdir_url: str | None) -> str:
    """Repodata v2 ``info.base_url`` wins (CEP 15); a relative one is resolved against the
    subdir's URL, which defaults to the file's directory."""
    if subdir_url is None:
        subdir_url = Path(path).parent.as_uri()
    if not info_base_url:
        return subdir_url
    if "://" in info_base_url:
        return info_base_url
    return urljoin(subdir_url.rstrip("/") + "/", info_base_url)
