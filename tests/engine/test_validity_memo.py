"""``ValidityMemo``: a dependency verdict carried from one reduction to the next, as classic's
``Resolve`` carries it (``is_valid_spec`` memoised on its per-record dependency specs).

The channel is a miniature of conda's ``test_python2_update``. A first reduction under
``py 2.7.*`` walks from ``root`` through ``pyopenssl`` into ``crypto 2.3`` and judges ``avec``'s
py37 build invalid (its python has been pruned). A later solve for ``py 3.7.*`` keeps that
verdict: the py37 ``avec`` is out, so the ``crypto`` that needs ``avec`` loses to the older one
that does not.
"""

from __future__ import annotations

import pytest

from conda_altsolver.engine import Repo, ValidityMemo, reduced_index, solve


def _record(name, version, build, build_number=0, depends=()):
    return {"name": name, "version": version, "build": build, "build_number": build_number,
            "depends": list(depends), "channel": "test", "subdir": "linux-64"}


RECORDS = [
    _record("py", "2.7", "0"),
    _record("py", "3.7", "0"),
    _record("avec", "2.3", "py27", 0, ["py 2.7.*"]),
    _record("avec", "2.3", "py37", 1, ["py 3.7.*"]),
    _record("crypto", "2.2", "py37", 0, ["py 3.7.*"]),
    # "a..." sorts first: classic judges a record's dependencies in merged (text) order
    _record("crypto", "2.3", "py37", 0, ["avec 2.3.*", "py 3.7.*"]),
    _record("pyopenssl", "1.0", "0", 0, ["crypto"]),
    # two builds that do not share pyopenssl: the filter stage does not reach it
    _record("root", "1.0", "with_ssl", 1, ["py 2.7.*", "pyopenssl"]),
    _record("root", "1.0", "plain", 0, ["py 2.7.*"]),
]

FIRST = ["py 2.7.*", "root"]
SECOND = ["py 3.7.*", "crypto"]


def names(records) -> list[str]:
    return sorted(f"{r['name']}-{r['version']}-{r['build']}" for r in records)


def test_each_call_alone_judges_afresh():
    repos = [Repo.from_records(RECORDS)]
    assert names(solve(repos, SECOND)) == ["avec-2.3-py37", "crypto-2.3-py37", "py-3.7-0"]
    assert names(solve(repos, SECOND, memo=ValidityMemo())) == names(solve(repos, SECOND))


def test_verdict_from_an_earlier_reduction_holds():
    repos = [Repo.from_records(RECORDS)]
    memo = ValidityMemo()
    first = reduced_index(repos, FIRST, memo=memo)
    assert "pyopenssl" not in first  # judged invalid on the way, with avec's py37 build
    assert names(solve(repos, SECOND, memo=memo)) == ["crypto-2.2-py37", "py-3.7-0"]


def test_memo_keeps_verdicts_per_record_object():
    """Equal records from another repo are other records: their verdicts start empty."""
    memo = ValidityMemo()
    reduced_index([Repo.from_records(RECORDS)], FIRST, memo=memo)
    fresh = [dict(record) for record in RECORDS]
    assert names(solve([Repo.from_records(fresh)], SECOND, memo=memo)) == [
        "avec-2.3-py37", "crypto-2.3-py37", "py-3.7-0"]


@pytest.mark.conda
def test_classic_carries_the_verdict_too():
    """The same two calls on one classic ``Resolve`` give the same answers."""
    from conda.models.match_spec import MatchSpec
    from conda.models.records import PackageRecord
    from conda.resolve import Resolve

    def classic_names(records):
        return sorted(f"{p.name}-{p.version}-{p.build}" for p in records)

    precs = {PackageRecord(**r): None for r in RECORDS}
    index = {prec: prec for prec in precs}
    second = [MatchSpec(s) for s in SECOND]
    alone = Resolve(index, channels=("test",)).solve(second)
    assert classic_names(alone) == ["avec-2.3-py37", "crypto-2.3-py37", "py-3.7-0"]
    resolve = Resolve(index, channels=("test",))
    resolve.get_reduced_index(tuple(MatchSpec(s) for s in FIRST))
    assert classic_names(resolve.solve(second)) == ["crypto-2.2-py37", "py-3.7-0"]


# -- the shared pool --------------------------------------------------------------------------


