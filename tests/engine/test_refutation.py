"""A failed solve whose reduced index leaves a requested spec without a record is refuted
from the reduction's drops.

``Reduction.refuting_drops`` lists dependency clauses that, with the requests, rule out every
record of a name that must be installed; ``_computed_conflict`` then encodes those clauses
only, not the whole index. Checked here: on seeded random channels, every such list makes an
unsatisfiable problem, and the conflict found from it is one over the whole index too; what
no request has a part in is told without the requests; dependencies passed down by a
required name's records count; where classic's reduction relied on the strict channel
filter, there is no list and the whole index is encoded as before.
"""

from __future__ import annotations

import importlib
import random
import sys
from pathlib import Path

import pytest

from conda_altsolver.engine import Policy, Repo, Unsatisfiable, ValidityMemo, solve
from conda_altsolver.engine.pool import Pool
from conda_altsolver.engine.reduce import reduced_ids

sys.path.insert(0, str(Path(__file__).resolve().parent))
from random_channels import random_records  # noqa: E402

solve_module = importlib.import_module("conda_altsolver.engine.solve")

NAMES = ["a", "b", "c", "d", "e", "f"]


def _record(name, version, depends=(), channel="one"):
    return {"name": name, "version": version, "build": "0", "build_number": 0,
            "depends": list(depends), "channel": channel, "subdir": "noarch"}


def _requests(pool, specs):
    return solve_module._parse_requests(pool, specs)


def _refutation(pool, requests, memo=None):
    """The reduction's answer and its ``refuting_drops``."""
    why: list = []
    explicit = [r.dep for r in requests if r.dep is not None]
    kept = reduced_ids(pool, pool.policy.strict, explicit, [], memo, why)
    return kept, why[0]


def _satisfiable(pool, requests, refutation=None) -> bool:
    if refutation is None:
        solver, encoder, selectors = solve_module._whole_index_encoding(pool, requests)
    else:
        groups = solve_module._refutation_groups(pool, requests, refutation)
        solver, encoder, selectors = solve_module._whole_index_encoding(
            pool, requests, groups=groups, clauses_of=solve_module._clauses_of(refutation))
    try:
        return solver.solve(assumptions=selectors)
    finally:
        encoder.detach()


@pytest.mark.parametrize("seed", range(60))
def test_refuting_drops_refute_and_their_conflicts_hold_on_the_whole_index(seed):
    rnd = random.Random(seed)
    repos = [Repo.from_records(random_records(rnd, NAMES, versions=5, builds=2, missing=0.1))]
    for priority in ("strict", "flexible", "disabled"):
        policy = Policy(channel_order=("one", "two"), channel_priority=priority)
        memo = ValidityMemo()  # carried across this policy's reductions, as conda's solver does
        pool = memo.shared_pool(repos, policy, Pool)
        for _ in range(6):
            specs = [rnd.choice([n, f"{n} >={rnd.randint(1, 4)}", f"{n} {rnd.randint(1, 4)}.*",
                                 f"{n} <{rnd.randint(1, 4)}"])
                     for n in rnd.sample(NAMES, rnd.randint(1, 4))]
            requests = _requests(pool, specs)
            if any(not pool.matches(r.spec) for r in requests):
                continue  # not found: no reduction runs
            kept, refutation = _refutation(pool, requests, memo)
            if refutation is None:
                continue
            assert not _satisfiable(pool, requests, refutation)
            core = solve_module._computed_conflict(pool, requests, None, refutation)
            assert core and not _satisfiable(pool, core)


def test_the_random_cases_reach_the_refutation():
    """The seeds above are not vacuous: requests of that shape are often refuted so."""
    found = 0
    for seed in range(0, 60, 5):
        rnd = random.Random(seed)
        records = random_records(rnd, NAMES, versions=5, builds=2, missing=0.1)
        pool = Pool([Repo.from_records(records)], Policy())
        for _ in range(20):
            specs = [f"{n} <{rnd.randint(1, 4)}" for n in rnd.sample(NAMES, rnd.randint(1, 4))]
            requests = _requests(pool, specs)
            if all(pool.matches(r.spec) for r in requests):
                found += _refutation(pool, requests)[1] is not None
    assert found >= 10


