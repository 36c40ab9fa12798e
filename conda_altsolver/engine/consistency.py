"""Whether installed records hold together: classic's ``Resolve.bad_installed``.

Before a solve, classic's solver checks the records it starts from on their own: each record
asked for exactly, over an index of just those records. When they cannot all hold, the ones
outside a largest subset that can are "inconsistent": the caller lets them float and puts
them back afterwards (the adapter's ``state.set_aside_inconsistent``).

As in classic's clauses, a dependency on a virtual package (``__glibc``) is not checked, a
record's ``features`` need an installed tracker, and python's plain ``pip`` dependency is
dropped when pip is not installed (conda adds it to python records itself).
"""

from __future__ import annotations

from .encode import Encoder
from .gcpause import gc_paused
from .policy import Policy
from .pool import Pool
from .repo import Repo
from .sat import SatSolver
from .spec import parse_spec


def inconsistent_records(records: list[dict]) -> list[int]:
    """Positions in ``records`` (one per name) of those classic finds inconsistent: none
    when all hold together, else those left out of a largest subset that does."""
    if not records:
        return []
    with gc_paused():
        records = _without_unrecorded_pip(records)
        pool = Pool([Repo.from_records(records)], Policy())
        groups = {name: list(pool.group(name)) for name in sorted({r["name"] for r in records})}
        if _all_hold(pool, groups):
            return []
        order = {rid: i for ids in groups.values() for i, rid in enumerate(ids)}
        solver = SatSolver()
        encoder = Encoder(solver, pool, groups, order.__getitem__, eager=True)
        try:
            for rid, var in encoder.rec_var.items():
                if pool.deps(rid) is None:
                    solver.add_clause([-var], reason=("invalid", rid))
            selectors = [
                encoder.add_request(i, parse_spec(_exact(r)), False)
                for i, r in enumerate(records)
            ]
            if solver.solve(assumptions=selectors):
                return []
            kept = _most_held(solver, selectors)
            return [i for i, selector in enumerate(selectors) if selector not in kept]
        finally:
            encoder.detach()


def _all_hold(pool, groups: dict) -> bool:
    """Whether the records, all installed, meet every dependency, constrains and feature of
    theirs: with one record per name asked for exactly, that is the only model there is,
    so most environments need no search."""
    for ids in groups.values():
        for rid in ids:
            deps = pool.deps(rid)
            if deps is None:
                return False
            for dep in deps:
                if dep.name.startswith("__"):
                    continue
                if dep.feature is not None:
                    if not pool.trackers(dep.feature):
                        return False
                    continue
                found = pool.dep_matches(dep)
                if dep.optional:
                    if dep.name in groups and not found:
                        return False
                elif not found:
                    return False
    return True


def _most_held(solver, selectors: list) -> set:
    """The selectors true in a model with as many of them true as any (classic minimises
    the specs left unmet); the bound is tightened until no better model exists."""
    solver.solve()
    model = solver.model()
    handle = solver.add_pb_le([(1, -s) for s in selectors], len(selectors))
    best = model
    while True:
        unmet = sum(1 for s in selectors if s not in best)
        if unmet == 0:
            break
        solver.set_pb_bound(handle, unmet - 1)
        if not solver.solve():
            break
        best = solver.model()
    return {s for s in selectors if s in best}


def _exact(record: dict) -> str:
    return f"{record['name']} {record['version']} {record['build']}"


def _without_unrecorded_pip(records: list[dict]) -> list[dict]:
    if any(r["name"] == "pip" for r in records):
        return records
    out = []
    for record in records:
        depends = record.get("depends") or ()
        if record["name"] == "python" and "pip" in depends:
            record = dict(record, depends=[d for d in depends if d != "pip"])
        out.append(record)
    return out
