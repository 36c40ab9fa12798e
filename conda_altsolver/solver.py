"""``AltSolver``: conda's ``Solver`` interface over the altsolver engine.

``solve_final_state`` reads as the pipeline it runs: normalise the arguments, collect the
prefix state, take the early exits (``force_remove``, ``SPECS_SATISFIED_SKIP_SOLVE``), load the
index, check pins, decide the specs (``state``), solve with relaxation (``relax`` and the
engine), post-process (``NO_DEPS``, ``ONLY_DEPS``, ``UPDATE_DEPS``, prune), and return the
records in ``PrefixGraph`` order. Subclassing conda's classic ``Solver`` gives
``solve_for_diff``/``solve_for_transaction`` and the helpers conda's tests call.

Nothing here runs classic's ``Resolve`` or pycosat: every satisfiability question goes to the
engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from logging import getLogger
from typing import TYPE_CHECKING, NamedTuple

from conda.base.constants import REPODATA_FN, DepsModifier, UpdateModifier
from conda.base.context import context
from conda.common.constants import NULL
from conda.core.solve import Solver
from conda.exceptions import NoChannelsConfiguredError, UnsatisfiableError
from conda.gateways.streams import stdoutlog
from conda.models.channel import Channel
from conda.models.match_spec import MatchSpec
from conda.reporters import get_spinner

from . import engine, errors
from .index import SolverIndex, spec_text, to_engine_record
from .newer import active_policy
from .notices import alternatives_warning
from .prefix_graph import PrefixGraph
from .relax import relax
from .state import (
    Modifiers,
    SpecPlan,
    SolveInput,
    apply_removals,
    apply_targets,
    check_pin_conflicts,
    collect_input,
    force_removed,
    index_seed_specs,
    neutered_history,
    normalize_modifiers,
    reduced_index_roots,
    restore_set_aside,
    satisfied_without_solve,
    seed_plan,
    set_aside_inconsistent,
)
from .timing import PhaseTimes, accepts_stats, report

if TYPE_CHECKING:
    from collections.abc import Iterable

    from conda.models.records import PackageRecord

log = getLogger("conda.altsolver.solver")


_EXCLUDE_NEWER_FLAGS = (
    "supports_exclude_newer_global", "supports_exclude_newer_channel",
    "supports_exclude_newer_package",
)


class AltSolver(Solver):
    """A conda solver whose answers are classic's, computed by the altsolver engine."""

    # conda's exclude_newer policy, in all three of its forms, as classic honours it
    # (newer.py); a conda without the policy never reads these
    supports_exclude_newer_global = True
    supports_exclude_newer_channel = True
    supports_exclude_newer_package = True

    def __init_subclass__(cls, **kwargs):
        """conda makes every subclass declare the policy again (fail closed), and its plugin
        manager subclasses the backend to bind ``build_repodata_subset``. A subclass that
        keeps the loading and solving that apply the policy keeps the capabilities."""
        own = set(vars(cls))  # before conda's hook sets all three on the subclass
        super().__init_subclass__(**kwargs)
        if not {"solve_final_state", "_load_index"} & own:
            for flag in _EXCLUDE_NEWER_FLAGS:
                if flag not in own:
                    setattr(cls, flag, getattr(AltSolver, flag))

    def __init__(
        self,
        prefix,
        channels=None,
        subdirs=(),
        specs_to_add=(),
        specs_to_remove=(),
        repodata_fn=REPODATA_FN,
        command=NULL,
        *,
        build_repodata_subset=None,
    ):
        super().__init__(
            prefix,
            channels,
            subdirs=subdirs,
            specs_to_add=specs_to_add,
            specs_to_remove=specs_to_remove,
            repodata_fn=repodata_fn,
            command=command,
        )
        self._build_repodata_subset = build_repodata_subset
        self._alt_index: SolverIndex | None = None
        self._alt_index_key = None
        self._carried: _Carried | None = None

    @staticmethod
    def user_agent() -> str:
        from . import __version__

        # conda itself adds "solver/altsolver" before what this returns
        return f"conda-altsolver/{__version__}"

    def solve_final_state(
        self,
        update_modifier=NULL,
        deps_modifier=NULL,
        prune=NULL,
        ignore_pinned=NULL,
        force_remove=NULL,
        should_retry_solve=False,
    ) -> tuple[PackageRecord, ...]:
        """The records the prefix should hold, roots first (classic's contract).

        Times its phases and reports them with ``-v`` (``timing.py``), failed solves too.
        """
        outer_times = getattr(self, "_times", None)  # UPDATE_DEPS solves again, nested
        self._times = times = PhaseTimes()
        try:
            return self._solve_final_state(
                update_modifier, deps_modifier, prune, ignore_pinned, force_remove,
                should_retry_solve,
            )
        finally:
            self._times = outer_times
            report(times, self._alt_index)

    def _solve_final_state(self, *modifier_args) -> tuple[PackageRecord, ...]:
        self._check_channels()
        modifiers = normalize_modifiers(*modifier_args)
        if self._carried is not None:
            modifiers = self._carried.kept(modifiers)
        times = self._times
        with times.phase("prefix"):
            inp = collect_input(self, modifiers)
        carried = self._carried
        if carried is None:
            carried = self._carried = _Carried(modifiers, seed_plan(inp))
        plan = carried.plan
        early = self._early_exit(inp, plan.solution)
        if early is not None:
            return tuple(PrefixGraph(early).graph)
        if carried.index is None:  # later calls keep the index, as classic keeps its Resolve
            with get_spinner("Collecting package metadata (repodata.json)"), \
                    times.phase("index"):
                roots = None if self._prebuilt_index() else reduced_index_roots(inp)
                carried.use_index(self._load_index(inp), roots)
        index = carried.index
        check_pin_conflicts(inp, index.records)
        queries = _EngineQueries(self, inp, index, carried.memory, plan.solution,
                                 roots=carried.roots)
        with get_spinner("Solving environment", fail_message=self._fail_message(inp)):
            with times.phase("rules"):  # classic's rules; engine calls are their own phases
                self._plan(inp, plan, queries)
                records, final_specs = self._solve_with_relaxation(inp, plan, queries)
                plan.solution = tuple(records)
                records = self._post_solve(inp, plan, records, final_specs)
        with times.phase("ordering"):  # conda's order (prefix_graph.py)
            plan.solution = tuple(PrefixGraph(records).graph)
            return plan.solution

    # region collect

    def _check_channels(self) -> None:
        if self.specs_to_add and not self.channels:
            raise NoChannelsConfiguredError(
                packages=[spec.name for spec in self.specs_to_add if spec.name]
            )

    @staticmethod
    def _early_exit(inp: SolveInput, solution):
        """The answers that need no index: forced removal and already-satisfied specs."""
        if inp.specs_to_remove and inp.modifiers.force_remove:
            return force_removed(inp, solution)
        if satisfied_without_solve(inp):
            return solution
        return None

    def _load_index(self, inp: SolveInput) -> SolverIndex:
        """The index for this solver's channels; reused while channels, subdirs and the
        exclude_newer policy hold."""
        self._add_channels_from_specs()
        prebuilt = self._prebuilt_index()
        newer = active_policy(self)
        key = (self.channels, self.subdirs, id(prebuilt), inp.prefix, id(newer))
        if self._alt_index is None or self._alt_index_key != key:
            roots = {spec.name for spec in index_seed_specs(inp) if spec.name != "*"}
            roots.update(inp.installed)
            self._alt_index = SolverIndex(
                self.channels,
                self.subdirs,
                installed=inp.installed.values(),
                virtual=inp.virtual,
                prebuilt=prebuilt,
                build_repodata_subset=self._build_repodata_subset,
                root_names=sorted(roots),
                exclude_newer=newer,
            )
            self._alt_index_key = key
        return self._alt_index

    def _prebuilt_index(self):
        """The index conda-build hands classic's solver (``solver._index``), if any: classic
        then solves over exactly those records instead of growing its own index."""
        return getattr(self, "_index", None) or None

    def _add_channels_from_specs(self) -> None:
        """``chan::pkg`` in the request adds ``chan`` to the channels, as in classic."""
        extra = {}
        for spec in self.specs_to_add:
            channel = spec.get_exact_value("channel")
            if channel and channel not in self.channels:
                extra.setdefault(Channel(channel))
        if extra:
            self.channels = (*self.channels, *extra)

    @staticmethod
    def _fail_message(inp: SolveInput) -> str:
        # No "retrying with next repodata source": every pass reads the full repodata.json,
        # so only the frozen -> flexible retry is ever worth announcing.
        if retry_is_coming(inp):
            return (
                "unsuccessful initial attempt using frozen solve. Retrying with flexible solve.\n"
            )
        return "failed\n"

    # endregion
    # region plan and solve

    @staticmethod
    def _plan(inp: SolveInput, plan: SpecPlan, queries: _EngineQueries) -> None:
        """Classic's specs: the seeded (or carried) specs, minus removals, targeted, pinned."""
        apply_removals(inp, plan)
        apply_targets(inp, plan, queries)

    def _solve_with_relaxation(self, inp: SolveInput, plan: SpecPlan, queries: _EngineQueries):
        """Solve for the plan's specs, loosening targeted specs first when they conflict."""
        index = queries.index
        before = self.get_request_package_in_solution(plan.solution, plan.specs_map)
        start = plan.solution
        set_aside_inconsistent(plan, queries)
        absent = [
            spec
            for spec in plan.specs_map.values()
            if spec.get_exact_value("name") and not index.has_match(spec)
        ]
        if absent:
            raise errors.packages_not_found(absent, self.channels)
        relaxation = relax(
            plan.specs_map,
            inp.track_features,
            inp.specs_to_add,
            inp.pinned,
            queries.conflicting,
            inp.prefix,
        )
        if relaxation.remaining and not context.unsatisfiable_hints:
            raise UnsatisfiableError({})
        final_specs = tuple(relaxation.specs)
        records = queries.solve(final_specs, warn_alternatives=True)
        records = restore_set_aside(plan, records, start)
        self.neutered_specs = neutered_history(inp, plan)
        if inp.modifiers.update_modifier == UpdateModifier.UPDATE_SPECS:
            self._report_constricted(inp, plan, index, before, records)
        return records, final_specs

    def _report_constricted(self, inp, plan, index, before, records) -> None:
        """Print classic's "Updating X is constricted by" when a request could not move."""
        after = self.get_request_package_in_solution(records, plan.specs_map)
        candidates = _RequestedRecords(index, inp.requested_names)
        for spec in self.get_constrained_packages(before, after, candidates):
            self.determine_constricting_specs(spec, records)

    # endregion
    # region post-solve (classic's _post_sat_handling)

    def _post_solve(self, inp: SolveInput, plan: SpecPlan, records, final_specs):
        mods = inp.modifiers
        prune = mods.prune
        if mods.deps_modifier == DepsModifier.NO_DEPS:
            records = self._only_requested(inp, records)
        elif (
            mods.deps_modifier == DepsModifier.ONLY_DEPS
            and mods.update_modifier != UpdateModifier.UPDATE_DEPS
        ):
            records = self._only_dependencies(inp, plan, records)
        elif mods.update_modifier == UpdateModifier.UPDATE_DEPS:
            records = self._update_dependencies(inp, records)
            prune = False
        if prune:
            graph = PrefixGraph(records, final_specs)
            graph.prune()
            records = tuple(graph.graph)
        return records

    @staticmethod
    def _only_requested(inp: SolveInput, records):
        """NO_DEPS: the installed records with only the requested ones swapped in or out."""
        kept = {
            rec
            for rec in inp.installed.values()
            if not any(spec.match(rec) for spec in inp.specs_to_remove)
        }
        added = {rec for spec in inp.specs_to_add for rec in records if spec.match(rec)}
        added_names = {rec.name for rec in added}
        return tuple(
            PrefixGraph({rec for rec in kept if rec.name not in added_names} | added).graph
        )

    def _only_dependencies(self, inp: SolveInput, plan: SpecPlan, records):
        """ONLY_DEPS: drop the requested leaves, keep what was installed, record their deps."""
        graph = PrefixGraph(records, inp.specs_to_add)
        removed = graph.remove_youngest_descendant_nodes_with_specs()
        specs_to_add = set(self.specs_to_add)
        for rec in removed:
            for dep in rec.depends:
                dep = MatchSpec(dep)
                if dep.name not in plan.specs_map:
                    specs_to_add.add(dep)
        self.specs_to_add = frozenset(specs_to_add)
        removing = {spec.name for spec in inp.specs_to_remove}
        add_back = [
            inp.installed[rec.name]
            for rec in removed
            if rec.name not in removing and rec.name in inp.installed
        ]
        return tuple(PrefixGraph((*graph.graph, *add_back)).graph)

    def _update_dependencies(self, inp: SolveInput, records):
        """UPDATE_DEPS: solve again with the request's whole dependency tree requested."""
        graph = PrefixGraph(records)
        names: set[str] = set()
        for spec in inp.specs_to_add:
            node = graph.get_node_by_name(spec.name)
            names.update(rec.name for rec in graph.all_ancestors(node))
        specs_map = {name: MatchSpec(name) for name in names}
        for pin in inp.pinned:
            specs_map.pop(pin.name, None)
        if "python" in specs_map and "python" in inp.installed:
            minor = ".".join(inp.installed["python"].version.split(".")[:2]) + ".*"
            specs_map["python"] = MatchSpec(name="python", version=minor)
        specs_map.update((spec.name, spec) for spec in inp.specs_to_add)
        self.specs_to_add = tuple(specs_map.values())
        mods = inp.modifiers
        return self.solve_final_state(
            update_modifier=UpdateModifier.UPDATE_SPECS,
            deps_modifier=mods.deps_modifier,
            prune=mods.prune,
            ignore_pinned=mods.ignore_pinned,
            force_remove=mods.force_remove,
        )

    # endregion


