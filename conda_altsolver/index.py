"""The package index: channels x subdirs turned into engine ``Repo``s, loaded per name.

Where records come from, in order:

1. ``solver._index`` when a caller (conda-build) set it after construction;
2. sharded repodata through conda's ``build_repodata_subset`` when conda handed us one and
   the channels have shards (it returns ``None`` otherwise);
3. for every URL of ``Channel(c).urls(True, subdirs)``, always the full ``repodata.json`` (a
   ``current_repodata.json`` request is served from it, since one full solve is cheaper than
   a retry):

   - **the fast path**: conda fetches or refreshes its repodata cache as usual
     (``RepodataFetch.fetch_latest_path``, which honours ``offline`` and
     ``use_index_cache``), and our own loader (``engine.load_repodata``) reads that file
     lazily, per name, with its parsed cache in conda's repodata cache directory. A local
     ``file://`` channel's ``repodata.json`` is read where it is: conda's fetch would copy it
     into its cache on every run (a new file each time, so no parsed cache could ever be
     warm), and the parsed cache still goes to conda's cache directory, never beside the
     channel (unless ``use_index_cache`` asks for conda's copy, or a ``repodata.json.zst``
     beside it is what conda would read: then conda fetches, as usual). Engine records are
     plain dicts; a conda ``PackageRecord`` is built only when someone asks for it (the
     solution, and the classic rules' per-name questions);
   - **through conda's ``SubdirData`` records** wherever the fast path does not apply: a
     ``SubdirData`` that is already loaded (conda's tests inject channels into
     ``SubdirData._cache_``; they have no file on disk), conda's loading replaced (a test or
     a plugin patched ``SubdirData.load``), no file to read, or repodata whose
     ``info.base_url`` or ``info.subdir`` conda treats its own way.

Both paths give the same records, field for field (``tests/adapter/test_index_fast.py``).

Classic does not add ``noarch`` to the subdirs; conda's callers pass it, so neither do we.

Every source also says which of its names track a feature (the engine's pool asks, and
would otherwise load every name): the parsed cache's index on the fast path, one scan of the
records already in memory for the others.

Installed records that no channel provides are added (the engine can then keep them), and
virtual packages are records of channel ``@``. Each engine record is a ``RecordDict`` that
remembers (or knows how to build) its conda ``PackageRecord``, so a solution maps back
without a lookup.

Channel names: records carry ``Channel.name`` (``channel-1``, ``conda-forge``, ``pkgs/main``),
the key classic's ``Resolve.version_key`` ranks channels by. (The canonical name would give the
same answer for hosted channels but a full ``file://`` URL for local ones, and conda's tests
serve a local channel's records under the hosted URL.)
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import cache, partial
from logging import getLogger
from time import perf_counter
from typing import TYPE_CHECKING

from conda.base.constants import REPODATA_FN, ChannelPriority
from conda.base.context import context
from conda.common.iterators import unique
from conda.common.path import url_to_path
from conda.core.subdir_data import SubdirData
from conda.exceptions import CondaError
from conda.gateways.repodata import FORMAT_JSON, create_cache_dir
from conda.models.channel import Channel
from conda.models.match_spec import MatchSpec
from conda.models.records import PackageRecord
from conda.models.version import VersionOrder

from .engine import EngineError
from .engine.repo import Repo, tracking_index
from .engine.repodata import RepodataError, load_repodata
from .engine.spec import parse_spec
from .errors import CONDA_REFUSALS, conda_refusal, first_line, record_error
from .newer import fields_filter, keep_records

if TYPE_CHECKING:
    from collections.abc import Callable

log = getLogger("conda.altsolver.index")

VIRTUAL_CHANNEL = "@"
# classic ranks a channel it was not told about as 1 (resolve.py's version_key default)
UNKNOWN_CHANNEL_RANK = 1


class RecordDict(dict):
    """A repodata dict for the engine that remembers the conda record it came from."""

    __slots__ = ("record",)

    def __hash__(self):  # the engine may keep records in sets; identity is what we mean
        return id(self)

    def __eq__(self, other):
        return self is other


class LazyRecordDict(RecordDict):
    """An engine record read by the fast path: its ``PackageRecord`` is built on first use.

    Its items are the record as conda's ``SubdirData`` would have enriched it (channel, URL,
    subdir, pip, ``legacy_bz2_*``), so the record built here is the one conda builds; the
    engine reads the fields it needs from them as they are (``engine_view``).
    """

    __slots__ = ("_channel", "_built")

    @property
    def record(self) -> PackageRecord:
        built = self._built
        if built is None:
            built = self._built = package_record(self, self._channel)
        return built


class RepodataReadError(CondaError):
    """A repodata.json (conda's cached copy, or a local channel's own) that cannot be read."""

    def __init__(self, path: str, url: str, reason: str, in_conda_cache: bool):
        message = "The repodata of %(url)s cannot be read from\n\n    %(path)s\n\n%(reason)s."
        if in_conda_cache:
            message += (
                "\nThis file is conda's cached copy: `conda clean --index-cache` removes it, "
                "so that it is downloaded again."
            )
        super().__init__(message, path=path, url=url, reason=reason)


# conda's own loading; a test or plugin that replaces it gets its records read through it
_CONDA_LOAD = SubdirData.load
_CONDA_PRIVATE_LOAD = SubdirData._load


def channel_key(channel) -> str:
    """The name a record's channel is ranked and matched by (see the module docstring)."""
    if channel is None:
        return ""
    if isinstance(channel, str):
        channel = Channel(channel)
    return channel.name or channel.canonical_name or ""