def test_calls_with_one_memo_share_a_pool_and_answer_as_fresh_ones(monkeypatch):
    import importlib

    solve_module = importlib.import_module("conda_altsolver.engine.solve")
    made = []
    real_pool = solve_module.Pool

    def counting_pool(repos, policy):
        made.append(tuple(repos))
        return real_pool(repos, policy)

    monkeypatch.setattr(solve_module, "Pool", counting_pool)
    repos = [Repo.from_records(RECORDS)]
    memo = ValidityMemo()
    shared = reduced_index(repos, FIRST, memo=memo)
    answer = names(solve(repos, SECOND, memo=memo))
    assert len(made) == 1  # one pool for both calls
    # the carried verdict, as with fresh pools (the test above)
    assert answer == ["crypto-2.2-py37", "py-3.7-0"]
    fresh = reduced_index(repos, FIRST)
    assert {n: names(r) for n, r in shared.items()} == {n: names(r) for n, r in fresh.items()}
    assert len(made) == 2  # no memo: a pool of its own
    other = [Repo.from_records(RECORDS)]
    solve(other, SECOND, memo=memo)
    assert len(made) == 3 and made[-1][0] is other[0]  # other repos: not the shared pool


def test_a_call_requesting_a_feature_gets_a_pool_of_its_own(monkeypatch):
    import importlib

    solve_module = importlib.import_module("conda_altsolver.engine.solve")
    pools = []
    real_pool = solve_module.Pool

    def recording_pool(repos, policy):
        pools.append(real_pool(repos, policy))
        return pools[-1]

    monkeypatch.setattr(solve_module, "Pool", recording_pool)
    tracker = _record("mkl", "1.0", "0")
    tracker["track_features"] = "mkl"
    repos = [Repo.from_records([*RECORDS, tracker])]
    memo = ValidityMemo()
    solve(repos, ["py 3.7.*", "mkl@"], memo=memo)
    solve(repos, ["py 3.7.*"], memo=memo)
    assert len(pools) == 2
    assert pools[0].feature_records and not pools[1].feature_records


# -- minimal conflicts ------------------------------------------------------------------------


def test_a_conflict_found_once_is_given_again_on_the_shared_pool(monkeypatch):
    """conda's solver asks for the conflicting specs of one request list more than once:
    found once per pool and request list, the same answer as computing it afresh."""
    import importlib

    from conda_altsolver.engine import conflicting_specs

    solve_module = importlib.import_module("conda_altsolver.engine.solve")
    computed = []
    real = solve_module._classic_conflict

    def counting(pool, requests, *args):
        computed.append([r.request.spec for r in requests])
        return real(pool, requests, *args)

    monkeypatch.setattr(solve_module, "_classic_conflict", counting)
    repos = [Repo.from_records(RECORDS)]
    clash = ["py 2.7.*", "crypto", "root"]
    memo = ValidityMemo()
    first = conflicting_specs(repos, clash, memo=memo)
    assert first == ["crypto"] and len(computed) == 1
    assert conflicting_specs(repos, clash, memo=memo) == first and len(computed) == 1
    assert conflicting_specs(repos, clash) == first and len(computed) == 2  # no memo
    conflicting_specs(repos, list(reversed(clash)), memo=memo)  # another request list
    conflicting_specs(repos, clash[1:], memo=memo, explicit=clash[:1])  # another split
    conflicting_specs([Repo.from_records(RECORDS)], clash, memo=memo)  # another pool
    assert len(computed) == 5


def test_an_explained_conflict_is_explained_again_from_the_memo(monkeypatch):
    """A failed solve's conflict is shrunk once per pool and request list: a second solve
    with the memo gives the same explanation without shrinking again."""
    import importlib

    from conda_altsolver.engine import Unsatisfiable

    solve_module = importlib.import_module("conda_altsolver.engine.solve")
    computed = []
    real = solve_module._computed_conflict

    def counting(pool, requests, reasons, refutation=None):
        computed.append([r.request.spec for r in requests])
        return real(pool, requests, reasons, refutation)

    monkeypatch.setattr(solve_module, "_computed_conflict", counting)
    repos = [Repo.from_records(RECORDS)]
    clash = ["py 2.7.*", "crypto", "root"]
    memo = ValidityMemo()
    with pytest.raises(Unsatisfiable) as first:
        solve(repos, clash, memo=memo)
    with pytest.raises(Unsatisfiable) as shared:
        solve(repos, clash, memo=memo)
    assert len(computed) == 1
    with pytest.raises(Unsatisfiable) as fresh:
        solve(repos, clash)
    assert len(computed) == 2  # no memo: computed
    assert first.value.explanation == shared.value.explanation == fresh.value.explanation
    assert shared.value.core == fresh.value.core == ("py 2.7.*", "crypto")


# -- reduced indexes ----------------------------------------------------------------------------


