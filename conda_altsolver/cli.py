"""The engine's own command line: solve against local channel directories, without conda.

``python -m conda_altsolver solve --channel DIR [--channel DIR ...] SPEC ...`` reads
``DIR/<subdir>/repodata.json`` and ``DIR/noarch/repodata.json``, solves with the native
engine, and prints the plan (or the explanation of why there is none). It never imports
conda, so it works wherever the engine does.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

from .engine import EngineError, PackagesNotFound, Unsatisfiable
from .engine.policy import Policy
from .engine.repodata import load_repodata
from .engine.request import SpecRequest
from .engine.solve import solve


def native_subdir() -> str:
    """The conda subdir of this machine, as conda names it (``linux-64``, ``osx-arm64``...)."""
    system = {"Linux": "linux", "Darwin": "osx", "Windows": "win"}.get(platform.system(), "linux")
    machine = platform.machine().lower()
    arch = {"x86_64": "64", "amd64": "64", "aarch64": "aarch64", "arm64": "arm64"}.get(machine)
    if system == "osx" and arch == "aarch64":
        arch = "arm64"
    return f"{system}-{arch or '64'}"


def user_cache_dir() -> str:
    """Where parsed-repodata caches go: never beside the channel, which may be shared or
    read-only, but in the user's cache directory."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "conda-altsolver")


def channel_repos(channels: list[str], subdir: str) -> tuple[list, list[str]]:
    """One lazy repo per existing ``channel/subdir`` and ``channel/noarch`` repodata file."""
    cache_dir = user_cache_dir()
    os.makedirs(cache_dir, exist_ok=True)
    repos, names = [], []
    for channel in channels:
        root = Path(channel)
        name = root.name
        names.append(name)
        found = False
        for sub in (subdir, "noarch"):
            path = root / sub / "repodata.json"
            if path.is_file():
                repos.append(load_repodata(path, name, cache_dir=cache_dir))
                found = True
        if not found:
            raise EngineError(f"channel {channel}: no {subdir}/ or noarch/ repodata.json")
    return repos, names


def print_plan(records: list[dict], stream) -> None:
    rows = sorted((r["name"], r["version"], r["build"], r.get("channel", "")) for r in records)
    widths = [max((len(row[i]) for row in rows), default=0) for i in range(4)]
    for row in rows:
        stream.write("  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        stream.write("\n")


def cmd_solve(args) -> int:
    started = time.perf_counter()
    repos, channel_names = channel_repos(args.channel, args.subdir)
    policy = Policy(channel_order=tuple(channel_names), channel_priority=args.channel_priority)
    records = solve(repos, [SpecRequest(s) for s in args.specs], policy=policy)
    print(f"Solved {len(args.specs)} spec(s) for {args.subdir}: {len(records)} package(s)")
    print_plan(records, sys.stdout)
    if args.timing:
        print(f"({time.perf_counter() - started:.3f} s)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="conda-altsolver", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    solve_p = commands.add_parser("solve", help="solve specs against local channel directories")
    solve_p.add_argument("--channel", "-c", action="append", required=True,
                         help="a channel directory (repeat; earlier channels have priority)")
    solve_p.add_argument("--subdir", default=os.environ.get("CONDA_SUBDIR") or native_subdir())
    solve_p.add_argument("--channel-priority", default="flexible",
                         choices=("strict", "flexible", "disabled"))
    solve_p.add_argument("--timing", action="store_true", help="print the elapsed time")
    solve_p.add_argument("specs", nargs="+", help="match specs, e.g. 'python 3.11.*'")
    solve_p.set_defaults(run=cmd_solve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except Unsatisfiable as exc:
        print("The request cannot be solved:\n" + (exc.explanation or str(exc)), file=sys.stderr)
    except PackagesNotFound as exc:
        print(f"No package matches: {', '.join(exc.specs)}", file=sys.stderr)
    except EngineError as exc:
        print(f"error: {exc}", file=sys.stderr)
    return 1