def spec_text(spec: MatchSpec) -> str:
    """A conda ``MatchSpec`` as the engine's spec string.

    A pure feature request becomes ``feat@``; a channel is given by the key records carry
    (``channel_key``); target and optional travel separately.
    """
    components = set(spec._match_components) - {"name"}
    if spec.name == "*" and components == {"track_features"}:
        features = spec.get_raw_value("track_features")
        if len(features) == 1:
            return f"{next(iter(features))}@"
    channel = spec.get_exact_value("channel")
    if channel:
        key = channel_key(channel)
        if key and key != str(channel):
            spec = MatchSpec(spec, channel=key)
    return str(spec)


def channel_order(channels: Iterable) -> tuple[str, ...]:
    """Channel keys, best first, multichannels expanded (as ``_make_channel_priorities``)."""
    return tuple(unique(sub.name for chan in channels for sub in Channel(chan).channels))


def to_engine_record(record: PackageRecord, channel: str | None = None) -> RecordDict:
    """The engine's view of ``record``: plain repodata fields plus the channel key."""
    engine_record = RecordDict(
        name=record.name,
        version=record.version,
        build=record.build,
        build_number=record.build_number or 0,
        depends=list(record.depends or ()),
        constrains=list(record.constrains or ()),
        track_features=list(record.track_features or ()),
        features=list(record.features or ()),
        subdir=record.subdir,
        noarch=str(record.noarch.value) if record.noarch else None,
        timestamp=record.timestamp or 0,
        md5=record.get("md5", None),
        sha256=record.get("sha256", None),
        license=record.get("license", None),
        license_family=record.get("license_family", None),
        fn=record.fn,
        url=record.get("url", None),
        channel=channel if channel is not None else channel_key(record.channel),
    )
    engine_record.record = record
    return engine_record


class IndexSource:
    """Where one group of records came from, for the timing report and for tests.

    ``kind``: ``"repodata"`` (the fast path: ``path`` read by our loader, ``repo`` its
    ``RepodataRepo``), ``"subdir_data"``, ``"shards"`` or ``"prebuilt"``.
    """

    __slots__ = ("url", "kind", "path", "repo")

    def __init__(self, url: str | None, kind: str, path: str | None = None, repo=None):
        self.url, self.kind, self.path, self.repo = url, kind, path, repo

    @property
    def cache_status(self) -> str | None:
        """The parsed cache's answer (``hit``, ``written``, ...), fast path only."""
        return self.repo.cache_status if self.repo is not None else None

    def __repr__(self):
        return f"IndexSource({self.url!r}, {self.kind!r}, cache={self.cache_status!r})"


