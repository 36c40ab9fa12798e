"""A large file's cached best-first orders: the pool's groups are the ones it would sort.

The cache of a large repodata.json stores, per name, the order ``Pool.group`` would sort the
name's records into (``repodata._add_orders``), and a warm solve takes it instead of keying
and sorting. Every test here compares against the pool that keys and sorts.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest

from conda_altsolver.engine import Policy, SpecRequest, solve
from conda_altsolver.engine.errors import InvalidRecord
from conda_altsolver.engine.policy import (
    make_group_keys,
    make_one_channel_keys,
    one_channel_order,
)
from conda_altsolver.engine.pool import Pool
from conda_altsolver.engine import repodata
from conda_altsolver.engine.repodata import load_repodata

sys.path.insert(0, str(Path(__file__).resolve().parent))

from random_channels import random_records  # noqa: E402

VERSIONS = ["1.0", "1.0.0", "1.0a1", "1.0.post1", "1!0.5", "1.0+local", "2.0", "2.0rc1",
            "0.9.9", "1.0.0.0", "1.1_2", "10", "2023.01.01"]
POLICIES = [Policy(channel_order=("one", "two"), channel_priority=priority,
                   ignore_timestamps=ignore)
            for priority in ("strict", "flexible", "disabled") for ignore in (False, True)]


@pytest.fixture
def large(monkeypatch):
    """Every file counts as large: its cache stores orders (and shared strings)."""
    for threshold in ("REOPEN_ABOVE", "SHARE_ABOVE", "ORDER_ABOVE"):
        monkeypatch.setattr(repodata, threshold, 0)


def timestamp(rnd: random.Random):
    """None, 0, seconds, or milliseconds (which the key divides), sometimes a float."""
    return rnd.choice([None, 0, rnd.randint(1, 10), rnd.randint(1, 10) * 1000 + 253402300799,
                       rnd.randint(1, 10) / 3])


def sorted_by_the_pools_keys(records: list, channel: str = "one") -> list:
    keys = make_group_keys(Policy(channel_order=(channel,)))(
        [{**record, "channel": channel, "subdir": "noarch"} for record in records])
    return sorted(range(len(keys)), key=keys.__getitem__, reverse=True)


@pytest.mark.parametrize("seed", range(40))
def test_one_channel_order_is_the_order_of_classics_key(seed):
    rnd = random.Random(seed)
    records = []
    for index in range(rnd.randint(1, 25)):
        record = {"version": rnd.choice(VERSIONS), "build": rnd.choice(["0", "1", "py_0", "h1"]),
                  "build_number": rnd.randint(0, 2)}
        stamp = timestamp(rnd)
        if stamp is not None or rnd.random() < 0.5:
            record["timestamp"] = stamp
        records.append(record)
    if rnd.random() < 0.3:
        records.append(dict(rnd.choice(records)))  # an equal key: positions decide
    assert one_channel_order(records) == sorted_by_the_pools_keys(records)


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("seed", range(30))
def test_one_channel_keys_sort_as_classics_key(seed, policy):
    """The pool sorts a name whose records share a channel with ``make_one_channel_keys``:
    the same order as the full key's, ties included (a channel in the order or missing from
    it, noarch and arch records, equal keys)."""
    rnd = random.Random(seed)
    channel = rnd.choice(["one", "two", "elsewhere"])
    records = []
    for index in range(rnd.randint(1, 25)):
        record = {"name": "a", "version": rnd.choice(VERSIONS), "build": rnd.choice("ab"),
                  "build_number": rnd.randint(0, 2), "channel": channel,
                  "subdir": rnd.choice(["noarch", "linux-64"])}
        stamp = timestamp(rnd)
        if stamp is not None or rnd.random() < 0.5:
            record["timestamp"] = stamp
        records.append(record)
    if rnd.random() < 0.3:
        records.append(dict(rnd.choice(records)))

    def order(keys):
        keys = keys(records)
        return sorted(range(len(keys)), key=keys.__getitem__, reverse=True)

    assert order(make_one_channel_keys(policy)) == order(make_group_keys(policy))


@pytest.mark.parametrize("seed", range(200))
def test_well_formed_is_the_field_table(seed):
    rnd = random.Random(seed)
    values = ["1", 1, 1.5, None, [], ["a"], True]
    record = {key: rnd.choice(values) for key, *_ in repodata._FIELD_TYPES
              if rnd.random() < 0.8}
    by_table = all(type(record.get(key, default)) in kinds
                   for key, kinds, default, _what in repodata._FIELD_TYPES)
    assert repodata._well_formed(record) == by_table


def write_channel(directory: Path, records: list, info: dict | None = None) -> Path:
    path = directory / "noarch" / "repodata.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    packages, conda = {}, {}
    for index, record in enumerate(records):
        stem = f"{record['name']}-{record['version']}-{record['build']}-{index}"
        # some .conda files, some with a .tar.bz2 twin the reader must drop
        if index % 3 == 0:
            conda[stem + ".conda"] = record
            if index % 2 == 0:
                packages[stem + ".tar.bz2"] = record
        else:
            packages[stem + ".tar.bz2"] = record
    data = {"info": {"subdir": "noarch"} if info is None else info, "packages": packages,
            "packages.conda": conda}
    path.write_text(json.dumps(data))
    return path


def channel_files(tmp_path: Path, seed: int) -> dict:
    rnd = random.Random(seed)
    names = [f"n{i}" for i in range(5)]
    records = random_records(rnd, names, versions=5, builds=3)
    for record in records:
        record["timestamp"] = timestamp(rnd)
        record["build_number"] = rnd.randint(0, 1)  # so that timestamps and builds decide
        if rnd.random() < 0.2:
            record["version"] = rnd.choice(VERSIONS)
    by_channel: dict = {"one": [], "two": []}
    for record in records:
        by_channel[record.pop("channel")].append(record)
    return {channel: write_channel(tmp_path / channel, mine)
            for channel, mine in by_channel.items()}


def groups(pool: Pool) -> dict:
    names = sorted({n for repo in pool.repos for n in repo.names()})
    return {name: [pool.records[rid]["fn"] for rid in pool.group(name)] for name in names}


def load_both(files: dict, channels: tuple, cache_dir: Path):
    """The repos of ``channels`` from a warm cache (with orders), and parsed without one."""
    cached, parsed = [], []
    for channel in channels:
        load_repodata(files[channel], channel, cache_dir=str(cache_dir))
        repo = load_repodata(files[channel], channel, cache_dir=str(cache_dir))
        assert repo.cache_status == "hit"
        cached.append(repo)
        parsed.append(load_repodata(files[channel], channel, cache=False))
    return cached, parsed


@pytest.mark.parametrize("seed", range(12))
def test_pools_group_as_they_would_sort(tmp_path, large, seed):
    files = channel_files(tmp_path, seed)
    for channels in (("one",), ("one", "two")):
        for policy in POLICIES:
            cached, parsed = load_both(files, channels, tmp_path / "cache")
            with_orders, sorting = Pool(cached, policy), Pool(parsed, policy)
            assert groups(with_orders) == groups(sorting)
            request = [SpecRequest(name) for name in ("n0", "n1")]
            try:
                expected = solve(parsed, request, policy)
            except Exception as exc:  # noqa: BLE001 - the same error either way
                with pytest.raises(type(exc)):
                    solve(cached, request, policy)
            else:
                assert solve(cached, request, policy) == expected


def test_the_orders_are_used(tmp_path, large):
    files = channel_files(tmp_path, 0)
    cached, _parsed = load_both(files, ("one",), tmp_path / "cache")
    pool = Pool(cached, POLICIES[0])
    names = sorted(cached[0].names())
    for name in names:
        pool.group(name)
    assert all(cached[0].best_first(name) is not None for name in names)
    # a pool that took them did not key the records: make keying fail and load again
    again = Pool(load_both(files, ("one",), tmp_path / "cache")[0], POLICIES[0])
    again.group_keys = _no_keys
    assert groups(again) == groups(pool)


def _no_keys(records):
    raise AssertionError(f"{records[0]['name']} was keyed")


def test_blocks_that_must_be_sorted_by_the_reader_keep_no_order(tmp_path, large):
    base = {"build_number": 0, "depends": []}
    records = [
        {"name": "dup", "version": "1", "build": "0", **base},  # twice: the pool drops one
        {"name": "dup", "version": "1", "build": "0", **base},
        {"name": "ok", "version": "1", "build": "0", **base},
        {"name": "ok", "version": "2", "build": "0", **base},
    ]
    files = {"one": write_channel(tmp_path / "one", records)}
    cached, parsed = load_both(files, ("one",), tmp_path / "cache")
    assert groups(Pool(cached, POLICIES[0])) == groups(Pool(parsed, POLICIES[0]))
    assert cached[0].best_first("dup") is None
    assert cached[0].best_first("ok") is not None


@pytest.mark.parametrize("argument", [None, "linux-64", "noarch"])
def test_a_file_without_a_subdir_has_orders_where_its_records_share_one(
        tmp_path, large, argument):
    # without info.subdir, a record keeps its own subdir (or gets the reader's argument, or
    # the directory's name): "a"'s records may then differ in arch, "b"'s and "c"'s may not
    subdirs = {"a": ("noarch", "linux-64"), "b": ("linux-64", "linux-64"), "c": (None, "")}
    records = []
    for name, pair in subdirs.items():
        for version, subdir in zip(("1", "2"), pair):
            record = {"name": name, "version": version, "build": "0", "build_number": 0,
                      "depends": []}
            if subdir is not None:
                record["subdir"] = subdir
            records.append(record)
    path = write_channel(tmp_path / "one", records, info={})
    load_repodata(path, "one", cache_dir=str(tmp_path / "cache"))
    cached = load_repodata(path, "one", cache_dir=str(tmp_path / "cache"), subdir=argument)
    parsed = load_repodata(path, "one", cache=False, subdir=argument)
    assert groups(Pool([cached], POLICIES[0])) == groups(Pool([parsed], POLICIES[0]))
    assert cached.best_first("a") is None
    assert cached.best_first("b") is not None and cached.best_first("c") is not None


def test_an_invalid_version_is_reported_as_without_the_cache(tmp_path, large):
    records = [{"name": "a", "version": v, "build": "0", "build_number": 0, "depends": []}
               for v in ("1", "1..2")]
    files = {"one": write_channel(tmp_path / "one", records)}
    cached, parsed = load_both(files, ("one",), tmp_path / "cache")
    with pytest.raises(InvalidRecord) as without_cache:
        Pool(parsed, POLICIES[0]).group("a")
    with pytest.raises(InvalidRecord) as with_cache:
        Pool(cached, POLICIES[0]).group("a")
    assert str(with_cache.value) == str(without_cache.value)
    assert "'version' is '1..2'" in str(with_cache.value)


@pytest.mark.data
@pytest.mark.parametrize("subdir", ["conda-forge-subset/linux-64", "conda-forge-subset/noarch",
                                    "r/linux-64", "pytorch/linux-64"])
def test_real_channels_group_as_they_would_sort(data_dir, tmp_path, large, subdir):
    files = {"one": data_dir / "channels" / subdir / "repodata.json"}
    cached, parsed = load_both(files, ("one",), tmp_path / "cache")
    assert groups(Pool(cached, POLICIES[0])) == groups(Pool(parsed, POLICIES[0]))
    names = cached[0].names()
    assert sum(cached[0].best_first(name) is not None for name in names) > len(names) * 0.9
