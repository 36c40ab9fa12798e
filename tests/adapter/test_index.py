"""Index loading (``conda_altsolver.index``): channels to engine repos, per name, via conda."""

from __future__ import annotations

import pytest

pytest.importorskip("conda")

from conda.base.context import reset_context  # noqa: E402
from conda.core.prefix_data import PrefixData  # noqa: E402
from conda.models.channel import Channel  # noqa: E402
from conda.models.match_spec import MatchSpec  # noqa: E402
from conda.models.records import PackageRecord  # noqa: E402
from fakes import SUBDIR, fresh_conda_state, record, write_channel, write_prefix  # noqa: E402,F401

from conda_altsolver.index import (  # noqa: E402
    SolverIndex,
    channel_key,
    channel_order,
    to_engine_record,
)
from conda_altsolver.solver import spec_text  # noqa: E402

pytestmark = pytest.mark.conda

RECORDS = [
    record("zlib 1.2 0"),
    record("zlib 1.3 0"),
    record("python 3.9.1 0 zlib"),
    record("tzdata 2024a 0", subdir="noarch", noarch="generic"),
]


@pytest.fixture
def channel(tmp_path):
    return write_channel(tmp_path, "chan", RECORDS)


def names(records):
    return sorted(f"{r.name}-{r.version}" for r in records)


def test_records_come_from_every_subdir(channel):
    index = SolverIndex([channel], (SUBDIR, "noarch"))
    assert names(index.records("zlib")) == ["zlib-1.2", "zlib-1.3"]
    assert names(index.records("tzdata")) == ["tzdata-2024a"]
    assert index.records("nothing") == []


def test_noarch_is_not_added_by_the_index(channel):
    index = SolverIndex([channel], (SUBDIR,))
    assert index.records("tzdata") == []


def test_repos_load_lazily_and_carry_the_channel_name(channel):
    index = SolverIndex([channel], (SUBDIR, "noarch"))
    assert index._by_name == {}
    zlibs = [rec for repo in index.repos for rec in repo.get("zlib")]
    assert {rec["channel"] for rec in zlibs} == {"chan"}
    assert all(isinstance(rec.record, PackageRecord) for rec in zlibs)
    assert set(index._by_name) == {"zlib"}
    tzdata = index.records("tzdata")[0]
    assert to_engine_record(tzdata)["noarch"] == "generic"


def test_installed_records_missing_from_channels_are_added(tmp_path, channel):
    installed = [record("zlib 1.2 0"), record("oldpkg 0.1 0")]
    prefix = write_prefix(tmp_path, channel, installed)
    prefix_records = list(PrefixData(prefix).iter_records())
    index = SolverIndex([channel], (SUBDIR, "noarch"), installed=prefix_records)
    assert names(index.records("oldpkg")) == ["oldpkg-0.1"]
    # zlib 1.2 is in the channel: the channel's record stands for it, not a second copy
    assert names(index.records("zlib")) == ["zlib-1.2", "zlib-1.3"]
    installed_zlib = PrefixData(prefix).get("zlib")
    twin = index.engine_record(installed_zlib)
    assert twin.record == installed_zlib and twin.record is not installed_zlib


def test_virtual_packages_have_channel_at(channel, monkeypatch):
    from conda.core.index import Index

    monkeypatch.setenv("CONDA_OVERRIDE_CUDA", "12.0")
    reset_context()
    virtual = list(Index().system_packages)
    index = SolverIndex([channel], (SUBDIR,), virtual=virtual)
    cuda = [rec for rec in index.virtual if rec["name"] == "__cuda"]
    assert cuda and cuda[0]["channel"] == "@" and cuda[0]["version"] == "12.0"
    assert names(index.records("__cuda")) == ["__cuda-12.0"]


def test_prebuilt_index_wins(channel):
    prec = PackageRecord(name="only", version="1", build="0", build_number=0,
                         channel=Channel("conda-forge"), subdir=SUBDIR, fn="only-1-0.tar.bz2")
    index = SolverIndex([channel], (SUBDIR,), prebuilt={prec: prec})
    assert index.records("only") == [prec] and index.records("zlib") == []


def test_local_channels_never_ask_for_shards(channel):
    def shards(root_packages, channels):
        raise AssertionError("local channels have no shards to fetch")

    index = SolverIndex([channel], (SUBDIR,), build_repodata_subset=shards, root_names=["zlib"])
    assert names(index.records("zlib")) == ["zlib-1.2", "zlib-1.3"]


class FakeShards:
    base_url = "https://example.com/remote/" + SUBDIR + "/"

    def iter_records(self):
        zlib = {"name": "zlib", "version": "9", "build": "0", "build_number": 0, "depends": []}
        yield "zlib-9-0.tar.bz2", zlib
        yield "zlib-9-0.conda", zlib


def test_remote_channels_use_shards_local_ones_subdir_data(channel):
    calls = []

    def shards(root_packages, channels):
        calls.append((tuple(root_packages), sorted(channels)))
        return {url: FakeShards() for url in channels}

    remote = "https://example.com/remote"
    index = SolverIndex([remote, channel], (SUBDIR,), build_repodata_subset=shards,
                        root_names=["zlib"])
    assert calls == [(("zlib",), [f"{remote}/{SUBDIR}"])]
    assert names(index.records("zlib")) == ["zlib-1.2", "zlib-1.3", "zlib-9"]
    shard_zlib = [rec for rec in index.records("zlib") if rec.version == "9"][0]
    assert shard_zlib.url == f"{remote}/{SUBDIR}/zlib-9-0.conda"  # .conda preferred


def test_no_shards_anywhere_falls_back(channel, monkeypatch):
    from conda.core import subdir_data

    loaded = []

    def fake_load(self):  # no network: an empty remote channel
        loaded.append(self.url_w_subdir)
        self._names_index, self._package_records, self._loaded = {}, [], True
        return self

    monkeypatch.setattr(subdir_data.SubdirData, "load", fake_load)
    index = SolverIndex(["https://example.com/remote"], (SUBDIR,),
                        build_repodata_subset=lambda roots, channels: None)
    assert loaded == [f"https://example.com/remote/{SUBDIR}"]
    assert index.repos


def test_channel_order_expands_multichannels():
    assert channel_order(["conda-forge", "defaults", "conda-forge"]) == (
        "conda-forge", "pkgs/main", "pkgs/r"
    )
    assert channel_key(Channel("file:///tmp/x/channel-1")) == "channel-1"


def test_version_key_prefers_channel_then_version(tmp_path):
    first = write_channel(tmp_path, "first", [record("zlib 1.0 0")])
    second = write_channel(tmp_path, "second", [record("zlib 2.0 0")])
    index = SolverIndex([first, second], (SUBDIR,))
    assert [r.version for r in index.sorted_records("zlib")] == ["1.0", "2.0"]


def test_find_matches(channel):
    index = SolverIndex([channel], (SUBDIR, "noarch"))
    assert names(index.find_matches(MatchSpec("zlib >1.2"))) == ["zlib-1.3"]


@pytest.mark.parametrize(
    "spec, text",
    [("numpy >=1.2", "numpy[version='>=1.2']"),
     ("file:///tmp/x/channel-1::numpy", "channel-1::numpy"),
     ("mkl@", "mkl@")],
)
def test_spec_text_for_the_engine(spec, text):
    assert spec_text(MatchSpec(spec)) == text
