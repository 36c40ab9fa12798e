"""Run every benchmark case with every available solver, each in fresh processes.

    python benchmarks/run.py                      # all cases, all solvers, best of 3
    python benchmarks/run.py --cases index4,sudoku --solvers altsolver,rattler --repeat 5

Each (solver, case, repeat) is one child process (``--child``), so no solver profits from
another's imports or caches. altsolver runs four ways per case: ``cold-load`` and
``warm-load`` (loading only: parsed cache removed before each run, or left by the cold
runs), then ``cold`` and ``warm`` with the engine's solve. The peers have no cache of ours,
so one set of runs serves every row. A case's repeats run in rounds, each row once per
round (the warm rows last), and each row keeps its fastest run. See README.md for the
columns.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from cases import Case, all_cases  # noqa: E402

SOLVERS = ("altsolver", "json-floor", "json-nogc", "rattler", "classic", "libmamba")
PEERS = ("rattler", "classic", "libmamba")


def main(argv=None) -> int:
    args = _parse(argv)
    if args.child:
        return _child(args)
    _compile_sources()
    work_dir = args.work_dir or tempfile.mkdtemp(prefix="altsolver-bench-")
    cases, skipped = all_cases(work_dir)
    if args.cases:
        wanted = set(args.cases.split(","))
        cases = [c for c in cases if c.name in wanted]
    solvers = args.solvers.split(",") if args.solvers else list(SOLVERS)
    for line in skipped:
        print(f"skip case {line}")
    rows = []
    for case in cases:
        case_rows = _run_case(case, solvers, args, Path(work_dir) / "cache" / case.name)
        _print_rows(case_rows)
        rows.extend(case_rows)
    print()
    _print_table(rows)
    _print_ratios(rows)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    if not args.work_dir:
        shutil.rmtree(work_dir, ignore_errors=True)
    return 0


def _compile_sources() -> None:
    """Write the bytecode of the Python solvers' packages first, as an install does.

    A module imported lazily inside a timed run (explanations, for instance) would otherwise
    be compiled from source in every child when ``PYTHONDONTWRITEBYTECODE`` is set or a
    source changed since its ``.pyc``: milliseconds that no installed copy pays.
    """
    for package in ("conda_altsolver", "conda"):
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.submodule_search_locations:
            for location in spec.submodule_search_locations:
                compileall.compile_dir(location, quiet=2)


def _parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", help="comma-separated case names (default: all)")
    parser.add_argument("--solvers", help=f"comma-separated, from {', '.join(SOLVERS)}")
    parser.add_argument("--repeat", type=int, default=3, help="runs per cell; best is kept")
    parser.add_argument("--timeout", type=float, default=60, help="seconds per child run")
    parser.add_argument("--load-only", action="store_true",
                        help="altsolver: only the load-only rows, no solve")
    parser.add_argument("--work-dir", help="keep converted channels and caches here")
    parser.add_argument("--json", help="also write the rows to this file")
    parser.add_argument("--child", nargs=3, metavar=("SOLVER", "CASE", "OPTIONS"),
                        help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _child(args) -> int:
    from solvers import measure

    solver, case_json, options_json = args.child
    result = measure(solver, Case.from_json(case_json), json.loads(options_json))
    print(json.dumps(result), flush=True)
    # Skip interpreter finalisation: py-rattler 0.28's threads sometimes crash it, after
    # the measurement is already printed.
    os._exit(0)


def _run_case(case: Case, solvers, args, cache_dir: Path) -> list[dict]:
    cells = []  # rows: (solver, mode, options, cache to clear first, run last in a round)
    for solver in solvers:
        if solver == "altsolver":
            names = _spawn(case, "closure", {}, args.timeout).get("names")
            load_only = {"cache_dir": str(cache_dir), "load_only": True, "names": names}
            cells.append((solver, "cold-load", load_only, cache_dir, False))
            cells.append((solver, "warm-load", load_only, None, True))
            if not args.load_only:
                options = {"cache_dir": str(cache_dir), "load_only": False}
                cells.append((solver, "cold", options, cache_dir, False))
                cells.append((solver, "warm", options, None, True))
        else:
            cells.append((solver, "-", {}, None, False))
    return _best_of_rounds(case, cells, args)


def _best_of_rounds(case: Case, cells: list, args) -> list[dict]:
    """Each row's fastest of ``--repeat`` runs, run in rounds (every row once per round)
    rather than row after row: a machine that slows down for a few seconds then slows every
    solver's runs alike, not only the rows that happened to run meanwhile. In a round the
    warm rows run last, on the cache the round's cold runs wrote, once the peers have run
    (not straight after a write, whose flush to disk a run can meet). A skip, error or
    timeout ends a row's repeats, as does a run slower than 10 s (one such run says it
    all). Rows come back in ``cells``' order."""
    best: list = [None] * len(cells)
    done = [False] * len(cells)
    order = sorted(range(len(cells)), key=lambda index: cells[index][4])
    for _ in range(max(1, args.repeat)):
        for index in order:
            if done[index]:
                continue
            solver, _mode, options, clear, _last = cells[index]
            if clear is not None:
                shutil.rmtree(clear, ignore_errors=True)
            result = _spawn(case, solver, options, args.timeout)
            if result.get("wall") is None:
                best[index] = result
                done[index] = True
                continue
            if best[index] is None or result["wall"] < best[index]["wall"]:
                best[index] = result
            if result["wall"] > 10:
                done[index] = True
    return [{"case": case.name, "solver": cell[0], "mode": cell[1], "note": case.note, **result}
            for cell, result in zip(cells, best)]


