"""Differential fuzz of the whole solver: ``solve_final_state`` of altsolver against classic's.

Where ``fuzz_against_classic.py`` compares the engine with classic's ``Resolve.solve``, this
one compares the two conda ``Solver`` plugins, so the adapter's state collection and its
retries are under test too: each case builds an environment (classic installs a few random
specs into a fresh prefix, recorded as its history), then runs one random command on it
with both solvers: an install or a removal, with a random update modifier (or ``conda
install``'s frozen attempt and unfrozen retry on one solver object), sometimes a deps
modifier, a pin (name-only or with a version), a channel priority, ``ignore_pinned``,
``force_remove`` or ``prune``. The answers agree when the final states are equal, or differ
only between exact ties, or both raise the same kind of conda error. Two deliberate
differences are counted apart: where a name-only pin names an installed package
(``locked``: this plugin locks it), and where a request contradicts a pin on its name
(``pin-refused``: this plugin raises ``SpecsConfigurationConflictError``, classic overrides
the pin), both as conda-libmamba-solver does. A third verdict counted apart is classic's
own: where its optimisation stopped part way (``classic-unoptimised``, see
``_classic_optimisation``). A fourth: where classic's answer changes from run to run
(``classic-unstable``): a case that disagrees is run again alone in fresh processes, under
``PYTHONHASHSEED`` 1 to 5, until the two solvers agree on the answer altsolver gave the first
time; where they do, that answer is one classic's own runs give.
Case ``n`` of seed ``S`` comes from ``random.Random(f"{S}-{n}")`` alone. With
``--exclude-newer``, the command also runs under a random ``exclude_newer`` policy (a global
cutoff date, sometimes a package's own cutoff or exemption, with ``--real`` sometimes a
setting for the channel), drawn from ``random.Random(f"{S}-{n}-newer")``: the cases are
otherwise the same. ``--real`` runs over real local channels (the conda-forge subset, ``r``),
``--mixed`` over two local channels at once (``MIXED_CONFIGS``), both loaded by conda itself.

Usage (needs conda importable, and conda's test indexes; uses conda's own test helpers)::

    python scripts/fuzz_solver_against_classic.py --seed 7 --minutes 30 --report /tmp/f.json
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from contextlib import ExitStack, contextmanager
from functools import lru_cache, partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from cases import convert_test_index  # noqa: E402  (a test index as a local channel)

# the engine fuzz's case drawing, options, alarm and report writing
from fuzz_against_classic import (  # noqa: E402
    Sources,
    Watchdog,
    _make_spec,
    _on_alarm,
    _pick_names,
    _with_deadline,
    _write,
    common_arguments,
)

#: (the helper's channel id, the test index files its records come from)
CONFIGS = [
    ("channel-1", ["index.json"]),
    ("channel-2", ["index2.json"]),
    ("channel-4", ["index4.json"]),
    ("channel-5", ["index5.json"]),
    ("aggregate-1", ["index2.json", "index4.json"]),
    ("aggregate-2", ["index4.json", "index2.json"]),
]
#: ``--real``: local channels of real metadata (``channels/`` of the data), for both solvers
#: through conda's own repodata loading
REAL_CONFIGS = [
    ("conda-forge-subset", ["channel:conda-forge-subset"]),
    ("r", ["channel:r"]),
]
#: ``--mixed``: two local channels at once, in priority order (the engine fuzz's mixes): a
#: real channel, and conda's ``index4.json`` written out as the local channel ``channel-4``
MIXED_CONFIGS = [
    ("pytorch+c4", ["channel:pytorch", "index4.json"]),
    ("r+c4", ["channel:r", "index4.json"]),
    ("cf+c4", ["channel:conda-forge-subset", "index4.json"]),
    ("c4+cf", ["index4.json", "channel:conda-forge-subset"]),
    # index2's records carry a date and no timestamp: read unbuilt where conda reads no date
    ("c2+c4", ["index2.json", "index4.json"]),
]
UPDATE_MODIFIERS = (["default", "UPDATE_SPECS", "FREEZE_INSTALLED", "UPDATE_DEPS", "UPDATE_ALL",
                     "SPECS_SATISFIED_SKIP_SOLVE"], [30, 15, 20, 15, 12, 8])
DEPS_MODIFIERS = (["default", "NO_DEPS", "ONLY_DEPS"], [80, 10, 10])


class _TmpDir:
    """What conda's helpers take as ``tmpdir`` (py.path's ``strpath``)."""

    def __init__(self, path: str):
        self.strpath = path


def make_case(sources, seed: int, number: int, configs=CONFIGS) -> dict:
    """Case ``number`` of ``seed``: the environment's specs, then one command on it."""
    rnd = random.Random(f"{seed}-{number}")
    channel_id, files = configs[number % len(configs)]
    names, by_name, weights = sources.names(files)
    env_specs = [_make_spec(rnd, n, by_name[n]) for n in _pick_names(rnd, names, weights,
                                                                      rnd.randint(1, 3))]
    case = {"id": f"solver-fuzz-{seed}-{number}-{channel_id}", "channel": channel_id,
            "files": files, "env": env_specs,
            "channel_priority": rnd.choice(["flexible", "strict", "disabled"]),
            "update_modifier": rnd.choices(*UPDATE_MODIFIERS)[0],
            "deps_modifier": rnd.choices(*DEPS_MODIFIERS)[0],
            "ignore_pinned": rnd.random() < 0.05}
    if rnd.random() < 0.25:  # a removal of one of the names the environment asked for
        case["remove"] = [rnd.choice(env_specs).split()[0]]
        case["force_remove"] = rnd.random() < 0.2
        # as `conda remove` passes them (classic's UPDATE_DEPS re-solve, for one, reports a
        # removed package as missing from the prefix)
        case["update_modifier"] = case["deps_modifier"] = "default"
    else:
        case["add"] = [_make_spec(rnd, n, by_name[n]) for n in _pick_names(
            rnd, names, weights, rnd.randint(1, 2))]
    if rnd.random() < 0.3:
        name = rnd.choice([s.split()[0] for s in env_specs] + _pick_names(rnd, names, weights, 1))
        case["pins"] = [name if rnd.random() < 0.4 else _make_spec(rnd, name, by_name[name])]
    # drawn last, so that the fields above stay what they were for every seed and number
    if case["update_modifier"] == "FREEZE_INSTALLED" and "add" in case:
        case["cli_retry"] = rnd.random() < 0.5
    # as `conda env update --prune` asks (classic lets prune undo FREEZE_INSTALLED: not drawn)
    if "add" in case and case["update_modifier"] != "FREEZE_INSTALLED" and rnd.random() < 0.08:
        case["prune"] = True
    return case


