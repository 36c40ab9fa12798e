"""libmamba's sudoku channels: a hard search (sudoku-fixed, one answer) and a hard refutation
(sudoku, unsatisfiable on purpose). See ../shared/data/README.md for the givens."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from conda_altsolver.engine import Repo, Unsatisfiable, conflicting_specs, solve

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine_data import SUDOKU_GIVENS, load_channel  # noqa: E402

GIVENS = SUDOKU_GIVENS


def _repo(data_dir, channel):
    return Repo.from_records(load_channel(data_dir, channel, subdirs=("noarch",), add_pip=False))


@pytest.mark.data
def test_sudoku_fixed_has_its_unique_answer(data_dir):
    result = solve([_repo(data_dir, "sudoku-fixed")], GIVENS)
    assert len(result) == 81
    grid = {}
    for record in result:
        _, row, col = record["name"].split("_")
        grid[int(row), int(col)] = int(record["version"])
    for given in GIVENS:
        name, version = given.split(" ==")
        _, row, col = name.split("_")
        assert grid[int(row), int(col)] == int(version)
    digits = set(range(1, 10))
    for i in range(9):
        assert {grid[i, j] for j in range(9)} == digits
        assert {grid[j, i] for j in range(9)} == digits
    for box_row in range(0, 9, 3):
        for box_col in range(0, 9, 3):
            box = {grid[box_row + r, box_col + c] for r in range(3) for c in range(3)}
            assert box == digits


@pytest.mark.data
def test_sudoku_is_unsatisfiable_fast(data_dir):
    repo = _repo(data_dir, "sudoku")
    start = time.perf_counter()
    with pytest.raises(Unsatisfiable) as info:
        solve([repo], GIVENS)
    elapsed = time.perf_counter() - start
    assert info.value.core and set(info.value.core) <= set(GIVENS)
    assert elapsed < 10, f"refuting the broken sudoku took {elapsed:.1f} s"


def _count_limited_trials(monkeypatch) -> list:
    """The conflicts each conflict-limited ``SatSolver.solve`` spends, appended in order."""
    from conda_altsolver.engine import sat

    spent = []
    plain_solve = sat.SatSolver.solve

    def counted(self, assumptions=(), conflict_limit=None):
        before = self.stats["conflicts"]
        outcome = plain_solve(self, assumptions, conflict_limit=conflict_limit)
        if conflict_limit is not None:
            spent.append(self.stats["conflicts"] - before)
        return outcome

    monkeypatch.setattr(sat.SatSolver, "solve", counted)
    return spent


@pytest.mark.data
def test_sudoku_conflicting_specs(data_dir, monkeypatch):
    # classic tries each given for as long as it takes (a given alone is a hard search);
    # here the trials share a budget, then get the floor each: undecided, they are reported
    from conda_altsolver.engine.solve import _CLASSIC_TRIAL_BUDGET, _TRIAL_FLOOR

    spent = _count_limited_trials(monkeypatch)
    core = conflicting_specs([_repo(data_dir, "sudoku")], GIVENS)
    assert core and set(core) <= set(GIVENS)
    assert sum(spent) <= _CLASSIC_TRIAL_BUDGET + _TRIAL_FLOOR * len(spent)
    assert conflicting_specs([_repo(data_dir, "sudoku-fixed")], GIVENS) == []


@pytest.mark.data
def test_sudoku_shrinking_trials_share_one_budget(data_dir, monkeypatch):
    # a conflict shrunk by deletion over the whole index (a solve starts from the
    # reduction's refutation instead, see below); each given alone is a hard search there
    # (the trials end undecided): together the trials may spend the budget once, then the
    # floor each, and the core keeps both clashing givens
    from conda_altsolver.engine import Policy
    from conda_altsolver.engine.pool import Pool
    from conda_altsolver.engine.solve import _TRIAL_BUDGET, _TRIAL_FLOOR, _minimal_conflict
    from conda_altsolver.engine.solve import _parse_requests

    spent = _count_limited_trials(monkeypatch)
    pool = Pool([_repo(data_dir, "sudoku")], Policy())
    core = _minimal_conflict(pool, _parse_requests(pool, GIVENS))
    assert {r.request.spec for r in core} == {"sudoku_2_2 ==8", "sudoku_0_3 ==8"}
    assert len(spent) == 2
    assert sum(spent) <= _TRIAL_BUDGET + _TRIAL_FLOOR * len(spent)


@pytest.mark.data
def test_sudoku_is_refuted_from_the_reduction_alone(data_dir, monkeypatch):
    # the reduction empties the index from the givens alone: the refutation encodes the
    # dependencies that did it, not the whole index (729 records, 20 dependencies each)
    import importlib

    solve_module = importlib.import_module("conda_altsolver.engine.solve")
    encoded = []
    whole = solve_module._whole_index_encoding

    def recording(pool, requests, *args, **kwargs):
        found = whole(pool, requests, *args, **kwargs)
        encoded.append((kwargs.get("clauses_of"), len(found[1].rec_var)))
        return found

    monkeypatch.setattr(solve_module, "_whole_index_encoding", recording)
    records = load_channel(data_dir, "sudoku", subdirs=("noarch",), add_pip=False)
    with pytest.raises(Unsatisfiable) as info:
        solve([Repo.from_records(records)], GIVENS)
    [(clauses_of, variables)] = encoded  # no second encoding over the whole index
    assert clauses_of and len(clauses_of) < 200 and variables < 729
    # two givens of one digit, one record of which depends on the other cell != that digit
    [(first, digit), (second, same)] = [spec.split(" ==") for spec in info.value.core]
    assert digit == same
    depends = {(r["name"], r["version"]): r["depends"] for r in records}
    clash = [(a, b) for a, b in ((first, second), (second, first))
             if f"{b} !={digit}" in depends[a, digit]]
    assert clash
    a, b = clash[0]
    assert info.value.explanation == (
        f"Because {a} {digit} depends on {b} !={digit} and you requested "
        f"{' and '.join(info.value.core)}, no solution is possible.")
