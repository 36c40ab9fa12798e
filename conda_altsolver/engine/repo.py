"""Where the engine gets package records: a ``Repo`` answers "which records are named X?".

A repo holds plain repodata dicts (see ``docs/dev/engine-api.md``) and hands them out per
package name, so that a solve only ever touches the names it reaches. ``from_records`` wraps
records already in memory; ``from_loader`` defers to a function, which is how the lazy,
cached repodata reader (``repodata.py``) plugs in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable


class Repo:
    """Records grouped by package name, loaded on first request per name."""

    __slots__ = ("_by_name", "_load", "_names")

    def __init__(
        self,
        load: Callable[[str], list[dict]] | None = None,
        names: Iterable[str] | None = None,
        by_name: dict[str, list[dict]] | None = None,
    ):
        self._by_name: dict[str, list[dict]] = by_name if by_name is not None else {}
        self._load = load
        self._names = frozenset(names) if names is not None else None

    @classmethod
    def from_records(cls, records: Iterable[dict]) -> Repo:
        by_name: dict[str, list[dict]] = {}
        for record in records:
            by_name.setdefault(record["name"], []).append(record)
        return cls(by_name=by_name, names=by_name)

    @classmethod
    def from_loader(cls, names: Iterable[str], load: Callable[[str], list[dict]]) -> Repo:
        return cls(load=load, names=names)

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
