"""Every line of every oracle table in ../shared/data/oracle (conda 26.7.1's own answers)
must be reproduced by engine/version.py and engine/spec.py.

Each test reads a whole table, collects every disagreement and fails listing the first few,
so one run tells how far from 100% we are. The agreement count is printed (``-s`` or ``-rA``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conda_altsolver.engine.errors import InvalidSpec, InvalidVersion
from conda_altsolver.engine.pool import _span
from conda_altsolver.engine.spec import parse_spec
from conda_altsolver.engine.version import parse_version, parse_version_spec, version_key

pytestmark = pytest.mark.data


def _rows(data_dir: Path, name: str) -> list[dict]:
    with open(data_dir / "oracle" / name, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _report(table: str, total: int, failures: list[str]) -> None:
    print(f"\n{table}: {total - len(failures)}/{total} agree")
    assert not failures, f"{len(failures)} disagreements, first ones:\n" + "\n".join(failures[:20])


def test_version_order(data_dir):
    rows = _rows(data_dir, "version_order.jsonl")
    failures = []
    ranked = []
    for row in rows:
        if "error" in row:
            try:
                parse_version(row["version"])
            except InvalidVersion:
                continue
            failures.append(f"{row['version']!r} should be invalid")
            continue
        ranked.append((row["rank"], parse_version(row["version"])))
    # sorting by our key must give conda's ranks in order, ties exactly where conda has them
    ordered = sorted(ranked, key=lambda rv: rv[1])
    for (rank_a, a), (rank_b, b) in zip(ordered, ordered[1:]):
        if (rank_a == rank_b) != (a == b) or rank_a > rank_b:
            failures.append(f"{a.text!r} (rank {rank_a}) vs {b.text!r} (rank {rank_b})")
        if (rank_a == rank_b) and hash(a) != hash(b):
            failures.append(f"hash differs: {a.text!r} {b.text!r}")
    _report("version_order", len(rows), failures)


def test_version_specs(data_dir):
    rows = _rows(data_dir, "version_specs.jsonl")
    failures = []
    checks = 0
    for row in rows:
        text = row["spec"]
        if "error" in row:
            checks += 1
            with pytest.raises(InvalidSpec):
                parse_version_spec(text)
            continue
        spec = parse_version_spec(text)
        for version, expected in row["checks"]:
            checks += 1
            if spec.match(version) is not expected:
                failures.append(f"{text!r} on {version!r}: conda says {expected}")
    _report("version_specs (checks)", checks, failures)


def test_version_spec_bounds(data_dir):
    """A version spec's ``bounds`` (what ``Pool`` bisects a group's sorted keys with) pass
    exactly the versions conda says the spec matches."""
    rows = _rows(data_dir, "version_specs.jsonl")
    failures = []
    bounded = 0
    for row in rows:
        if "error" in row:
            continue
        bounds = parse_version_spec(row["spec"]).bounds
        if bounds is None:
            continue
        try:
            pairs = sorted((version_key(v), v) for v, _ in row["checks"])
        except InvalidVersion:
            continue  # a group with an invalid version is matched text by text
        bounded += 1
        start, stop = _span(tuple(key for key, _ in pairs), bounds)
        got = {v for _, v in pairs[start:stop]}
        expected = {v for v, matches in row["checks"] if matches}
        if got != expected:
            failures.append(f"{row['spec']!r}: extra {sorted(got - expected)[:3]}, "
                            f"missing {sorted(expected - got)[:3]}")
    assert bounded > 500  # most specs are comparisons, ranges and prefixes
    _report("version_specs (bounds)", bounded, failures)


def _conda_field_str(spec, field: str) -> str:
    """str() of conda's raw field value; conda's raw channel is a Channel, printed as a URL."""
    if field == "channel":
        return spec.components["channel"].conda_raw_str()
    return str(spec.get(field))


def test_matchspecs(data_dir):
    rows = _rows(data_dir, "matchspecs.jsonl")
    failures = []
    for row in rows:
        text = row["spec"]
        try:
            spec = parse_spec(text)
        except InvalidSpec as exc:
            if "error" not in row:
                failures.append(f"{text!r} refused: {exc}")
            elif text not in str(exc):
                failures.append(f"{text!r}: error does not name the spec: {exc}")
            continue
        if "error" in row:
            failures.append(f"{text!r} accepted as {spec}, conda refuses it ({row['error']})")
            continue
        if str(spec) != row["str"]:
            failures.append(f"{text!r}: str {str(spec)!r}, conda {row['str']!r}")
        if spec.name != row["name"]:
            failures.append(f"{text!r}: name {spec.name!r}, conda {row['name']!r}")
        fields = {f: _conda_field_str(spec, f) for f in spec.components}
        if fields != row["fields"]:
            failures.append(f"{text!r}: fields {fields}, conda {row['fields']}")
    _report("matchspecs", len(rows), failures)


def _pytorch_records(data_dir: Path) -> list[dict]:
    records = []
    for subdir_dir in sorted((data_dir / "channels" / "pytorch").iterdir()):
        with open(subdir_dir / "repodata.json", encoding="utf-8") as f:
            repodata = json.load(f)
        for key in ("packages", "packages.conda"):
            for fn, record in repodata.get(key, {}).items():
                record = dict(record, fn=fn, channel="pytorch")
                record.setdefault("subdir", subdir_dir.name)
                records.append(record)
    return records


def test_record_matches(data_dir):
    rows = _rows(data_dir, "record_matches.jsonl")
    records = _pytorch_records(data_dir)
    assert len(records) == 2181
    failures = []
    for row in rows:
        spec = parse_spec(row["spec"])
        got = sorted(f"{r['channel']}/{r['fn']}" for r in records if spec.match(r))
        expected = sorted(row["matches"])
        if got != expected:
            extra = sorted(set(got) - set(expected))[:3]
            missing = sorted(set(expected) - set(got))[:3]
            failures.append(f"{row['spec']!r}: extra {extra}, missing {missing}")
    _report("record_matches", len(rows), failures)
