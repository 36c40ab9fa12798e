"""Other optimal solutions (classic's "possible package resolutions" warning).

classic, once every objective is at its optimum, keeps asking its SAT solver for a model that
differs from the last one found, up to ten more; ``solve(..., alternatives=[])`` collects the
same models. Where conda is importable, the count and the differing packages are checked
against classic's own warning on the same records.
"""

from __future__ import annotations

import re

import pytest

from conda_altsolver.engine import Repo, solve
from conda_altsolver.engine.solve import MAX_ALTERNATIVES


def rec(name, version, build, depends=(), build_number=0):
    return {"name": name, "version": version, "build": build, "build_number": build_number,
            "depends": list(depends), "channel": "test", "subdir": "linux-64", "timestamp": 0}


# name -> (records, specs, expected number of solutions in all)
CASES = {
    # builds that differ by their build string alone rank the same under every objective
    "two-tied-builds": ([rec("a", "1.0", "h1"), rec("a", "1.0", "h2"),
                         rec("b", "1.0", "0", ["a"])], ["b"], 2),
    "no-tie": ([rec("a", "1.0", "h1", build_number=1), rec("a", "1.0", "h2"),
                rec("b", "1.0", "0", ["a"])], ["b"], 1),
    "tie-two-levels-down": ([rec("c", "2.0", "x"), rec("c", "2.0", "y"), rec("c", "1.0", "z"),
                             rec("a", "1.0", "0", ["c"]), rec("b", "1.0", "0", ["a"])],
                            ["b"], 2),
    "two-ties": ([rec("a", "1.0", "h1"), rec("a", "1.0", "h2"), rec("c", "1.0", "k1"),
                  rec("c", "1.0", "k2"), rec("b", "1.0", "0", ["a", "c"])], ["b"], 4),
    "more-than-ten": ([rec("a", "1.0", f"h{i:02}") for i in range(12)]
                      + [rec("b", "1.0", "0", ["a"])], ["b"], 1 + MAX_ALTERNATIVES),
}


def names(records) -> list[str]:
    return sorted(f"{r['name']}-{r['version']}-{r['build']}" for r in records)


@pytest.mark.parametrize("case", sorted(CASES))
def test_alternatives_are_other_optimal_solutions(case):
    records, specs, expected = CASES[case]
    repos = [Repo.from_records(records)]
    others = []
    answer = solve(repos, specs, alternatives=others)
    assert names(answer) == names(solve(repos, specs))  # asking changes nothing
    assert 1 + len(others) == expected
    solutions = [names(answer), *map(names, others)]
    assert len({tuple(s) for s in solutions}) == len(solutions)  # each one new
    for other in others:  # as large as the answer, the same names, the same versions
        assert sorted(r["name"] for r in other) == sorted(r["name"] for r in answer)
        assert sorted(r["version"] for r in other) == sorted(r["version"] for r in answer)


@pytest.mark.conda
@pytest.mark.parametrize("case", sorted(CASES))
def test_alternatives_live_classic(case, capsys):
    """classic prints the same count and the same differing packages."""
    from conda.base.context import context
    from conda.models.match_spec import MatchSpec
    from conda.models.records import PackageRecord
    from conda.resolve import Resolve

    records, specs, _ = CASES[case]
    precs = {PackageRecord(**r): PackageRecord(**r) for r in records}
    capsys.readouterr()
    with context._override("json", False):
        Resolve(precs, channels=("test",)).solve([MatchSpec(s) for s in specs])
    printed = capsys.readouterr().out
    others = []
    answer = solve([Repo.from_records(records)], specs, alternatives=others)
    found = re.search(r"Warning: (>?\d+) possible package resolutions", printed)
    if not others:
        assert found is None
        return
    count = 1 + len(others)
    if count > 10:  # which ten are shown follows each solver's search order
        assert found.group(1) == ">10" and "... and others" in printed
        return
    assert found.group(1) == str(count)
    solutions = [set(names(answer)), *(set(names(o)) for o in others)]
    common = set.intersection(*solutions)
    ours = {", ".join(sorted(s - common)) for s in solutions}
    # classic prints dist strings (channel::name-version-build): compare name-version-build
    theirs = {", ".join(part.split("::")[-1] for part in line.strip()[2:].split(", "))
              for line in printed.splitlines() if line.strip().startswith("- ")}
    assert theirs == ours
