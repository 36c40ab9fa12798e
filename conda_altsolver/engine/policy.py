"""Preference policy: ``Policy`` and classic's ``version_key`` and channel ranks.

Classic (``conda/resolve.py``, ``Resolve.version_key`` and ``_make_channel_priorities``) sorts
every package name's records best-first by::

    [valid, -channel_priority, version, build_number, -(subdir == "noarch"), timestamp, build]

with version and channel swapped when channel priority is disabled and the timestamp dropped
when timestamps are ignored. The rank objectives walk that order and bump one counter per key
position that changes (see ``optimize.version_metrics``). This module owns only the key.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter

from .version import cached_key, version_key

#: classic's MAX_CHANNEL_PRIORITY: priorities are capped one below it.
MAX_CHANNEL_PRIORITY = 10000
#: a channel missing from ``channel_order`` ranks 1 (classic's quirk, ``resolve.py`` version_key)
MISSING_CHANNEL_PRIORITY = 1
#: timestamps above this are milliseconds (``records.py`` TimestampField)
_MAX_SECONDS = 253402300799

#: key positions, used by the rank walk
KEY_CHANNEL, KEY_VERSION, KEY_BUILD_NUMBER, KEY_NOARCH, KEY_TIMESTAMP = 1, 2, 3, 4, 5


@dataclass(frozen=True)
class Policy:
    """How candidates are preferred: channel order and priority mode, timestamps; and which
    index classic would hold.

    ``index_roots`` (names) and ``index_root_features``: when given, the index is the one
    conda's solver builds (``ReducedIndex``), grown from these by dependency names and
    ``track_features``, not the repos' every record (classic's ``Resolve`` over a full index,
    the default). Two things follow for features: a feature's trackers are there only when
    that growth reaches one (a record's ``features`` do not pull them in); and every
    feature has its ``feature@`` record, which reductions leave out unless the feature is
    requested (classic's ``default_filter``) but the conflict search over the whole index
    sees, so that a feature dependency never fails there.
    """

    channel_order: tuple = ()
    channel_priority: str = "flexible"  # "strict" | "flexible" | "disabled"
    ignore_timestamps: bool = False
    index_roots: tuple | None = None
    index_root_features: tuple = ()

    def __post_init__(self):
        if self.channel_priority not in ("strict", "flexible", "disabled"):
            raise ValueError(f"unknown channel_priority: {self.channel_priority!r}")
        object.__setattr__(self, "channel_order", tuple(self.channel_order))
        if self.index_roots is not None:
            object.__setattr__(self, "index_roots", tuple(sorted(set(self.index_roots))))
        object.__setattr__(self, "index_root_features",
                           tuple(sorted(set(self.index_root_features))))

    @property
    def grown_index(self) -> bool:
        """Whether the index is conda's ``ReducedIndex`` (see ``index_roots``)."""
        return self.index_roots is not None

    @property
    def strict(self) -> bool:
        return self.channel_priority == "strict"

    def channel_priorities(self) -> dict[str, int]:
        """Channel name -> priority (0 is best), first occurrence wins, capped like classic."""
        priorities: dict[str, int] = {}
        for counter, name in enumerate(self.channel_order):
            if name not in priorities:
                priorities[name] = min(counter, MAX_CHANNEL_PRIORITY - 1)
        return priorities


def make_version_key(policy: Policy):
    """Return ``key(record) -> tuple``: classic's ``version_key`` (larger is better); see
    ``make_group_keys``, which keys many records at once."""
    keys = make_group_keys(policy)

    def key(record: dict) -> tuple:
        return keys((record,))[0]

    return key


def make_group_keys(policy: Policy):
    """Return ``keys(records) -> list``: classic's ``version_key`` of each record (larger is
    better): (valid channel, channel rank, version, build number, arch over noarch,
    timestamp, build), with version before channel when channel priority is disabled and no
    timestamp when timestamps are ignored. One loop over many records: the pool keys every
    record it loads, and a call per record costs a third more."""
    priorities = policy.channel_priorities()
    disabled = policy.channel_priority == "disabled"
    ignore_timestamps = policy.ignore_timestamps
    missing, top = MISSING_CHANNEL_PRIORITY, MAX_CHANNEL_PRIORITY

    def keys(records) -> list:
        out = []
        append = out.append
        for record in records:
            get = record.get
            priority = priorities.get(get("channel"), missing)
            version = version_key(get("version") or "")
            build_number = get("build_number") or 0
            noarch = -1 if get("subdir") == "noarch" else 0
            build = get("build") or ""
            valid = 1 if priority < top else 0
            if ignore_timestamps:
                if disabled:
                    append((valid, version, -priority, build_number, noarch, build))
                else:
                    append((valid, -priority, version, build_number, noarch, build))
                continue
            timestamp = get("timestamp") or 0
            if timestamp > _MAX_SECONDS:
                timestamp /= 1000
            if disabled:
                append((valid, version, -priority, build_number, noarch, timestamp, build))
            else:
                append((valid, -priority, version, build_number, noarch, timestamp, build))
        return out

    return keys


def make_one_channel_keys(policy: Policy):
    """Return ``keys(records) -> list`` for records of one channel: keys that sort them as
    ``make_group_keys``' do (same order, same ties), without the parts one channel makes
    equal (its validity and rank): (version, build number, arch over noarch, timestamp,
    build), no timestamp when timestamps are ignored. The pool sorts most names with these:
    a name seldom spans channels."""
    ignore_timestamps = policy.ignore_timestamps
    known = cached_key

    def keys(records) -> list:
        out = []
        append = out.append
        for record in records:
            get = record.get
            text = get("version") or ""
            version = known(text)
            if version is None:
                version = version_key(text)
            noarch = -1 if get("subdir") == "noarch" else 0
            if ignore_timestamps:
                append((version, get("build_number") or 0, noarch, get("build") or ""))
                continue
            timestamp = get("timestamp") or 0
            if timestamp > _MAX_SECONDS:
                timestamp /= 1000
            append((version, get("build_number") or 0, noarch, timestamp, get("build") or ""))
        return out

    return keys


def one_channel_order(records) -> list[int]:
    """Positions of ``records`` best first, for records of one channel and one subdir: there
    classic's key ties on the channel and arch parts, so this is the order ``make_group_keys``
    sorts them into (timestamps on; equal keys keep their positions' order), from the parts
    that differ. The repodata cache works it out for a large file's names once, when written,
    from records that may still carry a subdir of their own (hence the arch part left out).
    """
    keys = list(map(_ONE_CHANNEL_PARTS, _TIMESTAMPED_KEYS(records)))
    return sorted(range(len(keys)), key=keys.__getitem__, reverse=True)


_TIMESTAMPED_KEYS = make_group_keys(Policy())  # channel first, timestamps on
_ONE_CHANNEL_PARTS = itemgetter(KEY_VERSION, KEY_BUILD_NUMBER, KEY_TIMESTAMP, KEY_TIMESTAMP + 1)