@pytest.mark.parametrize("strict", [True, False])
def test_a_repeated_reduction_is_the_one_a_rerun_gives(strict, monkeypatch):
    """With a memo, a reduction asked again (same pool, same explicit specs in any order)
    is given from the memo: it must be what running it again, with every verdict other
    reductions have added since, gives. Random channels, random interleavings."""
    import importlib
    import random
    import sys
    from pathlib import Path

    from conda_altsolver.engine import Policy
    from conda_altsolver.engine.pool import Pool

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from random_channels import random_records

    solve_module = importlib.import_module("conda_altsolver.engine.solve")
    reduce_module = importlib.import_module("conda_altsolver.engine.reduce")
    runs = []

    class CountedReduction(reduce_module.Reduction):
        def run(self, explicit, features):
            runs.append(1)
            return super().run(explicit, features)

    monkeypatch.setattr(reduce_module, "Reduction", CountedReduction)
    names = ["a", "b", "c", "d", "e"]
    priority = "strict" if strict else "flexible"
    policy = Policy(channel_order=("one", "two"), channel_priority=priority)
    repeats = 0
    for seed in range(150):
        rnd = random.Random(seed)
        pool = Pool([Repo.from_records(random_records(rnd, names, builds=2, missing=0.05))],
                    policy)
        memo = ValidityMemo()
        asked = [[rnd.choice([n, f"{n} >={rnd.randint(1, 3)}"]) for n in rnd.sample(names, 2)]
                 for _ in range(3)]
        for _ in range(6):
            specs = list(rnd.choice(asked))
            rnd.shuffle(specs)
            requests = solve_module._parse_requests(pool, specs)
            explicit = [r.dep for r in requests if r.dep is not None]
            before = len(runs)
            kept = reduce_module.reduced_ids(pool, strict, explicit, [], memo)
            if len(runs) == before:  # given from the memo: compare with a rerun
                repeats += 1
                assert kept == CountedReduction(pool, strict, memo).run(explicit, [])
    assert repeats > 300  # the memo was exercised


def test_whether_requests_can_hold_is_asked_once_per_set(monkeypatch):
    import importlib

    from conda_altsolver.engine import conflicting_specs

    solve_module = importlib.import_module("conda_altsolver.engine.solve")
    checks = []
    real = solve_module._model_exists

    def counting(*args):
        checks.append(1)
        return real(*args)

    monkeypatch.setattr(solve_module, "_model_exists", counting)
    repos = [Repo.from_records(RECORDS)]
    memo = ValidityMemo()
    assert conflicting_specs(repos, SECOND, memo=memo) == []
    assert conflicting_specs(repos, list(reversed(SECOND)), memo=memo) == []
    assert len(checks) == 1  # the same set of requests: answered from the memo
    assert conflicting_specs(repos, ["py 2.7.*", "crypto", "root"], memo=memo) != []
    assert conflicting_specs(repos, SECOND) == [] and len(checks) == 3  # no memo: checked


@pytest.fixture
def runs(monkeypatch) -> list:
    """One item per reduction run from here on."""
    import importlib

    reduce_module = importlib.import_module("conda_altsolver.engine.reduce")
    found: list = []
    real_run = reduce_module.Reduction.run

    def counted(self, explicit, features):
        found.append(1)
        return real_run(self, explicit, features)

    monkeypatch.setattr(reduce_module.Reduction, "run", counted)
    return found