class SolverIndex:
    """Every record a solve may use, as engine repos and as conda records, per name.

    ``fast=False`` reads every channel through ``SubdirData`` (the reference the fast path
    is tested against). ``sources`` says where records came from; ``stats`` holds the
    seconds spent opening the index and materialising records, and how many.
    """

    def __init__(
        self,
        channels: Iterable,
        subdirs: Iterable[str],
        installed: Iterable[PackageRecord] = (),
        virtual: Iterable[PackageRecord] = (),
        prebuilt: dict | None = None,
        build_repodata_subset: Callable | None = None,
        root_names: Iterable[str] = (),
        fast: bool = True,
        exclude_newer=None,
    ):
        start = perf_counter()
        self.fast = fast
        self._newer = exclude_newer  # an active ExcludeNewerPolicy (newer.py), or None
        self.sources: list[IndexSource] = []
        self.stats = {"open_seconds": 0.0, "records_seconds": 0.0, "names": 0, "records": 0}
        self.channels = tuple(channels)
        self.subdirs = tuple(subdirs)
        self.channel_order = channel_order(self.channels)
        self._loaders: list[Callable[[str], list[RecordDict]]] = []
        self._name_sets: list[frozenset[str]] = []
        # per source: feature -> names with a record tracking it (the engine's pool asks, and
        # without an answer it would load every name to find out)
        self._trackings: list[Callable[[str], Iterable[str]]] = []
        # per source: name -> its records' best-first order, where the parsed cache has it
        self._orders: list[Callable[[str], Sequence[int] | None] | None] = []
        self._by_name: dict[str, list[RecordDict]] = {}
        self._per_source: dict[str, list[list[RecordDict]]] = {}
        self._installed_cache: dict[str, RecordDict] = {}
        self._installed = {rec.name: rec for rec in installed}
        self.virtual = tuple(to_engine_record(rec, VIRTUAL_CHANNEL) for rec in virtual)
        if prebuilt:
            self._add_prebuilt(prebuilt)
        else:
            covered = set()
            if build_repodata_subset is not None:
                covered = self._add_shards(build_repodata_subset, root_names)
            self._add_subdir_datas(url for url in self._urls() if url not in covered)
        self.repos = self._make_repos()
        self.stats["open_seconds"] = perf_counter() - start

    # region loading

    def _add_prebuilt(self, prebuilt: dict) -> None:
        grouped: dict[str, list[PackageRecord]] = defaultdict(list)
        for record in prebuilt.values() if isinstance(prebuilt, dict) else prebuilt:
            grouped[record.name].append(record)
        # classic solves over a prebuilt index as it is: no exclude_newer filter there
        self._add_source(frozenset(grouped), lambda name: grouped.get(name, ()),
                         _scan_tracking(lambda: grouped.items()), channel_records=False)
        self.sources.append(IndexSource(None, "prebuilt"))

    def _add_subdir_datas(self, urls: Iterable[str]) -> None:
        for url in urls:
            subdir_data = SubdirData(Channel(url), repodata_fn=REPODATA_FN)
            opened = _open_fast(subdir_data) if self.fast else None
            if opened is not None:
                self._add_fast(subdir_data, *opened)
            else:
                self._add_subdir_data(subdir_data)

    def _add_subdir_data(self, subdir_data: SubdirData) -> None:
        """Records through conda's ``SubdirData``, each a ``PackageRecord`` from the start."""
        try:
            if not subdir_data._loaded:
                subdir_data.load()
            names = getattr(subdir_data, "_names_index", None)
            if names is None:  # a SubdirData without the per-name index: scan it once
                names = {rec.name for rec in subdir_data.iter_records()}
        except CondaError:
            raise
        except CONDA_REFUSALS as exc:
            # conda's own reading refused the file (a foreign subdir, a field of the wrong
            # type) with a bare exception: a traceback for classic, a message here
            raise _conda_read_error(subdir_data, exc) from exc
        self._add_source(frozenset(names), partial(_query, subdir_data),
                         _scan_tracking(lambda: _subdir_data_groups(subdir_data)))
        self.sources.append(IndexSource(subdir_data.url_w_subdir, "subdir_data"))

    def _add_fast(self, subdir_data: SubdirData, repo, in_conda_cache: bool) -> None:
        """Records from our loader: engine dicts now, ``PackageRecord``s on demand."""
        channel = subdir_data.channel
        key = channel_key(channel)
        url = subdir_data.url_w_subdir

        orders: dict[str, Sequence[int]] = {}
        policy = self._newer
        kept_fields = None if policy is None else fields_filter(policy, channel)

        def load(name: str) -> list[RecordDict]:
            try:
                raw_records = repo.take(name)  # the views below are what is kept
            except RepodataError as exc:  # a record of the wrong shape, met lazily
                raise _read_error(repo.path, url, exc, in_conda_cache) from exc
            records = [engine_view(raw, channel, key) for raw in raw_records]
            if kept_fields is not None:
                kept = [rec for rec in records if _kept_view(policy, kept_fields, rec)]
                if len(kept) < len(records):
                    return kept  # the file's order no longer fits them: the pool sorts
            order = repo.best_first(name)
            # the file's order is the views' order: a record conda built the slow way may
            # hold values of its own (the one place a key could differ)
            if order is not None and all(type(rec) is LazyRecordDict for rec in records):
                orders[name] = order
            return records

        self._name_sets.append(frozenset(repo.names()))
        self._loaders.append(load)
        self._trackings.append(repo.names_tracking)  # from the parsed cache's header
        self._orders.append(orders.get)
        self.sources.append(IndexSource(url, "repodata", repo.path, repo))

    def _urls(self) -> list[str]:
        return list(
            unique(url for chan in self.channels for url in Channel(chan).urls(True, self.subdirs))
        )

    def _add_shards(self, build_repodata_subset: Callable, root_names: Iterable[str]) -> set:
        """Load the reachable subset from sharded repodata; return the URLs it covered.

        Only remote channels are asked: a local channel's repodata.json is cheap to read,
        and asking about it costs seconds. ``None`` from conda means "no shards anywhere".
        """
        channels = {url: Channel(url) for url in self._urls() if not url.startswith("file:")}
        if not channels:
            return set()
        subset = build_repodata_subset(tuple(root_names), channels)
        if subset is None:
            return set()
        grouped: dict[str, list[PackageRecord]] = defaultdict(list)
        for url, shards in subset.items():
            channel = channels.get(url) or Channel(url)
            for filename, raw in _preferred_artifacts(shards.iter_records()):
                record = _record_from_shard(raw, filename, shards.base_url, channel)
                grouped[record.name].append(record)
        self._add_source(frozenset(grouped), lambda name: grouped.get(name, ()),
                         _scan_tracking(lambda: grouped.items()))
        self.sources.extend(IndexSource(url, "shards") for url in subset)
        return set(subset)

    def _add_source(self, names: frozenset[str], query: Callable, tracking: Callable,
                    channel_records: bool = True) -> None:
        newer = self._newer if channel_records else None
        if newer is not None:
            query = (lambda name, everything=query: keep_records(newer, everything(name)))
        self._name_sets.append(names)
        self._loaders.append(lambda name: [to_engine_record(rec) for rec in query(name)])
        self._trackings.append(tracking)
        self._orders.append(None)

    def _make_repos(self) -> list[Repo]:
        repos = [
            Repo.from_loader(
                names, lambda name, i=index: self._source_records(i, name), tracking=tracking,
                order=order,
            )
            for index, (names, tracking, order) in enumerate(
                zip(self._name_sets, self._trackings, self._orders))
        ]
        installed_tracking = _scan_tracking(
            lambda: ((rec.name, (rec,)) for rec in self._installed.values())
        )
        repos.append(
            Repo.from_loader(self._installed, self._installed_only, tracking=installed_tracking)
        )
        if self.virtual:
            repos.append(Repo.from_records(self.virtual))
        return repos

    def _source_records(self, index: int, name: str) -> list[RecordDict]:
        self._load_name(name)
        return self._per_source[name][index]

    def _load_name(self, name: str) -> list[RecordDict]:
        """All channel records named ``name``, each converted once."""
        records = self._by_name.get(name)
        if records is None:
            start = perf_counter()
            per_source = [
                load(name) if name in names else []
                for names, load in zip(self._name_sets, self._loaders)
            ]
            self._per_source[name] = per_source
            records = self._by_name[name] = [rec for recs in per_source for rec in recs]
            stats = self.stats
            stats["records_seconds"] += perf_counter() - start
            stats["names"] += 1
            stats["records"] += len(records)
        return records

    def _installed_only(self, name: str) -> list[RecordDict]:
        """The installed record of ``name`` when no channel offers the same record."""
        installed = self._installed.get(name)
        if installed is None or self._channel_twin(installed) is not None:
            return []
        return [self._installed_record(installed)]

    # endregion
    # region lookups

    def _channel_twin(self, record: PackageRecord) -> RecordDict | None:
        # version and build first: equal records have equal ones, and the cheap test spares
        # building a PackageRecord for every other record of the name
        version, build = record.version, record.build
        for rec in self._load_name(record.name):
            if rec["version"] == version and rec["build"] == build and rec.record == record:
                return rec
        return None

    def _installed_record(self, record: PackageRecord) -> RecordDict:
        cached = self._installed_cache.get(record.name)
        if cached is None or cached.record is not record:
            cached = self._installed_cache[record.name] = to_engine_record(record)
        return cached

    def engine_record(self, record: PackageRecord) -> RecordDict:
        """The engine record for a conda record: the channel's copy, else the installed one."""
        for rec in self.virtual:
            if rec.record is record:
                return rec
        twin = self._channel_twin(record)
        return twin if twin is not None else self._installed_record(record)

    def records(self, name: str) -> list[PackageRecord]:
        """Every record named ``name``, channels first, then a lone installed one."""
        return list(self._iter_records(name))

    def _iter_records(self, name: str):
        for rec in self.engine_records(name):
            yield rec.record

    def engine_records(self, name: str):
        """``records(name)``'s engine records, in the same order, without building their
        ``PackageRecord``s."""
        yield from self._load_name(name)
        yield from self._installed_only(name)
        for rec in self.virtual:
            if rec["name"] == name:
                yield rec

    def sorted_records(self, name: str) -> list[PackageRecord]:
        """``records(name)``, best first by classic's preference (``version_key``)."""
        return sorted(self.records(name), key=self.version_key, reverse=True)

    def version_key(self, record: PackageRecord) -> tuple:
        """Classic's record preference: channel rank, version, build number, arch, time."""
        order = self.channel_order
        key = channel_key(record.channel)
        rank = order.index(key) if key in order else UNKNOWN_CHANNEL_RANK
        version = VersionOrder(record.version)
        noarch = -int(record.subdir == "noarch")
        if context.channel_priority == ChannelPriority.DISABLED:
            head = (version, -rank)
        else:
            head = (-rank, version)
        tail = (record.build,) if context.solver_ignore_timestamps else (
            record.timestamp or 0, record.build)
        return (*head, record.build_number or 0, noarch, *tail)

    def find_matches(self, spec: MatchSpec) -> list[PackageRecord]:
        """Records matching a named ``spec`` (an unnamed spec finds nothing here)."""
        name = spec.get_exact_value("name")
        if not name:
            return []
        return [rec for rec in self.records(name) if spec.match(rec)]

    def has_match(self, spec: MatchSpec) -> bool:
        """``bool(find_matches(spec))``, asked of the engine records with the engine's
        ``MatchSpec.match`` on ``spec_text(spec)``, as the solve matches them: no
        ``PackageRecord`` is built (the first records of a name in file order are often old
        ones, and each costs about 40 us). Where the engine cannot read the text or a
        record's version, conda matches, record by record."""
        name = spec.get_exact_value("name")
        if not name:
            return False
        try:
            return any(map(parse_spec(spec_text(spec)).match, self.engine_records(name)))
        except EngineError:  # a text or record version the engine cannot read
            return any(spec.match(rec) for rec in self._iter_records(name))

    # endregion


