"""The engine's answers equal conda classic's on real data.

``tests/engine/expected/*.json`` hold classic's answers, recorded by
``scripts/record_classic_answers.py`` over the records ``engine_data.py`` loads; these tests
solve the same cases with the engine. Where conda is importable, ``test_live_classic`` also
re-asks classic for a handful of cases so the recorded files cannot silently go stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from conda_altsolver.engine import (
    PackagesNotFound,
    Policy,
    Repo,
    SpecRequest,
    Unsatisfiable,
    solve,
)

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent / "scripts"))

from engine_data import dist_str  # noqa: E402

EXPECTED = HERE / "expected"


def _cases(name: str) -> list:
    path = EXPECTED / f"{name}.json"
    if not path.exists():
        return []
    return json.loads(path.read_text())["cases"]


_LOADED: dict = {}


def _records(data_dir, sources):
    import record_classic_answers as recorder

    key = tuple(sources)
    if key not in _LOADED:
        _LOADED[key] = [Repo.from_records(recorder.load_sources(data_dir, [s])) for s in sources]
    return _LOADED[key]


def engine_answer(data_dir, case):
    import record_classic_answers as recorder

    repos = list(_records(data_dir, case["sources"]))
    virtual = recorder.virtual_records(case.get("virtual"))
    if virtual:
        repos.append(Repo.from_records(virtual))
    by_dist = {dist_str(r): r for repo in repos for name in repo.names() for r in repo.get(name)}
    specs = []
    for item in case["specs"]:
        if isinstance(item, str):
            specs.append(SpecRequest(item))
        else:
            target = by_dist[item["target"]] if item.get("target") else None
            specs.append(SpecRequest(item["spec"], optional=bool(item.get("optional")), target=target))
    policy = Policy(
        channel_order=tuple(case.get("channel_order", ())),
        channel_priority=case.get("channel_priority", "flexible"),
        ignore_timestamps=case.get("ignore_timestamps", False),
    )
    try:
        result = solve(repos, specs, policy=policy)
    except PackagesNotFound:
        return {"error": "PackagesNotFound"}
    except Unsatisfiable:
        return {"error": "Unsatisfiable"}
    return sorted(dist_str(r) for r in result)


#: cases where classic's answer is not its own optimum (see the reason)
KNOWN: dict = {}


def _tie_key(data_dir, case, dist: str):
    """What classic's objectives see of a record: two records equal here are an exact tie,
    which classic leaves to pycosat (build strings; timestamps too when ignored)."""
    record = _by_dist(data_dir, case)[dist]
    key = (record["channel"], record["subdir"], record["name"], record["version"],
           record.get("build_number") or 0)
    if not case.get("ignore_timestamps"):
        key += (record.get("timestamp") or 0,)
    return key


def _by_dist(data_dir, case):
    key = ("by_dist", tuple(case["sources"]))
    if key not in _LOADED:
        _LOADED[key] = {dist_str(r): r for repo in _records(data_dir, case["sources"])
                        for name in repo.names() for r in repo.get(name)}
    return _LOADED[key]


def _check(data_dir, case):
    expected = case["expected"]
    if expected == {"error": "classic-timeout"}:
        pytest.skip("classic gave no answer within the recording timeout")
    if case["id"] in KNOWN:
        pytest.xfail(KNOWN[case["id"]])
    got = engine_answer(data_dir, case)
    if got != expected and isinstance(got, list) and isinstance(expected, list):
        tied = sorted(_tie_key(data_dir, case, d) for d in got if "::__" not in d)
        if tied == sorted(_tie_key(data_dir, case, d) for d in expected if "::__" not in d):
            return  # differs only between exact ties

        extra = sorted(set(got) - set(expected))
        missing = sorted(set(expected) - set(got))
        pytest.fail(f"{case['id']} {case['specs']}: engine has {extra}, classic has {missing}")
    assert got == expected, case["id"]


@pytest.mark.data
@pytest.mark.parametrize("case", _cases("test_indexes"), ids=lambda c: c["id"])
def test_conda_test_indexes(data_dir, case):
    _check(data_dir, case)


@pytest.mark.data
@pytest.mark.parametrize("case", _cases("channels"), ids=lambda c: c["id"])
def test_channels(data_dir, case):
    _check(data_dir, case)


#: seconds a fuzz case may take before it counts as stuck (each takes under 0.3 s here)
FUZZ_DEADLINE = 60


@pytest.mark.data
@pytest.mark.parametrize("case", _cases("fuzz"), ids=lambda c: c["id"])
def test_fuzz_finds(data_dir, case):
    """Cases the differential fuzz found the engine stuck on (proving an optimum) or wrong
    on (optional specs alone), each with classic's answer; stuck again, they fail at the
    deadline instead of hanging."""
    import signal

    if not hasattr(signal, "SIGALRM"):  # no alarm here (Windows): run without the deadline
        _check(data_dir, case)
        return

    def stuck(*_):
        raise TimeoutError(f"{case['id']}: no answer within {FUZZ_DEADLINE} s")

    previous = signal.signal(signal.SIGALRM, stuck)
    signal.alarm(FUZZ_DEADLINE)
    try:
        _check(data_dir, case)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.data
def test_fuzz_cases_are_the_fuzzers(data_dir):
    """Each recorded ``fuzz-<seed>-<n>-<config>`` case is case n of that seed in
    ``scripts/fuzz_against_classic.py`` (its specs, or the fewest of them that still
    mismatched), with the same sources and policy: the fuzzer finds it again."""
    import fuzz_against_classic as fuzzer

    sources = fuzzer.Sources(data_dir)
    recorded = [c for c in _cases("fuzz") if c["id"].startswith("fuzz-")]
    assert recorded
    for case in recorded:
        _, seed, number, config = case["id"].split("-", 3)
        config, *flags = config.split("+")
        specs = [int(f[len("specs"):]) for f in flags if f.startswith("specs")]
        made = fuzzer.make_case(sources, int(seed), int(number), targets="targets" in flags,
                                max_specs=specs[0] if specs else 4)
        assert made["config"] == config, case["id"]
        assert all(spec in made["specs"] for spec in case["specs"]), case["id"]
        for key in ("sources", "channel_priority", "channel_order", "virtual"):
            assert made.get(key) == case.get(key), (case["id"], key)
        assert made["ignore_timestamps"] == case.get("ignore_timestamps", False), case["id"]


@pytest.mark.conda
@pytest.mark.data
@pytest.mark.parametrize("case_id", ["index-10", "index4-5", "cf-3", "mix-strict-channel-4-1"])
def test_live_classic(data_dir, case_id):
    import record_classic_answers as recorder

    case = next(c for name in ("test_indexes", "channels") for c in _cases(name) if c["id"] == case_id)
    records = recorder.load_sources(data_dir, case["sources"]) + recorder.virtual_records(
        case.get("virtual")
    )
    assert recorder.classic_answer(case, records) == case["expected"]
    assert engine_answer(data_dir, case) == case["expected"]


_SEED_SCRIPT = """
import json, sys
sys.path.insert(0, {tests!r})
from pathlib import Path
import test_solve_classic as T
out = {{}}
for name in ("test_indexes", "channels"):
    for case in T._cases(name):
        if case["id"] in {ids!r}:
            out[case["id"]] = T.engine_answer(Path({data!r}), case)
print(json.dumps(out, sort_keys=True))
"""


@pytest.mark.data
def test_same_answer_whatever_the_hash_seed(data_dir):
    """Exact ties (build strings, ignored timestamps) must not be decided by set order."""
    import os
    import subprocess

    ids = ["index4-notime-2", "index4-notime-5", "index-10", "mix-flexible-channel-4-1", "cf-3"]
    script = _SEED_SCRIPT.format(tests=str(HERE), ids=ids, data=str(data_dir))
    outputs = set()
    for seed in ("0", "1", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                              text=True, check=True, cwd=str(HERE.parent.parent))
        outputs.add(done.stdout)
    assert len(outputs) == 1
