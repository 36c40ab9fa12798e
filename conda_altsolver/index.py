"""The package index: channels x subdirs turned into engine ``Repo``s, loaded per name.

Where records come from, in order:

1. ``solver._index`` when a caller (conda-build) set it after construction;
2. sharded repodata through conda's ``build_repodata_subset`` when conda handed us one and
   the channels have shards (it returns ``None`` otherwise);
3. conda's ``SubdirData`` for every URL of ``Channel(c).urls(True, subdirs)``, always the full
   ``repodata.json``: a ``current_repodata.json`` request is served from it, since one full
   solve is cheaper than a retry. conda's tests inject their channels into
   ``SubdirData._cache_``, so reading through ``SubdirData`` sees them.

Classic does not add ``noarch`` to the subdirs; conda's callers pass it, so neither do we.

Installed records that no channel provides are added (the engine can then keep them), and
virtual packages are records of channel ``@``. Each engine record is a ``RecordDict`` that
remembers its conda ``PackageRecord``, so a solution maps back without a lookup.

Channel names: records carry ``Channel.name`` (``channel-1``, ``conda-forge``, ``pkgs/main``),
the key classic's ``Resolve.version_key`` ranks channels by. (The canonical name would give the
same answer for hosted channels but a full ``file://`` URL for local ones, and conda's tests
serve a local channel's records under the hosted URL.)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from logging import getLogger
from typing import TYPE_CHECKING

from conda.base.constants import REPODATA_FN, ChannelPriority
from conda.base.context import context
from conda.common.iterators import unique
from conda.core.subdir_data import SubdirData
from conda.models.channel import Channel
from conda.models.match_spec import MatchSpec
from conda.models.records import PackageRecord
from conda.models.version import VersionOrder

from .engine.repo import Repo

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


def channel_key(channel) -> str:
    """The name a record's channel is ranked and matched by (see the module docstring)."""
    if channel is None:
        return ""
    if isinstance(channel, str):
        channel = Channel(channel)
    return channel.name or channel.canonical_name or ""


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
        fn=record.fn,
        url=record.get("url", None),
        channel=channel if channel is not None else channel_key(record.channel),
    )
    engine_record.record = record
    return engine_record


class SolverIndex:
    """Every record a solve may use, as engine repos and as conda records, per name."""

    def __init__(
        self,
        channels: Iterable,
        subdirs: Iterable[str],
        installed: Iterable[PackageRecord] = (),
        virtual: Iterable[PackageRecord] = (),
        prebuilt: dict | None = None,
        build_repodata_subset: Callable | None = None,
        root_names: Iterable[str] = (),
    ):
        self.channels = tuple(channels)
        self.subdirs = tuple(subdirs)
        self.channel_order = channel_order(self.channels)
        self._loaders: list[Callable[[str], list[RecordDict]]] = []
        self._name_sets: list[frozenset[str]] = []
        self._by_name: dict[str, list[RecordDict]] = {}
        self._per_source: dict[str, list[list[RecordDict]]] = {}
        self._installed_cache: dict[str, RecordDict] = {}
        self._dep_specs: dict[str, MatchSpec] = {}
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

    # region loading

    def _add_prebuilt(self, prebuilt: dict) -> None:
        grouped: dict[str, list[PackageRecord]] = defaultdict(list)
        for record in prebuilt.values() if isinstance(prebuilt, dict) else prebuilt:
            grouped[record.name].append(record)
        self._add_source(frozenset(grouped), lambda name: grouped.get(name, ()))

    def _add_subdir_datas(self, urls: Iterable[str]) -> None:
        for url in urls:
            subdir_data = SubdirData(Channel(url), repodata_fn=REPODATA_FN)
            if not subdir_data._loaded:
                subdir_data.load()
            names = getattr(subdir_data, "_names_index", None)
            if names is None:  # a SubdirData without the per-name index: scan it once
                names = {rec.name for rec in subdir_data.iter_records()}
            self._add_source(frozenset(names), lambda name, sd=subdir_data: sd.query(name))

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
        self._add_source(frozenset(grouped), lambda name: grouped.get(name, ()))
        return set(subset)

    def _add_source(self, names: frozenset[str], query: Callable) -> None:
        self._name_sets.append(names)
        self._loaders.append(lambda name: [to_engine_record(rec) for rec in query(name)])

    def _make_repos(self) -> list[Repo]:
        repos = [
            Repo.from_loader(names, lambda name, i=index: self._source_records(i, name))
            for index, names in enumerate(self._name_sets)
        ]
        repos.append(Repo.from_loader(self._installed, self._installed_only))
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
            per_source = [
                load(name) if name in names else []
                for names, load in zip(self._name_sets, self._loaders)
            ]
            self._per_source[name] = per_source
            records = self._by_name[name] = [rec for recs in per_source for rec in recs]
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
        for rec in self._load_name(record.name):
            if rec.record == record:
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
        found = [rec.record for rec in self._load_name(name)]
        found += [rec.record for rec in self._installed_only(name)]
        found += [rec.record for rec in self.virtual if rec["name"] == name]
        return found

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

    def package_pool(self, specs: Iterable[MatchSpec]) -> dict[str, set[PackageRecord]]:
        """Records per name reachable from ``specs`` through dependencies.

        An approximation of classic's ``_get_package_pool`` (its reduced index): the records
        matching the specs, then for each dependency name the records matching any dependency
        spec met on the way. Each distinct dependency string is parsed and walked once.
        """
        pool: dict[str, set[PackageRecord]] = {}
        queue: list = [MatchSpec(spec) for spec in specs]
        seen: set = set()
        while queue:
            item = queue.pop()
            if item in seen:
                continue
            seen.add(item)
            spec = item if isinstance(item, MatchSpec) else self._parse_dep(item)
            name = spec.get_exact_value("name")
            if not name:
                continue
            known = pool.setdefault(name, set())
            new = {rec for rec in self.records(name) if spec.match(rec)} - known
            known.update(new)
            for rec in new:
                queue.extend(dep for dep in rec.depends if dep not in seen)
        return {name: records for name, records in pool.items() if records}

    def _parse_dep(self, text: str) -> MatchSpec:
        spec = self._dep_specs.get(text)
        if spec is None:
            spec = self._dep_specs[text] = MatchSpec(text)
        return spec

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
    fields["channel"] = channel
    return PackageRecord(**fields)