def _scan_tracking(groups: Callable[[], Iterable[tuple[str, Iterable]]]):
    """``names_tracking`` for a source whose records are all in memory already: one scan
    of their ``track_features``, on the first question (most solves never ask)."""
    index: dict | None = None

    def names_tracking(feature: str) -> frozenset[str]:
        nonlocal index
        if index is None:
            index = tracking_index(groups())
        return index.get(feature, frozenset())

    return names_tracking


def _subdir_data_groups(subdir_data: SubdirData):
    """(name, [record]) for every record of a loaded ``SubdirData``, without building the
    ``PackageRecord``s it has not built yet (its list holds raw dicts until then)."""
    records = getattr(subdir_data, "_package_records", None)
    items = getattr(records, "data", None)
    if items is None:
        items = subdir_data.iter_records()
    for item in items:
        yield item.get("name"), (item,)


# region the fast path


def _open_fast(subdir_data: SubdirData):
    """(our loader's repo over the repodata.json conda fetched for ``subdir_data``, whether
    that file is conda's cache), or None when conda's own reading must be used (see the
    module docstring)."""
    if subdir_data._loaded or not _conda_loading_is_stock():
        return None
    located = _locate_repodata(subdir_data)
    if located is None:
        return None
    path, cache_dir, etag, in_conda_cache = located
    channel = subdir_data.channel
    try:
        repo = load_repodata(
            path,
            channel_key(channel),
            base_url=subdir_data.url_w_credentials,
            subdir=channel.subdir,
            use_only_tar_bz2=bool(context.use_only_tar_bz2),
            add_pip=bool(context.add_pip_as_python_dependency),
            cache=cache_dir is not None,
            cache_dir=cache_dir,
            etag=etag,
        )
    except RepodataError as exc:
        raise _read_error(path, subdir_data.url_w_subdir, exc, in_conda_cache) from exc
    info = _repodata_info(repo)
    if info.get("base_url") or (info.get("subdir") or channel.subdir) != channel.subdir:
        # CEP-15 base_url: conda carries the channel's credentials over its own way; a
        # foreign subdir: conda raises. Either way conda's reading has the last word.
        log.debug("%s: info.base_url/subdir present, read through SubdirData", path)
        return None
    return repo, in_conda_cache


