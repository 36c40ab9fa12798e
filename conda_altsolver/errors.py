"""Engine failures turned into the conda exceptions conda's callers and users expect.

* a spec with no candidate anywhere: ``ResolvePackageNotFound`` for a requested spec (classic's
  package pool of the request raises it first) and for a dependency deep in the graph
  (conda-build catches exactly that one); ``PackagesNotFoundInChannelsError`` for another
  spec the solve keeps, a history spec for one (classic's ``_run_sat`` check);
* no solution: ``UnsatisfiableError`` built from the engine's conflict chains, classified as
  classic classifies them (python, history, virtual package, direct), so its text is
  classic's; the engine's own explanation is attached as ``.explanation`` and appended;
* a version or spec the engine rejects: conda's ``InvalidVersionSpec`` / ``InvalidMatchSpec``,
  so that bad input is a message, never a traceback;
* a package record with a field the engine, or conda's ``PackageRecord``, cannot read:
  ``PackageRecordError``, naming the record (its URL) and the field.

``allow_retry`` (read by ``conda.cli.install``) is set to ``False`` when retrying cannot help.
Nothing here parses message text: the engine hands over structured chains.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Mapping
from logging import getLogger
from pathlib import Path

from conda.base.constants import ChannelPriority
from conda.base.context import context
from conda.exceptions import (
    CondaError,
    InvalidMatchSpec,
    InvalidVersionSpec,
    PackagesNotFoundInChannelsError,
    ResolvePackageNotFound,
    UnsatisfiableError,
)
from conda.models.match_spec import MatchSpec
from conda.models.records import PrefixRecord

from .engine import InvalidRecord, InvalidSpec, InvalidVersion, PackagesNotFound, Unsatisfiable
from .engine.errors import record_label
from .engine.record_check import record_problem

log = getLogger("conda.altsolver.errors")


#: what conda's own reading of a malformed record raises (its ``ValidationError`` is a
#: ``TypeError``): caught where conda reads records for us, and turned into a message
CONDA_REFUSALS = (TypeError, ValueError, AttributeError, KeyError, OverflowError)


class PackageRecordError(CondaError):
    """A package record (of a channel's repodata, or of an environment) that cannot be used:
    a field of the wrong type, or a version conda rejects. Classic fails on such a record
    with whatever ``PackageRecord`` or ``VersionOrder`` raises, often as a traceback."""

    def __init__(self, record: str, reason: str):
        message = "The package record %(record)s cannot be used: %(reason)s."
        super().__init__(message, record=record, reason=reason)
        self.allow_retry = False


def record_error(fields, exc: Exception) -> PackageRecordError:
    """``PackageRecordError`` for conda's refusal (``exc``) to build a record of ``fields``
    (a repodata record as the engine reads it): the field the engine finds wrong, when it
    finds one, else conda's own words (conda's messages often leave the field out)."""
    problem = record_problem(fields)
    if problem is not None:
        field, reason = problem
        return PackageRecordError(record_label(fields), f"{field!r} {reason}")
    return conda_refusal(record_label(fields), exc)


def conda_refusal(record: str, exc: Exception) -> PackageRecordError:
    """``PackageRecordError`` for the record described by ``record``, in conda's words."""
    return PackageRecordError(record, f"conda cannot read it ({first_line(exc)})")


def unreadable_prefix_record(prefix: str, exc: Exception) -> PackageRecordError:
    """``PackageRecordError`` for an installed record conda could not read (``exc``): the
    first ``conda-meta`` file of ``prefix`` that ``PrefixRecord`` refuses is named."""
    meta = Path(prefix) / "conda-meta"
    for path in sorted(meta.glob("*.json")):
        if len(path.stem.rsplit("-", 2)) != 3:  # conda reads name, version, build from it
            return PackageRecordError(str(path), "its file name is not name-version-build")
        try:
            PrefixRecord(**json.loads(path.read_text(encoding="utf-8")))
        except (*CONDA_REFUSALS, OSError) as error:
            return conda_refusal(str(path), error)
    return conda_refusal(f"installed in {prefix}", exc)


def packages_not_found(specs: Iterable[MatchSpec], channels: Iterable) -> Exception:
    """A spec of the request that no channel offers at all."""
    exc = PackagesNotFoundInChannelsError(list(specs), context.channels or channels)
    exc.allow_retry = False
    return exc


def chain_specs(chain: Iterable[str], virtual: Iterable = ()) -> tuple[MatchSpec, ...]:
    """An engine chain (spec strings) as conda ``MatchSpec``s.

    An exact spec for an installed virtual package is written as classic writes that
    record (``@/linux-64::__cuda==8.0=0``, shown as ``feature:/...``).
    """
    virtual = tuple(virtual)
    return tuple(_as_virtual_record(MatchSpec(text), virtual) for text in chain)


def _as_virtual_record(spec: MatchSpec, virtual) -> MatchSpec:
    if not spec.name.startswith("__") or spec.get_exact_value("channel") or spec.strictness < 3:
        return spec
    matching = [rec for rec in virtual if spec.match(rec)]
    return matching[0].to_match_spec() if len(matching) == 1 else spec


