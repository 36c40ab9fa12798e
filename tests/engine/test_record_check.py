"""Malformed package records: an ``InvalidRecord`` naming the record and its field, raised when
a solve reaches the record; never a stray ``TypeError``, and never a poisoned channel."""

from __future__ import annotations

import json

import pytest

from conda_altsolver.engine import (
    InvalidRecord,
    Policy,
    Repo,
    SpecRequest,
    Unsatisfiable,
    solve,
)
from conda_altsolver.engine.pool import Pool
from conda_altsolver.engine.record_check import invalid_record, record_problem
from conda_altsolver.engine.repodata import load_repodata


def record(name, version="1.0", build="0", **extra):
    fields = {"name": name, "version": version, "build": build, "build_number": 0,
              "depends": [], "channel": "chan", "subdir": "linux-64",
              "fn": f"{name}-{version}-{build}.tar.bz2"}
    fields.update(extra)
    return fields


#: (what the bad record has, the field named, words of the reason)
MALFORMED = [
    ({"version": "1..0"}, "version", "not a valid conda version (empty version component)"),
    ({"version": ""}, "version", "empty version string"),
    ({"depends": [5]}, "depends", "holds 5, not a spec string"),
    ({"depends": [None]}, "depends", "holds None"),
    ({"depends": [{"a": 1}]}, "depends", "holds {'a': 1}"),
    ({"depends": ["zlib", ["x"]]}, "depends", "holds ['x']"),
    ({"constrains": [1]}, "constrains", "holds 1"),
    ({"track_features": 5}, "track_features", "not a string or a list of strings"),
    ({"track_features": ["x", 3]}, "track_features", "['x', 3]"),
    ({"features": 7}, "features", "is 7"),
    ({"timestamp": "2020-01-01"}, "timestamp", "not a number"),
    ({"timestamp": 10**400}, "timestamp", "too large for a time"),
    ({"version": "1." + "1" * 5000}, "version", "a number too long"),
]

#: values odd but readable: classic takes them, and so does the engine
TOLERATED = [
    {"build": ""},
    {"build_number": -1},
    {"timestamp": -5},
    {"timestamp": 10**30},
    {"md5": 123},
    {"track_features": ""},
    {"track_features": ["a", "b"]},
    {"depends": ["", "zlib"]},
]


@pytest.mark.parametrize("bad, field, words", [
    *MALFORMED, ({"build_number": "zero"}, "build_number", "not an integer")])
def test_record_problem_names_the_field(bad, field, words):
    problem = record_problem(record("bad", **bad))
    assert problem is not None and problem[0] == field and words in problem[1]


@pytest.mark.parametrize("odd", TOLERATED)
def test_readable_records_have_no_problem(odd):
    assert record_problem(record("odd", **odd)) is None
    assert invalid_record([record("good"), record("odd", **odd)]) is None


def _solve(records, specs):
    repo = Repo.from_records([*records, record("zlib")])
    return solve([repo], [SpecRequest(s) for s in specs], policy=Policy())


@pytest.mark.parametrize("bad, field, words", MALFORMED)
def test_a_solve_reaching_a_malformed_record_names_it(bad, field, words):
    records = [record("bad", **bad), record("good"), record("app", depends=["bad"])]
    for specs in (["bad"], ["app"]):
        with pytest.raises(InvalidRecord) as raised:
            _solve(records, specs)
        error = raised.value
        assert error.field == field and words in error.reason
        assert error.record["fn"] in str(error) and repr(field) in str(error)
    # a request that never reaches it is not disturbed
    assert [r["name"] for r in _solve(records, ["good"])] == ["good"]


@pytest.mark.parametrize("specs", [["app", "dep 1.0"], ["app 1.0 0"]])
def test_a_non_string_dependency_is_named_on_every_path(specs):
    """The early check of a narrowed name's dependencies and the exactness sort of explicit
    specs read dependency texts before ``Pool.deps`` does: they leave it to name the entry."""
    records = [record("app", depends=[7, "dep 1.0"]), record("dep")]
    with pytest.raises(InvalidRecord, match="'depends' holds 7"):
        _solve(records, specs)


