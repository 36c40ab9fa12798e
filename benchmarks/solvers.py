"""What one benchmark child process runs: one solver on one case, measured in-process.

Each ``run_<solver>(case, options)`` returns ``(status, count, detail)``: status ``ok``,
``unsat`` (the solver proved there is no answer, or found a spec with no candidates),
``error`` or ``skip``; count the number of records in the answer (or of names loaded, for a
load-only run); optionally a dict of more fields for the result. ``measure`` wraps one in
wall time and peak RSS.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import json
import os
import re
import resource
import sys
import time

from cases import Case

_NAME = re.compile(r"[^\s=<>!~\[(,|]+")


class Skip(Exception):
    """This solver cannot run here (not installed, or not written yet)."""


def measure(solver: str, case: Case, options: dict) -> dict:
    """Run one solver once; wall time covers loading and solving, not imports."""
    runner = RUNNERS[solver]
    prepare = PREPARE.get(solver)
    try:
        if prepare is not None:
            prepare()  # imports: not what we are measuring
    except Skip as exc:
        return {"status": "skip", "detail": str(exc)}
    base_rss = peak_rss()
    start, start_cpu = time.perf_counter(), time.process_time()
    try:
        status, count, detail, *extra = runner(case, options)
    except Skip as exc:
        return {"status": "skip", "detail": str(exc)}
    wall = time.perf_counter() - start
    cpu = time.process_time() - start_cpu
    peak = peak_rss()
    result = {"status": status, "count": count, "detail": detail, "wall": wall, "cpu": cpu,
              "peak_rss": peak, "rss_growth": peak - base_rss}
    return {**result, **extra[0]} if extra else result


def peak_rss() -> int:
    """This process's peak resident set, in bytes.

    Linux's ``ru_maxrss`` survives ``execve``, so a child of a big parent would report the
    parent's peak: prefer ``VmHWM``, which belongs to the current image only.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss if sys.platform == "darwin" else maxrss * 1024  # bytes on macOS, KiB else


# ---------------------------------------------------------------------------------------
# altsolver: the engine's lazy repodata reader (+ the engine's solve once it exists)

def _engine_solve():
    """The engine's ``solve`` and friends, or None while engine/solve.py is not written."""
    if importlib.util.find_spec("conda_altsolver.engine.solve") is None:
        return None
    try:
        engine = importlib.import_module("conda_altsolver.engine")
        return engine.solve, engine.Policy, engine.SpecRequest, engine.Repo
    except (ImportError, AttributeError):
        return None


def prepare_altsolver():
    importlib.import_module("conda_altsolver.engine.repodata")
    if _engine_solve() is not None:
        # a failed solve imports its explainer on first use: imports stay outside the
        # timed span, as every solver's do (1.3-1.9 ms: an eighth of pytorch's solve)
        importlib.import_module("conda_altsolver.engine.explain")


def run_altsolver(case: Case, options: dict):
    from conda_altsolver.engine import EngineError, PackagesNotFound, Unsatisfiable
    from conda_altsolver.engine.repodata import load_repodata

    cache_dir = options.get("cache_dir")
    repos = [
        load_repodata(path, channel, cache_dir=cache_dir, cache=cache_dir is not None,
                      add_pip=case.add_pip)
        for channel, _subdir, path in case.repodata_files()
    ]
    statuses = sorted({repo.cache_status for repo in repos})
    engine = None if options.get("load_only") else _engine_solve()
    if engine is None:
        names = options.get("names")
        if names is None:
            names = load_closure(repos, case.specs)
        for name in names:
            for repo in repos:
                repo.get(name)
        return "ok", len(names), f"load-only, cache {'/'.join(statuses)}"
    solve, Policy, SpecRequest, Repo = engine
    virtual = Repo.from_records(_virtual_records(case))
    policy = Policy(channel_order=tuple(c for c, _ in case.channels), channel_priority="strict")
    try:
        records = solve([*repos, virtual], [SpecRequest(s) for s in case.specs], policy=policy)
    except (PackagesNotFound, Unsatisfiable) as exc:
        return "unsat", 0, f"{type(exc).__name__}, cache {'/'.join(statuses)}"
    except EngineError as exc:
        return "error", 0, f"{type(exc).__name__}: {str(exc)[:120]}"
    return "ok", len(records), f"cache {'/'.join(statuses)}"


def run_closure(case: Case, options: dict):
    """Not a solver: the names a load row materialises, for the parent to hand over, so
    that load rows time loading and not this walk."""
    from conda_altsolver.engine.repodata import load_repodata

    repos = [load_repodata(path, channel, cache=False, add_pip=case.add_pip)
             for channel, _subdir, path in case.repodata_files()]
    names = sorted(load_closure(repos, case.specs))
    return "ok", len(names), "", {"names": names}


def load_closure(repos, specs) -> set[str]:
    """Every name reachable from ``specs`` through any record's depends or constrains (classic
    follows both: conda's grown index and the reduction's last walk take ``combined_depends``):
    an upper bound on what a solve loads, so load-only figures are never flattering."""
    pending = [_spec_name(s) for s in specs]
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        for repo in repos:
            for record in repo.get(name):
                for dep in (*record.get("depends", ()), *record.get("constrains", ())):
                    dep_name = _spec_name(dep)
                    if dep_name not in seen:
                        pending.append(dep_name)
    return seen


def _spec_name(spec: str) -> str:
    spec = spec.strip().split("::")[-1]
    match = _NAME.match(spec)
    return match.group(0).lower() if match else spec


