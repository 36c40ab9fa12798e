"""A synthetic channel at conda-forge's scale, and what loading (and solving) it costs.

    python benchmarks/synthetic.py                     # generate in a temp dir, measure, delete
    python benchmarks/synthetic.py --dir /tmp/synth    # keep (and reuse) the channel there
    python benchmarks/synthetic.py --names 3000 --records 46500   # a tenth of the scale

The channel (default ~465k records over 30k names, in ``linux-64`` and ``noarch``) has
compiled C libraries with many versions and builds, compiled Python packages built for a
matrix of Python versions (``pyXYZ`` builds pinning ``python`` and ``python_abi``), noarch
Python packages, ``.conda`` and ``.tar.bz2`` artifacts (some twins), and a dependency
fan-out biased towards popular names, as on conda-forge. Every dependency admits the newest
version of its target, so "newest of everything" is always an answer.

The measurement is one fresh process per row, as in ``run.py``: the plain ``json.loads``
floor, altsolver's cold load (no parsed cache), warm load, and cold/warm load+solve when
the engine's ``solve`` exists, on a request for 30 packages. Nothing generated is kept in
the repository.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from cases import LINUX_VIRTUAL, Case  # noqa: E402

PYTHONS = ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13")
PYTHON_VERSIONS = tuple(f"{minor}.{patch}" for minor in PYTHONS for patch in (0, 1))
LICENSES = ("MIT", "BSD-3-Clause", "Apache-2.0", "GPL-3.0-or-later", "LGPL-2.1-or-later")
CORE = 400  # the first names are C libraries everything else leans on


def main(argv=None) -> int:
    args = _parse(argv)
    directory = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="altsolver-syn-"))
    try:
        marker = directory / "synthetic.json"
        if not marker.exists() or args.regenerate:
            start = time.perf_counter()
            summary = generate(directory, args.names, args.records, args.seed)
            marker.write_text(json.dumps(summary))
            print(f"generated {summary['records']} records over {summary['names']} names "
                  f"({summary['bytes'] / 2**20:.0f} MiB) in {time.perf_counter() - start:.1f} s")
        summary = json.loads(marker.read_text())
        if not args.generate_only:
            measure(directory, summary, args)
    finally:
        if not args.dir:
            shutil.rmtree(directory, ignore_errors=True)
    return 0


def _parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", help="where the channel lives (kept); default: a temp dir")
    parser.add_argument("--names", type=int, default=30_000)
    parser.add_argument("--records", type=int, default=465_000, help="approximate total")
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--solvers", default="altsolver,json-floor,json-nogc,rattler",
                        help="comma-separated (classic would take minutes)")
    return parser.parse_args(argv)


# ---------------------------------------------------------------------------------------
# generation

def generate(directory: Path, n_names: int, n_records: int, seed: int) -> dict:
    """Write ``directory/{linux-64,noarch}/repodata.json``; returns a summary."""
    rng = random.Random(seed)
    kinds = _kinds(rng, n_names)
    versions = _version_counts(rng, kinds, n_records)
    latest = {i: f"{v}.{v % 7}.{v % 3}" for i, v in enumerate(versions)}
    latest[0] = PYTHON_VERSIONS[-1]
    names = [_name(i, kind) for i, kind in enumerate(kinds)]
    arch: dict[str, dict] = {"packages": {}, "packages.conda": {}}
    noarch: dict[str, dict] = {"packages": {}, "packages.conda": {}}
    for index, kind in enumerate(kinds):
        deps = _dependency_names(rng, index, kinds)
        target = noarch if kind == "noarch" else arch
        for fn, record in _records(rng, index, kind, versions[index], deps, names, latest):
            section = "packages.conda" if fn.endswith(".conda") else "packages"
            target[section][fn] = record
            if section == "packages.conda" and rng.random() < 0.03:  # a .tar.bz2 twin
                target["packages"][fn[: -len(".conda")] + ".tar.bz2"] = dict(record)
    arch["packages.conda"].update(_helper_records())
    size = 0
    for subdir, data in (("linux-64", arch), ("noarch", noarch)):
        data["info"] = {"subdir": subdir}
        data["repodata_version"] = 1
        path = directory / subdir / "repodata.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(data, separators=(",", ":"))
        path.write_text(text)
        size += len(text)
    records = sum(len(d["packages"]) + len(d["packages.conda"]) for d in (arch, noarch))
    request = _request(rng, kinds, names)
    return {"records": records, "names": n_names, "bytes": size, "request": request}


def _kinds(rng: random.Random, n_names: int) -> list[str]:
    kinds = ["python"] + ["core"] * (min(CORE, n_names) - 1)
    for _ in range(len(kinds), n_names):
        roll = rng.random()
        kinds.append("compiled" if roll < 0.3 else "noarch" if roll < 0.8 else "plain")
    return kinds


def _version_counts(rng: random.Random, kinds: list[str], n_records: int) -> list[int]:
    """Versions per name, heavy-tailed (a few names have hundreds of records), scaled so
    that records (versions x builds) come to about ``n_records``."""
    raw = [min(60.0, rng.paretovariate(1.6)) for _ in kinds]
    per_version = [_builds_per_version(kind) for kind in kinds]
    total = sum(r * b for r, b in zip(raw, per_version))
    scale = n_records / total
    counts = [max(1, round(r * scale)) for r in raw]
    counts[0] = len(PYTHON_VERSIONS)
    return counts


def _builds_per_version(kind: str) -> float:
    return {"python": 6, "core": 1.5, "compiled": 3.6, "noarch": 1, "plain": 1}[kind]


def _name(index: int, kind: str) -> str:
    if kind == "python":
        return "python"
    prefix = {"core": "lib", "compiled": "py", "noarch": "py", "plain": ""}[kind]
    return f"{prefix}pkg{index:05d}" if prefix else f"tool{index:05d}"


def _dependency_names(rng: random.Random, index: int, kinds: list[str]) -> list[int]:
    """A name's dependencies, fixed across its versions: earlier names, mostly popular ones
    (the fourth power pulls the index towards 0)."""
    if index == 0:
        return []
    count = rng.randint(1, 3) if kinds[index] == "core" else rng.randint(1, 5)
    picks = {int(index * rng.random() ** 4) for _ in range(count)}
    if kinds[index] in ("compiled", "noarch"):
        # Python packages mostly depend on Python packages; keep python itself out (added
        # with its own pins).
        picks = {p for p in picks if p != 0}
    return sorted(picks)


def _records(rng, index, kind, n_versions, deps, names, latest):
    """(filename, record) for every version and build of one name."""
    name = names[index]
    for v in range(1, n_versions + 1):
        version = latest[index] if v == n_versions else f"{v}.{v % 7}.{v % 3}"
        if kind == "python":
            version = PYTHON_VERSIONS[v - 1]
        newest = v == n_versions
        builds = _build_matrix(rng, kind, newest)
        for build_number, (build, python_pins) in enumerate(builds):
            depends = python_pins + [_pin(rng, names[d], latest[d], d) for d in deps]
            if kind in ("core", "compiled"):
                depends.append("libgcc-ng >=12")
            build_string = f"{build}_{build_number}"
            if kind == "python":
                build_string += "_cpython"  # python_abi's constrains name "*_cpython"
            record = {
                "name": name, "version": version, "build": build_string,
                "build_number": build_number, "depends": depends,
                "license": LICENSES[index % len(LICENSES)],
                "md5": f"{rng.getrandbits(128):032x}",
                "sha256": f"{rng.getrandbits(256):064x}",
                "size": rng.randint(2_000, 50_000_000),
                "subdir": "noarch" if kind == "noarch" else "linux-64",
                "timestamp": 1_600_000_000_000 + v * 86_400_000 + index,
            }
            if kind == "noarch":
                record["noarch"] = "python"
            if rng.random() < 0.1:
                record["constrains"] = [f"{names[max(0, index - 1)]} >=0.1"]
            ext = ".conda" if v * 3 > n_versions else ".tar.bz2"
            yield f"{name}-{version}-{record['build']}{ext}", record


def _build_matrix(rng, kind, newest) -> list[tuple[str, list[str]]]:
    """(build prefix, python pins) per build of one version; newest versions are built for
    every Python, older ones for a window."""
    hash_ = f"h{rng.getrandbits(28):07x}"
    if kind == "python":
        return [(hash_, [])]
    if kind == "compiled":
        pythons = PYTHONS if newest else PYTHONS[rng.randint(0, 2): rng.randint(3, 6)]
        return [(f"py{p.replace('.', '')}{hash_}", _python_pins(p)) for p in pythons]
    if kind == "noarch":
        return [("pyhd8ed1ab", ["python >=3.8"])]
    return [(hash_, [])] * (2 if kind == "core" and rng.random() < 0.5 else 1)


def _python_pins(python: str) -> list[str]:
    major, minor = python.split(".")
    tag = f"cp{major}{minor}"
    return [f"python >={python},<{major}.{int(minor) + 1}.0a0", f"python_abi {python}.* *_{tag}"]


def _pin(rng, name: str, latest: str, index: int) -> str:
    """A dependency that the newest version of ``name`` always satisfies."""
    if index == 0:
        return "python"
    roll = rng.random()
    if roll < 0.4:
        return name
    major = int(latest.split(".")[0])
    low = rng.randint(1, major)
    if roll < 0.8:
        return f"{name} >={low}"
    return f"{name} >={low},<{major + 1}.0a0"


def _request(rng, kinds, names) -> list[str]:
    """30 Python packages from the less popular half: a realistic environment request."""
    candidates = [i for i, k in enumerate(kinds) if k in ("compiled", "noarch")]
    half = candidates[len(candidates) // 2:]
    return [names[i] for i in sorted(rng.sample(half, min(30, len(half))))]


# ---------------------------------------------------------------------------------------
# measurement

def measure(directory: Path, summary: dict, args) -> None:
    # run.py's child protocol
    from run import _best_of_rounds, _compile_sources, _print_ratios, _print_table, _spawn

    _compile_sources()

    case = Case("synthetic", [("synthetic", str(directory))], "linux-64", summary["request"],
                virtual=LINUX_VIRTUAL)
    cache_dir = directory / "cache"
    cells = []  # run.py's rows: (solver, mode, options, cache to clear first, run last)
    for solver in args.solvers.split(","):
        if solver == "altsolver":
            names = _spawn(case, "closure", {}, args.timeout).get("names")
            load_only = {"cache_dir": str(cache_dir), "load_only": True, "names": names}
            full = {"cache_dir": str(cache_dir), "load_only": False}
            cells.append((solver, "cold-load", load_only, cache_dir, False))
            cells.append((solver, "warm-load", load_only, None, True))
            cells.append((solver, "warm", full, None, True))
        else:
            cells.append((solver, "-", {}, None, False))
    rows = _best_of_rounds(case, cells, args)
    print(f"request: {' '.join(summary['request'])}")
    _print_table(rows)
    _print_ratios(rows)


def _helper_records() -> dict:
    """The python_abi and libgcc-ng records that compiled packages' pins name."""
    extra = {}
    for python in PYTHONS:
        tag = "cp" + python.replace(".", "")
        extra[f"python_abi-{python}-4_{tag}.conda"] = {
            "name": "python_abi", "version": python, "build": f"4_{tag}", "build_number": 4,
            "depends": [], "subdir": "linux-64", "timestamp": 1_700_000_000_000,
            "constrains": [f"python {python}.* *_cpython"],
        }
    extra["libgcc-ng-13.2.0-h77fa898_7.conda"] = {
        "name": "libgcc-ng", "version": "13.2.0", "build": "h77fa898_7", "build_number": 7,
        "depends": [], "subdir": "linux-64", "timestamp": 1_700_000_000_000,
    }
    return extra


if __name__ == "__main__":
    sys.exit(main())
