"""``Reduction._fails_early``: a record with a dependency, on a name an explicit spec narrows,
that has no live match is dropped before its other dependencies are parsed, with the answer
the full check gives.

The shape it is for is ``anaconda 1.5.0`` with ``python 2.7*`` (conda's ``index.json``): the
metapackage's builds for python 2.6 and 3.3 each depend on a hundred exact pins, and one of
them, on python, has no live match once the python group is filtered.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from conda_altsolver.engine import Policy, Repo
from conda_altsolver.engine.pool import MIXED, Pool
from conda_altsolver.engine.reduce import Reduction
from conda_altsolver.engine.solve import _parse_requests, _requested_features

sys.path.insert(0, str(Path(__file__).resolve().parent))
from random_channels import random_records  # noqa: E402

NAMES = ["a", "b", "c", "d", "e"]


class _FullCheck(Reduction):
    """The reduction without the early check: every record is parsed whole by ``_watch``."""

    def _fails_early(self, rid):
        return False


def _record(name, version, build, depends=(), **extra):
    return {"name": name, "version": version, "build": build, "build_number": 0,
            "depends": list(depends), "channel": "one", "subdir": "noarch", **extra}


def _run(cls, records, specs, strict=True):
    policy = Policy(channel_order=("one", "two"),
                    channel_priority="strict" if strict else "flexible")
    pool = Pool([Repo.from_records(records)], policy)
    requests = _parse_requests(pool, specs)
    reduction = cls(pool, strict)
    kept = reduction.run([r.dep for r in requests if r.dep is not None],
                         _requested_features(requests))

    def ident(rid):  # ids follow the load order, which the early check may change
        record = pool.records[rid]
        return record["name"], record["version"], record["build"]

    parsed = {ident(rid) for rid in range(len(pool.records)) if pool.has_deps(rid)}
    dropped = {ident(rid): why for rid, why in reduction.filter_out.items() if why}
    return sorted(map(ident, kept)), dropped, parsed


#: a python the request keeps (2.7) and one it rules out (2.6)
PYTHONS = [_record("python", "2.6.8", "0"), _record("python", "2.7.4", "0")]


def _metapackage_channel(pins: int = 30) -> list:
    records = [_record("python", v, "0") for v in ("2.6.8", "2.7.4", "3.3.1")]
    for tag, python in (("py26", "2.6.8"), ("py27", "2.7.4"), ("py33", "3.3.1")):
        depends = [f"python {python} 0"] + [f"lib{i} 1.0 {tag}_0" for i in range(pins)]
        records.append(_record("meta", "1.5.0", tag, depends))
    for i in range(pins):
        for tag in ("py26", "py27", "py33"):
            records.append(_record(f"lib{i}", "1.0", f"{tag}_0", [f"python {tag[2]}.{tag[3]}*"]))
    return records


def test_builds_for_another_python_are_dropped_without_parsing_them():
    records = _metapackage_channel()
    specs = ["meta 1.5.0", "python 2.7*"]
    kept, dropped, parsed = _run(Reduction, records, specs)
    full_kept, full_dropped, full_parsed = _run(_FullCheck, records, specs)
    assert (kept, dropped) == (full_kept, full_dropped)
    assert ("meta", "1.5.0", "py27") in kept
    for tag in ("py26", "py33"):
        assert dropped[("meta", "1.5.0", tag)] == "unsatisfiable dependencies"
        assert ("meta", "1.5.0", tag) in full_parsed  # the full check reads them whole
        assert ("meta", "1.5.0", tag) not in parsed  # the early check does not


def _tools_both_ways(*tools) -> tuple:
    """(early, full): ``_run``'s (kept, dropped) for ``tool`` and ``python 2.7*`` over the
    pythons and these ``tool`` records, with the early check and without it."""
    records, specs = [*PYTHONS, *tools], ["tool", "python 2.7*"]
    return _run(Reduction, records, specs)[:2], _run(_FullCheck, records, specs)[:2]


def test_a_constraint_replacing_the_dependency_keeps_the_record():
    # constrains on a name the record depends on replaces that dependency (combined_depends):
    # "python 2.6*" alone has no live match, "python >=2.6" has
    early, full = _tools_both_ways(
        _record("tool", "1.0", "0", ["python 2.6*"], constrains=["python >=2.6"]))
    assert early == full
    assert ("tool", "1.0", "0") in early[0]


def test_a_repeated_name_fails_as_its_merged_spec():
    early, full = _tools_both_ways(
        _record("tool", "1.0", "0", ["python >=2.6", "python <2.7"]),
        _record("tool", "2.0", "0", ["python >=2.6", "python <3"]))
    assert early == full
    assert ("tool", "2.0", "0") in early[0] and ("tool", "1.0", "0") in early[1]


def test_an_invalid_dependency_still_drops_the_record():
    (kept, dropped), (full_kept, full_dropped) = _tools_both_ways(
        _record("tool", "1.0", "0", ["python 2.6*", "other >=>1"]),
        _record("tool", "2.0", "0", ["python 2.7*", "other >=>1"]))
    assert kept == full_kept == [("python", "2.7.4", "0")]
    assert dropped.keys() == full_dropped.keys()
    # the documented difference: the early check names the unmet dependency's reason
    assert dropped[("tool", "1.0", "0")] == "unsatisfiable dependencies"
    assert full_dropped[("tool", "1.0", "0")] == "invalid dep specs"
    assert dropped[("tool", "2.0", "0")] == full_dropped[("tool", "2.0", "0")]


def _with_repeats(rnd: random.Random, records: list) -> list:
    """Some records also depend twice on one name (merged into one narrower spec)."""
    for record in records:
        if record["depends"] and rnd.random() < 0.2:
            name = record["depends"][0].partition(" ")[0]
            record["depends"].append(f"{name} <{rnd.randint(2, 5)}")
    return records


@pytest.mark.parametrize("seed", range(150))
def test_random_channels_give_the_full_checks_answers(seed):
    rnd = random.Random(seed)
    shape = rnd.choice([{}, {"versions": 5, "builds": 2, "missing": 0.05}])
    records = _with_repeats(rnd, random_records(rnd, NAMES, **shape))
    for strict in (True, False):
        for _ in range(4):
            specs = [rnd.choice([n, f"{n} >={rnd.randint(1, 3)}", f"{n} {rnd.randint(1, 3)}.*",
                                 f"{n} <{rnd.randint(2, 4)}"])
                     for n in rnd.sample(NAMES, rnd.randint(1, 3))]
            kept, dropped, _ = _run(Reduction, records, specs, strict)
            assert (kept, dropped) == _run(_FullCheck, records, specs, strict)[:2]


def test_one_channel_names_a_groups_only_channel():
    """The strict channel filter reads no record of a name whose records share a channel
    (``Pool.one_channel``); a name across channels still has each record read."""
    records = [
        _record("single", "1", "0"),
        _record("single", "2", "0"),
        _record("both", "1", "0"),
        {**_record("both", "2", "0"), "channel": "two"},
    ]
    kept, dropped, _ = _run(Reduction, records, ["single", "both"])
    assert kept == [("both", "1", "0"), ("single", "1", "0"), ("single", "2", "0")]
    assert dropped == {("both", "2", "0"): "removed due to strict channel priority"}
    policy = Policy(channel_order=("one", "two"), channel_priority="strict")
    pool = Pool([Repo.from_records(records)], policy)
    pool.group("single"), pool.group("both")
    assert pool.one_channel("single") == "one"
    assert pool.one_channel("both") is MIXED