def draw_exclude_newer(seed: int, number: int, case: dict) -> dict:
    """Case ``number``'s ``exclude_newer`` settings: dates (``YYYY-MM-DD``), as a user gives
    them; a package is one the case names."""
    rnd = random.Random(f"{seed}-{number}-newer")

    def date() -> str:
        return f"{rnd.randint(2019, 2024)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"

    settings = {"cutoff": date() if rnd.random() < 0.85 else None, "packages": {}}
    if rnd.random() < 0.3:
        name = rnd.choice([spec.split()[0] for spec in (*case["env"], *case.get("add", ()))])
        settings["packages"][name] = False if rnd.random() < 0.5 else date()
    if case.get("data") and rnd.random() < 0.2:
        settings["channel"] = False if rnd.random() < 0.5 else date()
    return settings


def _exclude_newer_policy(case: dict):
    """The policy of the case's ``exclude_newer`` settings (None: none drawn)."""
    settings = case.get("exclude_newer")
    if not settings:
        return None
    from conda.core.exclude_newer import ExcludeNewerPolicy

    channels = None
    if "channel" in settings:  # the case's first (highest priority) channel
        url = _channel_dirs(case)[0].as_uri()
        channels = [{"channel": url, "exclude_newer": settings["channel"]}]
    return ExcludeNewerPolicy.from_values(settings["cutoff"], settings["packages"], channels)


