"""The index's fast path (conda fetches, our loader parses) against conda's ``SubdirData``.

Every record of a channel read both ways must agree field for field: the conda
``PackageRecord`` (built lazily on the fast path) and the engine's view of it. Also: where the
fast path stands aside, what corrupt files give (a clear conda error, or a rebuilt cache) and
that nothing is ever written beside a channel.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("conda")

from conda.base.context import context, reset_context  # noqa: E402
from conda.core.subdir_data import SubdirData  # noqa: E402
from conda.exceptions import CondaError  # noqa: E402
from conda.gateways.repodata import create_cache_dir  # noqa: E402
from conda.models.channel import Channel  # noqa: E402
from fakes import SUBDIR, fresh_conda_state, record, write_channel  # noqa: E402,F401

from conda_altsolver import index as index_module  # noqa: E402
from conda_altsolver.engine import Policy, repodata  # noqa: E402
from conda_altsolver.engine.cache import cache_path_for  # noqa: E402
from conda_altsolver.engine.policy import make_group_keys  # noqa: E402
from conda_altsolver.engine.pool import Pool  # noqa: E402
from conda_altsolver.engine.repo import split_features  # noqa: E402
from conda_altsolver.index import (  # noqa: E402
    LazyRecordDict,
    RepodataReadError,
    SolverIndex,
    to_engine_record,
)

pytestmark = pytest.mark.conda

# every attribute conda's SubdirData sets or derives, compared on top of dump()
FIELDS = (
    "name", "version", "build", "build_number", "channel", "subdir", "fn", "url", "md5",
    "sha256", "size", "legacy_bz2_md5", "legacy_bz2_size", "depends", "constrains",
    "track_features", "features", "noarch", "timestamp", "arch", "platform", "license",
    "license_family", "schannel", "package_type", "_pkey",
)


def _reset(monkeypatch, **env):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    reset_context()
    SubdirData.clear_cached_local_channel_data(exclude_file=False)


def load_both(channels, subdirs) -> tuple[SolverIndex, SolverIndex]:
    """The same channels read by the fast path and by ``SubdirData`` (fresh each time)."""
    SubdirData.clear_cached_local_channel_data(exclude_file=False)
    fast = SolverIndex(channels, subdirs)
    SubdirData.clear_cached_local_channel_data(exclude_file=False)
    slow = SolverIndex(channels, subdirs, fast=False)
    return fast, slow


def all_names(index: SolverIndex) -> set[str]:
    return set().union(*index._name_sets)


def describe(rec) -> dict:
    described = {field: getattr(rec, field, None) for field in FIELDS}
    described["channel"] = (str(rec.channel), rec.channel.canonical_name, rec.channel.url(True))
    described["dump"] = rec.dump()
    return described


# the fields the engine reads as they are (specs match them, answers carry them)
ENGINE_FIELDS = (
    "name", "version", "build", "subdir", "noarch", "md5", "sha256", "license",
    "license_family", "fn", "url", "channel",
)
_KEYS = make_group_keys(Policy())  # channel priority, version, build number, arch, time


def engine_reading(rec: dict) -> dict:
    """A record as the engine reads it: the fields it takes as they are, the ones it
    normalises as it normalises them (the fast path hands it repodata's forms: timestamps
    in milliseconds, features as strings), and its own order key of the record."""
    reading = {field: rec.get(field) for field in ENGINE_FIELDS}
    reading["build_number"] = rec.get("build_number") or 0
    reading["depends"] = list(rec.get("depends") or ())
    reading["constrains"] = list(rec.get("constrains") or ())
    reading["track_features"] = split_features(rec.get("track_features"))
    reading["features"] = split_features(rec.get("features"))
    reading["key"] = _KEYS([rec])[0]
    return reading


def assert_same_records(fast: SolverIndex, slow: SolverIndex) -> int:
    """Every record of every name agrees both ways; returns how many were compared."""
    names = all_names(slow)
    # the loader lists a name before it knows whether the flags leave it any record (a
    # name with only .conda files under use_only_tar_bz2): such names must give nothing
    for name in all_names(fast) - names:
        assert fast._load_name(name) == [], name
    assert names <= all_names(fast)
    compared = 0
    for name in sorted(names):
        fast_records = {rec["url"]: rec for rec in fast._load_name(name)}
        slow_records = {rec["url"]: rec for rec in slow._load_name(name)}
        assert sorted(fast_records) == sorted(slow_records), name
        for url, slow_rec in slow_records.items():
            fast_rec = fast_records[url]
            slow_view = to_engine_record(slow_rec.record)
            assert engine_reading(fast_rec) == engine_reading(slow_view), url
            assert describe(fast_rec.record) == describe(slow_rec.record), url
            compared += 1
    return compared


def channel_files(channel_dir: Path) -> dict[str, tuple]:
    return {
        str(path): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(channel_dir.rglob("*"))
        if path.is_file()
    }


# region shared data: every local channel, every subdir, both ways


def _local_channels(data_dir: Path):
    root = data_dir / "channels"
    return sorted(path for path in root.iterdir() if path.is_dir())


@pytest.mark.data
@pytest.mark.parametrize(
    "add_pip, only_bz2, channels, at_least",
    # every channel and subdir once; the flags on the channel with python and .conda files
    [("false", "false", "*", 10_000), ("true", "true", "conda-forge-subset", 5_000)],
)
def test_shared_channels_agree_field_for_field(
    data_dir, monkeypatch, add_pip, only_bz2, channels, at_least
):
    _reset(monkeypatch, CONDA_ADD_PIP_AS_PYTHON_DEPENDENCY=add_pip,
           CONDA_USE_ONLY_TAR_BZ2=only_bz2)
    before = {str(p): channel_files(p) for p in _local_channels(data_dir)}
    total = 0
    for channel_dir in _local_channels(data_dir):
        if channels != "*" and channel_dir.name != channels:
            continue
        subdirs = tuple(sorted(p.name for p in channel_dir.iterdir() if p.is_dir()))
        fast, slow = load_both([str(channel_dir)], subdirs)
        assert {src.kind for src in fast.sources} == {"repodata"}
        assert {src.kind for src in slow.sources} == {"subdir_data"}
        total += assert_same_records(fast, slow)
    assert total > at_least
    # nothing written beside the read-only channels (the parsed cache is in conda's cache)
    assert {str(p): channel_files(p) for p in _local_channels(data_dir)} == before


@pytest.mark.data
def test_python_gets_pip_when_conda_adds_it(data_dir, monkeypatch):
    _reset(monkeypatch, CONDA_ADD_PIP_AS_PYTHON_DEPENDENCY="true")
    channel = str(data_dir / "channels" / "conda-forge-subset")
    fast = SolverIndex([channel], (SUBDIR, "noarch"))
    pythons = fast._load_name("python")
    assert pythons and all("pip" in rec["depends"] for rec in pythons)


# endregion
# region a hand-made channel with conda's corner cases


def _entry(name, version, build="0", **extra):
    rec = record(f"{name} {version} {build}", **extra)
    rec.pop("subdir")
    return rec


def _edge_packages() -> tuple[dict, dict]:
    """(packages, packages.conda) exercising every enrichment conda applies."""
    tar = {
        "twin-1.0-0.tar.bz2": _entry("twin", "1.0", md5="1" * 32, size=11),
        "onlytar-1.0-0.tar.bz2": _entry("onlytar", "1.0", timestamp=1_600_000_000),
        "python-3.10.4-0.tar.bz2": _entry("python", "3.10.4", depends=["zlib"]),
        "python-2.7.18-0.tar.bz2": _entry("python", "2.7.18", depends=[]),
        "python-4.0.0-0.tar.bz2": _entry("python", "4.0.0", depends=[]),
        "zlib-1.3-0.tar.bz2": _entry("zlib", "1.3", subdir="somewhere-else",
                                     channel="https://elsewhere/x", url="https://elsewhere/x/z"),
        # conda logs the skipped record by its own "url" (a KeyError without one)
        "future-1.0-0.tar.bz2": _entry("future", "1.0", record_version=2, url="https://x/f"),
        "noarchy-1.0-0.tar.bz2": _entry("noarchy", "1.0", noarch="python"),
        "legacy-noarch-1.0-0.tar.bz2": _entry("legacy-noarch", "1.0", noarch=True),
        "generic-1.0-0.tar.bz2": _entry("generic", "1.0", noarch="generic"),
        # a date and no timestamp (an old channel's record)
        "dated-1.0-0.tar.bz2": {k: v for k, v in _entry("dated", "1.0", date="2016-05-04").items()
                                if k != "timestamp"},
        "feats-1.0-0.tar.bz2": _entry("feats", "1.0", track_features="mkl  debug",
                                      features="blas,mkl"),
        "feats-1.1-0.tar.bz2": _entry("feats", "1.1", track_features=["a ", "b"]),
        "unicode-1.0-0.tar.bz2": _entry("unicode", "1.0", license="Ünïcode—BSD"),
        "nots-1.0-0.tar.bz2": {k: v for k, v in _entry("nots", "1.0").items()
                               if k != "timestamp"},
    }
    tar["twin-1.0-0.tar.bz2"]["constrains"] = ["zlib >=1.2"]
    conda = {
        "twin-1.0-0.conda": _entry("twin", "1.0", md5="2" * 32, timestamp=1_700_000_000_123),
        "onlyconda-2.0-1.conda": _entry("onlyconda", "2.0", "1", sha256="f" * 64),
        "python-3.11.0-0.conda": _entry("python", "3.11.0", depends=["zlib >=1.2"]),
    }
    return tar, conda


def write_raw_channel(root: Path, name: str, subdirs: dict[str, dict]) -> str:
    """A local channel from raw repodata documents, one per subdir."""
    for subdir, document in subdirs.items():
        path = root / name / subdir
        path.mkdir(parents=True, exist_ok=True)
        (path / "repodata.json").write_text(json.dumps(document), encoding="utf-8")
    return str(root / name)


@pytest.fixture
def edge_channel(tmp_path):
    tar, conda = _edge_packages()
    return write_raw_channel(tmp_path, "edge", {
        SUBDIR: {"info": {"subdir": SUBDIR, "arch": "x86_64", "platform": "linux"},
                 "packages": tar, "packages.conda": conda},
        # no info at all: conda takes the subdir from the channel
        "noarch": {"packages": {"tz-1-0.tar.bz2": _entry("tz", "1", noarch="generic")}},
    })


@pytest.mark.parametrize(
    "add_pip, only_bz2", [("false", "false"), ("true", "false"), ("true", "true")]
)
def test_hand_made_channel_agrees_field_for_field(edge_channel, monkeypatch, add_pip, only_bz2):
    _reset(monkeypatch, CONDA_ADD_PIP_AS_PYTHON_DEPENDENCY=add_pip,
           CONDA_USE_ONLY_TAR_BZ2=only_bz2)
    fast, slow = load_both([edge_channel], (SUBDIR, "noarch"))
    assert {src.kind for src in fast.sources} == {"repodata"}
    assert assert_same_records(fast, slow) >= 15
    twins = fast._load_name("twin")
    if only_bz2 == "true":
        assert [rec["fn"] for rec in twins] == ["twin-1.0-0.tar.bz2"]
    else:
        assert [rec["fn"] for rec in twins] == ["twin-1.0-0.conda"]
        assert twins[0].record.legacy_bz2_md5 == "1" * 32
    assert fast._load_name("future") == []


@pytest.mark.parametrize("channel", ["edge", "conda-forge-subset"])
def test_cached_orders_are_the_groups_of_condas_records(
        channel, edge_channel, request, monkeypatch, tmp_path):
    # every file counts as large: its parsed cache (written afresh, in a conda cache of its
    # own) holds each name's best-first order
    _reset(monkeypatch, CONDA_PKGS_DIRS=str(tmp_path / "pkgs"))
    for threshold in ("REOPEN_ABOVE", "SHARE_ABOVE", "ORDER_ABOVE"):
        monkeypatch.setattr(repodata, threshold, 0)
    if channel == "edge":
        channels, subdirs = [edge_channel], (SUBDIR, "noarch")
    else:
        channels = [str(request.getfixturevalue("data_dir") / "channels" / channel)]
        subdirs = ("linux-64", "noarch")
    fast, slow = load_both(channels, subdirs)
    names = sorted(all_names(slow))
    fast_pool, slow_pool = Pool(fast.repos, Policy()), Pool(slow.repos, Policy())
    for name in names:
        assert ([fast_pool.records[rid]["fn"] for rid in fast_pool.group(name)]
                == [slow_pool.records[rid]["fn"] for rid in slow_pool.group(name)]), name
    ordered = {name for name in names if any(repo.best_first(name) for repo in fast.repos)}
    assert len(ordered) > len(names) * 0.8
    if channel == "edge":  # a record conda builds itself (noarch: true) may key differently
        assert not isinstance(fast._load_name("legacy-noarch")[0], LazyRecordDict)
        assert "legacy-noarch" not in ordered


def test_records_are_built_only_when_asked_for(edge_channel):
    index = SolverIndex([edge_channel], (SUBDIR, "noarch"))
    pythons = [rec for repo in index.repos for rec in repo.get("python")]
    plain = [rec for rec in pythons if isinstance(rec, LazyRecordDict)]
    assert plain and all(rec._built is None for rec in plain)
    assert {rec.version for rec in index.records("python")} == {"2.7.18", "3.10.4", "3.11.0",
                                                              "4.0.0"}
    assert all(rec._built is not None for rec in plain)
    assert index.records("zlib")[0] is index.records("zlib")[0]  # built once
    # the views are the only copies: the loader's repos keep none of the records read
    loaders = [source.repo for source in index.sources if source.kind == "repodata"]
    assert loaders and all(repo.loaded_names() == frozenset() for repo in loaders)


def test_package_pool_is_the_reduced_index_with_records_built_on_lookup(edge_channel):
    from types import SimpleNamespace

    from conda.models.match_spec import MatchSpec

    from conda_altsolver.solver import _EngineQueries

    index = SolverIndex([edge_channel], (SUBDIR, "noarch"))
    spec = MatchSpec("python >=3")
    inp = SimpleNamespace(installed={}, specs_to_add=(spec,))
    queries = _EngineQueries(SimpleNamespace(), inp, index)
    pool = queries.package_pool([spec])
    assert set(pool) == {"python", "zlib"}
    assert all(rec._built is None for name in ("python", "zlib") for rec in index._by_name[name])
    assert {rec.version for rec in pool["python"]} == {"3.10.4", "3.11.0", "4.0.0"}
    assert queries.package_pool([spec]) is pool  # one reduction per spec set, as classic


def test_channel_files_are_read_in_place_and_never_written(edge_channel):
    before = channel_files(Path(edge_channel))
    index = SolverIndex([edge_channel], (SUBDIR, "noarch"))
    index._load_name("python")
    source = index.sources[0]
    assert source.path == os.path.join(edge_channel, SUBDIR, "repodata.json")
    assert source.cache_status == "written"
    cache = cache_path_for(source.path, create_cache_dir())
    assert os.path.isfile(cache)
    assert channel_files(Path(edge_channel)) == before
    SubdirData.clear_cached_local_channel_data(exclude_file=False)
    again = SolverIndex([edge_channel], (SUBDIR, "noarch"))
    assert again.sources[0].cache_status == "hit"


# endregion
# region where the fast path stands aside


def test_loaded_subdir_data_is_used_as_is(edge_channel):
    url = f"{Channel(edge_channel).base_url}/{SUBDIR}"
    SubdirData(Channel(url)).load()
    index = SolverIndex([edge_channel], (SUBDIR, "noarch"))
    assert [src.kind for src in index.sources] == ["subdir_data", "repodata"]


def test_patched_conda_loading_is_respected(edge_channel, monkeypatch):
    calls = []
    real_load = SubdirData.load

    def spy(self):
        calls.append(self.url_w_subdir)
        return real_load(self)

    monkeypatch.setattr(SubdirData, "load", spy)
    index = SolverIndex([edge_channel], (SUBDIR,))
    assert [src.kind for src in index.sources] == ["subdir_data"] and len(calls) == 1


def test_base_url_repodata_goes_through_conda(tmp_path):
    tar, conda = _edge_packages()
    channel = write_raw_channel(tmp_path, "v2", {
        SUBDIR: {"repodata_version": 2,
                 "info": {"subdir": SUBDIR, "base_url": "https://cdn.example.com/pkgs/"},
                 "packages": tar, "packages.conda": conda},
    })
    fast, slow = load_both([channel], (SUBDIR,))
    assert [src.kind for src in fast.sources] == ["subdir_data"]
    assert assert_same_records(fast, slow) >= 14
    assert fast.records("zlib")[0].url == "https://cdn.example.com/pkgs/zlib-1.3-0.tar.bz2"


def test_foreign_subdir_raises_conda_error_either_way(tmp_path):
    channel = write_raw_channel(tmp_path, "odd", {
        SUBDIR: {"info": {"subdir": "win-64"}, "packages": {}},
    })
    with pytest.raises(RepodataReadError, match="does not match channel") as raised:
        SolverIndex([channel], (SUBDIR,))
    assert str(Path(channel) / SUBDIR / "repodata.json") in str(raised.value)


def test_missing_subdir_is_what_conda_says(tmp_path):
    channel = write_channel(tmp_path, "plain", [record("zlib 1.3 0")])
    fast, slow = load_both([str(channel)], (SUBDIR, "noarch", "win-64"))
    # no win-64 directory: conda's fetch caches "{}" for it, which our loader then reads
    assert [src.kind for src in fast.sources] == ["repodata"] * 3
    assert Path(fast.sources[2].path).parent == Path(create_cache_dir())
    assert assert_same_records(fast, slow) == 1


# endregion
# region a remote channel, read from conda's cache (use_index_cache: no network)


def _seed_conda_cache(url: str, document, etag: str = '"abc"') -> Path:
    """conda's cache files for ``url`` (JSON + state), as a previous fetch leaves them."""
    subdir_data = SubdirData(Channel(url))
    cache = subdir_data.repo_fetch.repo_cache
    path = cache.cache_path_json
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    stat = path.stat()
    state = {"url": url, "etag": etag, "mod": "", "cache_control": "max-age=600",
             "mtime_ns": stat.st_mtime_ns, "size": stat.st_size, "refresh_ns": time.time_ns()}
    cache.cache_path_state.write_text(json.dumps(state))
    SubdirData.clear_cached_local_channel_data(exclude_file=False)
    return path


