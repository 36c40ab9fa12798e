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

from .version import parse_version

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
    """How candidates are preferred: channel order and priority mode, timestamps."""

    channel_order: tuple = ()
    channel_priority: str = "flexible"  # "strict" | "flexible" | "disabled"
    ignore_timestamps: bool = False

    def __post_init__(self):
        if self.channel_priority not in ("strict", "flexible", "disabled"):
            raise ValueError(f"unknown channel_priority: {self.channel_priority!r}")
        object.__setattr__(self, "channel_order", tuple(self.channel_order))

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


def record_timestamp(record: dict):
    """The record's timestamp in seconds (milliseconds are divided, as classic does)."""
    value = record.get("timestamp") or 0
    if value > _MAX_SECONDS:
        value /= 1000
    return value


def make_version_key(policy: Policy):
    """Return ``key(record) -> tuple``: classic's ``version_key`` (larger is better)."""
    priorities = policy.channel_priorities()
    disabled = policy.channel_priority == "disabled"
    ignore_timestamps = policy.ignore_timestamps

    def key(record: dict) -> tuple:
        priority = priorities.get(record.get("channel"), MISSING_CHANNEL_PRIORITY)
        valid = 1 if priority < MAX_CHANNEL_PRIORITY else 0
        version = parse_version(record.get("version") or "")
        build_number = record.get("build_number") or 0
        noarch = -int(record.get("subdir") == "noarch")
        build = record.get("build") or ""
        if disabled:
            head = (valid, version, -priority, build_number, noarch)
        else:
            head = (valid, -priority, version, build_number, noarch)
        if ignore_timestamps:
            return head + (build,)
        return head + (record_timestamp(record), build)

    return key