def _helper(case: dict):
    from conda.testing import helpers

    if case.get("data"):
        return partial(_local_channel_solver, _channel_dirs(case))
    # conda's get_solver_* are this generator wrapped for one channel id each
    channel_id = case["channel"]
    return contextmanager(lambda tmpdir, **kw: helpers._get_solver_base(channel_id, tmpdir, **kw))


def _channel_dirs(case: dict) -> list[Path]:
    """The local channel directories of a ``--real`` or ``--mixed`` case, in priority order:
    ``channel:X`` is the data's ``channels/X``; a test index file is written out once as a
    local channel (``channel-N``, as conda's helpers name it) under ``case["converted"]``."""
    dirs = []
    for source in case["files"]:
        if source.startswith("channel:"):
            dirs.append(Path(case["data"]) / "channels" / source[len("channel:"):])
            continue
        dirs.append(_converted(case["data"], source, case["converted"]))
    return dirs


@lru_cache(maxsize=None)
def _converted(data_dir: str, source: str, converted: str) -> Path:
    """The test index ``source`` as a local channel under ``converted``, written once per run
    (each case solves three or four times)."""
    number = source[len("index"):-len(".json")] or "1"
    index = Path(data_dir) / "conda-test-indexes" / source
    return Path(convert_test_index(index, Path(converted) / f"channel-{number}", "linux-64"))


@contextmanager
def _local_channel_solver(channel_dirs: list, tmpdir, specs_to_add=(), specs_to_remove=(),
                          prefix_records=(), history_specs=()):
    """The solver conda's helpers would give (a prefix holding ``prefix_records``, with
    ``history_specs`` as its history) over local channel directories, in priority order."""
    from unittest.mock import patch

    from conda.base.context import context
    from conda.core.prefix_data import PrefixData
    from conda.history import History
    from conda.models.channel import Channel
    from conda.models.records import PrefixRecord

    data = PrefixData(tmpdir.strpath)
    data._PrefixData__prefix_records = {
        rec.name: PrefixRecord.from_objects(rec) for rec in prefix_records}
    history = {spec.name: spec for spec in history_specs}
    with patch.object(History, "get_requested_specs_map", return_value=history):
        yield context.plugin_manager.get_solver_backend()(
            tmpdir.strpath, tuple(Channel(d.as_uri()) for d in channel_dirs),
            (context.subdir, "noarch"),
            specs_to_add=specs_to_add, specs_to_remove=specs_to_remove)


def solve(case: dict, solver_name: str, prefix_records=(), history=(), command=True):
    """The final state (sorted ``dist_str``s and the records) of one solve, or the error kind."""
    from conda.base.constants import ChannelPriority, DepsModifier, UpdateModifier
    from conda.base.context import context
    from conda.exceptions import CondaError
    from conda.models.match_spec import MatchSpec

    modifiers = {}
    if command:
        kwargs = {"specs_to_add": [MatchSpec(s) for s in case.get("add", ())],
                  "specs_to_remove": [MatchSpec(s) for s in case.get("remove", ())]}
        if case["update_modifier"] != "default":
            modifiers["update_modifier"] = UpdateModifier[case["update_modifier"]]
        if case["deps_modifier"] != "default":
            modifiers["deps_modifier"] = DepsModifier[case["deps_modifier"]]
        if case.get("ignore_pinned"):
            modifiers["ignore_pinned"] = True
        if case.get("force_remove"):
            modifiers["force_remove"] = True
        if case.get("prune"):
            modifiers["prune"] = True
    else:
        kwargs = {"specs_to_add": [MatchSpec(s) for s in case["env"]]}
    with tempfile.TemporaryDirectory() as prefix, ExitStack() as stack:
        stack.enter_context(context._override("solver", solver_name))
        stack.enter_context(context._override("json", True))  # no spinners
        stack.enter_context(context._override(
            "channel_priority", ChannelPriority(case["channel_priority"])))
        stack.enter_context(context._override(
            "pinned_packages", tuple(case.get("pins", ())) if command else ()))
        solver = stack.enter_context(_helper(case)(
            _TmpDir(prefix), prefix_records=prefix_records, history_specs=history, **kwargs))
        policy = _exclude_newer_policy(case) if command else None
        if policy is not None:
            solver.exclude_newer_policy = policy  # what conda's context would have given
        try:
            if command and case.get("cli_retry"):
                state = _install_as_cli(solver, modifiers)
            else:
                state = solver.solve_final_state(**modifiers)
        except CondaError as exc:
            return {"error": type(exc).__name__}, None
    return sorted(r.dist_str() for r in state), list(state)


