"""Differential fuzz: the engine's answers against conda classic's ``Resolve.solve``.

Random requests over the real data (``../shared/data``: conda's test indexes and the
channels), each solved by classic and by the engine on the same records, compared as the
parity tests compare them (``tests/engine/test_solve_classic.py``: equal, or different only
between exact ties). Case ``n`` of seed ``S`` comes from ``random.Random(f"{S}-{n}")`` alone,
so any case can be generated again on its own. A mismatch (a different answer or error kind,
an engine timeout or crash) is written to the report at once, with its specs shrunk to the
fewest that still mismatch when ``--shrink`` is given.

Usage (needs conda importable, like ``record_classic_answers.py``)::

    python scripts/fuzz_against_classic.py --seed 4242 --minutes 60 --report /tmp/fuzz.json

A case worth keeping goes into ``record_classic_answers.py``'s ``FUZZ`` list, which records
classic's answer for the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import threading
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "engine"))
sys.path.insert(0, str(ROOT / "scripts"))

import record_classic_answers as recorder  # noqa: E402
import test_solve_classic as parity  # noqa: E402
from engine_data import dist_str  # noqa: E402

CONFIGS = [
    ("index", {"sources": ["index.json"]}),
    ("index2", {"sources": ["index2.json"]}),
    ("index4", {"sources": ["index4.json"]}),
    ("index5", {"sources": ["index5.json"]}),
    ("cf", {"sources": ["channel:conda-forge-subset"], "virtual": recorder.VIRTUAL_LINUX}),
    ("pytorch", {"sources": ["channel:pytorch", "index4.json"],
                 "channel_order": ["pytorch", "channel-4"], "virtual": recorder.VIRTUAL_LINUX}),
    ("r", {"sources": ["channel:r", "index4.json"], "channel_order": ["r", "channel-4"],
           "virtual": recorder.VIRTUAL_LINUX}),
    ("mix-cf-first", {"sources": ["channel:conda-forge-subset", "index4.json"],
                      "channel_order": ["conda-forge-subset", "channel-4"],
                      "virtual": recorder.VIRTUAL_LINUX}),
    ("mix-c4-first", {"sources": ["channel:conda-forge-subset", "index4.json"],
                      "channel_order": ["channel-4", "conda-forge-subset"],
                      "virtual": recorder.VIRTUAL_LINUX}),
]

#: spec shapes and how often each is drawn
SPEC_KINDS = (["bare", ">=", "<", ".*", "*", "==", "!=", "build"], [25, 14, 12, 12, 6, 10, 8, 6])


class _Timeout(BaseException):
    """The alarm: not an ``Exception``, so no solver's error handling can swallow it."""


def _on_alarm(*_):
    raise _Timeout


class Watchdog:
    """Ends a run that a solve holds past its limits.

    The per-solve timeouts are ``SIGALRM``, whose handler runs only between bytecodes: a
    solve inside C code (classic's pycosat on a hard problem) holds it off, and with it the
    loop's test of ``--minutes``. This thread still runs then (pycosat
    lets go of the GIL): when a case outlives its own limit, or the run its deadline, by
    ``GRACE`` seconds, it prints where the run stopped and the counts so far, then ends
    the process (exit code 2). The report already holds every mismatch found."""

    GRACE = 30

    def __init__(self, deadline: float, seed: int, start: int, counts: dict):
        self.deadline = deadline
        self.seed = seed
        self.start = start
        self.counts = counts
        self._case: tuple | None = None  # (number, time by which it must be over)
        threading.Thread(target=self._watch, daemon=True).start()

    def case(self, number: int, seconds: float) -> None:
        """Case ``number`` starts and may take ``seconds``."""
        self._case = (number, time.time() + seconds)

    def done(self) -> None:
        self._case = None

    def _watch(self) -> None:
        while True:
            time.sleep(1)
            case = self._case
            if case is None:
                continue
            number, limit = case
            now = time.time()
            if now > limit + self.GRACE:
                self._stop(number, f"case {number} ran past its time limit")
            elif now > self.deadline + self.GRACE:
                self._stop(number, f"the deadline passed while case {number} ran")

    def _stop(self, number: int, why: str) -> None:
        print(f"{why}, inside code the timeout cannot interrupt; stopped (go on with "
              f"--start {number + 1})", flush=True)
        print(f"seed {self.seed}, cases {self.start}..{number - 1}: "
              f"{json.dumps(self.counts)}", flush=True)
        os._exit(2)


class Sources:
    """The records of each source list, and per name its records and how many names depend
    on it, loaded once."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self._records: dict = {}
        self._names: dict = {}

    def records(self, sources) -> list:
        key = tuple(sources)
        if key not in self._records:
            self._records[key] = recorder.load_sources(self.data_dir, sources)
        return self._records[key]

    def names(self, sources) -> tuple:
        """(names, name -> records, weights): a name's weight is how many names use it."""
        key = tuple(sources)
        if key not in self._names:
            by_name: dict = {}
            users: dict = {}
            for record in self.records(sources):
                by_name.setdefault(record["name"], []).append(record)
                for dep in record.get("depends") or ():
                    users.setdefault(dep.split()[0], set()).add(record["name"])
            names = sorted(by_name)
            self._names[key] = (names, by_name, [len(users.get(n, ())) for n in names])
        return self._names[key]