def _conda_loading_is_stock() -> bool:
    return SubdirData.load is _CONDA_LOAD and SubdirData._load is _CONDA_PRIVATE_LOAD


def _locate_repodata(subdir_data: SubdirData):
    """(path, parsed-cache dir, etag, whether the path is conda's cache) or None.

    A local channel is read in place unless ``use_index_cache`` asks for conda's copy; any
    other channel is fetched (or not, offline or within its TTL) by conda itself.
    """
    url = subdir_data.url_w_subdir
    if url.startswith("file://") and not context.use_index_cache:
        path = url_to_path(f"{url}/{REPODATA_FN}")
        # conda would prefer a repodata.json.zst beside it (context.repodata_use_zst): then
        # conda's copy is what conda reads, so it is what we read too
        zst_used = context.repodata_use_zst and os.path.exists(path + ".zst")
        if os.path.isfile(path) and not zst_used:
            return path, _conda_cache_dir(), None, False
    fetch = subdir_data.repo_fetch
    path, state = fetch.fetch_latest_path()
    if not path.is_file():  # conda answered "no repodata" (offline, no cache yet)
        return None
    if not state.should_check_format(FORMAT_JSON) and fetch.repo_cache.cache_path_shards.exists():
        return None  # conda answered "{}" for a shards-only channel, whatever the old file says
    # conda's cache file keeps its mtime until conda replaces it; the etag and
    # Last-Modified it recorded make the key change with the content, whatever the clock
    etag = f"{state.etag}\n{state.mod}"
    return str(path), str(path.parent), etag, True