def _install_as_cli(solver, modifiers: dict):
    """``conda install``'s two attempts (conda/cli/install.py): frozen first, announcing a
    retry; after an unsatisfiable answer, unfrozen on the same solver object."""
    from conda.base.constants import UpdateModifier
    from conda.exceptions import SpecsConfigurationConflictError, UnsatisfiableError

    try:
        return solver.solve_final_state(**modifiers, should_retry_solve=True)
    except (UnsatisfiableError, SpecsConfigurationConflictError) as exc:
        if not getattr(exc, "allow_retry", True):
            raise
        return solver.solve_final_state(**{**modifiers,
                                           "update_modifier": UpdateModifier.UPDATE_SPECS})


def _tie_key(record):
    return (record.channel.name, record.subdir, record.name, record.version,
            record.build_number, record.timestamp)


#: ``compare``'s verdict when the answers differ and a name-only pin names an installed
#: package: this plugin locks that record, as conda-libmamba-solver does, where classic
#: ignores the pin (a deliberate difference, see the README)
LOCKED = "locked"
#: ``compare``'s verdict when this plugin refuses a request that contradicts a pin on its
#: name, as conda-libmamba-solver does, where classic overrides the pin with a warning
PIN_REFUSED = "pin-refused"


#: ``compare``'s verdict when the answers differ and classic's optimisation stopped part way
#: (``_classic_optimisation``): its answer is then an unoptimised model, not classic's rule
UNOPTIMISED = "classic-unoptimised"
#: the verdict of a case whose disagreement goes away when run again (see the module)
UNSTABLE = "classic-unstable"
#: the hash seeds a disagreeing case is run again under, one fresh process each
RECHECK_HASH_SEEDS = ("1", "2", "3", "4", "5")


@contextmanager
def _classic_optimisation():
    """Yields a list that ends up holding True when one of classic's objectives left its
    clauses unsatisfiable. ``Clauses.minimize`` (conda/common/_logic.py) keeps the objective
    as a dict keyed by literal, so two terms on one literal (two features tracked by the
    same records, as ``sysroot_linux-aarch64`` 2.28 tracks two) count once there and twice
    in the bound it then requires; when that bound cannot hold, the bisection ends on its
    "not supposed to happen" branch with the clauses unsatisfiable, and every later
    objective returns the model it was given."""
    from unittest.mock import patch

    from conda.common._logic import Clauses

    stopped = []
    minimize = Clauses.minimize

    def watched(self, *args, **kwargs):
        before = self.unsat
        result = minimize(self, *args, **kwargs)
        if self.unsat and not before:
            stopped.append(True)
        return result

    with patch.object(Clauses, "minimize", watched):
        yield stopped