def test_a_given_clash_is_refuted_from_the_drops_alone():
    # b 1 is requested, so b 2 is ruled out; a 1 needs b 2, so a's only record is ruled out
    records = [_record("a", "1", ["b 2"]), _record("b", "1"), _record("b", "2", ["c"]),
               _record("c", "1")]
    pool = Pool([Repo.from_records(records)], Policy())
    requests = _requests(pool, ["a", "b 1"])
    kept, refutation = _refutation(pool, requests)
    assert [pool.records[rid]["name"] for rid in kept] == ["b"]  # b 1: a is what lost all
    assert [(pool.records[rid]["name"], [d.text for d in deps]) for rid, deps in refutation] \
        == [("a", ["b==2"])]
    with pytest.raises(Unsatisfiable) as info:
        solve([Repo.from_records(records)], ["a", "b 1"])
    assert info.value.explanation == (
        "Because every version of a depends on b 2 and you requested a and b 1, no solution is "
        "possible.")


def test_what_no_request_has_a_part_in_is_told_without_the_requests():
    # a 1 needs b 2, which the request b 1 rules out, and also c, which nothing provides:
    # the second alone rules a out, so the conflict is a alone, as over the whole index
    records = [_record("a", "1", ["b 2", "c"]), _record("b", "1"), _record("b", "2")]
    pool = Pool([Repo.from_records(records)], Policy())
    requests = _requests(pool, ["a", "b 1"])
    refutation = _refutation(pool, requests)[1]
    assert [[d.text for d in deps] for _rid, deps in refutation] == [["c"]]
    with pytest.raises(Unsatisfiable) as info:
        solve([Repo.from_records(records)], ["a", "b 1"])
    assert info.value.core == ("a",)
    assert info.value.explanation == (
        "Because nothing provides c needed by every version of a and you requested a, no "
        "solution is possible.")


def test_a_dependency_passed_down_by_a_required_name_refutes_too():
    # classic's reduction drops y 2 because x's only record needs y 1 (a dependency passed
    # down from x's survivors, not a request), and then z 1, which needs y 2: x must be
    # installed, so y must be (a 1) and z too, whose only record is then ruled out
    records = [_record("x", "1", ["y 1", "z"]), _record("y", "1"), _record("y", "2"),
               _record("z", "1", ["y 2"])]
    pool = Pool([Repo.from_records(records)], Policy())
    requests = _requests(pool, ["x"])
    kept, refutation = _refutation(pool, requests)
    assert kept == []
    clauses = {(pool.records[rid]["name"], dep.text) for rid, deps in refutation for dep in deps}
    assert clauses == {("x", "y==1"), ("x", "z"), ("z", "y==2")}
    assert not _satisfiable(pool, requests, refutation)
    with pytest.raises(Unsatisfiable) as info:
        solve([Repo.from_records(records)], ["x"])
    assert info.value.core == ("x",)
    assert info.value.explanation == (
        "Because every version of x depends on y 1 and every version of z depends on y 2, x "
        "and z are incompatible.\n"
        "And because every version of x depends on z and you requested x, no solution is "
        "possible.")
    # the whole index's refutation tells it the same way
    from conda_altsolver.engine.explain import explain_conflict

    reasons: list = []
    core = solve_module._computed_conflict(pool, requests, reasons)
    assert explain_conflict(pool, requests, reasons, core).text == info.value.explanation


def test_the_strict_channel_filter_leaves_the_whole_index_to_refute():
    # strict priority keeps b from channel one only, where b 2 is missing: classic's reduction
    # is empty, but the whole index (b 2 from two) is what the explanation must refute
    records = [_record("a", "1", ["b 2"]), _record("b", "1"),
               _record("b", "2", channel="two")]
    policy = Policy(channel_order=("one", "two"), channel_priority="strict")
    pool = Pool([Repo.from_records(records)], policy)
    requests = _requests(pool, ["a"])
    kept, refutation = _refutation(pool, requests)
    assert kept == [] and refutation is None
    with pytest.raises(Unsatisfiable) as info:
        solve([Repo.from_records(records)], ["a"], policy=policy)
    assert "strict channel priority" in info.value.explanation


def test_reduction_drops_are_not_asked_for_a_kept_index():
    records = [_record("a", "1", ["b"]), _record("b", "1")]
    pool = Pool([Repo.from_records(records)], Policy())
    requests = _requests(pool, ["a"])
    kept, refutation = _refutation(pool, requests)
    assert len(kept) == 2 and refutation is None
