"""An answer classic's objectives force (``forced.py``) is the search's answer.

A solve whose requests single out one record per name through best-ranked records returns
those without encoding or searching (``_Solve.forcing``). These tests solve the same
requests both ways, on random channels made to have the ties that need the walk's
viability check (builds of one version, equal build numbers, different dependencies), and
compare the records, every objective's optimum and the alternatives; then they pin down
when the walk must decline.
"""

from __future__ import annotations

import importlib
import random
import sys
from pathlib import Path

import pytest

from conda_altsolver.engine import PackagesNotFound, Policy, Repo, SpecRequest, Unsatisfiable

solve_module = importlib.import_module("conda_altsolver.engine.solve")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine_data import load_test_index  # noqa: E402

NAMES = ["a", "b", "c", "d", "e", "f"]
GLIBC = {"name": "__glibc", "version": "2.17", "build": "0", "build_number": 0, "channel": "@",
         "subdir": "linux-64", "depends": [], "package_type": "virtual_system"}


def _record(name, version, build="0", depends=(), channel="one", **fields):
    record = {"name": name, "version": version, "build": build, "build_number": 0,
              "depends": list(depends), "channel": channel, "subdir": "linux-64"}
    record.update(fields)
    return record


def _tied_records(rnd: random.Random) -> list:
    """Names with a few versions, each with builds that often tie on every rank (same
    build number, no timestamp) while depending on different things, as conda's
    metapackage builds do (``anaconda 1.5.0`` per numpy and python), in one or two
    channels; now and then a constrains, a virtual package dependency, a feature."""
    records = [GLIBC]
    for name in NAMES:
        for version in range(1, rnd.randint(2, 4)):
            for channel in rnd.sample(["one", "two"], rnd.choice([1, 1, 2])):
                for build in range(rnd.randint(1, 3)):
                    depends = []
                    for other in rnd.sample(NAMES, rnd.randint(0, 3)):
                        if other == name:
                            continue
                        pin = rnd.randint(1, 3)
                        depends.append(rnd.choice([
                            other, f"{other} {pin}", f"{other} >={pin}", f"{other} <{pin}",
                            f"{other} {pin} {channel}0"]))
                    if rnd.random() < 0.1:
                        depends.append(rnd.choice(["__glibc >=2.17", "__glibc >=2.28"]))
                    record = _record(name, str(version), f"{channel}{build}", depends, channel,
                                     build_number=rnd.choice([0, 0, 0, build]))
                    if rnd.random() < 0.3:
                        record["timestamp"] = rnd.choice([1, 2])
                    if rnd.random() < 0.1:
                        record["constrains"] = [f"{rnd.choice(NAMES)} <{rnd.randint(2, 4)}"]
                    if rnd.random() < 0.05:
                        record["track_features"] = "fx"
                    records.append(record)
    return records


def _answer(repos, specs, policy, forcing: bool, remove: bool = False):
    """(records, every objective's optimum, alternatives), or the error's kind; and the
    number of SAT solves it took."""
    run = solve_module._Solve(repos, specs, policy)
    run.forcing = forcing
    alternatives: list = []
    try:
        records = run.run(remove, solve_module._Phases(None), alternatives)
    except (PackagesNotFound, Unsatisfiable) as exc:
        return type(exc).__name__, None

    def idents(found):
        return sorted((r["name"], r["version"], r["build"], r["channel"]) for r in found)

    others = sorted(idents(found) for found in alternatives)
    return (idents(records), run.stats["values"], others), run.stats["solves"]


def _requests(rnd: random.Random) -> list:
    specs = []
    for name in rnd.sample(NAMES, rnd.randint(1, 3)):
        pin = rnd.randint(1, 3)
        specs.append(SpecRequest(rnd.choice([name, name, f"{name} >={pin}", f"{name} {pin}",
                                             f"{name} {pin} one0"])))
    return specs


def _compare_seed(seed: int) -> list:
    """Random requests on a seeded channel, solved with and without the walk; the answers
    must agree. Returns, per solve, whether the walk answered."""
    rnd = random.Random(seed)
    repo = Repo.from_records(_tied_records(rnd))
    forced = []
    for priority in ("strict", "flexible", "disabled"):
        policy = Policy(channel_order=("one", "two"), channel_priority=priority,
                        ignore_timestamps=rnd.random() < 0.3)
        for _ in range(4):
            specs = _requests(rnd)
            remove = rnd.random() < 0.2
            walked, solves = _answer([repo], specs, policy, True, remove)
            searched, _ = _answer([repo], specs, policy, False, remove)
            assert walked == searched, (seed, priority, [s.spec for s in specs])
            forced.append(solves == 0)
    return forced


@pytest.mark.parametrize("seed", range(200))
def test_a_forced_answer_is_the_searchs_on_random_channels(seed):
    _compare_seed(seed)


def test_the_random_channels_have_forced_answers_and_declined_ones():
    """Not a vacuous comparison above: the walk answers a good share of those solves (the
    others are searched, both ways)."""
    forced = [taken for seed in range(60) for taken in _compare_seed(seed)]
    assert 0.1 * len(forced) < sum(forced) < 0.9 * len(forced), (sum(forced), len(forced))


