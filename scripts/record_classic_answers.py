"""Record conda classic's answers for the engine's parity tests.

Runs conda's ``Resolve.solve(specs)`` over the very records the engine tests load
(``tests/engine/engine_data.py``) and writes ``tests/engine/expected/<set>.json``: each case
with its specs, policy and classic's answer (sorted ``dist_str``s, or the error kind).

Usage (needs conda importable and ../shared/data)::

    python scripts/record_classic_answers.py [--data DIR] [--only SET]

Re-run it whenever a case is added; the engine never imports conda, only this script does.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "engine"))

from engine_data import dist_str, load_channel, load_test_index  # noqa: E402

VIRTUAL_LINUX = [["__glibc", "2.28"], ["__unix", "0"], ["__linux", "5.4"], ["__archspec", "1", "x86_64"]]

# -- the cases -------------------------------------------------------------------------------
# A case: id, source(s), specs (strings, or {"spec", "optional", "target"} where target is a
# dist_str of a record in the sources), optional policy and virtual packages.

INDEX1 = [
    ["numpy"], ["numpy 1.7*"], ["numpy 1.5*", "python 2.6*"], ["scipy"], ["scipy", "python 3.3*"],
    ["pandas"], ["pandas 0.11*", "python 2.7*"], ["matplotlib"], ["numba"], ["iopro"],
    ["mkl@", "numpy"], ["mkl@", "scipy"], ["accelerate"], ["anaconda"], ["anaconda 1.5.0"],
    ["python 3*"], ["conda"], ["scikit-learn"], ["scikit-learn", "mkl@"], ["numbapro"],
    ["ipython", "python 2.6*"], ["h5py", "numpy 1.6*"], ["sympy", "python 3.3*"],
    ["numpy 1.7*", "scipy 0.11*"], ["numexpr"], ["numexpr", "mkl@"], ["astropy", "numpy 1.6*"],
    ["theano"], ["opencv"], ["nltk"], ["numpy 1.5*", "scipy >=0.12"], ["zeromq"],
]
INDEX2 = [
    ["numpy"], ["nomkl@", "numpy"], ["scipy"], ["nomkl@", "scipy"], ["pandas"], ["bokeh"],
    ["conda"], ["conda 4.0*"], ["dask"], ["distributed"], ["requests", "python 3.5*"],
    ["flask", "python 2.7*"], ["ipython 4*"], ["boto3"], ["s3fs"], ["llvmlite"],
    ["pyopenssl", "python 3.4*"], ["numpy 1.10*", "python 3.4*"], ["gevent"], ["jedi"],
]
INDEX4 = [
    ["numpy"], ["conda"], ["conda-build"], ["python 3.6*"], ["python 2.7*", "numpy"],
    ["conda", "conda-build", "python 3.6*", "numpy", "scipy", "pandas"], ["pandas"],
    ["scipy", "python 3.5*"], ["notebook"], ["ipywidgets"], ["dask"], ["distributed"],
    ["bokeh"], ["matplotlib"], ["sqlalchemy"], ["sphinx"], ["r-essentials"], ["r-irkernel"],
    ["r-base 3.4*"], ["nomkl@", "numpy"], ["nomkl@", "scipy"], ["hypothesis"], ["jedi 0.10*"],
    ["numpy 1.11*", "python 3.5*"], ["cryptography"], ["gevent"], ["botocore"],
    ["ipython", "python 3.5*"], ["conda-build 3*", "python 2.7*"], ["numpy-base"],
    ["tornado 4*", "pyzmq"], ["llvmlite", "python 3.6*"], ["astroid", "python 2.7*"],
    [{"spec": "python 3.6*"}, {"spec": "openssl >=1.0.2n", "optional": True}],
    [{"spec": "numpy"}, {"spec": "python 3.5*", "optional": True}],
]
INDEX5 = [
    ["conda"], ["conda-build"], ["python 3.6*"], ["python 2.7*", "conda"], ["menuinst"],
    ["requests"], ["pywin32"], ["cryptography"], ["conda-verify"], ["conda", "conda-build"],
]
CHANNELS_CF = [
    ["python"], ["python 3.10*"], ["python 3.8*"], ["python 3.9*", "setuptools"], ["pip"],
    ["setuptools <60"], ["pypy3.9"], ["python", "wheel"], ["curl"], ["sqlite"], ["openssl 1.1*"],
    ["python 3.11*", "pip"], ["packaging", "six"], ["libcurl", "krb5"],
    [{"spec": "python"}, {"spec": "openssl >=3", "optional": True}],
    [{"spec": "pip"}, {"spec": "python <3.10", "optional": True}],
]

# Found by the differential fuzz (``scripts/fuzz_against_classic.py``, seed 4242): the case
# number, its sources, specs and policy. The engine could not prove the first nine optima in
# minutes before its sums counted a ladder per name (classic takes 0.6-8 s); it installed
# nothing for the optional specs alone that leave classic's reduced index empty, which classic
# calls unsatisfiable.
def _optional(spec: str) -> dict:
    return {"spec": spec, "optional": True}


FUZZ_SOURCES = {
    "index": (["index.json"], [], None),
    "index2": (["index2.json"], [], None),
    "index4": (["index4.json"], [], None),
    "index5": (["index5.json"], [], None),
    "pytorch": (["channel:pytorch", "index4.json"], ["pytorch", "channel-4"], VIRTUAL_LINUX),
    "r": (["channel:r", "index4.json"], ["r", "channel-4"], VIRTUAL_LINUX),
    "mix-c4-first": (["channel:conda-forge-subset", "index4.json"],
                     ["channel-4", "conda-forge-subset"], VIRTUAL_LINUX),
    "mix-cf-first": (["channel:conda-forge-subset", "index4.json"],
                     ["conda-forge-subset", "channel-4"], VIRTUAL_LINUX),
}
FUZZ = [
    (542, "index4", ["r-car ==2.0_26"], "strict", False),
    (620, "mix-c4-first", ["r-rmarkdown 0.7*"], "flexible", False),
    (636, "r", ["r <3.2.1"], "disabled", True),
    (1041, "r", ["r-car 2.1_0 r3.2.1_0"], "strict", False),
    (1527, "r", ["r-httr 1.0.0 r3.2.1_0"], "disabled", False),
    (2094, "r", ["r-digest <0.6.10"], "disabled", False),
    (2491, "mix-cf-first", ["r-ggplot2 <2.1.0"], "flexible", False),
    (2527, "mix-cf-first", ["r <3.2.1", "python <3.9.4"], "strict", False),
    (2805, "r", ["r-plyr <1.8.4"], "disabled", True),
    (117, "index", [_optional("workerpool 0.0.*")], "disabled", False),
    (161, "mix-c4-first", [_optional("icu <58.2")], "strict", False),
    (172, "index2", [_optional("jmespath !=0.9.0")], "disabled", False),
    (289, "index2", [_optional("setuptools 77*")], "disabled", False),
    (587, "index4", [_optional("mro-base <3.4.3")], "strict", False),
    (902, "index4", [_optional("r-kernsmooth ==999")], "disabled", False),
    (1083, "index5", [_optional("enum34 <1.1.6")], "flexible", False),
    (1137, "index5", [_optional("libxscrnsaver-cos6-i686 <1.2.2")], "strict", False),
    (1373, "pytorch", [_optional("libsepol-cos6-i686 <2.0.41")], "flexible", False),
    (1809, "index", [_optional("pyside <1.1.2")], "flexible", False),
    (1862, "mix-c4-first", [_optional("libnghttp2 ==0.0.1")], "strict", False),
    (2054, "index4", [_optional("python 77*")], "strict", False),
    (2141, "mix-c4-first", [_optional("jpeg <9b")], "disabled", False),
    (2577, "index5", [_optional("libxrandr-cos7-ppc64le <1.5.1")], "strict", False),
]
# optional specs alone, by hand: two that empty the reduced index together, one that does not
OPTIONAL_ONLY = [
    [_optional("python 3.6*"), _optional("python 77*")],
    [_optional("numpy 1.11*"), _optional("python 2.6*")],
    [_optional("python 3.6*")],
    [_optional("scipy 77*"), _optional("numpy")],
]


def cases() -> list[dict]:
    out = []
    for filename, specs_list in (("index.json", INDEX1), ("index2.json", INDEX2),
                                 ("index4.json", INDEX4), ("index5.json", INDEX5)):
        stem = filename[:-5]
        for number, specs in enumerate(specs_list):
            out.append({"set": "test_indexes", "id": f"{stem}-{number}",
                        "sources": [filename], "specs": specs})
    # policy variants over index4
    for number, specs in enumerate(INDEX4[:12]):
        out.append({"set": "test_indexes", "id": f"index4-notime-{number}",
                    "sources": ["index4.json"], "specs": specs, "ignore_timestamps": True})
    for number, specs in enumerate(CHANNELS_CF):
        out.append({"set": "channels", "id": f"cf-{number}", "sources": ["channel:conda-forge-subset"],
                    "specs": specs, "virtual": VIRTUAL_LINUX})
    # old glibc prunes builds through the reduced index only
    for number, specs in enumerate(CHANNELS_CF[:6]):
        out.append({"set": "channels", "id": f"cf-oldglibc-{number}",
                    "sources": ["channel:conda-forge-subset"], "specs": specs,
                    "virtual": [["__glibc", "2.12"], ["__unix", "0"], ["__linux", "3.10"]]})
    # two channels: conda-forge subset and channel-4, every priority mode
    for mode in ("flexible", "strict", "disabled"):
        for number, specs in enumerate([["python"], ["python", "pip"], ["setuptools"],
                                        ["openssl"], ["python 3.6*", "numpy"], ["sqlite"]]):
            for order in (["conda-forge-subset", "channel-4"], ["channel-4", "conda-forge-subset"]):
                out.append({"set": "channels", "id": f"mix-{mode}-{order[0]}-{number}",
                            "sources": ["channel:conda-forge-subset", "index4.json"],
                            "specs": specs, "channel_priority": mode, "channel_order": order,
                            "virtual": VIRTUAL_LINUX})
    for number, specs in enumerate([["pytorch"], ["torchvision"], ["pytorch-cpu"],
                                    ["faiss-cpu"], ["pytorch", "cpuonly"], ["ignite"]]):
        out.append({"set": "channels", "id": f"pytorch-{number}",
                    "sources": ["channel:pytorch", "index4.json"], "specs": specs,
                    "channel_order": ["pytorch", "channel-4"], "virtual": VIRTUAL_LINUX})
    for number, specs in enumerate([["r-base"], ["r-essentials"], ["rpy2"], ["r-shiny"],
                                    ["r-caret", "r-base 3.4*"], ["r-irkernel"]]):
        out.append({"set": "channels", "id": f"r-{number}",
                    "sources": ["channel:r", "index4.json"], "specs": specs,
                    "channel_order": ["r", "channel-4"], "virtual": VIRTUAL_LINUX})
    for number, config, specs, priority, ignore_timestamps in FUZZ:
        sources, order, virtual = FUZZ_SOURCES[config]
        case = {"set": "fuzz", "id": f"fuzz-4242-{number}-{config}", "sources": sources,
                "specs": specs, "channel_priority": priority}
        if order:
            case["channel_order"] = order
        if virtual:
            case["virtual"] = virtual
        if ignore_timestamps:
            case["ignore_timestamps"] = True
        out.append(case)
    for number, specs in enumerate(OPTIONAL_ONLY):
        out.append({"set": "fuzz", "id": f"optional-only-{number}", "sources": ["index4.json"],
                    "specs": specs, "channel_priority": "strict"})
    return out


def load_sources(data_dir: Path, sources) -> list[dict]:
    records = []
    for source in sources:
        if source.startswith("channel:"):
            records.extend(load_channel(data_dir, source[len("channel:"):]))
        else:
            records.extend(load_test_index(data_dir, source))
    return records


def virtual_records(virtual) -> list[dict]:
    out = []
    for entry in virtual or ():
        name, version = entry[0], entry[1]
        build = entry[2] if len(entry) > 2 else "0"
        out.append({"name": name, "version": version, "build": build, "build_number": 0,
                    "channel": "@", "subdir": "linux-64", "depends": [],
                    "package_type": "virtual_system", "fn": name,
                    "md5": "12345678901234567890123456789012"})
    return out


# -- classic ------------------------------------------------------------------------------------


def _raise_unsatisfiable(*args, **kwargs):
    from conda.exceptions import UnsatisfiableError

    raise UnsatisfiableError({})


def classic_answer(case: dict, records: list[dict]):
    from conda.base.constants import ChannelPriority
    from conda.base.context import context
    from conda.exceptions import ResolvePackageNotFound, UnsatisfiableError
    from conda.models.match_spec import MatchSpec
    from conda.models.records import PackageRecord
    from conda.resolve import Resolve

    precs = {}
    by_dist = {}
    for record in records:
        fields = {k: v for k, v in record.items() if k != "package_type"}
        if record.get("package_type") == "virtual_system":
            prec = PackageRecord.virtual_package(record["name"], record["version"], record["build"])
        else:
            prec = PackageRecord(**fields)
        precs[prec] = prec
        by_dist[dist_str(record)] = prec
    specs = []
    for item in case["specs"]:
        if isinstance(item, str):
            specs.append(MatchSpec(item))
            continue
        kwargs = {}
        if item.get("optional"):
            kwargs["optional"] = True
        if item.get("target"):
            kwargs["target"] = by_dist[item["target"]].dist_str()
        specs.append(MatchSpec(item["spec"], **kwargs))
    priority = ChannelPriority(case.get("channel_priority", "flexible"))
    with context._override("channel_priority", priority), \
            context._override("solver_ignore_timestamps", case.get("ignore_timestamps", False)), \
            context._override("json", True):
        # (unsatisfiable_hints must stay on: off, get_reduced_index exits on any spec that
        # pruned nothing in its second pass.) Only the kind of failure is recorded, so skip
        # classic's slow conflict report.
        resolve = Resolve(precs, channels=tuple(case.get("channel_order", ())))
        resolve.find_conflicts = _raise_unsatisfiable
        try:
            solution = resolve.solve(specs)
        except ResolvePackageNotFound:
            return {"error": "PackagesNotFound"}
        except UnsatisfiableError:
            return {"error": "Unsatisfiable"}
    return sorted(
        prec.dist_str() for prec in solution if prec.channel.name != "@"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--only", default=None, help="record only this set")
    parser.add_argument("--timeout", type=int, default=60, help="seconds per classic solve")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGALRM, _on_alarm)
    data_dir = Path(args.data)
    by_set: dict[str, list] = {}
    loaded: dict[tuple, list] = {}
    for case in cases():
        if args.only and case["set"] != args.only:
            continue
        key = tuple(case["sources"])
        if key not in loaded:
            loaded[key] = load_sources(data_dir, case["sources"])
        records = loaded[key] + virtual_records(case.get("virtual"))
        start = time.perf_counter()
        signal.alarm(args.timeout)
        try:
            case = dict(case, expected=classic_answer(case, records))
        except _Timeout:
            case = dict(case, expected={"error": "classic-timeout"})
        finally:
            signal.alarm(0)
        case["classic_seconds"] = round(time.perf_counter() - start, 3)
        print(f"{case['id']:40} {case['classic_seconds']:7.2f}s "
              f"{case['expected'] if isinstance(case['expected'], dict) else len(case['expected'])}",
              flush=True)
        by_set.setdefault(case.pop("set"), []).append(case)
        _write(by_set)  # after every case: a long run leaves usable partial files
    for name, items in by_set.items():
        print(f"wrote {name}.json ({len(items)} cases)")
    return 0


def _write(by_set: dict) -> None:
    out_dir = ROOT / "tests" / "engine" / "expected"
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, items in by_set.items():
        path = out_dir / f"{name}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"cases": items}, indent=1) + "\n")
        tmp.replace(path)


class _Timeout(Exception):
    pass


def _on_alarm(*_):
    raise _Timeout


if __name__ == "__main__":
    sys.exit(main())