class _Carried:
    """What one solver object keeps from one ``solve_final_state`` call to the next.

    classic keeps its state container (``self.ssc``) on the solver: conda's unfrozen retry
    after a failed frozen attempt, and ``UPDATE_DEPS``'s second solve, start from the specs
    and records the previous call left (a frozen attempt's specs, already loosened ones, the
    first solve's records as targets), under the first call's ``prune`` and
    ``ignore_pinned``, with the same ``Resolve`` and so the same dependency verdicts.
    """

    def __init__(self, modifiers: Modifiers, plan: SpecPlan):
        self.modifiers = modifiers
        self.plan = plan
        self.index: SolverIndex | None = None
        self.roots: tuple[set[str], set[str]] | None = None  # ``reduced_index_roots``
        # the memo and package pools every engine call on the index shares
        self.memory: tuple[engine.ValidityMemo, dict] | None = None

    def kept(self, modifiers: Modifiers) -> Modifiers:
        """A later call's flags: its own, but the first call's ``prune`` and pins."""
        first = self.modifiers
        return replace(modifiers, prune=first.prune, ignore_pinned=first.ignore_pinned)

    def use_index(self, index: SolverIndex, roots) -> None:
        """The index (and what classic's would grow from, or None) for every call."""
        self.index, self.roots = index, roots
        self.memory = (engine.ValidityMemo(), {})