def compare(case: dict, timeout: int) -> tuple:
    """(verdict, classic's answer, altsolver's). The verdict is True or False; ``LOCKED``,
    ``PIN_REFUSED`` or ``UNOPTIMISED``;
    or None when classic gave no answer (in time, or at all: it has bugs of its own, such as
    a ``TypeError`` in ``build_conflict_map`` after some ``NO_DEPS`` and ``ONLY_DEPS``
    solves)."""
    from conda.models.match_spec import MatchSpec

    def classic():
        try:
            records = solve(case, "classic", command=False)[1] or []
            history = [MatchSpec(s) for s in case["env"]] if records else []
            with _classic_optimisation() as stopped:
                answer = solve(case, "classic", records, history)
            return records, history, bool(stopped), *answer
        except Exception as exc:  # noqa: BLE001 - classic's own bugs: nothing to compare with
            return {"error": f"classic-crash:{type(exc).__name__}:{exc}"[:200]}

    outcome = _with_deadline(timeout, classic, "classic-timeout")
    if isinstance(outcome, dict):
        return None, outcome, None
    records, history, unoptimised, expected, expected_records = outcome

    def altsolver():
        try:
            return solve(case, "altsolver", records, history)
        except Exception as exc:  # noqa: BLE001 - a crash is a finding
            return {"error": f"crash:{type(exc).__name__}:{exc}"[:300],
                    "traceback": traceback.format_exc()[-2000:]}

    outcome = _with_deadline(timeout, altsolver, "altsolver-timeout")
    if isinstance(outcome, dict):
        return False, expected, outcome
    got, got_records = outcome
    if got == expected:
        return True, expected, got
    if expected_records is not None and got_records is not None:
        if sorted(map(_tie_key, expected_records)) == sorted(map(_tie_key, got_records)):
            return True, expected, got
    if _locks_installed(case, records):
        return LOCKED, expected, got
    if got == {"error": "SpecsConfigurationConflictError"} and _pins_a_request(case):
        return PIN_REFUSED, expected, got
    if unoptimised:
        return UNOPTIMISED, expected, got
    return False, expected, got


def _pins_a_request(case: dict) -> bool:
    requested = {spec.split()[0] for spec in case.get("add", ())}
    return not case.get("ignore_pinned") and any(
        pin.split()[0] in requested for pin in case.get("pins", ()))


def _locks_installed(case: dict, installed) -> bool:
    if case.get("ignore_pinned"):
        return False
    names = {record.name for record in installed}
    return any(len(pin.split()) == 1 and pin in names for pin in case.get("pins", ()))


def _mode(case: dict) -> str:
    """What ``--only`` selects: CLI_RETRY, PRUNE, or the case's update modifier."""
    if case.get("cli_retry"):
        return "CLI_RETRY"
    return "PRUNE" if case.get("prune") else case["update_modifier"]