REMOTE = "https://example.invalid/t/tk-0123456789/remote"


@pytest.fixture
def remote_channel(monkeypatch):
    _reset(monkeypatch, CONDA_USE_INDEX_CACHE="true")
    tar, conda = _edge_packages()
    paths = [
        _seed_conda_cache(f"{REMOTE}/{SUBDIR}", {"info": {"subdir": SUBDIR},
                                                 "packages": tar, "packages.conda": conda}),
        _seed_conda_cache(f"{REMOTE}/noarch", {"info": {"subdir": "noarch"}, "packages": {}}),
    ]
    yield REMOTE, paths
    for path in paths:
        for suffix in (".json", ".info.json"):
            path.with_suffix(suffix).unlink(missing_ok=True)


def test_remote_channel_from_conda_cache_agrees(remote_channel):
    channel, paths = remote_channel
    fast, slow = load_both([channel], (SUBDIR, "noarch"))
    assert [src.path for src in fast.sources] == [str(p) for p in paths]
    assert assert_same_records(fast, slow) >= 14
    zlib = fast.records("zlib")[0]
    assert zlib.url == f"{REMOTE}/{SUBDIR}/zlib-1.3-0.tar.bz2"  # credentials as conda keeps them
    assert zlib.channel.canonical_name == "https://example.invalid/remote"


