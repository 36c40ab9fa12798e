"""Records with random odd or wrong field values: a solve answers, or raises an engine error
(``EngineError``: an ``InvalidRecord`` naming the record, an unsatisfiable request, a bad
spec); never any other exception. In memory, and read from a repodata.json.

Examples are the same on every run (CI's verdict is the code's);
``ALTSOLVER_HYPOTHESIS_RANDOM=1`` explores new ones, ``ALTSOLVER_HYPOTHESIS_EXAMPLES`` sets
how many.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conda_altsolver.engine import EngineError, InvalidRecord, Policy, Repo, SpecRequest, solve
from conda_altsolver.engine.record_check import record_problem
from conda_altsolver.engine.repodata import load_repodata

SETTINGS = settings(
    max_examples=int(os.environ.get("ALTSOLVER_HYPOTHESIS_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=not os.environ.get("ALTSOLVER_HYPOTHESIS_RANDOM"),
)

NAMES = ("a", "b", "c")
#: values no field should hold, and odd ones some fields may
ODD = st.sampled_from([
    None, 0, -1, 5, 1.5, True, "", "x", "1..0", "1.0", [], [5], ["a", None], ["b"], {"a": 1},
    "a,b", 10**30, 10**400, "1." + "1" * 5000,
])
DEPENDS = st.one_of(
    st.lists(st.sampled_from(["a", "b >=1", "c 1.0 0", "b <1", "", "a[", "b >=>1", "c *",
                              "b >=" + "1" * 5000]), max_size=3),
    ODD,
)
FIELDS = {
    "version": st.one_of(st.sampled_from(["1.0", "2.0", "1.0.0"]), ODD),
    "build": st.one_of(st.just("0"), ODD),
    "build_number": st.one_of(st.just(0), ODD),
    "depends": DEPENDS,
    "constrains": DEPENDS,
    "track_features": st.one_of(st.just("f"), ODD),
    "features": st.one_of(st.just("f"), ODD),
    "timestamp": st.one_of(st.just(1_600_000_000), ODD),
    "subdir": st.one_of(st.just("linux-64"), ODD),
    "package_type": st.one_of(st.just("virtual_system"), ODD),
}


@st.composite
def records(draw):
    out = []
    for index in range(draw(st.integers(1, 5))):
        name = draw(st.sampled_from(NAMES))
        record = {"name": name, "version": "1.0", "build": str(index), "build_number": 0,
                  "depends": [], "channel": "chan", "subdir": "linux-64",
                  "fn": f"{name}-{index}.tar.bz2"}
        for field in draw(st.sets(st.sampled_from(sorted(FIELDS)), max_size=2)):
            record[field] = draw(FIELDS[field])
        out.append(record)
    return out


SPECS = st.lists(st.sampled_from(["a", "b", "c 1.0", "a >=1", "f@", "*[track_features=f]"]),
                 min_size=1, max_size=2)


def _solve_or_engine_error(repos, specs):
    try:
        return solve(repos, [SpecRequest(s) for s in specs], policy=Policy())
    except InvalidRecord as exc:
        assert record_problem(exc.record) is not None  # it names a record that has one
        return exc
    except EngineError as exc:
        return exc


@SETTINGS
@given(records(), SPECS)
def test_records_in_memory_give_an_answer_or_an_engine_error(records, specs):
    _solve_or_engine_error([Repo.from_records(records)], specs)


@SETTINGS
@given(records(), SPECS)
def test_records_from_a_file_give_an_answer_or_an_engine_error(records, specs):
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "linux-64" / "repodata.json"
        path.parent.mkdir()
        packages = {}
        for record in records:
            record = {k: v for k, v in record.items() if k not in ("channel", "fn")}
            packages[f"{record['name']}-{record['build']}.tar.bz2"] = record
        path.write_text(json.dumps({"info": {"subdir": "linux-64"}, "packages": packages}))
        for _ in ("cold", "warm"):
            try:
                repo = load_repodata(path, "chan", cache_dir=str(Path(directory) / "cache"))
            except EngineError:
                return  # a file the reader refuses as a whole (a record it cannot place)
            _solve_or_engine_error([repo], specs)