def _leaf_channel(rnd, names: list, leaves: list) -> list:
    """``random_records`` over ``names``, plus leaf names (1-3 versions without dependencies,
    like virtual packages, mostly in one channel) that some records depend on with a version
    bound."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from random_channels import random_records

    records = random_records(rnd, names, builds=2, missing=0.05)
    for leaf in leaves:
        for version in range(1, rnd.randint(2, 4)):
            records.append({"name": leaf, "version": str(version), "build": "0",
                            "build_number": 0, "depends": [],
                            "channel": rnd.choice(["one", "one", "two"]), "subdir": "noarch"})
    for record in records:
        if record["name"] not in leaves and rnd.random() < 0.3:
            record["depends"] = [*record["depends"], f"{rnd.choice(leaves)} >={rnd.randint(1, 3)}"]
    return records


@pytest.mark.parametrize("strict", [True, False])
def test_a_reduction_with_leaf_requests_added_is_the_one_a_run_gives(strict, runs):
    """conda's conflict check reduces the request plus a name-only spec per virtual package,
    after the package pool reduced the request alone: the memo works the second out from
    the first. It must be what running the reduction gives (a leaf record some dependency
    excludes stays out). Random channels; the extended reduction must be used."""
    import importlib
    import random

    from conda_altsolver.engine import Policy
    from conda_altsolver.engine.pool import Pool

    solve_module = importlib.import_module("conda_altsolver.engine.solve")
    reduce_module = importlib.import_module("conda_altsolver.engine.reduce")
    names, leaves = ["a", "b", "c", "d"], ["__x", "__y"]
    policy = Policy(channel_order=("one", "two"),
                    channel_priority="strict" if strict else "flexible")
    extended = 0
    for seed in range(150):
        rnd = random.Random(seed)
        pool = Pool([Repo.from_records(_leaf_channel(rnd, names, leaves))], policy)
        memo = ValidityMemo()
        request = [rnd.choice([n, f"{n} >={rnd.randint(1, 3)}"]) for n in rnd.sample(names, 2)]
        both = [*request, *rnd.sample(leaves, rnd.randint(1, 2))]
        first = solve_module._parse_requests(pool, request)
        reduce_module.reduced_ids(pool, strict, [r.dep for r in first], [], memo)
        explicit = [r.dep for r in solve_module._parse_requests(pool, both)]
        before = len(runs)
        why: list = []
        kept = reduce_module.reduced_ids(pool, strict, explicit, [], memo, why)
        if len(runs) == before:
            extended += 1
            rerun = reduce_module.Reduction(pool, strict, memo)
            assert sorted(kept) == sorted(rerun.run(explicit, []))
            assert why == [rerun.refuting_drops(explicit)] == [None]
    assert extended > 25  # the extension was exercised


def _leaf_records():
    return [
        _record("app", "1.0", "0", 0, ["__v >=2"]),
        _record("app", "0.9", "0", 0, ["__v >=2"]),
        _record("lib", "1.0", "0", 0, ["tool"]),  # tool's records are no leaves
        _record("tool", "1.0", "0", 0, ["__v"]),
        _record("__v", "1", "0"),
        _record("__v", "2", "0"),
    ]


def test_a_leaf_record_a_dependency_excludes_stays_out(runs):
    """``app``'s records all require ``__v >=2``: the filter passes drop ``__v 1``, and the
    reduction that adds the ``__v`` request keeps it out too."""
    repos = [Repo.from_records(_leaf_records())]
    memo = ValidityMemo()
    reduced_index(repos, ["app"], memo=memo)
    extended = reduced_index(repos, ["app", "__v"], memo=memo)
    assert len(runs) == 1  # worked out from the first
    assert names(extended["__v"]) == ["__v-2-0"]
    assert names(extended["__v"]) == names(reduced_index(repos, ["app", "__v"])["__v"])


def test_a_request_on_a_name_with_dependencies_is_reduced_afresh(runs):
    repos = [Repo.from_records(_leaf_records())]
    memo = ValidityMemo()
    reduced_index(repos, ["lib"], memo=memo)
    reduced_index(repos, ["lib", "tool"], memo=memo)  # tool has a dependency
    reduced_index(repos, ["lib", "__v >=2"], memo=memo)  # not a name-only spec
    assert len(runs) == 3
    reduced_index(repos, ["lib", "__v >=2", "__v"], memo=memo)  # a name it had a spec for
    assert len(runs) == 4
    reduced_index(repos, ["lib", "__v"], memo=memo)
    assert len(runs) == 4


def test_a_leaf_name_in_two_channels_is_reduced_afresh_under_strict_priority(runs):
    """Strict priority drops the records of a leaf name outside its best channel when a
    filter pass first sees the name: the request on it drops something, so the reduction
    runs (and keeps only the best channel's record)."""
    from conda_altsolver.engine import Policy

    other = {**_record("__w", "2", "0"), "channel": "other"}
    repos = [Repo.from_records([_record("lib", "1.0", "0"), _record("__w", "1", "0"), other])]
    for priority, expected in (("strict", ["__w-1-0"]), ("flexible", ["__w-1-0", "__w-2-0"])):
        policy = Policy(channel_order=("test", "other"), channel_priority=priority)
        memo = ValidityMemo()
        reduced_index(repos, ["lib"], policy, memo=memo)
        before = len(runs)
        assert names(reduced_index(repos, ["lib", "__w"], policy, memo=memo)["__w"]) == expected
        assert len(runs) == before + (priority == "strict")


def test_a_name_tracking_a_feature_is_no_leaf(runs):
    tracker = {**_record("__t", "1", "0"), "track_features": "tx"}
    repos = [Repo.from_records([_record("lib", "1.0", "0"), tracker])]
    memo = ValidityMemo()
    reduced_index(repos, ["lib"], memo=memo)
    assert names(reduced_index(repos, ["lib", "__t"], memo=memo)["__t"]) == ["__t-1-0"]
    assert len(runs) == 2