def _conda_cache_dir() -> str | None:
    """conda's repodata cache directory, or None (no parsed cache) when it has none."""
    try:
        return create_cache_dir()
    except (CondaError, OSError) as exc:
        log.debug("no writable repodata cache directory (%s): parsed cache off", exc)
        return None


def _repodata_info(repo) -> dict:
    return repo.info or {}


def _read_error(path, url: str, exc: RepodataError, in_conda_cache: bool) -> RepodataReadError:
    return RepodataReadError(str(path), url, exc.reason, in_conda_cache)


def package_record(fields: dict, channel: Channel) -> PackageRecord:
    """The ``PackageRecord`` conda's ``SubdirData`` builds from an enriched record; a field
    conda refuses is a ``PackageRecordError`` naming the record, not conda's bare
    ``TypeError`` (its ``ValidationError`` is one)."""
    raw = fields
    fields = dict(fields)
    fields["channel"] = channel
    fields["schannel"] = channel.canonical_name
    try:
        return PackageRecord(**fields)
    except CONDA_REFUSALS as exc:
        raise record_error(raw, exc) from exc


_NOARCH = {"python": "python", "generic": "generic"}


def engine_view(raw: dict, channel: Channel, key: str) -> RecordDict:
    """The engine record of an enriched repodata record, without building its
    ``PackageRecord``: a copy of ``raw`` (one C-level copy, where building the fields of
    ``to_engine_record`` one by one cost four times as much).

    The engine reads ``raw``'s values in their repodata forms as conda's fields would hold
    them: a timestamp in milliseconds as seconds, ``track_features``/``features`` split,
    a missing build number as 0 (``tests/adapter/test_index_fast.py`` holds the two paths to
    that). A record whose values are not in the plain forms it reads (a legacy ``noarch``, a
    ``date`` instead of a timestamp where conda reads one from it, no build number, features
    of other types, a channel other than ``key``) is built the slow way, so the two always
    agree.
    """
    noarch = raw.get("noarch")
    timestamp = raw.get("timestamp")
    track_features = raw.get("track_features")
    features = raw.get("features")
    if not (
        (noarch is None or (type(noarch) is str and noarch in _NOARCH))
        and (type(timestamp) in (int, float)
             or (timestamp is None and ("date" not in raw or not _date_gives_timestamp())))
        and "build_number" in raw
        and (track_features is None or _plain_features(track_features))
        and (features is None or _plain_features(features))
        and raw.get("channel") == key
    ):
        return to_engine_record(package_record(raw, channel), key)
    view = LazyRecordDict(raw)
    view._channel, view._built = channel, None
    return view


