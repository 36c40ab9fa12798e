"""Where the engine gets package records: a ``Repo`` answers "which records are named X?".

A repo holds plain repodata dicts (see ``docs/dev/engine-api.md``) and hands them out per
package name, so that a solve only ever touches the names it reaches. ``from_records`` wraps
records already in memory; ``from_loader`` defers to a function, which is how the lazy,
cached repodata reader (``repodata.py``) plugs in.

One question cannot be answered per name: which names have a record tracking a feature
(classic's index sees every tracker of a feature, so a solve that meets one must load them
all). A lazy repo answers it from a ``tracking`` function its source provides; without one it
falls back to loading every name, which is correct and slow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence


class Repo:
    """Records grouped by package name, loaded on first request per name."""

    __slots__ = ("_by_name", "_load", "_names", "_tracking", "_tracking_index", "_order")

    def __init__(
        self,
        load: Callable[[str], list[dict]] | None = None,
        names: Iterable[str] | None = None,
        by_name: dict[str, list[dict]] | None = None,
        tracking: Callable[[str], Iterable[str]] | None = None,
        order: Callable[[str], Sequence[int] | None] | None = None,
    ):
        self._by_name: dict[str, list[dict]] = by_name if by_name is not None else {}
        self._load = load
        self._names = frozenset(names) if names is not None else None
        self._tracking = tracking
        self._tracking_index: dict[str, frozenset[str]] | None = None
        self._order = order

    @classmethod
    def from_records(cls, records: Iterable[dict]) -> Repo:
        by_name: dict[str, list[dict]] = {}
        for record in records:
            by_name.setdefault(record["name"], []).append(record)
        return cls(by_name=by_name, names=by_name)

    @classmethod
    def from_loader(
        cls,
        names: Iterable[str],
        load: Callable[[str], list[dict]],
        tracking: Callable[[str], Iterable[str]] | None = None,
        order: Callable[[str], Sequence[int] | None] | None = None,
    ) -> Repo:
        """``tracking(feature)``: the names with a record tracking ``feature``;
        ``order(name)``: ``best_first``'s answer, asked after ``load(name)``."""
        return cls(load=load, names=names, tracking=tracking, order=order)

    def names(self) -> frozenset[str]:
        """Every package name this repo can give records for."""
        if self._names is None:
            return frozenset(self._by_name)
        return self._names

    def get(self, name: str) -> list[dict]:
        """The records named ``name`` (an empty list when there are none)."""
        records = self._by_name.get(name)
        if records is None:
            if self._load is None or (self._names is not None and name not in self._names):
                records = []
            else:
                records = self._load(name)
            self._by_name[name] = records
        return records

    def take(self, name: str) -> list[dict]:
        """``get(name)`` for a caller that keeps what it makes of the records: a lazy repo
        does not keep them (nor a list it had kept), so they can be freed. A repo of
        records in memory has no other copy: it keeps them."""
        if self._load is None:
            return self.get(name)
        records = self._by_name.pop(name, None)
        if records is not None:
            return records
        if self._names is not None and name not in self._names:
            return []
        return self._load(name)

    def best_first(self, name: str) -> Sequence[int] | None:
        """Positions in ``get(name)``'s list, best first by classic's ``version_key``, when the
        source knows them (records of one channel and subdir, each version and build once:
        the order ``Pool.group`` sorts them into); None when it does not. Ask after ``get``."""
        return self._order(name) if self._order is not None else None

    def names_tracking(self, feature: str) -> frozenset[str]:
        """The names with a record whose ``track_features`` include ``feature``."""
        if self._tracking is not None:
            return frozenset(self._tracking(feature))
        if self._tracking_index is None:
            self._tracking_index = tracking_index(
                (name, self.get(name)) for name in sorted(self.names())
            )
        return self._tracking_index.get(feature, frozenset())


def split_features(value) -> tuple:
    """``track_features``/``features`` as classic boxes them: split on spaces and commas."""
    if not value:
        return ()
    if isinstance(value, str):
        value = value.replace(" ", ",").split(",")
    elif isinstance(value, (set, frozenset)):
        value = sorted(value)  # a spec's raw value: make the order independent of hashing
    return tuple(f for f in (part.strip() for part in value) if f)


def tracking_index(groups: Iterable[tuple[str, Iterable[dict]]]) -> dict[str, frozenset[str]]:
    """feature -> the names (of ``(name, records)`` pairs) with a record tracking it."""
    index: dict[str, set[str]] = {}
    for name, records in groups:
        for record in records:  # once per record of a channel on a cold load: few track any
            value = record.get("track_features")
            if value:
                try:
                    features = split_features(value)
                except (TypeError, AttributeError):
                    continue  # unreadable: the pool names the record if a solve reaches it
                for feature in features:
                    index.setdefault(feature, set()).add(name)
    return {feature: frozenset(names) for feature, names in index.items()}
