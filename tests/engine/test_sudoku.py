"""libmamba's sudoku channels: a hard search (sudoku-fixed, one answer) and a hard refutation
(sudoku, unsatisfiable on purpose). See ../shared/data/README.md for the givens."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from conda_altsolver.engine import Repo, Unsatisfiable, conflicting_specs, solve

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine_data import load_channel  # noqa: E402

GIVENS = [
    "sudoku_0_0 ==5", "sudoku_1_0 ==3", "sudoku_4_0 ==7", "sudoku_0_1 ==6", "sudoku_3_1 ==1",
    "sudoku_4_1 ==9", "sudoku_5_1 ==5", "sudoku_1_2 ==9", "sudoku_2_2 ==8", "sudoku_7_2 ==6",
    "sudoku_0_3 ==8", "sudoku_4_3 ==6", "sudoku_8_3 ==3", "sudoku_0_4 ==4", "sudoku_3_4 ==8",
    "sudoku_5_4 ==3", "sudoku_8_4 ==1", "sudoku_0_5 ==7", "sudoku_4_5 ==2", "sudoku_8_5 ==6",
    "sudoku_1_6 ==6", "sudoku_6_6 ==2", "sudoku_7_6 ==8", "sudoku_3_7 ==4", "sudoku_4_7 ==1",
    "sudoku_5_7 ==9", "sudoku_8_7 ==5", "sudoku_4_8 ==8", "sudoku_7_8 ==7", "sudoku_8_8 ==9",
]


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


@pytest.mark.data
def test_sudoku_conflicting_specs(data_dir):
    core = conflicting_specs([_repo(data_dir, "sudoku")], GIVENS)
    assert core and set(core) <= set(GIVENS)
    assert conflicting_specs([_repo(data_dir, "sudoku-fixed")], GIVENS) == []
