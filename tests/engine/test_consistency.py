"""``inconsistent_records``: which installed records classic's ``bad_installed`` sets aside."""

from __future__ import annotations

import pytest

from conda_altsolver.engine import inconsistent_records


def rec(text, depends=(), **fields):
    """``rec("name version")`` -> a record dict, as installed."""
    name, version = text.split()
    return {"name": name, "version": version, "build": "h_0", "build_number": 0,
            "depends": list(depends), "channel": "test", "subdir": "linux-64", **fields}


_FEATURED = [
    rec("numpy 1.7", ["mkl-rt"], features="mkl"),
    rec("mkl-rt 11.0", features="mkl"),
    rec("scipy 0.12", ["numpy 1.7"], features="mkl"),
    rec("zlib 1.2"),
]

CASES = {
    # a virtual package is not checked (classic gives its dependencies no clause)
    "virtual-dependency": ([rec("a 1.0", ["__glibc >=2.17", "b"]), rec("b 1.0")], []),
    "missing-dependency": ([rec("a 1.0", ["b"]), rec("b 1.0"), rec("c 1.0", ["zzz"])], ["c"]),
    "wrong-version": ([rec("a 1.0", ["b >=2"]), rec("b 1.0"), rec("c 1.0", ["a"])], ["a", "c"]),
    # features need an installed tracker: removing it leaves its users inconsistent
    "feature-without-tracker": (_FEATURED, ["mkl-rt", "numpy", "scipy"]),
    "feature-with-tracker": ([*_FEATURED, rec("mkl 11.0", ["mkl-rt"], track_features="mkl")],
                             []),
    # conda adds pip to python records itself: not held against an environment without pip
    "python-without-pip": ([rec("python 3.3", ["pip", "zlib"]), rec("zlib 1.2")], []),
    "constrains": ([rec("a 1.0", constrains=["b <1"]), rec("b 1.0")], "one of a, b"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_inconsistent_records(name):
    records, expected = CASES[name]
    found = sorted(records[i]["name"] for i in inconsistent_records(records))
    if expected == "one of a, b":
        assert found in (["a"], ["b"])
    else:
        assert found == expected


@pytest.mark.conda
@pytest.mark.parametrize("name", sorted(CASES))
def test_inconsistent_records_live_classic(name):
    """classic's ``bad_installed`` sets aside as many records (the same ones, where only
    one largest consistent subset exists)."""
    from conda.models.records import PackageRecord
    from conda.resolve import Resolve

    records, expected = CASES[name]
    precs = [PackageRecord(**record) for record in records]
    _, aside = Resolve({p: p for p in precs}).bad_installed(precs, ())
    classic = sorted(p.name for p in aside or ())
    found = sorted(records[i]["name"] for i in inconsistent_records(records))
    assert len(classic) == len(found)
    if expected != "one of a, b":
        assert classic == found