def test_remote_parsed_cache_follows_conda_state(remote_channel):
    channel, paths = remote_channel
    SolverIndex([channel], (SUBDIR,))
    SubdirData.clear_cached_local_channel_data(exclude_file=False)
    assert SolverIndex([channel], (SUBDIR,)).sources[0].cache_status == "hit"
    # same file, same mtime, new etag recorded by conda: the parsed cache is not trusted
    state_path = paths[0].with_suffix(".info.json")
    state = json.loads(state_path.read_text())
    state["etag"] = '"def"'
    state_path.write_text(json.dumps(state))
    SubdirData.clear_cached_local_channel_data(exclude_file=False)
    assert SolverIndex([channel], (SUBDIR,)).sources[0].cache_status == "written"


# endregion
# region corrupt files


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty", "flip-block"])
def test_corrupt_parsed_cache_is_rebuilt(edge_channel, damage):
    first = SolverIndex([edge_channel], (SUBDIR, "noarch"))
    expected = {name: [dict(rec) for rec in first._load_name(name)] for name in all_names(first)}
    cache = Path(cache_path_for(first.sources[0].path, create_cache_dir()))
    data = cache.read_bytes()
    if damage == "truncate":
        cache.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        cache.write_bytes(b"\x00garbage" * 100)
    elif damage == "empty":
        cache.write_bytes(b"")
    else:  # a byte inside the first block: only its checksum, read mid-solve, notices
        tampered = bytearray(data)
        tampered[data.index(b"\n") + 8] ^= 0xFF
        cache.write_bytes(bytes(tampered))
    SubdirData.clear_cached_local_channel_data(exclude_file=False)
    second = SolverIndex([edge_channel], (SUBDIR, "noarch"))
    got = {name: [dict(rec) for rec in second._load_name(name)] for name in all_names(second)}
    assert got == expected
    assert second.sources[0].cache_status in ("written", "unwritable")
    SubdirData.clear_cached_local_channel_data(exclude_file=False)
    assert SolverIndex([edge_channel], (SUBDIR,)).sources[0].cache_status == "hit"


