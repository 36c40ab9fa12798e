"""The engine's exceptions: every failure the engine reports, as plain data.

The adapter turns these into conda exceptions (``conda_altsolver/errors.py``); nothing here
knows conda.
"""

from __future__ import annotations


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""


class InvalidVersion(EngineError, ValueError):
    """A version string that conda's ``VersionOrder`` rejects."""


class InvalidSpec(EngineError, ValueError):
    """A version spec or match spec that conda rejects."""


class InvalidRecord(EngineError):
    """A package record with a field the engine cannot read: a value of the wrong type, or a
    version conda's ``VersionOrder`` rejects. ``record``: the record (its dict); ``field``:
    the field; ``reason``: what is wrong with its value. The message names the record by its
    URL (or file name) and says what is wrong."""

    def __init__(self, record, field: str, reason: str):
        self.record = record
        self.field = field
        self.reason = reason
        super().__init__(f"package record {record_label(record)}: {field!r} {reason}")


def record_label(record) -> str:
    """How a message names a record: its URL, else its file name, else name-version-build."""
    get = record.get if isinstance(record, dict) else (lambda _field: None)
    for field in ("url", "fn"):
        value = get(field)
        if value and isinstance(value, str):
            return value
    return "-".join(str(get(field)) for field in ("name", "version", "build"))


class PackagesNotFound(EngineError):
    """A required spec has no candidate in any repo.

    ``specs``: the spec strings with no candidate; ``chains``: tuples of spec strings from a
    request down to the missing spec.
    """

    def __init__(self, specs, chains=()):
        self.specs = tuple(specs)
        self.chains = tuple(tuple(c) for c in chains)
        super().__init__("no candidates for: " + ", ".join(self.specs))


class Unsatisfiable(EngineError):
    """No solution exists.

    ``core``: the input specs involved; ``chains``: tuples of spec strings in the form of
    conda's ``UnsatisfiableError``; ``bad_deps``: those chains sorted into classic's kinds
    (``chains.classify_chains``); ``explanation``: text for a person; ``tree``: the
    derivation tree behind the explanation (``None`` when not built).

    ``classic``, when given, is called on the first read of ``chains`` or ``bad_deps`` and
    returns both: classic's chains walk the dependency graph of every request, and only a
    caller that shows classic's error (the adapter, at once) reads them. That read raises
    ``PackagesNotFound`` where classic's conflict map raises ``ResolvePackageNotFound``
    instead (``chains.classic_chains``).
    """

    def __init__(self, core=(), chains=(), explanation="", tree=None, classic=None):
        self.core = tuple(core)
        self.explanation = explanation
        self.tree = tree
        self._classic = classic
        self._chains = tuple(tuple(c) for c in chains)
        self._bad_deps: dict = {}
        super().__init__(explanation or "the request is unsatisfiable")

    @property
    def chains(self) -> tuple:
        self._read_classic()
        return self._chains

    @property
    def bad_deps(self) -> dict:
        self._read_classic()
        return self._bad_deps

    def _read_classic(self) -> None:
        if self._classic is not None:
            chains, self._bad_deps = self._classic()
            self._chains = tuple(tuple(c) for c in chains)
            self._classic = None