def _pick_names(rnd: random.Random, names, weights, count: int) -> list:
    """Mostly names many others depend on (where conflicts live), sometimes any name."""
    chosen: list = []
    while len(chosen) < count:
        name = rnd.choices(names, weights=weights)[0] if rnd.random() < 0.7 else rnd.choice(names)
        if name not in chosen:
            chosen.append(name)
    return chosen


def _missing_version(rnd: random.Random, version: str) -> str:
    """A version near ``version`` that probably no record has."""
    parts = version.split(".")
    choice = rnd.randrange(3)
    if choice == 0:
        return version + ".99"
    if choice == 1 and parts[-1].isdigit():
        return ".".join(parts[:-1] + [str(int(parts[-1]) + 37)])
    return rnd.choice(["999", "0.0.1", "77.7"])


def _make_spec(rnd: random.Random, name: str, records: list) -> str:
    version = rnd.choice(sorted({r["version"] for r in records}))
    if rnd.random() < 0.12:
        version = _missing_version(rnd, version)
    kind = rnd.choices(*SPEC_KINDS)[0]
    if kind == "bare":
        return name
    if kind in (">=", "<", "!="):
        return f"{name} {kind}{version}"
    if kind == "==":
        return f"{name} =={version}"
    if kind in (".*", "*"):
        parts = version.split(".")
        prefix = ".".join(parts[: rnd.randint(1, len(parts))])
        return f"{name} {prefix}.*" if kind == ".*" else f"{name} {prefix}*"
    record = rnd.choice(records)
    return f"{name} {record['version']} {record['build']}"


def make_case(sources: Sources, seed: int, number: int, targets: bool = False,
              max_specs: int = 4) -> dict:
    """Case ``number`` of ``seed``: 1 to ``max_specs`` specs (a tenth optional), a priority
    mode, sometimes timestamps ignored, over the configuration ``number`` picks in turn. With
    ``targets``, also 1-3 installed records as conda passes them (``MatchSpec(name,
    target=...)``, half of them optional), drawn apart so that the other specs stay those of
    the case without them. The id says which options made the case (``+targets``,
    ``+specs8``)."""
    rnd = random.Random(f"{seed}-{number}")
    label, template = CONFIGS[number % len(CONFIGS)]
    names, by_name, weights = sources.names(template["sources"])
    specs: list = []
    for name in _pick_names(rnd, names, weights, rnd.randint(1, max_specs)):
        text = _make_spec(rnd, name, by_name[name])
        specs.append({"spec": text, "optional": True} if rnd.random() < 0.1 else text)
    case = {"id": f"fuzz-{seed}-{number}-{label}", "config": label, **template, "specs": specs,
            "channel_priority": rnd.choice(["flexible", "strict", "disabled"]),
            "ignore_timestamps": rnd.random() < 0.15}
    if max_specs != 4:
        case["id"] += f"+specs{max_specs}"
    if targets:
        case["id"] += "+targets"
        case["specs"] = specs + _target_specs(random.Random(f"{seed}-{number}-targets"),
                                              names, by_name, weights, specs)
    return case


def _target_specs(rnd: random.Random, names, by_name, weights, specs) -> list:
    """Installed records of names the other specs do not name, as target specs."""
    taken = {(s if isinstance(s, str) else s["spec"]).split()[0] for s in specs}
    picked = _pick_names(rnd, names, weights, rnd.randint(1, 3) + len(taken))
    out = []
    for name in [n for n in picked if n not in taken][:3]:
        record = rnd.choice(by_name[name])
        out.append({"spec": name, "target": dist_str(record), "optional": rnd.random() < 0.5})
    return out


def _with_deadline(seconds: int, run, timeout_error: str):
    signal.alarm(seconds)
    try:
        return run()
    except _Timeout:
        return {"error": timeout_error}
    finally:
        signal.alarm(0)


def classic_answer(sources: Sources, case: dict, timeout: int):
    records = sources.records(case["sources"]) + recorder.virtual_records(case.get("virtual"))

    def run():
        try:
            return recorder.classic_answer(case, records)
        except Exception as exc:  # noqa: BLE001 - classic's own crash is a finding too
            return {"error": f"classic-crash:{type(exc).__name__}:{exc}"[:300]}

    return _with_deadline(timeout, run, "classic-timeout")


def engine_answer(sources: Sources, case: dict, timeout: int):
    def run():
        try:
            return parity.engine_answer(sources.data_dir, case)
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            return {"error": f"engine-crash:{type(exc).__name__}:{exc}"[:300],
                    "traceback": traceback.format_exc()[-2000:]}

    return _with_deadline(timeout, run, "engine-timeout")


