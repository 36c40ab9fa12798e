"""conda's ``exclude_newer`` policy on the index: channel records newer than their cutoff are
left out as they load, as classic's index leaves them out.

conda resolves ``--exclude-newer`` / ``exclude_newer``, ``exclude_newer_package`` and the
``exclude_newer`` of ``channel_settings`` into one ``ExcludeNewerPolicy`` (``conda.core.
exclude_newer``), and a solver says which of the three it honours. classic honours all three
by filtering the records its ``ReducedIndex`` reads from channels, never the installed ones
nor virtual packages; conda then checks the answer (``_validate_exclude_newer_link_precs``).
The verdict here is conda's own ``should_include``, asked of each channel record: of its
``PackageRecord`` where one exists, else of a mapping of the fields that verdict reads, taken
from the record as conda's ``SubdirData`` enriched it (the ``PackageRecord`` it would build
has the same values). A conda without the policy has nothing to apply.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

_PACKAGE_SUFFIXES = (".conda", ".tar.bz2")


def active_policy(solver):
    """The solver's ``exclude_newer`` policy when it excludes anything, else None."""
    policy = getattr(solver, "exclude_newer_policy", None)
    return policy if policy is not None and policy.active else None


def keep_records(policy, records: Iterable) -> list:
    """The ``PackageRecord``s the policy keeps, in order."""
    return [record for record in records if policy.should_include(record)]


def fields_filter(policy, channel) -> Callable[[dict], bool]:
    """A test of an enriched repodata record of ``channel`` (one whose URL lies under the
    channel's, as the fast path reads): whether the policy keeps the record conda would
    build from it.

    Matching a channel setting against a record costs conda a ``Channel`` per record: where
    the settings give every record of the channel the same cutoff, it is resolved once, and
    each record then only meets its package's cutoff or the channel's."""
    schannel = channel.canonical_name
    judged = _for_channel(policy, {"channel": channel, "schannel": schannel}) or policy

    def kept(fields: dict) -> bool:
        return judged.should_include({
            "name": fields.get("name"),
            "channel": channel,
            "schannel": schannel,
            "url": fields.get("url"),
            "timestamp": fields.get("timestamp"),
            "indexed_timestamp": fields.get("indexed_timestamp"),
        })

    return kept


def _for_channel(policy, channel_probe: dict):
    """The policy with its channel settings resolved for one channel (the cutoff of the last
    setting matching it made the global one, no settings left), or None when there is nothing
    to resolve or a setting may match some of the channel's records and not others.

    Every record of the channel has the keys ``channel_probe`` has (its channel's), so a
    setting matching the probe matches each record. One that does not could still match a
    record by what only that record has, its own URL: through a URL glob, or a key naming a
    package file."""
    settings = getattr(policy, "channel_cutoffs", None)
    if not settings or not dataclasses.is_dataclass(policy):
        return None  # the policy is already cheap, or not the one this was written for
    cutoff = policy.global_cutoff
    for setting in reversed(settings):  # conda's order: the last matching setting wins
        if setting.matches(channel_probe):
            cutoff = setting.cutoff
            break
        if _may_match_a_record(setting):
            return None
    try:
        return dataclasses.replace(policy, global_cutoff=cutoff, channel_cutoffs=())
    except TypeError:  # other fields than conda's today: judge record by record
        return None


def _may_match_a_record(setting) -> bool:
    selector = getattr(setting, "selector", None)
    keys = getattr(selector, "keys", None)
    if keys is None:
        return True  # a conda whose settings look otherwise: judge record by record
    return getattr(selector, "url_pattern", True) is not None or any(
        key.endswith(_PACKAGE_SUFFIXES) for key in keys)