def run(args) -> int:
    os.environ.setdefault("CONDA_OVERRIDE_CUDA", "")  # no detection subprocess per solve
    os.environ["CONDA_TEST_DATA_DIR"] = str(Path(args.data) / "conda-test-indexes")
    if args.real or args.mixed:  # conda's repodata cache (and ours) for the local channels
        os.environ.setdefault("CONDA_PKGS_DIRS", tempfile.mkdtemp(prefix="solver-fuzz-pkgs-"))
    configs = MIXED_CONFIGS if args.mixed else REAL_CONFIGS if args.real else CONFIGS
    converted = tempfile.mkdtemp(prefix="solver-fuzz-channels-") if args.mixed else None
    sources = Sources(Path(args.data))
    report = Path(args.report)
    mismatches = json.loads(report.read_text()) if report.exists() else []
    counts = {"compared": 0, "mismatch": 0}
    deadline = time.time() + args.minutes * 60
    watchdog = Watchdog(deadline, args.seed, args.start, counts)
    number = args.start
    while time.time() < deadline and number < args.start + args.count:
        case = make_case(sources, args.seed, number, configs)
        if args.real or args.mixed:
            case["data"] = args.data
            case["converted"] = converted
        if args.exclude_newer:
            case["exclude_newer"] = draw_exclude_newer(args.seed, number, case)
        mode = _mode(case)
        if args.only and mode not in args.only:
            number += 1
            continue
        start = time.perf_counter()
        watchdog.case(number, 2 * args.timeout)
        agree, expected, got = compare(case, args.timeout)
        watchdog.done()
        if not args.recheck:  # for the run that asked for this one
            print(f"altsolver-answer {_digest(got)}", flush=True)
        elif agree is False and _agrees_when_run_again(args, number, _digest(got)):
            agree = UNSTABLE
        if agree is None or agree in (LOCKED, PIN_REFUSED, UNOPTIMISED, UNSTABLE):
            verdict = agree or expected["error"].split(":")[0]
            counts[verdict] = counts.get(verdict, 0) + 1
        else:
            verdict = "ok" if agree else "MISMATCH"
            counts["compared"] += 1
        command = {k: case[k] for k in ("add", "remove", "pins") if k in case}
        print(f"{number:6d} {case['channel']:11} {verdict:8} {time.perf_counter() - start:6.2f}s"
              f" {mode}/{case['deps_modifier']} env={case['env']} "
              f"{command} -> {json.dumps(expected)[:100]}", flush=True)
        if agree is False:
            counts["mismatch"] += 1
            mismatches.append({"seed": args.seed, "n": number, "case": case,
                               "classic": expected, "altsolver": got})
            _write(report, mismatches)
        number += 1
    print(f"seed {args.seed}, cases {args.start}..{number - 1}: {json.dumps(counts)}")
    return 1 if counts["mismatch"] else 0


def _digest(answer) -> str:
    return hashlib.sha256(json.dumps(answer, sort_keys=True, default=str).encode()).hexdigest()


def _agrees_when_run_again(args, number: int, digest: str) -> bool:
    """Whether case ``number``, run again alone in a fresh process under each of
    ``RECHECK_HASH_SEEDS`` in turn (without this check), agrees in one of them with
    altsolver's answer the one ``digest`` names."""
    report = Path(tempfile.mkdtemp(prefix="solver-fuzz-recheck-")) / "report.json"
    command = [sys.executable, str(Path(__file__).resolve()), "--seed", str(args.seed),
               "--start", str(number), "--count", "1", "--data", str(args.data),
               "--timeout", str(args.timeout), "--no-recheck", "--report", str(report)]
    command += [flag for flag, on in (("--real", args.real), ("--mixed", args.mixed),
                                      ("--exclude-newer", args.exclude_newer)) if on]
    for seed in RECHECK_HASH_SEEDS:
        done = subprocess.run(command, capture_output=True, text=True,
                              env={**os.environ, "PYTHONHASHSEED": seed})
        lines = done.stdout.strip().splitlines()
        if (lines and f"altsolver-answer {digest}" in lines
                and json.loads(lines[-1].split(": ", 1)[1]) == {"compared": 1, "mismatch": 0}):
            return True
    return False


def main(argv=None) -> int:
    parser = common_arguments(__doc__.splitlines()[0], minutes=30)
    parser.add_argument("--timeout", type=int, default=60, help="seconds per solver and case")
    parser.add_argument("--real", action="store_true",
                        help="use the real local channels (conda-forge subset, r) instead of "
                             "conda's test indexes")
    parser.add_argument("--mixed", action="store_true",
                        help="use two local channels at once (pytorch, r or the conda-forge "
                             "subset, with conda's index4 as a local channel)")
    parser.add_argument("--only", type=lambda text: set(text.split(",")), default=set(),
                        help="run only these modes, e.g. CLI_RETRY,UPDATE_DEPS (a case's "
                             "update modifier, CLI_RETRY for conda install's retry, PRUNE)")
    parser.add_argument("--exclude-newer", action="store_true",
                        help="run each command under a random exclude_newer policy")
    parser.add_argument("--no-recheck", dest="recheck", action="store_false",
                        help="count a disagreement as a mismatch without running it again "
                             "(classic-unstable)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGALRM, _on_alarm)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