class _EngineQueries:
    """The index and engine questions ``state`` and ``relax`` ask, answered for one call."""

    def __init__(
        self,
        solver: AltSolver,
        inp: SolveInput,
        index: SolverIndex,
        memory: tuple[engine.ValidityMemo, dict] | None = None,
        solution: Iterable[PackageRecord] = (),
        roots: tuple[set[str], set[str]] | None = None,
    ):
        self.solver = solver
        self.inp = inp
        self.index = index
        names, features = roots if roots is not None else (None, ())
        self.policy = engine.Policy(
            channel_order=index.channel_order,
            channel_priority=str(context.channel_priority.value).lower(),
            ignore_timestamps=bool(context.solver_ignore_timestamps),
            index_roots=names,
            index_root_features=features,
        )
        # targets name records of the solution being changed: installed ones, or after a
        # first solve (UPDATE_DEPS) that solve's records
        self._by_dist = {rec.dist_str(): rec for rec in (*inp.installed.values(), *solution)}
        self.times = getattr(solver, "_times", None) or PhaseTimes()
        # classic's Resolve carries dependency verdicts from one reduction to the next, and
        # across the calls on one solver; so does this memo, shared by every engine call
        self.memo, self._pools = memory or (engine.ValidityMemo(), {})

    # region spec translation

    def request(self, spec: MatchSpec) -> engine.SpecRequest:
        target = None
        if isinstance(spec.target, str) and spec.target in self._by_dist:
            target = self.index.engine_record(self._by_dist[spec.target])
        return engine.SpecRequest(
            spec_text(spec), optional=bool(spec.optional), target=target, role=self.role(spec)
        )

    def role(self, spec: MatchSpec) -> str | None:
        """Who asked for ``spec``, so that the engine's explanation can say so."""
        inp, name = self.inp, spec.name
        if spec in inp.specs_to_add:
            return "requested"
        if name.startswith("__"):
            return "virtual"
        if inp.is_pinned(name) and name not in inp.requested_names:
            return "pinned"
        if name in inp.history:
            return "history"
        if spec.target:
            return "installed"
        return None

    def requests(self, specs: Iterable[MatchSpec]) -> list:
        return [self.request(spec) for spec in specs]

    # endregion
    # region questions

    def package_pool(self, specs) -> Mapping[str, set[PackageRecord]]:
        """classic's ``_get_package_pool``: the reduced index of ``specs``, per name.

        The reduction runs now, in classic's order among the engine calls (its verdicts join
        the memo); conda records are built only for the names someone looks up.
        """
        specs = tuple(specs)
        key = frozenset(specs)
        pool = self._pools.get(key)
        if pool is None:
            try:
                groups = self._timed(
                    "package pool", engine.reduced_index, self.index.repos,
                    self.requests(specs), policy=self.policy, memo=self.memo,
                )
            except engine.EngineError as exc:
                # classic's verify_specs: a required spec no channel offers at all is
                # ResolvePackageNotFound here, before any other check
                raise self._convert(exc) from exc
            pool = self._pools[key] = _RecordPool(groups)
        return pool

    def newest_update(self, record):
        """classic's ``_package_has_updates`` rule (it compares version strings as text)."""
        for candidate in self.index.sorted_records(record.name):
            if candidate.version > record.version:
                return candidate
            if (
                candidate.version == record.version
                and candidate.build_number > record.build_number
            ):
                return candidate
        return None

    def conflicting(self, specs, explicit=()):
        """classic's ``get_conflicting_specs``: () when all hold, else the conflicting ones.

        Without ``unsatisfiable_hints`` classic answers nothing either way (its callers then
        loosen nothing and let the final solve fail), so this asks the engine nothing."""
        # classic tries them in set order, which varies from run to run; name order is as
        # arbitrary but stable, and unlike a prefix's (dependencies first) holds no bias
        specs = tuple(sorted(specs, key=str))
        if not specs or not context.unsatisfiable_hints:
            return ()
        explicit = tuple(explicit)
        spec_requests = self.requests(specs)
        explicit_requests = self.requests(explicit)
        try:
            found = self._timed(
                "conflict checks", engine.conflicting_specs, self.index.repos, spec_requests,
                policy=self.policy, memo=self.memo, explicit=explicit_requests,
            )
        except engine.EngineError as exc:
            # classic's reduction checks every required spec first: ResolvePackageNotFound
            raise self._convert(exc) from exc
        by_request = {id(req): spec for spec, req in zip(
            (*explicit, *specs), (*explicit_requests, *spec_requests))}
        return {by_request[id(req)] for req in found}

    def solve(self, specs, warn_alternatives: bool = False) -> list:
        """The engine's solution for ``specs`` as conda records (installed ones reused).

        With ``warn_alternatives``, classic's final solve: other solutions as good by every
        objective are printed as classic's "possible package resolutions" warning."""
        others = [] if warn_alternatives else None
        try:
            chosen = self._timed(
                "engine solve", engine.solve, self.index.repos, self.requests(specs),
                policy=self.policy, memo=self.memo, alternatives=others,
            )
        except engine.EngineError as exc:
            raise self._convert(exc) from exc
        records = [self._to_conda(rec) for rec in chosen if rec["channel"] != "@"]
        if others:
            solutions = [records, *([self._to_conda(rec) for rec in alt] for alt in others)]
            stdoutlog(alternatives_warning([[r.dist_str() for r in s] for s in solutions]))
        return records

    def inconsistent(self, records) -> list:
        """classic's ``bad_installed``: the records of ``records`` that cannot hold together."""
        records = list(records)
        try:
            found = self._timed("consistency check", engine.inconsistent_records,
                                [to_engine_record(rec) for rec in records])
        except engine.EngineError as exc:
            raise self._convert(exc) from exc
        return [records[i] for i in found]

    def channel_copies(self, records) -> tuple:
        """Each record as its channel has it, where one does (classic's ``index.get``)."""
        return tuple(self.index.engine_record(rec).record for rec in records)

    def raise_python_conflict(self, spec_set, freeze_installed: bool):
        """Python's minor version cannot hold with the request: raise classic's error.

        Before conda's unfrozen retry the error carries no hints (classic skips the costly
        search there); otherwise it explains the conflict.
        """
        if self.solver._command == "install" and retry_is_coming(self.inp):
            raise UnsatisfiableError({})
        self.solve(spec_set)  # raises the classified error
        raise UnsatisfiableError({})  # the engine found a solution the check did not

    # endregion

    def _timed(self, phase: str, function, *args, **kwargs):
        """Call the engine as ``phase``; its own phase times join when it reports them."""
        stats = {} if accepts_stats(function) else None
        if stats is not None:
            kwargs["stats"] = stats
        try:
            with self.times.phase(phase):
                return function(*args, **kwargs)
        finally:
            if stats:
                self.times.add_engine(stats)

    def _to_conda(self, engine_record) -> PackageRecord:
        record = engine_record.record
        installed = self.inp.installed.get(record.name)
        return installed if installed is not None and installed == record else record

    def _convert(self, exc: Exception) -> Exception:
        return errors.from_engine(
            exc,
            specs_to_add=self.inp.specs_to_add,
            history=self.inp.history,
            find_matches=self.index.find_matches,
            virtual=self.inp.virtual,
            should_retry_solve=retry_is_coming(self.inp),
        )