@cache
def _date_gives_timestamp() -> bool:
    """Whether this conda's ``PackageRecord`` takes a timestamp from ``date`` when it has
    none (``TimestampField``'s fallback). Where its default of 0 wins instead (conda 26),
    such a record's engine view reads as ``to_engine_record`` would without building it:
    the old channels whose every record is dated (conda's ``index2.json``) stay fast."""
    probe = PackageRecord(name="probe", version="1", build="0", build_number=0,
                          channel="probe", subdir="noarch", fn="probe-1-0.tar.bz2",
                          date="2016-05-04")
    return probe.timestamp != 0


def _kept_view(policy, kept_fields: Callable, record: RecordDict) -> bool:
    """The exclude_newer verdict on a fast-path record (``kept_fields``: ``fields_filter``'s
    for its channel), without building its ``PackageRecord`` when it has none yet."""
    if type(record) is LazyRecordDict and record._built is None:
        return kept_fields(record)
    return policy.should_include(record.record)


def _plain_features(value) -> bool:
    if value is None or type(value) is str:
        return True
    return type(value) in (list, tuple) and all(type(item) is str for item in value)


# endregion


def _preferred_artifacts(entries):
    """One artifact per package: ``.conda`` over ``.tar.bz2``, as ``SubdirData`` chooses,
    unless ``use_only_tar_bz2`` is set."""
    chosen: dict[str, tuple[str, dict]] = {}
    only_bz2 = context.use_only_tar_bz2
    for filename, raw in entries:
        is_conda = filename.endswith(".conda")
        if only_bz2 and is_conda:
            continue
        stem = filename[: -len(".conda")] if is_conda else filename.removesuffix(".tar.bz2")
        if stem not in chosen or is_conda:
            chosen[stem] = (filename, raw)
    return chosen.values()


def _conda_read_error(subdir_data: SubdirData, exc: Exception) -> RepodataReadError:
    """``RepodataReadError`` for a repodata.json conda's ``SubdirData`` could not read."""
    url = subdir_data.url_w_subdir
    if url.startswith("file://"):
        path, in_conda_cache = url_to_path(f"{url}/{REPODATA_FN}"), False
    else:
        path, in_conda_cache = str(subdir_data.cache_path_json), True
    return RepodataReadError(path, url, f"conda cannot read it ({first_line(exc)})",
                             in_conda_cache)


def _query(subdir_data: SubdirData, name: str):
    """``subdir_data.query(name)``, where conda's refusal to build a record of that name (a
    field of the wrong type: conda's bare ``TypeError``) is a ``PackageRecordError``."""
    try:
        return tuple(subdir_data.query(name))
    except CONDA_REFUSALS as exc:
        raise conda_refusal(f"named {name!r} in {subdir_data.url_w_subdir}", exc) from exc


def _record_from_shard(raw: dict, filename: str, base_url: str, channel: Channel):
    """A ``PackageRecord`` from a raw shard entry (shards are not enriched by conda).

    ``pip`` joins python's dependencies when ``add_pip_as_python_dependency`` is set, as
    ``SubdirData`` does for repodata.json.
    """
    fields = dict(raw)
    if (
        context.add_pip_as_python_dependency
        and fields.get("name") == "python"
        and str(fields.get("version", "")).startswith(("2.", "3."))
    ):
        fields["depends"] = [*fields.get("depends", ()), "pip"]
    fields.setdefault("fn", filename)
    fields.setdefault("url", f"{base_url.rstrip('/')}/{filename}")
    fields.setdefault("subdir", channel.subdir)
    raw = dict(fields)
    fields["channel"] = channel
    try:
        return PackageRecord(**fields)
    except CONDA_REFUSALS as exc:
        raise record_error(raw, exc) from exc
