"""Versions and specs: engine/version.py + engine/spec.py side by side with conda's own.

    python benchmarks/bench_versions.py              # best of 3
    python benchmarks/bench_versions.py --repeat 5

Workloads, each run from empty caches on both sides (ours: ``clear_caches()``; conda: its
``VersionOrder``/``VersionSpec``/``BuildNumberMatch``/``MatchSpec`` caches emptied):

* ``versions``: parse and sort the 28,530 strings of ../shared/data/versions/versions.txt
  (ours: by ``version_key``, the plain tuple the engine uses; ``version_objects``: the same
  through ``parse_version``, which also builds a ``Version`` object per string);
* ``version_specs``: parse every spec of oracle/version_specs.jsonl and check it against its
  40 versions (62,520 checks);
* ``matchspecs``: parse every string of oracle/matchspecs.jsonl and print it canonically;
* ``record_matches``: every spec of oracle/record_matches.jsonl against the 2,181 records of
  the pytorch channel (conda gets ready-made ``PackageRecord``s, built outside the clock).

Times are CPU seconds (``process_time``; the machine may be shared), best of ``--repeat``.
The conda column is skipped when conda cannot be imported.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from conda_altsolver.engine import spec as our_spec  # noqa: E402
from conda_altsolver.engine import version as our_version  # noqa: E402
from conda_altsolver.engine.errors import InvalidSpec  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


def _load(data: Path):
    versions = (data / "versions" / "versions.txt").read_text(encoding="utf-8").split("\n")
    versions = [v for v in versions if v.strip()]

    def rows(name):
        with open(data / "oracle" / name, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    vspecs = [(r["spec"], [v for v, _ in r["checks"]]) for r in rows("version_specs.jsonl")]
    mspecs = [r["spec"] for r in rows("matchspecs.jsonl")]
    rspecs = [r["spec"] for r in rows("record_matches.jsonl")]
    records = []
    for subdir in sorted((data / "channels" / "pytorch").iterdir()):
        with open(subdir / "repodata.json", encoding="utf-8") as f:
            repodata = json.load(f)
        for key in ("packages", "packages.conda"):
            for fn, record in repodata.get(key, {}).items():
                records.append(dict(record, fn=fn, channel="pytorch", subdir=subdir.name))
    return versions, vspecs, mspecs, rspecs, records


# --- the same four workloads, written once per side -----------------------------------------


class Ours:
    name = "altsolver"

    def __init__(self, records):
        self.records = records

    def reset(self):
        our_spec.clear_caches()

    def versions(self, versions):
        # version_key: the plain-tuple key the engine sorts by (no Version objects)
        return sorted(versions, key=our_version.version_key)

    def version_objects(self, versions):
        return sorted(versions, key=our_version.parse_version)

    def version_specs(self, vspecs):
        parse = our_version.parse_version_spec
        return sum(1 for text, checks in vspecs for v in checks if parse(text).match(v))

    def matchspecs(self, mspecs):
        out = []
        for text in mspecs:
            try:
                out.append(str(our_spec.parse_spec(text)))
            except InvalidSpec:
                out.append(None)
        return out

    def record_matches(self, rspecs):
        records = self.records
        return sum(1 for text in rspecs for r in records if our_spec.parse_spec(text).match(r))


class Conda:
    name = "conda"

    def __init__(self, records):
        from conda.models import match_spec, version
        from conda.models.records import PackageRecord

        self.version, self.match_spec = version, match_spec
        self.records = [PackageRecord.from_objects(r) for r in records]

    def reset(self):
        v, m = self.version, self.match_spec
        for cache in (v.VersionOrder._cache_, v.VersionSpec._cache_, v.BuildNumberMatch._cache_):
            cache.clear()
        m._PARSE_CACHE.clear()
        m.MatchSpec._MATCHER_CACHE.clear()

    def versions(self, versions):
        return sorted(versions, key=self.version.VersionOrder)

    version_objects = versions

    def version_specs(self, vspecs):
        spec = self.version.VersionSpec
        return sum(1 for text, checks in vspecs for v in checks if spec(text).match(v))

    def matchspecs(self, mspecs):
        out = []
        for text in mspecs:
            try:
                out.append(str(self.match_spec.MatchSpec(text)))
            except Exception:
                out.append(None)
        return out

    def record_matches(self, rspecs):
        ms, records = self.match_spec.MatchSpec, self.records
        return sum(1 for text in rspecs for r in records if ms(text).match(r))


WORKLOADS = ("versions", "version_objects", "version_specs", "matchspecs", "record_matches")


def _best(side, workload, arg, repeat):
    best = float("inf")
    result = None
    for _ in range(repeat):
        side.reset()
        start = time.process_time()
        result = getattr(side, workload)(arg)
        best = min(best, time.process_time() - start)
    return best, result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"skipped: test data not found at {args.data}")
        return 0
    versions, vspecs, mspecs, rspecs, records = _load(args.data)
    inputs = {
        "versions": versions,
        "version_objects": versions,
        "version_specs": vspecs,
        "matchspecs": mspecs,
        "record_matches": rspecs,
    }
    sides = [Ours(records)]
    try:
        logging.disable(logging.WARNING)  # conda warns about '.*' after operators
        warnings.simplefilter("ignore")
        sides.append(Conda(records))
    except ImportError:
        print("conda is not importable: the conda column is skipped")

    print(f"{'workload':<16}" + "".join(f"{s.name:>12}" for s in sides) + f"{'ratio':>9}")
    totals = [0.0] * len(sides)
    for workload in WORKLOADS:
        counted = workload != "version_objects"  # the same work as 'versions' for conda
        times, results = [], []
        for side in sides:
            t, r = _best(side, workload, inputs[workload], args.repeat)
            times.append(t)
            results.append(r)
        if counted:
            for i, t in enumerate(times):
                totals[i] += t
        ratio = f"{times[1] / times[0]:8.1f}x" if len(times) > 1 else ""
        agree = "" if len(results) < 2 or results[0] == results[1] else "  (answers differ!)"
        print(f"{workload:<16}" + "".join(f"{t:11.3f}s" for t in times) + ratio + agree)
    ratio = f"{totals[1] / totals[0]:8.1f}x" if len(totals) > 1 else ""
    print("* total of every row but version_objects")
    print(f"{'total*':<16}" + "".join(f"{t:11.3f}s" for t in totals) + ratio)
    return 0


if __name__ == "__main__":
    sys.exit(main())