def same(sources: Sources, case: dict, got, expected) -> bool:
    """Equal, or (both answers) different only between exact ties (``parity._tie_key``)."""
    if got == expected:
        return True
    if not (isinstance(got, list) and isinstance(expected, list)):
        return False

    def keys(dists):
        return sorted(parity._tie_key(sources.data_dir, case, d) for d in dists if "::__" not in d)

    return keys(got) == keys(expected)


class Comparer:
    """Solves a case both ways and says whether the answers agree."""

    def __init__(self, sources: Sources, classic_timeout: int, engine_timeout: int):
        self.sources = sources
        self.classic_timeout = classic_timeout
        self.engine_timeout = engine_timeout
        self.engine_seconds = 0.0  # the last engine solve's

    def compare(self, case: dict) -> tuple:
        """(agree: bool or None when classic timed out, classic's answer, the engine's)."""
        expected = classic_answer(self.sources, case, self.classic_timeout)
        if expected == {"error": "classic-timeout"}:
            return None, expected, None
        start = time.perf_counter()
        got = engine_answer(self.sources, case, self.engine_timeout)
        self.engine_seconds = time.perf_counter() - start
        return same(self.sources, case, got, expected), expected, got

    def shrink(self, case: dict) -> dict:
        """Drop specs one at a time while the answers still disagree."""
        changed = True
        while changed and len(case["specs"]) > 1:
            changed = False
            for index in range(len(case["specs"])):
                trial = dict(case, specs=case["specs"][:index] + case["specs"][index + 1:])
                if self.compare(trial)[0] is False:
                    case, changed = trial, True
                    break
        return case


def _describe(answer) -> str:
    return json.dumps(answer if isinstance(answer, dict) else len(answer))[:120]


def _write(report: Path, mismatches: list) -> None:
    tmp = report.with_suffix(".tmp")
    tmp.write_text(json.dumps(mismatches, indent=1) + "\n")
    tmp.replace(report)


def run(args) -> int:
    sources = Sources(Path(args.data))
    comparer = Comparer(sources, args.classic_timeout, args.engine_timeout)
    report = Path(args.report)
    mismatches = json.loads(report.read_text()) if report.exists() else []
    counts = {"compared": 0, "classic-timeout": 0, "mismatch": 0}
    deadline = time.time() + args.minutes * 60
    watchdog = Watchdog(deadline, args.seed, args.start, counts)
    number = args.start
    while time.time() < deadline and number < args.start + args.count:
        case = make_case(sources, args.seed, number, args.targets, args.max_specs)
        start = time.perf_counter()
        watchdog.case(number, args.classic_timeout + args.engine_timeout)
        agree, expected, got = comparer.compare(case)
        watchdog.done()
        seconds = time.perf_counter() - start
        engine_seconds = comparer.engine_seconds if agree is not None else 0.0
        if agree is None:
            counts["classic-timeout"] += 1
            verdict = "classic timed out"
        else:
            counts["compared"] += 1
            verdict = "ok" if agree else "MISMATCH"
        print(f"{number:6d} {case['config']:13} {verdict:8} {seconds:6.2f}s "
              f"engine {engine_seconds:5.2f}s "
              f"{case['channel_priority'][:4]} {case['specs']} -> {_describe(expected)}",
              flush=True)
        if agree is False:
            counts["mismatch"] += 1
            entry = {"seed": args.seed, "n": number, "case": case, "classic": expected,
                     "engine": got}
            if args.shrink:
                small = comparer.shrink(case)
                entry["minimal"] = small
                entry["minimal_answers"] = comparer.compare(small)[1:]
            mismatches.append(entry)
            _write(report, mismatches)
        number += 1
    print(f"seed {args.seed}, cases {args.start}..{number - 1}: {json.dumps(counts)}")
    return 1 if counts["mismatch"] else 0


def common_arguments(description: str, minutes: float) -> argparse.ArgumentParser:
    """The options every fuzz script takes: which cases, where the data is, the report."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--minutes", type=float, default=minutes)
    parser.add_argument("--start", type=int, default=0, help="first case number")
    parser.add_argument("--count", type=int, default=10**9, help="at most this many cases")
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--report", required=True, help="JSON file the mismatches go to")
    return parser


def main(argv=None) -> int:
    parser = common_arguments(__doc__.splitlines()[0], minutes=60)
    parser.add_argument("--shrink", action="store_true", help="shrink each mismatch's specs")
    parser.add_argument("--max-specs", type=int, default=4, help="specs per case, at most")
    parser.add_argument("--targets", action="store_true",
                        help="add installed records (target specs) to every case")
    parser.add_argument("--classic-timeout", type=int, default=60, help="seconds per solve")
    parser.add_argument("--engine-timeout", type=int, default=120, help="seconds per solve")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGALRM, _on_alarm)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