class _RecordPool(Mapping):
    """``package_pool``'s answer: engine records per name, turned into conda records on
    first lookup (most solves only ask whether a name is there)."""

    def __init__(self, groups: dict[str, list]):
        self._groups = groups
        self._records: dict[str, set[PackageRecord]] = {}

    def __getitem__(self, name: str) -> set[PackageRecord]:
        records = self._records.get(name)
        if records is None:
            # a feature's pseudo-record (classic's "feat@") has no conda record
            records = self._records[name] = {
                rec.record for rec in self._groups[name] if hasattr(rec, "record")
            }
        return records

    def __iter__(self):
        return iter(self._groups)

    def __len__(self):
        return len(self._groups)


def retry_is_coming(inp: SolveInput) -> bool:
    """Whether conda's CLI will retry this solve unfrozen after an unsatisfiable answer.

    conda also passes ``should_retry_solve`` for its current_repodata -> repodata loop; that
    retry would see the same full repodata again, so only the frozen attempt counts.
    """
    mods = inp.modifiers
    return mods.should_retry_solve and mods.update_modifier == UpdateModifier.FREEZE_INSTALLED


class _RequestedRecords:
    """The requested names' records, as classic's ``get_constrained_packages`` reads its
    index: read only if it gets that far (it returns early when a request was not installed
    before or is absent after), and iterable more than once.

    That method reads only ``name`` and ``version``: each record is a ``_NameVersion`` of its
    engine record, not a ``PackageRecord`` built for it (a request with a version reads
    every record of its name, hundreds on a large channel, at about 40 us each)."""

    def __init__(self, index, names):
        self.index = index
        self.names = tuple(names)

    def __iter__(self):
        for name in self.names:
            for rec in self.index.engine_records(name):
                yield _NameVersion(rec["name"], rec["version"])


class _NameVersion(NamedTuple):
    """What ``get_constrained_packages`` reads of a record."""

    name: str
    version: str
