"""Solve state: what the prefix and the configuration say, and the specs classic would solve.

Two kinds of object live here, as ``conda-libmamba-solver``'s ``state.py`` has them:

* ``SolveInput`` is read once per ``solve_final_state`` call, only through conda's APIs
  (``PrefixData``, ``History``, ``get_pinned_specs``, ``Index().system_packages``,
  ``context``), because conda's test helpers inject fake prefixes exactly there. It is frozen.
* ``SpecPlan`` is the output of one attempt: the spec for every name the solve must consider
  (classic's ``specs_map``), the installed records left after removals, which pins a request
  may not replace, and the names in conflict with the request.

The rules follow classic's ``Solver`` (``conda/core/solve.py``): history specs, the legacy
do-not-remove names, virtual packages, targets on installed records, ``FREEZE_INSTALLED`` with
history, ``UPDATE_SPECS`` neutering, ``UPDATE_ALL``, python kept at its minor version, conda
never downgraded in its own prefix, ``aggressive_update_packages``, pip records kept, pins.
Two deliberate differences, both conda-libmamba-solver's: a request that contradicts a pin
is an error before solving (classic overrides the pin with a warning), and a name-only pin
hard-locks the installed record (classic ignores such pins).

Questions that need the package index or the engine (which records a spec reaches, which specs
conflict) are asked through a ``Queries`` object the solver passes in, so this module never
solves anything itself.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from logging import getLogger
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from conda.base.constants import DepsModifier, UpdateModifier
from conda.base.context import context
from conda.common.constants import NULL
from conda.common.io import dashlist
from conda.common.path import get_major_minor_version, paths_equal
from conda.core.index import Index
from conda.core.prefix_data import PrefixData
from conda.core.solve import get_pinned_specs
from conda.exceptions import (
    CondaError,
    PackagesNotFoundInPrefixError,
    SpecsConfigurationConflictError,
)
from conda.history import History
from conda.models.match_spec import MatchSpec
from conda.models.version import VersionOrder

from .errors import CONDA_REFUSALS, PackageRecordError, first_line, unreadable_prefix_record
from .prefix_graph import PrefixGraph

if TYPE_CHECKING:
    from conda.models.records import PackageRecord, PrefixRecord

log = getLogger("conda.altsolver.state")

# Installed names kept even when no history records them: older installers did not write
# them to the history file (classic's list).
DO_NOT_REMOVE = (
    "anaconda",
    "conda",
    "conda-build",
    "python.app",
    "console_shortcut",
    "powershell_shortcut",
)


class Queries(Protocol):
    """What the spec rules need to ask about the index (answered by the solver)."""

    def package_pool(self, specs: Iterable[MatchSpec]) -> dict[str, set[PackageRecord]]:
        """Records per name reachable from ``specs`` (classic's ``_get_package_pool``)."""

    def conflicting(self, specs: Iterable[MatchSpec], explicit: Iterable[MatchSpec]):
        """The specs of ``specs`` (or ``explicit``) that cannot hold together; empty if none."""

    def newest_update(self, record: PackageRecord) -> PackageRecord | None:
        """The first record of the same name, in preference order, newer than ``record``."""

    def raise_python_conflict(self, spec_set: tuple[MatchSpec, ...], freeze: bool) -> None:
        """Raise the error for a request that contradicts python's installed minor version."""

    def inconsistent(self, records: Iterable[PackageRecord]) -> list[PackageRecord]:
        """The records that cannot hold together (classic's ``bad_installed``)."""

    def channel_copies(self, records: Iterable[PackageRecord]) -> tuple[PackageRecord, ...]:
        """Each record as its channel has it, where one does (classic's ``index.get``)."""


@dataclass(frozen=True)
class Modifiers:
    """The ``solve_final_state`` flags, with ``NULL`` already replaced by ``context``."""

    update_modifier: UpdateModifier
    deps_modifier: DepsModifier
    prune: bool
    ignore_pinned: bool
    force_remove: bool
    should_retry_solve: bool


def normalize_modifiers(
    update_modifier=NULL,
    deps_modifier=NULL,
    prune=NULL,
    ignore_pinned=NULL,
    force_remove=NULL,
    should_retry_solve=False,
) -> Modifiers:
    """Resolve ``NULL`` to ``context`` values and strings to enums, as classic does."""
    if prune and update_modifier == UpdateModifier.FREEZE_INSTALLED:
        # pruning and freezing contradict each other; classic lets prune win
        update_modifier = NULL
    if update_modifier is NULL:
        update_modifier = context.update_modifier
    else:
        update_modifier = UpdateModifier(str(update_modifier).lower())
    if deps_modifier is NULL:
        deps_modifier = context.deps_modifier
    else:
        deps_modifier = DepsModifier(str(deps_modifier).lower())
    return Modifiers(
        update_modifier=update_modifier,
        deps_modifier=deps_modifier,
        prune=bool(prune) and prune is not NULL,
        ignore_pinned=context.ignore_pinned if ignore_pinned is NULL else bool(ignore_pinned),
        force_remove=context.force_remove if force_remove is NULL else bool(force_remove),
        should_retry_solve=bool(should_retry_solve),
    )


@dataclass(frozen=True)
class SolveInput:
    """Everything a solve reads from the prefix, the configuration and the request."""

    prefix: str
    modifiers: Modifiers
    specs_to_add: frozenset[MatchSpec]
    specs_to_remove: frozenset[MatchSpec]
    installed: Mapping[str, PrefixRecord]
    history: Mapping[str, MatchSpec]
    pinned: tuple[MatchSpec, ...]
    virtual: tuple[PackageRecord, ...]
    track_features: tuple[MatchSpec, ...]
    aggressive: tuple[MatchSpec, ...]
    command: object = None
    is_conda_prefix: bool = False

    @property
    def requested_names(self) -> frozenset[str]:
        return frozenset(spec.name for spec in self.specs_to_add)

    def is_aggressive(self, name: str) -> bool:
        return any(spec.name == name for spec in self.aggressive)

    def is_pinned(self, name: str) -> bool:
        return any(spec.name == name for spec in self.pinned)

    def hard_locked(self) -> dict[str, PrefixRecord]:
        """Installed records locked by a name-only pin (conda-libmamba-solver semantics)."""
        return {
            pin.name: self.installed[pin.name]
            for pin in self.pinned
            if _is_name_only(pin) and pin.name in self.installed
        }


def collect_input(solver, modifiers: Modifiers) -> SolveInput:
    """Read the prefix and the configuration through conda's APIs into a ``SolveInput``."""
    prefix = str(solver.prefix)
    installed = _installed_records(prefix)
    pinned = () if modifiers.ignore_pinned else tuple(get_pinned_specs(prefix))
    return SolveInput(
        prefix=prefix,
        modifiers=modifiers,
        specs_to_add=frozenset(solver.specs_to_add),
        specs_to_remove=frozenset(solver.specs_to_remove),
        installed=installed,
        history=dict(History(prefix).get_requested_specs_map()),
        pinned=pinned,
        virtual=tuple(Index().system_packages),
        track_features=tuple(MatchSpec(f"{feat}@") for feat in context.track_features or ()),
        aggressive=tuple(context.aggressive_update_packages),
        command=solver._command,
        is_conda_prefix=paths_equal(prefix, context.conda_prefix),
    )


def _installed_records(prefix: str) -> dict:
    """name -> installed record; a record conda cannot read (a field of the wrong type in its
    ``conda-meta`` file: conda's bare ``TypeError``) is a ``PackageRecordError`` naming it."""
    try:
        installed = {record.name: record for record in PrefixData(prefix).iter_records()}
    except CondaError:
        raise
    except CONDA_REFUSALS as exc:
        raise unreadable_prefix_record(prefix, exc) from exc
    for record in installed.values():
        # conda reads an installed version only when it makes the record's spec, and an empty
        # one then fails with an IndexError: check each here, where the file can be named
        try:
            VersionOrder(record.version)
        except (CondaError, *CONDA_REFUSALS, IndexError) as exc:
            stem = f"{record.name}-{record.version}-{record.build}"
            raise PackageRecordError(
                str(Path(prefix, "conda-meta", f"{stem}.json")),
                f"'version' is {record.version!r}, not a valid conda version "
                f"({first_line(exc)})") from exc
    return installed


@dataclass
class SpecPlan:
    """One attempt's output: the specs to solve for and the records they start from."""

    specs_map: dict[str, MatchSpec]
    solution: tuple[PackageRecord, ...]
    pin_overrides: set[str] = field(default_factory=set)
    conflict_names: set[str] = field(default_factory=set)
    # inconsistent records set aside: name -> (record, the spec it had, or None)
    add_back: dict[str, tuple[PackageRecord, MatchSpec | None]] = field(default_factory=dict)


# region seeding (classic's _collect_all_metadata)


def seed_plan(inp: SolveInput) -> SpecPlan:
    """The specs every solve starts from, before targeting.

    Without prune: history specs, the legacy do-not-remove names, every virtual package by
    name, and by name every installed record that is aggressively updated or comes from pip,
    or every installed record when there is no history at all.
    """
    specs_map: dict[str, MatchSpec] = {}
    if not inp.modifiers.prune:
        specs_map.update(inp.history)
        for name in DO_NOT_REMOVE:
            if name not in specs_map and name in inp.installed:
                specs_map[name] = MatchSpec(name)
        for record in inp.virtual:
            specs_map.setdefault(record.name, MatchSpec(record.name))
        for record in inp.installed.values():
            if not inp.history or inp.is_aggressive(record.name) or record.subdir == "pypi":
                specs_map[record.name] = MatchSpec(record.name)
    # on prune the installed records are not a starting point either (classic)
    solution = () if inp.modifiers.prune else tuple(inp.installed.values())
    return SpecPlan(specs_map=specs_map, solution=solution)


def index_seed_specs(inp: SolveInput) -> set[MatchSpec]:
    """The specs the index must cover (classic's ``prepared_specs``)."""
    specs = {*inp.specs_to_remove, *inp.specs_to_add}
    if not inp.modifiers.prune:
        specs.update(inp.history.values())
    return specs


def reduced_index_roots(inp: SolveInput) -> tuple[set[str], set[str]]:
    """The names and features conda's ``ReducedIndex`` grows from (``engine.Policy``'s
    ``index_roots``): the prepared specs' names and features, and each installed record's
    name, dependency and constrains names, and ``track_features``."""
    names: set[str] = set()
    features: set[str] = set()
    for spec in index_seed_specs(inp):
        if spec.get_raw_value("name"):
            names.add(spec.name)
        features.update(spec.get_raw_value("track_features") or ())
    for record in inp.installed.values():
        names.add(record.name)
        features.update(record.track_features or ())
        for text in (*record.depends, *record.constrains):
            try:
                names.add(MatchSpec(text).name)
            except CondaError:  # conda's index growth skips what it cannot parse
                continue
    return names, features


# endregion
# region removals (classic's _remove_specs)


def apply_removals(inp: SolveInput, plan: SpecPlan) -> None:
    """Drop what ``specs_to_remove`` names, and everything that depends on it.

    A spec that removes nothing raises ``PackagesNotFoundInPrefixError``. A record removed
    only for a feature keeps its history spec, minus the feature.
    """
    if not inp.specs_to_remove:
        return
    feature_names = {
        feat
        for spec in inp.specs_to_remove
        if "track_features" in spec
        for feat in spec.get_raw_value("track_features")
    }
    graph = PrefixGraph(plan.solution, plan.specs_map.values())
    removed: list[PackageRecord] = []
    unmatched: list[MatchSpec] = []
    for spec in inp.specs_to_remove:
        records = graph.remove_spec(spec)
        removed.extend(records)
        if not records:
            unmatched.append(spec)
    missing = [spec for spec in unmatched if not any(spec.match(rec) for rec in removed)]
    if missing:
        raise PackagesNotFoundInPrefixError(
            tuple(sorted(str(spec) for spec in missing)), prefix=inp.prefix
        )
    for record in removed:
        if set(record.features or ()) & feature_names and record.name in inp.history:
            spec = plan.specs_map.get(record.name, MatchSpec(record.name))
            plan.specs_map[record.name] = _without_features(spec)
        else:
            plan.specs_map.pop(record.name, None)
    plan.solution = tuple(graph.graph)


def _without_features(spec: MatchSpec) -> MatchSpec:
    """``spec`` with its ``features`` field dropped."""
    fields = {
        key: spec.get_raw_value(key)
        for key in spec._match_components
        if key not in ("features", "name")
    }
    return MatchSpec(name=spec.name, **fields)


# endregion
# region targeting (classic's _add_specs)


def apply_targets(inp: SolveInput, plan: SpecPlan, queries: Queries) -> None:
    """Turn the seeded specs into the specs to solve for, following classic's rules."""
    mods = inp.modifiers
    plan.pin_overrides = set()
    explicit_pool = queries.package_pool(inp.specs_to_add)
    installed_specs = (
        () if mods.prune else [rec.to_match_spec() for rec in inp.installed.values()]
    )
    conflicts = queries.conflicting(installed_specs, inp.specs_to_add) or ()
    plan.conflict_names = {spec.name for spec in conflicts}

    _target_installed(inp, plan, explicit_pool)
    _apply_pins(inp, plan, explicit_pool, queries)
    if mods.update_modifier == UpdateModifier.FREEZE_INSTALLED:
        _freeze_rest(inp, plan)
    if mods.update_modifier == UpdateModifier.UPDATE_ALL:
        _update_all(inp, plan)
    elif mods.update_modifier == UpdateModifier.UPDATE_SPECS:
        _neuter_for_update(inp, plan, queries)
    _keep_python_minor(inp, plan, queries)
    if not context.offline:
        for spec in inp.aggressive:
            if spec.name in plan.specs_map:
                plan.specs_map[spec.name] = spec
    plan.specs_map.update(
        (spec.name, spec) for spec in inp.specs_to_add if spec.name not in plan.pin_overrides
    )
    _never_downgrade_conda(inp, plan)
    _apply_hard_locks(inp, plan)


def _target_installed(inp: SolveInput, plan: SpecPlan, explicit_pool) -> None:
    """Point each spec that matches an installed record at that record.

    The target tells the solver not to disturb the record unless it must; the record is
    frozen exactly when it is unmanageable (pip) or under ``FREEZE_INSTALLED`` without
    conflicts.
    """
    for name, spec in list(plan.specs_map.items()):
        matches = [rec for rec in plan.solution if spec.match(rec)]
        if not matches:
            continue
        if len(matches) != 1:
            raise CondaError(
                "Conda encountered an error with your environment: the spec "
                f"{spec} matches several installed records: "
                + ", ".join(str(rec) for rec in matches)
            )
        record = matches[0]
        if record.is_unmanageable:
            plan.specs_map[name] = record.to_match_spec()
        elif inp.is_aggressive(name):
            plan.specs_map[name] = MatchSpec(name)
        elif _should_freeze(inp, plan, record, explicit_pool):
            plan.specs_map[name] = record.to_match_spec()
        elif name in inp.history:
            plan.specs_map[name] = MatchSpec(inp.history[name], target=record.dist_str())
        else:
            plan.specs_map[name] = MatchSpec(name, target=record.dist_str())


def _should_freeze(inp: SolveInput, plan: SpecPlan, record, explicit_pool) -> bool:
    """Classic freezes only with history, only under FREEZE_INSTALLED, only without conflict."""
    if not inp.history or inp.modifiers.update_modifier != UpdateModifier.FREEZE_INSTALLED:
        return False
    name = record.name
    return name not in plan.conflict_names and (
        name not in explicit_pool or record in explicit_pool[name]
    )


def _apply_pins(inp: SolveInput, plan: SpecPlan, explicit_pool, queries: Queries) -> None:
    """Pins on names the request reaches become required; a request may override a pin.

    A pin whose records overlap the request's records stays (and is remembered in
    ``pin_overrides`` so the request does not replace it); otherwise the request wins with a
    warning, as in classic.
    """
    for pin in inp.pinned:
        if pin.name not in explicit_pool:
            continue
        if pin.name not in inp.requested_names and not inp.modifiers.ignore_pinned:
            plan.specs_map[pin.name] = MatchSpec(pin, optional=False)
            continue
        pin_pool = queries.package_pool([pin]).get(pin.name, set())
        if explicit_pool[pin.name] & pin_pool:
            plan.specs_map[pin.name] = MatchSpec(pin, optional=False)
            plan.pin_overrides.add(pin.name)
        else:
            # check_pin_conflicts refuses a request with no record in common with its pin;
            # this is left for pools that only part ways further down the dependencies
            log.warning(
                "pinned spec %s conflicts with explicit specs.  Overriding pinned spec.", pin
            )


def _freeze_rest(inp: SolveInput, plan: SpecPlan) -> None:
    """Under FREEZE_INSTALLED, installed names not yet specified are frozen (or optional)."""
    for record in inp.installed.values():
        if record.name in plan.specs_map:
            continue
        if record.name not in plan.conflict_names:
            plan.specs_map[record.name] = record.to_match_spec()
        else:
            # no usable target: the record is only kept if nothing needs it gone
            plan.specs_map[record.name] = MatchSpec(record.name, optional=True)


def _update_all(inp: SolveInput, plan: SpecPlan) -> None:
    """UPDATE_ALL: every history spec (or every installed name) by name only; pins stay."""
    pinned_names = {pin.name for pin in inp.pinned}
    if inp.history:
        specs_map = {}
        for spec in inp.history.values():
            if spec.name in pinned_names and spec.name in plan.specs_map:
                specs_map[spec.name] = plan.specs_map[spec.name]
            else:
                specs_map[spec.name] = MatchSpec(spec.name)
        for record in inp.installed.values():
            if record.subdir == "pypi":
                specs_map[record.name] = MatchSpec(record.name)
    else:
        specs_map = {
            record.name: (
                plan.specs_map[record.name]
                if record.name in pinned_names and record.name in plan.specs_map
                else MatchSpec(record.name)
            )
            for record in inp.installed.values()
        }
    plan.specs_map = specs_map


def _neuter_for_update(inp: SolveInput, plan: SpecPlan, queries: Queries) -> None:
    """UPDATE_SPECS: loosen the installed specs that hold back an update of the request.

    Only specs that are neither pinned nor in history are loosened, to their name.
    """

    def held(spec: MatchSpec) -> bool:
        pinned = (
            spec.name not in plan.pin_overrides
            and inp.is_pinned(spec.name)
            and not inp.modifiers.ignore_pinned
        )
        return pinned or spec.name in inp.history

    wanted = tuple(
        _update_spec(spec, inp, queries) for spec in inp.specs_to_add if not held(spec)
    )
    conflicts = queries.conflicting(tuple(plan.specs_map.values()), wanted) or ()
    for spec in conflicts:
        pinned = MatchSpec(spec, optional=True) in inp.pinned and not inp.modifiers.ignore_pinned
        if spec.name in plan.specs_map and not pinned and spec.name not in inp.history:
            plan.specs_map[spec.name] = MatchSpec(spec.name)


def _update_spec(spec: MatchSpec, inp: SolveInput, queries: Queries) -> MatchSpec:
    """A request for an installed name asks for the first newer record, when there is one."""
    record = inp.installed.get(spec.name)
    newer = queries.newest_update(record) if record is not None else None
    if newer is None:
        return spec
    return MatchSpec(spec.name, version=newer.version, build_number=newer.build_number)


def _keep_python_minor(inp: SolveInput, plan: SpecPlan, queries: Queries) -> None:
    """Python stays at its installed minor version unless the request names python.

    Raises through ``queries.python_conflict`` when that rule contradicts the request.
    """
    python = inp.installed.get("python")
    in_solution = any(rec.name == "python" for rec in plan.solution)
    if python is None or not in_solution or "python" in inp.requested_names:
        return
    freeze = inp.modifiers.update_modifier == UpdateModifier.FREEZE_INSTALLED
    if freeze and "python" not in plan.conflict_names:
        plan.specs_map["python"] = python.to_match_spec()
        return
    python_spec = plan.specs_map.get("python", MatchSpec("python"))
    if not python_spec.get("version"):
        minor = get_major_minor_version(python.version) + ".*"
        python_spec = MatchSpec(python_spec, version=minor)
    spec_set = (python_spec, *inp.specs_to_add)
    if queries.conflicting(spec_set, inp.specs_to_add):
        queries.raise_python_conflict(spec_set, freeze)
    plan.specs_map["python"] = python_spec


def _never_downgrade_conda(inp: SolveInput, plan: SpecPlan) -> None:
    """In conda's own prefix, conda is never downgraded (and auto-updates if configured)."""
    record = inp.installed.get("conda")
    if "conda" not in plan.specs_map or not inp.is_conda_prefix or record is None:
        return
    version_req = f">={record.version}"
    spec = plan.specs_map["conda"]
    if not spec.get("version"):
        spec = MatchSpec(spec, version=version_req)
    if context.auto_update_conda and "conda" not in inp.requested_names:
        spec = MatchSpec("conda", version=version_req, target=None)
    plan.specs_map["conda"] = spec


def _apply_hard_locks(inp: SolveInput, plan: SpecPlan) -> None:
    """A name-only pin locks the installed record, unless the user asked for that name, or
    asked to remove it or something it depends on: a removal is explicit, the lock only
    keeps the record from changing as a side effect (classic ignores such pins altogether
    and removes it)."""
    remaining = {record.name for record in plan.solution}
    for name, record in inp.hard_locked().items():
        if name not in inp.requested_names and name in remaining:
            plan.specs_map[name] = record.to_match_spec()


def _is_name_only(spec: MatchSpec) -> bool:
    return set(spec._match_components) <= {"name"} and spec.name != "*"


# endregion
# region inconsistent environments (classic's _find_inconsistent_packages)


def set_aside_inconsistent(plan: SpecPlan, queries: Queries) -> None:
    """Records that cannot hold together (judged on their installed metadata, then on their
    channels' copies) float during the solve and come back after it (``restore_set_aside``).

    Each keeps a spec on its name, targeted at it; python keeps its own spec, so that its
    minor version holds. classic warns about them on stderr, and so does this.
    """
    if not queries.inconsistent(plan.solution):
        return
    plan.solution = queries.channel_copies(plan.solution)
    inconsistent = queries.inconsistent(plan.solution)
    if not inconsistent:
        return
    print(
        "\nThe environment is inconsistent, please check the package plan carefully\n"
        "The following packages are causing the inconsistency:",
        file=sys.stderr,
    )
    print(dashlist(inconsistent), file=sys.stderr)
    for record in inconsistent:
        spec = plan.specs_map.pop(record.name, None)
        plan.add_back[record.name] = (record, spec)
        plan.specs_map[record.name] = MatchSpec(record.name, target=record.dist_str())
        if record.name == "python" and spec:
            plan.specs_map["python"] = spec
    plan.solution = tuple(rec for rec in plan.solution if rec not in inconsistent)


def restore_set_aside(plan: SpecPlan, records: list, before) -> list:
    """The solve's records with what classic puts back after it: a set-aside record that
    had no spec replaces its name's record, and every record of ``before`` (the solution
    the solve started from) that the solve dropped comes back if nothing names it."""
    if not plan.add_back:
        return records
    records = list(records)
    for name, (record, spec) in plan.add_back.items():
        if spec is None:
            records = [rec for rec in records if rec.name != name]
            records.append(record)
    names = {rec.name for rec in records}
    kept = set(records)
    records.extend(
        rec for rec in before
        if rec not in kept and rec.name not in plan.specs_map and rec.name not in names
    )
    return records


# endregion
# region final bookkeeping


def neutered_history(inp: SolveInput, plan: SpecPlan) -> tuple[MatchSpec, ...]:
    """History specs the solve loosened (written to conda-meta/history as neutered)."""
    return tuple(
        spec
        for name, spec in plan.specs_map.items()
        if name in inp.history and spec.strictness < inp.history[name].strictness
    )


def satisfied_without_solve(inp: SolveInput) -> bool:
    """SPECS_SATISFIED_SKIP_SOLVE: every requested spec already matches an installed record."""
    mods = inp.modifiers
    if mods.update_modifier != UpdateModifier.SPECS_SATISFIED_SKIP_SOLVE:
        return False
    if inp.specs_to_remove or mods.prune:
        return False
    return all(
        any(spec.match(rec) for rec in inp.installed.values()) for spec in inp.specs_to_add
    )


def force_removed(inp: SolveInput, solution) -> tuple[PackageRecord, ...]:
    """``remove --force``: ``solution`` (the installed records, or none on prune, as
    classic starts) minus the matches; no solve, no dependents."""
    if inp.specs_to_add:
        raise NotImplementedError("force_remove with specs to add is not supported")
    return tuple(
        rec for rec in solution if not any(spec.match(rec) for spec in inp.specs_to_remove)
    )


def check_pin_conflicts(inp: SolveInput, records_named: Callable[[str], list]) -> None:
    """A request that contradicts a pin is a configuration error, reported before solving.

    This follows conda-libmamba-solver (classic would override the pin with a warning):
    a request contradicts a versioned pin when no record satisfies both, and contradicts a
    name-only pin (a hard lock) when it does not match the installed record. A request no
    record matches at all is left for the not-found error, as classic reports it.
    """
    locked = inp.hard_locked()
    for spec in inp.specs_to_add:
        pins = [pin for pin in inp.pinned if pin.name == spec.name]
        if not pins:
            continue
        matching = [rec for rec in records_named(spec.name) if spec.match(rec)]
        if not matching:
            continue
        if spec.name in locked:
            compatible = spec.match(locked[spec.name])
        else:
            compatible = any(all(pin.match(rec) for pin in pins) for rec in matching)
        if not compatible:
            exc = SpecsConfigurationConflictError(
                [str(spec)], sorted(str(pin) for pin in pins), inp.prefix
            )
            exc.allow_retry = False
            raise exc


# endregion
