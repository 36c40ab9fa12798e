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

from collections.abc import Iterable


def active_policy(solver):
    """The solver's ``exclude_newer`` policy when it excludes anything, else None."""
    policy = getattr(solver, "exclude_newer_policy", None)
    return policy if policy is not None and policy.active else None


def keep_records(policy, records: Iterable) -> list:
    """The ``PackageRecord``s the policy keeps, in order."""
    return [record for record in records if policy.should_include(record)]


def keep_fields(policy, fields: dict, channel) -> bool:
    """Whether the policy keeps the record conda would build from ``fields`` (an enriched
    repodata record) and its ``channel``."""
    return policy.should_include({
        "name": fields.get("name"),
        "channel": channel,
        "schannel": channel.canonical_name,
        "url": fields.get("url"),
        "timestamp": fields.get("timestamp"),
        "indexed_timestamp": fields.get("indexed_timestamp"),
    })