def _virtual_records(case: Case) -> list[dict]:
    return [
        {"name": name, "version": version, "build": build, "build_number": 0, "depends": [],
         "channel": "@", "subdir": case.subdir, "fn": f"{name}-{version}-{build}.tar.bz2",
         "url": "", "timestamp": 0}
        for name, version, build in case.virtual
    ]


# ---------------------------------------------------------------------------------------
# json-floor: what plain json.loads of the same files costs (the cold-cache yardstick)

def run_json_floor(case: Case, options: dict):
    count = 0
    for _channel, _subdir, path in case.repodata_files():
        with open(path, "rb") as stream:
            data = json.loads(stream.read())
        count += len(data.get("packages", {})) + len(data.get("packages.conda", {}))
    return "ok", count, "json.loads of every file"


def run_json_nogc(case: Case, options: dict):
    """The same with the cyclic GC paused, as altsolver's cold path parses: a stricter floor."""
    import gc

    gc.disable()
    try:
        return run_json_floor(case, options)[:2] + ("json.loads, gc paused",)
    finally:
        gc.enable()


# ---------------------------------------------------------------------------------------
# py-rattler: SparseRepoData over the same files, resolvo's solve

def prepare_rattler():
    try:
        importlib.import_module("rattler")
    except ImportError as exc:
        raise Skip("py-rattler not installed (pip install py-rattler)") from exc


def run_rattler(case: Case, options: dict):
    import rattler
    from rattler.exceptions import SolverError

    sparse = []
    for channel, subdir, path in case.repodata_files():
        directory = dict(case.channels)[channel]
        sparse.append(rattler.SparseRepoData(rattler.Channel("file://" + directory), subdir, path))
    virtual = [
        rattler.GenericVirtualPackage(rattler.PackageName(name), rattler.Version(version),
                                      rattler.BuildString(build))
        for name, version, build in case.virtual
    ]
    try:
        records = asyncio.run(
            rattler.solve_with_sparse_repodata(
                # lenient parsing, as conda reads "name 1.5.0" (strict mode refuses it)
                [rattler.MatchSpec(spec, strict=False) for spec in case.specs],
                sparse, virtual_packages=virtual,
                channel_priority=rattler.ChannelPriority.Strict,
                add_pip_as_python_dependency=case.add_pip,
            )
        )
    except SolverError as exc:
        return "unsat", 0, str(exc).splitlines()[0][:120]
    return "ok", len(records), ""


# ---------------------------------------------------------------------------------------
# conda classic: Resolve over PackageRecords built from the same repodata

def prepare_classic():
    try:
        importlib.import_module("conda.resolve")
    except ImportError as exc:
        raise Skip("conda not importable") from exc


def run_classic(case: Case, options: dict):
    from conda.exceptions import ResolvePackageNotFound, UnsatisfiableError
    from conda.models.channel import Channel
    from conda.models.records import PackageRecord
    from conda.resolve import Resolve

    from conda_altsolver.engine.repodata import load_repodata

    index = {}
    for channel, _subdir, path in case.repodata_files():
        repo = load_repodata(path, channel, cache=False, add_pip=case.add_pip)
        for name in sorted(repo.names()):
            for record in repo.get(name):
                precord = PackageRecord(**record)
                index[precord] = precord
    for name, version, build in case.virtual:
        precord = PackageRecord.virtual_package(name, version, build)
        index[precord] = precord
    resolve = Resolve(index, channels=[Channel(c) for c, _ in case.channels])
    try:
        records = resolve.install(case.specs)
    except (UnsatisfiableError, ResolvePackageNotFound) as exc:
        return "unsat", 0, type(exc).__name__
    return "ok", len([r for r in records if not r.name.startswith("__")]), ""


# ---------------------------------------------------------------------------------------
# conda-libmamba-solver, where importable: conda's Solver API over file:// channels

def prepare_libmamba():
    try:
        importlib.import_module("conda_libmamba_solver.solver")
    except ImportError as exc:
        raise Skip("conda-libmamba-solver not importable") from exc


def run_libmamba(case: Case, options: dict):
    import tempfile

    from conda.base.context import context, reset_context
    from conda.exceptions import PackagesNotFoundError, UnsatisfiableError
    from conda_libmamba_solver.solver import LibMambaSolver

    with tempfile.TemporaryDirectory() as scratch:
        os.environ["CONDA_PKGS_DIRS"] = os.path.join(scratch, "pkgs")
        os.environ["CONDA_SUBDIR"] = case.subdir
        os.environ["CONDA_OVERRIDE_GLIBC"] = "2.28"
        reset_context()
        channels = ["file://" + directory for _c, directory in case.channels]
        solver = LibMambaSolver(os.path.join(scratch, "env"), channels,
                                subdirs=(context.subdir, "noarch"), specs_to_add=case.specs)
        try:
            records = solver.solve_final_state()
        except (UnsatisfiableError, PackagesNotFoundError) as exc:
            return "unsat", 0, type(exc).__name__
    return "ok", len(records), "includes conda's own repodata load"


RUNNERS = {"altsolver": run_altsolver, "json-floor": run_json_floor,
           "json-nogc": run_json_nogc, "rattler": run_rattler,
           "classic": run_classic, "libmamba": run_libmamba, "closure": run_closure}
PREPARE = {"altsolver": prepare_altsolver, "rattler": prepare_rattler,
           "classic": prepare_classic, "libmamba": prepare_libmamba}