@pytest.mark.parametrize("seed", range(200))
def test_the_conflict_check_takes_a_forced_answer_as_a_model(monkeypatch, seed):
    """Classic's first conflict check (``_model_exists``): a model the walk finds, or
    else the search's verdict; the same verdict as the search alone."""
    rnd = random.Random(seed)
    repo = Repo.from_records(_tied_records(rnd))
    policy = Policy(channel_order=("one", "two"), channel_priority=rnd.choice(
        ["strict", "flexible"]))
    for _ in range(6):
        specs = _requests(rnd)
        verdicts = []
        for walking in (True, False):
            with monkeypatch.context() as patch:
                if not walking:
                    patch.setattr(solve_module, "forced_answer", lambda *args: None)
                pool = solve_module.Pool([repo], policy)
                requests = solve_module._parse_requests(pool, specs)
                verdicts.append(bool(solve_module._model_exists(
                    pool, requests, None, solve_module._Phases(None))))
        assert verdicts[0] == verdicts[1], (seed, [s.spec for s in specs])


def _walk(records, specs, policy=None):
    """The solve's answer as names -> builds, and whether the walk gave it."""
    repo = Repo.from_records(records)
    (found, _values, others), solves = _answer(
        [repo], [SpecRequest(s) for s in specs], policy or Policy(channel_order=("one",)), True)
    return {name: build for name, _version, build, _channel in found}, solves == 0, others


def test_a_tie_is_settled_by_the_build_whose_dependencies_have_best_records():
    """``meta 1``'s builds tie on every rank; b0 needs ``y 1``, not ``y``'s best, so only
    b1 can be in a model with every rank at zero: the only optimum."""
    records = [_record("meta", "1", "b1", ["x", "y 2", "z"]), _record("meta", "1", "b0", ["y 1"]),
               _record("x", "1"), _record("y", "1"), _record("y", "2"), _record("z", "1")]
    assert _walk(records, ["meta"]) == ({"meta": "b1", "x": "0", "y": "0", "z": "0"}, True, [])


def test_a_tie_the_walk_cannot_settle_is_searched():
    """Both builds of ``meta`` can be installed with best records (the count decides: b0
    needs nothing more): the walk declines, and the search finds b0."""
    records = [_record("meta", "1", "b1", ["x"]), _record("meta", "1", "b0"), _record("x", "1")]
    assert _walk(records, ["meta"]) == ({"meta": "b0"}, False, [])


def test_a_spec_from_a_chosen_record_narrows_a_tie():
    """``pin``'s chosen record asks for ``tool``'s ``b`` build, which settles its tie."""
    records = [_record("app", "1", "0", ["pin", "tool"]), _record("pin", "1", "0", ["tool 1 b"]),
               _record("tool", "1", "a"), _record("tool", "1", "b")]
    assert _walk(records, ["app"])[:2] == ({"app": "0", "pin": "0", "tool": "b"}, True)


def test_a_best_record_that_breaks_a_constrains_is_searched():
    """``b``'s best record is what ``a`` constrains away: no model with every rank at zero,
    so the search decides (b 1, one version below b's best)."""
    records = [_record("a", "1", "0", constrains=["b <2"]), _record("b", "1"), _record("b", "2")]
    assert _walk(records, ["a", "b"]) == ({"a": "0", "b": "0"}, False, [])
    searched = _answer([Repo.from_records(records)], [SpecRequest("a"), SpecRequest("b")],
                       Policy(channel_order=("one",)), False)
    assert searched[0][1]["requested-version"] == 1


def test_a_virtual_package_dependency_gets_no_clause_and_no_record():
    records = [GLIBC, _record("a", "1", "0", ["__glibc >=2.17"])]
    assert _walk(records, ["a"])[:2] == ({"a": "0"}, True)


@pytest.mark.parametrize("request_", [
    SpecRequest("a", optional=True),
    SpecRequest("a", target=_record("a", "1")),
    SpecRequest("a[track_features=fx]"),
])
def test_requests_other_than_required_plain_ones_are_searched(request_):
    """Optional installs and updates come before the other names' ranks, and a feature
    request is a pseudo-record: the walk leaves those to the search."""
    records = [_record("a", "1"), _record("a", "2", track_features="fx"), _record("b", "1")]
    repo = Repo.from_records(records)
    specs = [SpecRequest("b"), request_]
    policy = Policy(channel_order=("one",))
    walked, solves = _answer([repo], specs, policy, True)
    assert solves != 0 and walked == _answer([repo], specs, policy, False)[0]


def test_a_record_that_tracks_a_feature_is_searched():
    records = [_record("a", "1", track_features="fx")]
    assert _walk(records, ["a"]) == ({"a": "0"}, False, [])


def test_stats_say_the_walk_answered():
    stats: dict = {}
    solve_module.solve([Repo.from_records([_record("a", "1")])], ["a"], stats=stats)
    assert set(stats) == {"reduce", "encode", "forced"}


@pytest.mark.data
def test_conda_index_anaconda_is_forced(data_dir):
    """conda's ``index.json``: ``anaconda 1.5.0`` with ``python 2.7*`` (its np16 and np17
    builds tie; only np17's numpy is best), 107 packages, the search's answer."""
    repo = Repo.from_records(load_test_index(data_dir, "index.json"))
    policy = Policy(channel_order=("channel-1",))
    specs = [SpecRequest("anaconda 1.5.0"), SpecRequest("python 2.7*")]
    walked, solves = _answer([repo], specs, policy, True)
    assert solves == 0 and len(walked[0]) == 107
    assert walked == _answer([repo], specs, policy, False)[0]