def _spawn(case: Case, solver: str, options: dict, timeout: float) -> dict:
    command = [sys.executable, str(HERE / "run.py"), "--child", solver, case.to_json(),
               json.dumps(options)]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "detail": f"over {timeout:g} s"}
    lines = done.stdout.strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, ValueError):
        tail = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        return {"status": "error", "detail": tail[:160]}


def _print_rows(rows):
    for row in rows:
        wall = f"{row['wall'] * 1000:9.1f}" if row.get("wall") is not None else "        -"
        cpu = f"{row['cpu'] * 1000:9.1f}" if row.get("cpu") is not None else "        -"
        peak = f"{row['peak_rss'] / 2**20:7.1f}" if row.get("peak_rss") else "      -"
        growth = f"{row['rss_growth'] / 2**20:7.1f}" if row.get("peak_rss") else "      -"
        count = row.get("count", "")
        print(f"{row['case']:<20} {row['solver']:<10} {row['mode']:<9} {row['status']:<7} "
              f"{count!s:>5} {wall} ms {cpu} ms {peak} MB {growth} MB  "
              f"{row.get('detail', '')[:60]}")


def _print_table(rows):
    print(f"{'case':<20} {'solver':<10} {'mode':<9} {'status':<7} {'n':>5} "
          f"{'wall':>12} {'cpu':>12} {'peak RSS':>10} {'growth':>10}  detail")
    _print_rows(rows)


def _print_ratios(rows):
    """altsolver over each peer (wall time): see README.md for what each column tests."""
    by_key = {(r["case"], r["solver"], r["mode"]): r for r in rows}
    columns = [("cold-load", "json-floor"), ("cold-load", "json-nogc"), ("warm-load", "rattler")]
    columns += [("warm", peer) for peer in PEERS] + [("cold", "rattler")]
    print()
    print(f"{'case':<20} " + " ".join(f"{a + '/' + b:>17}" for a, b in columns))
    for case in dict.fromkeys(r["case"] for r in rows):
        cells = [_ratio(by_key.get((case, "altsolver", mode)), by_key.get((case, peer, "-")))
                 for mode, peer in columns]
        print(f"{case:<20} " + " ".join(f"{cell:>17}" for cell in cells))
    print(f"\n{'case':<20} {'cpu cold-load/json-floor':>26} {'cpu cold-load/json-nogc':>26}")
    for case in dict.fromkeys(r["case"] for r in rows):
        cells = [_ratio(by_key.get((case, "altsolver", "cold-load")),
                        by_key.get((case, floor, "-")), "cpu")
                 for floor in ("json-floor", "json-nogc")]
        print(f"{case:<20} " + " ".join(f"{cell:>26}" for cell in cells))


def _ratio(ours, theirs, key="wall") -> str:
    if not ours or not theirs or ours.get(key) is None:
        return "-"
    if theirs.get(key) is None:
        return f"peer {theirs['status']}"
    return f"{ours[key] / theirs[key]:.2f}x"


if __name__ == "__main__":
    sys.exit(main())