@pytest.mark.parametrize("text", ['{"packages": {"a-1-0.tar.bz2": {"name": "a", ', "[1, 2]", ""])
def test_corrupt_conda_cache_is_a_clear_conda_error(monkeypatch, text):
    _reset(monkeypatch, CONDA_USE_INDEX_CACHE="true")
    path = _seed_conda_cache(f"{REMOTE}/{SUBDIR}", text or "\x00\x00")
    try:
        with pytest.raises(RepodataReadError) as caught:
            SolverIndex([REMOTE], (SUBDIR,))
    finally:
        path.unlink()
        path.with_suffix(".info.json").unlink()
    message = str(caught.value)
    assert isinstance(caught.value, CondaError)
    assert str(path) in message and "conda clean --index-cache" in message
    assert "tk-0123456789" not in message


def test_corrupt_local_repodata_names_the_file(tmp_path):
    channel = write_channel(tmp_path, "broken", [record("zlib 1.3 0")])
    target = tmp_path / "broken" / SUBDIR / "repodata.json"
    target.write_text('{"packages": {')
    with pytest.raises(RepodataReadError) as caught:
        SolverIndex([str(channel)], (SUBDIR,))
    assert str(target) in str(caught.value)
    assert "conda clean" not in str(caught.value)  # not conda's cache: cleaning would not help