def test_values_that_fail_only_side_by_side_name_the_odd_record():
    """A build number that is text passes alone; sorting it against a number fails, and the
    record with the text is the one named."""
    records = [record("a", build="0", build_number=0), record("a", build="1", build_number="1")]
    with pytest.raises(InvalidRecord, match="a-1.0-1.tar.bz2: 'build_number' is '1'"):
        _solve(records, ["a"])


def test_a_feature_whose_tracker_failed_to_load_fails_again():
    """A feature's trackers load as a whole or not at all: after one raised, a solve on the
    same memo (the adapter carries one across a conda solve) raises again rather than
    finding no tracker and calling the request unsatisfiable."""
    from conda_altsolver.engine import ValidityMemo

    records = [record("bad", "1..0", track_features="f"), record("good", track_features="f"),
               record("app", "2.0", features="f")]
    repo = Repo.from_records(records)
    memo = ValidityMemo()
    for _ in range(2):
        with pytest.raises(InvalidRecord, match="'version' is '1..0'"):
            solve([repo], [SpecRequest("app 2.0")], policy=Policy(), memo=memo)


def test_a_reduction_interrupted_mid_walk_leaves_the_memo_sound():
    """The bad record is met in the last walk (``is_valid``), after verdicts on the way were
    taken: the memo keeps only verdicts whose judgment finished (each as a finished run
    would have left it), so the same request fails again and other requests get the
    answers a fresh memo gives."""
    from conda_altsolver.engine import ValidityMemo

    records = [record("app", "2.0", depends=["mid", "other"]), record("app", "1.0"),
               record("other", depends=["leaf"]), record("leaf"), record("mid", depends=["bad"]),
               record("bad", "1..0")]
    repo = Repo.from_records(records)
    memo = ValidityMemo()
    for _ in range(2):
        with pytest.raises(InvalidRecord, match="'version' is '1..0'"):
            solve([repo], [SpecRequest("app")], policy=Policy(), memo=memo)
    for specs in (["other"], ["app 1.0"], ["app 1.0", "other"]):
        fresh = solve([repo], [SpecRequest(s) for s in specs], policy=Policy())
        kept = solve([repo], [SpecRequest(s) for s in specs], policy=Policy(), memo=memo)
        assert [(r["name"], r["version"]) for r in kept] == [
            (r["name"], r["version"]) for r in fresh]


def test_an_unparseable_number_in_a_dependency_is_explained():
    with pytest.raises(Unsatisfiable) as raised:
        _solve([record("a", depends=["b >=" + "1" * 5000]), record("b")], ["a"])
    assert "invalid dependency specs (invalid match spec 'b >=111" in raised.value.explanation


def test_a_failed_group_adds_nothing_to_the_pool():
    pool = Pool([Repo.from_records([record("a", "1.0"), record("a", "2..0", build="1")])],
                Policy())
    with pytest.raises(InvalidRecord, match="'2..0'"):
        pool.group("a")
    assert pool.records == [] and pool.names == [] and "a" not in pool.loaded_names()


def test_a_malformed_feature_leaves_the_rest_of_the_channel_readable(tmp_path):
    """Reading a file works out which names track which feature; a value it cannot split
    must not fail the whole file, only a solve that reaches its record."""
    path = tmp_path / "linux-64" / "repodata.json"
    path.parent.mkdir(parents=True)
    packages = {"bad-1.0-0.tar.bz2": {**record("bad", track_features=5)},
                "good-1.0-0.tar.bz2": record("good"),
                "mkl-1.0-0.tar.bz2": record("mkl", track_features="mkl")}
    path.write_text(json.dumps({"info": {"subdir": "linux-64"}, "packages": packages}))
    for _ in ("cold", "warm"):
        repo = load_repodata(path, "chan", cache_dir=str(tmp_path / "cache"))
        assert repo.names_tracking("mkl") == {"mkl"}
        assert [r["name"] for r in solve([repo], [SpecRequest("good")], policy=Policy())] \
            == ["good"]
        with pytest.raises(InvalidRecord, match="bad-1.0-0.tar.bz2: 'track_features'"):
            solve([repo], [SpecRequest("bad")], policy=Policy())