def from_engine(
    exc: Exception,
    *,
    specs_to_add: Iterable[MatchSpec],
    history: Mapping[str, MatchSpec],
    find_matches: Callable[[MatchSpec], Iterable],
    virtual: Iterable,
    should_retry_solve: bool = False,
) -> Exception:
    """The conda exception for an engine exception (raise the result ``from exc``)."""
    if isinstance(exc, InvalidRecord):
        return record_error(exc.record, exc)  # names the field InvalidRecord named
    if isinstance(exc, InvalidVersion):
        return InvalidVersionSpec(first_line(exc), "not a valid conda version")
    if isinstance(exc, InvalidSpec):
        return InvalidMatchSpec(first_line(exc), "not a valid match spec")
    if isinstance(exc, PackagesNotFound):
        chains = exc.chains or tuple((spec,) for spec in exc.specs)
        error = ResolvePackageNotFound([chain_specs(chain) for chain in chains])
        error.allow_retry = False
        return error
    if isinstance(exc, Unsatisfiable):
        return unsatisfiable(
            exc,
            specs_to_add=specs_to_add,
            history=history,
            find_matches=find_matches,
            virtual=virtual,
            should_retry_solve=should_retry_solve,
        )
    return exc


def unsatisfiable(
    exc: Unsatisfiable,
    *,
    specs_to_add,
    history,
    find_matches,
    virtual,
    should_retry_solve=False,
) -> UnsatisfiableError:
    """classic's ``UnsatisfiableError`` for an engine conflict, with the explanation."""
    if should_retry_solve:
        # The caller retries (unfrozen, or with other repodata); classic skips hints here.
        return UnsatisfiableError({})
    virtual = tuple(virtual)
    try:
        chains = [chain_specs(chain, virtual) for chain in exc.chains if chain]
    except PackagesNotFound as missing:  # where classic's conflict map stops (chains.py)
        return from_engine(missing, specs_to_add=specs_to_add, history=history,
                           find_matches=find_matches, virtual=virtual)
    bad_deps = classify_chains(chains, specs_to_add, history, find_matches, virtual)
    strict = context.channel_priority == ChannelPriority.STRICT
    error = UnsatisfiableError(bad_deps if chains else {}, strict=strict)
    explanation = getattr(exc, "explanation", "") or ""
    error.explanation = explanation
    if explanation and not any(bad_deps.get("virtual_package", ())):
        # The classic text stays first and exact (conda's tests compare it); ours follows.
        if error._kwargs:  # the message is %-formatted with them: keep ours literal
            explanation = explanation.replace("%", "%%")
        error.message = f"{error.message.rstrip()}\n\n{explanation}\n"
    _show_in_guidance(error, explanation)
    error.allow_retry = False
    return error


def _show_in_guidance(error: UnsatisfiableError, explanation: str) -> None:
    """conda's CLI prints an error's guidance (summary, cause, hints), not its message: put
    the explanation in the cause so that users see it."""
    guidance = getattr(error, "guidance", None)
    if not explanation or guidance is None or not dataclasses.is_dataclass(guidance):
        return
    cause = f"{guidance.cause}\n{explanation}" if guidance.cause else explanation
    error._guidance = dataclasses.replace(guidance, cause=cause)


def classify_chains(chains, specs_to_add, history, find_matches, virtual) -> dict:
    """Sort conflict chains into classic's four kinds, for ``UnsatisfiableError``.

    * ``python``: a chain ending in python while python itself was not requested, whose end
      cannot hold together with the python that a chain starts from;
    * ``virtual_package``: a chain ending in a virtual package, with the installed version;
    * ``request_conflict_with_history``: a requested chain ending in a name from history;
    * ``direct``: every other chain (single-spec chains only when a longer one shares its
      root).
    """
    classes = {
        "python": set(),
        "request_conflict_with_history": set(),
        "direct": set(),
        "virtual_package": set(),
    }
    requested = {MatchSpec(spec) for spec in specs_to_add}
    python_requested = any(spec.name == "python" for spec in requested)
    python_roots = [chain[0] for chain in chains if chain[0].name == "python"]
    versions = {rec.name: rec.version for rec in virtual}
    for chain in chains:
        head, tail = chain[0], chain[-1]
        if len(chain) > 1 and tail.name == "python" and not python_requested and python_roots:
            python_spec = python_roots[0]
            if not set(find_matches(python_spec)) & set(find_matches(tail)):
                classes["python"].add(((head, tail), _plain(python_spec)))
        elif tail.name.startswith("__"):
            classes["virtual_package"].add((chain, versions.get(tail.name, "not available")))
        elif head in requested:
            past = [spec for spec in history.values() if spec.name == tail.name]
            for spec in past:
                classes["request_conflict_with_history"].add((chain, _plain(spec)))
            if not past:
                classes["direct"].add((chain, _plain(head)))
        elif len(chain) > 1 or any(other[0] == head for other in chains if other):
            classes["direct"].add((chain, _plain(head)))
    if classes["python"]:
        # plain single-entry python conflicts are explained by the python section
        classes["direct"] = {
            entry for entry in classes["direct"]
            if entry[1].startswith("python ") or len(entry[0]) > 1
        }
    return classes


def _plain(spec: MatchSpec) -> str:
    return str(MatchSpec(spec, target=None))


def first_line(exc: Exception) -> str:
    """The first line of an exception's message (its type's name when it has none)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