def test_a_malformed_record_met_mid_solve_is_a_clear_error(tmp_path):
    channel = write_raw_channel(tmp_path, "badrec", {
        SUBDIR: {"packages": {"x-1-0.tar.bz2": _entry("x", "1", depends="not-a-list")}},
    })
    index = SolverIndex([channel], (SUBDIR,))
    with pytest.raises(RepodataReadError, match="'depends' is not a list"):
        index.records("x")


#: (a malformed field of one record, words the error has on the fast path, on conda's path)
MALFORMED_FIELDS = [
    ({"version": "1..0"}, "'version' is '1..0', not a valid conda version", "'1..0'"),
    ({"version": ""}, "'version' is '', not a valid conda version", "version"),
    ({"depends": [5]}, "'depends' holds 5", "depends"),
    ({"depends": [None]}, "'depends' holds None", "depends"),
    ({"constrains": [1]}, "'constrains' holds 1", "constrains"),
    ({"track_features": 5}, "'track_features' is 5", "not iterable"),
    ({"features": ["x", 3]}, "'features' is ['x', 3]", "strip"),
    ({"size": "big"}, "conda cannot read it (Invalid value big for size)", "size"),
    ({"license": ["a"]}, "conda cannot read it", "license"),
    ({"noarch": 5}, "conda cannot read it (5 is not a valid NoarchType)", "NoarchType"),
    ({"package_type": 5}, "'package_type' is 5, not a string", "PackageType"),
    ({"timestamp": 10**400}, "'timestamp' is 1000", "'bad'"),
]


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "subdir_data"])
@pytest.mark.parametrize("bad, fast_words, slow_words", MALFORMED_FIELDS)
def test_a_malformed_record_is_a_conda_error_naming_it(
        tmp_path, monkeypatch, fast, bad, fast_words, slow_words):
    """Whichever part reads it first (the engine, or conda building its ``PackageRecord``),
    a record with a field of the wrong type is a ``PackageRecordError`` naming the record
    (classic lets conda's bare ``TypeError`` through); the rest of its channel still works."""
    from conda_altsolver.errors import PackageRecordError
    from conda_altsolver.solver import AltSolver

    channel = write_raw_channel(tmp_path, "malformed", {SUBDIR: {"packages": {
        "bad-1.0-0.tar.bz2": {**_entry("bad", "1.0"), **bad},
        "good-1.0-0.tar.bz2": _entry("good", "1.0"),
        "app-1.0-0.tar.bz2": _entry("app", "1.0", depends=["bad"]),
    }}})
    if not fast:
        monkeypatch.setattr(index_module, "_open_fast", lambda subdir_data: None)

    def solve(spec):
        SubdirData.clear_cached_local_channel_data(exclude_file=False)
        solver = AltSolver(str(tmp_path / "env"), [channel], (SUBDIR,), specs_to_add=[spec])
        return [rec.name for rec in solver.solve_final_state()]

    for spec in ("bad", "app"):
        with pytest.raises(PackageRecordError) as raised:
            solve(spec)
        message = str(raised.value)
        assert "bad" in message and (fast_words if fast else slow_words) in message
        assert raised.value.allow_retry is False
    assert solve("good") == ["good"]


def test_a_record_conda_takes_is_taken(tmp_path):
    """Odd values classic accepts (an empty build, a negative build number, a text md5)
    are solved with, not refused."""
    from conda_altsolver.solver import AltSolver

    channel = write_raw_channel(tmp_path, "odd", {SUBDIR: {"packages": {
        "odd-1.0-.tar.bz2": _entry("odd", "1.0", build="", build_number=-1, md5=123,
                                   timestamp=-5),
    }}})
    solver = AltSolver(str(tmp_path / "env"), [channel], (SUBDIR,), specs_to_add=["odd"])
    (solved,) = solver.solve_final_state()
    assert (solved.name, solved.build, solved.build_number) == ("odd", "", -1)


def test_cli_reports_a_malformed_record_without_a_traceback(tmp_path):
    channel = write_raw_channel(tmp_path, "badversion", {
        SUBDIR: {"packages": {"bad-1.0-0.tar.bz2": _entry("bad", "1..0")}}, "noarch": {}})
    env = {**os.environ, "CONDA_PKGS_DIRS": str(tmp_path / "pkgs")}
    result = subprocess.run(
        [sys.executable, "-m", "conda", "create", "-n", "altsolver-never", "--dry-run",
         "--solver=altsolver", "--override-channels", "-c", channel, "bad"],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert result.returncode == 1
    assert "PackageRecordError" in result.stderr and "bad-1.0-0.tar.bz2" in result.stderr
    assert "'version' is '1..0'" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_cli_reports_a_corrupt_channel_without_a_traceback(tmp_path):
    channel = write_channel(tmp_path, "broken", [record("zlib 1.3 0")])
    target = tmp_path / "broken" / SUBDIR / "repodata.json"
    target.write_text('{"packages": {"zlib-1.3-0.tar.bz2": ')
    env = {**os.environ, "CONDA_PKGS_DIRS": str(tmp_path / "pkgs")}
    result = subprocess.run(
        [sys.executable, "-m", "conda", "create", "-n", "altsolver-never", "--dry-run",
         "--solver=altsolver", "--override-channels", "-c", str(channel), "zlib"],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert result.returncode == 1
    assert "RepodataReadError" in result.stderr and str(target) in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


# endregion


def _solve_both_ways(monkeypatch, prefix: Path, channel: str, specs: list[str]):
    """Solutions with the fast path, then with every channel read through SubdirData."""
    from conda_altsolver.solver import AltSolver

    def solve():
        SubdirData.clear_cached_local_channel_data(exclude_file=False)
        solver = AltSolver(str(prefix), [channel], (SUBDIR, "noarch"), specs_to_add=specs)
        records = [describe(rec) for rec in solver.solve_final_state()]
        return records, {src.kind for src in solver._alt_index.sources}

    fast, fast_kinds = solve()
    with monkeypatch.context() as patch:
        patch.setattr(index_module, "_open_fast", lambda subdir_data: None)
        slow, slow_kinds = solve()
    assert (fast_kinds, slow_kinds) == ({"repodata"}, {"subdir_data"})
    return fast, slow


def test_solutions_agree_with_the_subdir_data_path(edge_channel, monkeypatch, tmp_path):
    fast, slow = _solve_both_ways(monkeypatch, tmp_path / "env", edge_channel,
                                  ["python >=3", "twin", "feats"])
    assert fast == slow and len(fast) == 3  # python 4.0.0 (no dependencies), twin, feats


@pytest.mark.data
def test_conda_forge_subset_solution_agrees(data_dir, monkeypatch, tmp_path):
    channel = str(data_dir / "channels" / "conda-forge-subset")
    fast, slow = _solve_both_ways(monkeypatch, tmp_path / "env", channel,
                                  ["python", "setuptools"])
    assert fast == slow and len(fast) > 15


# region phase timings (conda -v)


def test_verbose_solve_prints_phase_timings(edge_channel, monkeypatch, tmp_path, capsys):
    from conda_altsolver.solver import AltSolver

    _reset(monkeypatch, CONDA_VERBOSITY="1")
    assert context.verbosity == 1
    solver = AltSolver(str(tmp_path / "env"), [edge_channel], (SUBDIR, "noarch"),
                       specs_to_add=["python >=3"])
    solver.solve_final_state()
    lines = [line for line in capsys.readouterr().err.splitlines()
             if line.startswith("altsolver timings:")]
    assert len(lines) == 1
    for part in ("prefix ", "index ", "index sources: 2 repodata", "records ", "engine solve ",
                 "rules ", "total "):
        assert part in lines[0], part
    engine_part = lines[0].split("engine phases: ")[1]
    # the answer is forced: the conflict checks and the final solve search for nothing
    for phase in ("reduce ", "forced "):
        assert phase in engine_part, phase
    assert "sat " not in engine_part and "optimize " not in engine_part


def test_quiet_solve_prints_no_timings(edge_channel, tmp_path, capsys):
    from conda_altsolver.solver import AltSolver

    assert context.verbosity == 0
    AltSolver(str(tmp_path / "env"), [edge_channel], (SUBDIR,), specs_to_add=["zlib"]
              ).solve_final_state()
    assert "altsolver timings" not in capsys.readouterr().err


def test_nested_phases_are_charged_their_own_time(monkeypatch):
    from conda_altsolver import timing

    now = [100.0]  # a clock the test moves: a loaded machine cannot stretch a phase
    monkeypatch.setattr(timing, "perf_counter", lambda: now[0])
    times = timing.PhaseTimes()
    with times.phase("outer"):
        now[0] += 0.02
        with times.phase("inner"):
            now[0] += 0.05
    with times.phase("inner"):
        pass
    assert list(times.seconds) == ["outer", "inner"] and times.calls["inner"] == 2
    assert times.seconds["outer"] == pytest.approx(0.02)
    assert times.seconds["inner"] == pytest.approx(0.05)
    times.add_engine({"encode": 0.5, "sat": 0.25, "solves": 3})
    summary = times.summary()
    assert "inner 0." in summary and "(2 calls)" in summary
    assert "engine phases: encode 0.500 s, sat 0.250 s" in summary


# endregion


HAS_MATCH_SPECS = [
    "python", "python 9.*", "nope", "python 2.7.*", "python >=3.10,<3.11", "python=3.11=0",
    "python[build_number=1]", "python[fn=python-3.11.0-0.conda]", "edge::python 3.11.0",
    "other::python", f"twin[md5={'2' * 32}]", f"twin[md5={'1' * 32}]",
    f"onlyconda[sha256={'f' * 64}]", "unicode[license='ünïcode*']", "feats[track_features=mkl]",
    "feats[track_features=nope]", "legacy-noarch 1.0", "zlib 1.3", "dated", "tz[subdir=noarch]",
    "tz[subdir=linux-64]",
]


@pytest.mark.parametrize("text", HAS_MATCH_SPECS)
def test_has_match_is_condas_answer_without_building_records(edge_channel, text):
    from conda.models.match_spec import MatchSpec

    spec = MatchSpec(text)
    index = SolverIndex([edge_channel], (SUBDIR, "noarch"))
    found = index.has_match(spec)
    name = spec.get_exact_value("name")
    assert not any(type(rec) is index_module.LazyRecordDict and rec._built is not None
                   for rec in index._load_name(name))
    assert found == bool(SolverIndex([edge_channel], (SUBDIR, "noarch")).find_matches(spec))


def test_has_match_leaves_to_conda_what_the_engine_cannot_read(edge_channel, monkeypatch):
    from conda.models.match_spec import MatchSpec

    from conda_altsolver.engine import InvalidSpec

    def refuse(text):
        raise InvalidSpec(text, "refused by the test")

    monkeypatch.setattr(index_module, "parse_spec", refuse)
    index = SolverIndex([edge_channel], (SUBDIR, "noarch"))
    assert index.has_match(MatchSpec("python 2.7.*"))
    assert not index.has_match(MatchSpec("python 9.*"))
    assert any(rec._built is not None for rec in index._load_name("python"))  # conda's path


def test_requested_records_are_names_and_versions_not_package_records(edge_channel):
    from conda_altsolver.solver import _RequestedRecords

    names = ["python", "twin", "nope", "zlib", "tz"]
    index = SolverIndex([edge_channel], (SUBDIR, "noarch"))
    requested = _RequestedRecords(index, names)
    seen = [(rec.name, rec.version) for rec in requested]
    assert seen == [(rec.name, rec.version) for rec in requested]  # iterable again
    other = SolverIndex([edge_channel], (SUBDIR, "noarch"))
    assert seen == [(rec.name, rec.version) for name in names for rec in other.records(name)]
    assert len(seen) == 7
    assert not any(type(rec) is index_module.LazyRecordDict and rec._built is not None
                   for name in names for rec in index._load_name(name))


@pytest.mark.parametrize("fast", [True, False])
def test_a_feature_loads_its_trackers_not_every_name(edge_channel, monkeypatch, tmp_path, fast):
    from conda_altsolver.solver import AltSolver

    if not fast:
        monkeypatch.setattr(index_module, "_open_fast", lambda subdir_data: None)
    from conda.exceptions import UnsatisfiableError

    solver = AltSolver(str(tmp_path / "env"), [edge_channel], (SUBDIR, "noarch"),
                       specs_to_add=["feats 1.0"])
    # features "blas,mkl" need a tracker of each: the pool asks every repo which names track
    # them (nothing tracks blas, so classic's answer is unsatisfiable)
    with pytest.raises(UnsatisfiableError):
        solver.solve_final_state()
    index = solver._alt_index
    assert {src.kind for src in index.sources} == {"repodata" if fast else "subdir_data"}
    loaded = {name for name in index._by_name if not name.startswith("__")}
    assert loaded <= {"feats", "blas@", "mkl@", "blas", "mkl"}
    assert sorted(index.repos[0].names_tracking("mkl")) == ["feats"]


def test_dated_records_are_read_fast_where_conda_takes_no_timestamp_from_the_date(
        edge_channel, monkeypatch):
    # conda 26's TimestampField defaults to 0, so its date fallback never runs: a record with
    # a date and no timestamp reads as timestamp 0 both ways, and needs no PackageRecord
    # (conda's index2.json: 4,103 of its 4,112 records)
    from conda.models.records import PackageRecord

    derives = PackageRecord(name="d", version="1", build="0", build_number=0, channel="c",
                            subdir="noarch", fn="d-1-0.tar.bz2", date="2016-05-04").timestamp
    assert index_module._date_gives_timestamp() is (derives != 0)
    dated = SolverIndex([edge_channel], (SUBDIR, "noarch"))._load_name("dated")[0]
    assert isinstance(dated, LazyRecordDict) is not index_module._date_gives_timestamp()
    assert dated._built is None if isinstance(dated, LazyRecordDict) else True
    assert engine_reading(dated) == engine_reading(to_engine_record(dated.record))
    # a conda that reads the date: the record is built, and read, its way
    monkeypatch.setattr(index_module, "_date_gives_timestamp", lambda: True)
    built = SolverIndex([edge_channel], (SUBDIR, "noarch"))._load_name("dated")[0]
    assert not isinstance(built, LazyRecordDict)
