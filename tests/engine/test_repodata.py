"""repodata.json -> lazy repo: conda's enrichment rules, laziness and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conda_altsolver.engine import repodata
from conda_altsolver.engine.errors import EngineError
from conda_altsolver.engine.repodata import RepodataError, load_repodata


def record(name, version="1.0", build="0", **extra):
    return {"name": name, "version": version, "build": build, "build_number": 0,
            "depends": [], **extra}


def write_repodata(directory: Path, packages=None, conda=None, subdir="linux-64", **top):
    """A repodata.json in ``directory/subdir``; returns its path."""
    path = directory / subdir / "repodata.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"packages": packages or {}, **top}
    if conda is not None:
        data["packages.conda"] = conda
    path.write_text(json.dumps(data))
    return path


@pytest.fixture(params=["off", "cold", "cold-reopen", "warm", "warm-large"])
def load(request, tmp_path, monkeypatch):
    """``load_repodata`` five ways: no cache; a cache being written, answering from memory
    (small files) or from the cache just written (large files); a cache hit, of a small file
    or of a large one (shared strings and best-first orders in its blocks)."""
    cache_dir = tmp_path / "cache"
    if request.param == "cold-reopen":
        monkeypatch.setattr(repodata, "REOPEN_ABOVE", 0)
    if request.param == "warm-large":
        for threshold in ("REOPEN_ABOVE", "SHARE_ABOVE", "ORDER_ABOVE"):
            monkeypatch.setattr(repodata, threshold, 0)

    def loader(path, channel="chan", **kwargs):
        if request.param == "off":
            return load_repodata(path, channel, cache=False, **kwargs)
        if request.param.startswith("warm"):
            load_repodata(path, channel, cache_dir=str(cache_dir))
        repo = load_repodata(path, channel, cache_dir=str(cache_dir), **kwargs)
        expected = "hit" if request.param.startswith("warm") else "written"
        assert repo.cache_status == expected
        return repo

    return loader


def test_only_requested_names_are_materialised(tmp_path, load):
    packages = {f"{n}-1.0-0.tar.bz2": record(n) for n in ("a", "b", "c")}
    repo = load(write_repodata(tmp_path, packages))
    assert repo.names() == {"a", "b", "c"}
    assert repo.loaded_names() == frozenset()
    assert [r["fn"] for r in repo.get("b")] == ["b-1.0-0.tar.bz2"]
    assert repo.get("nope") == []
    assert repo.loaded_names() == {"b", "nope"}


def test_warm_load_reads_only_the_requested_blocks(tmp_path):
    packages = {f"{n}-1.0-0.tar.bz2": record(n) for n in ("a", "b", "c")}
    path = write_repodata(tmp_path, packages)
    load_repodata(path, "chan", cache_dir=str(tmp_path / "c"))
    repo = load_repodata(path, "chan", cache_dir=str(tmp_path / "c"))
    repo.get("a")
    repo.get("a")
    assert repo._source.reader.blocks_read == 1


def test_enrichment(tmp_path, load):
    packages = {"a-1.0-0.tar.bz2": record("a", subdir="other", arch="x86_64", channel="junk")}
    path = write_repodata(
        tmp_path, packages, info={"subdir": "linux-64", "arch": "x86_64", "platform": "linux"}
    )
    (rec,) = load(path, "conda-forge").get("a")
    assert rec["fn"] == "a-1.0-0.tar.bz2"
    assert rec["channel"] == "conda-forge"
    assert rec["subdir"] == "linux-64"
    assert (rec["arch"], rec["platform"]) == ("x86_64", "linux")
    assert rec["url"] == path.parent.as_uri() + "/a-1.0-0.tar.bz2"


def test_arch_and_platform_come_from_info_only(tmp_path, load):
    # conda overwrites them with info's values, None when info has none
    path = write_repodata(tmp_path, {"a-1.0-0.tar.bz2": record("a", arch="x86_64")})
    (rec,) = load(path).get("a")
    assert rec["arch"] is None and rec["platform"] is None


@pytest.mark.parametrize(
    "info_subdir, argument, own, expected",
    [("linux-64", "osx-64", "win-64", "linux-64"), (None, "osx-64", "win-64", "osx-64"),
     (None, None, "win-64", "win-64"), (None, None, None, "noarch")],
)
def test_subdir_precedence(tmp_path, load, info_subdir, argument, own, expected):
    extra = {"subdir": own} if own else {}
    info = {"subdir": info_subdir} if info_subdir else {}
    path = write_repodata(tmp_path, {"a-1-0.tar.bz2": record("a", **extra)}, subdir="noarch",
                          info=info)
    (rec,) = load(path, subdir=argument).get("a")
    assert rec["subdir"] == expected


def test_conda_twin_replaces_tar_bz2(tmp_path, load):
    packages = {
        "a-1.0-0.tar.bz2": record("a", md5="m-tar", size=10),
        "a-2.0-0.tar.bz2": record("a", "2.0"),
        "b-1.0-0.tar.bz2": record("b"),
    }
    conda = {"a-1.0-0.conda": record("a", md5="m-conda"), "a-3.0-0.conda": record("a", "3.0")}
    repo = load(write_repodata(tmp_path, packages, conda))
    records = repo.get("a")
    # .conda first, then the .tar.bz2 without a twin, each in file order
    assert [r["fn"] for r in records] == ["a-1.0-0.conda", "a-3.0-0.conda", "a-2.0-0.tar.bz2"]
    assert (records[0]["legacy_bz2_md5"], records[0]["legacy_bz2_size"]) == ("m-tar", 10)
    assert "legacy_bz2_md5" not in records[1]
    assert [r["fn"] for r in repo.get("b")] == ["b-1.0-0.tar.bz2"]


def test_use_only_tar_bz2_ignores_conda(tmp_path, load):
    packages = {"a-1.0-0.tar.bz2": record("a")}
    conda = {"a-1.0-0.conda": record("a"), "b-1.0-0.conda": record("b")}
    repo = load(write_repodata(tmp_path, packages, conda), use_only_tar_bz2=True)
    assert [r["fn"] for r in repo.get("a")] == ["a-1.0-0.tar.bz2"]
    assert repo.get("b") == []


def test_newer_record_versions_are_ignored(tmp_path, load):
    packages = {"a-1.0-0.tar.bz2": record("a"), "a-2.0-0.tar.bz2": record("a", "2.0",
                                                                          record_version=2)}
    conda = {"a-2.0-0.conda": record("a", "2.0", record_version=2)}
    records = load(write_repodata(tmp_path, packages, conda)).get("a")
    # the ignored .conda still shadows its .tar.bz2 twin, as in conda
    assert [r["fn"] for r in records] == ["a-1.0-0.tar.bz2"]


@pytest.mark.parametrize(
    "info_base, argument, expected",
    [
        ("https://example.com/pkgs/linux-64/", None, "https://example.com/pkgs/linux-64/"),
        ("https://example.com/pkgs", "https://other/x", "https://example.com/pkgs/"),
        ("../artifacts", "https://host/chan/linux-64", "https://host/chan/artifacts/"),
        (None, "https://host/chan/linux-64", "https://host/chan/linux-64/"),
    ],
)
def test_base_url(tmp_path, load, info_base, argument, expected):
    info = {"base_url": info_base} if info_base else {}
    path = write_repodata(tmp_path, {"a-1-0.tar.bz2": record("a")}, info=info,
                          repodata_version=2)
    (rec,) = load(path, base_url=argument).get("a")
    assert rec["url"] == expected + "a-1-0.tar.bz2"


def test_add_pip(tmp_path, load):
    packages = {
        "python-3.9-0.tar.bz2": record("python", "3.9", depends=["zlib"]),
        "python-4.0-0.tar.bz2": record("python", "4.0"),
    }
    path = write_repodata(tmp_path, packages)
    deps = [r["depends"] for r in load(path, add_pip=True).get("python")]
    assert deps == [["zlib", "pip"], []]


def test_add_pip_once_however_often_taken(tmp_path, load):
    """``take`` does not keep the records: a second one materialises the name again, which
    must not add "pip" again to records held in memory (no cache, a small file's cold load)."""
    packages = {"python-3.9-0.tar.bz2": record("python", "3.9", depends=["zlib"])}
    repo = load(write_repodata(tmp_path, packages), add_pip=True)
    taken = [repo.take("python") for _ in range(3)]
    assert [records[0]["depends"] for records in taken] == [["zlib", "pip"]] * 3
    assert repo.get("python")[0]["depends"] == ["zlib", "pip"]


@pytest.mark.parametrize(
    "content, reason",
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "top level is a list"),
        ('{"packages": []}', "'packages' is not an object"),
        ('{"packages": {"a-1-0.tar.bz2": 3}}', "has no string 'name'"),
        ('{"packages.conda": {"a-1-0.conda": {"version": "1"}}}', "no string 'name'"),
        ('{"packages.conda": {"a-1-0.conda": {"name": 7}}}', "no string 'name'"),
        ('{"packages.conda": {"a-1-0.conda": [1]}}', "no string 'name'"),
        ('{"packages": {"a-1-0.tar.bz2": {"name": ""}}}', "no string 'name'"),
        ('{"packages": {"a-1-0.tar.bz2": {"name": "a", "record_version": "2"}}}',
         "non-integer 'record_version'"),
        ('{"info": [], "packages": {}}', "'info' is not an object"),
        ('{"repodata_version": 3, "packages": {}}', "repodata_version 3"),
        ('{"info": {"base_url": 7}}', "'info.base_url' is not a string"),
    ],
)
def test_malformed_repodata_raises_naming_the_file(tmp_path, content, reason):
    path = tmp_path / "repodata.json"
    path.write_text(content)
    with pytest.raises(RepodataError, match=reason) as raised:
        load_repodata(path, "chan", cache_dir=str(tmp_path / "c"))
    assert isinstance(raised.value, EngineError)
    assert str(path) in str(raised.value)


@pytest.mark.parametrize(
    "bad, reason",
    [({"version": 1}, "'version' is not a string"), ({"build": None}, "'build' is not"),
     ({"build_number": "0"}, "'build_number'"), ({"depends": "zlib"}, "'depends' is not"),
     ({"timestamp": "2020-01-01"}, "'timestamp' is not a number")],
)
def test_malformed_record_raises_when_materialised(tmp_path, load, bad, reason):
    path = write_repodata(tmp_path, {"a-1-0.tar.bz2": {**record("a"), **bad},
                                     "b-1-0.tar.bz2": record("b")})
    repo = load(path)
    assert len(repo.get("b")) == 1  # a bad record elsewhere does not poison the rest
    with pytest.raises(RepodataError, match=reason):
        repo.get("a")


def test_malformed_twin_raises_only_where_it_is_read(tmp_path, load):
    """A .tar.bz2 whose .conda twin shadows it is read only with ``use_only_tar_bz2``: a
    default reading never meets it; that reading must refuse it (the check that lets a
    reader skip a name's records covers twins too)."""
    conda = {"a-1.0-0.conda": record("a")}
    packages = {"a-1.0-0.tar.bz2": {**record("a"), "depends": "zlib"}}
    path = write_repodata(tmp_path / "default", packages, conda)
    assert [r["fn"] for r in load(path).get("a")] == ["a-1.0-0.conda"]
    path = write_repodata(tmp_path / "tar-only", packages, conda)
    with pytest.raises(RepodataError, match="'depends' is not a list"):
        load(path, use_only_tar_bz2=True).get("a")


def test_parse_marks_the_names_whose_records_are_well_formed(tmp_path):
    path = write_repodata(tmp_path, {"a-1-0.tar.bz2": {**record("a"), "build_number": "0"},
                                     "a-2-0.tar.bz2": record("a", "2"),
                                     "b-1-0.tar.bz2": record("b")},
                          {"c-1-0.conda": record("c")})
    _info, groups = repodata.parse_repodata(str(path))
    assert len(groups["a"]) == 2  # no mark: its reader checks each record
    assert groups["b"][2:] == groups["c"][2:] == (None,)


def test_missing_file(tmp_path):
    with pytest.raises(RepodataError, match="cannot read"):
        load_repodata(tmp_path / "nope.json", "chan")


def _conda_rule_filenames(path: Path) -> dict[str, list[str]]:
    """An independent, eager reading of conda's twin and record_version rules."""
    data = json.loads(path.read_text())
    tar, conda = data.get("packages", {}), data.get("packages.conda", {})
    shadowed = {fn[: -len(".conda")] + ".tar.bz2" for fn in conda}
    by_name: dict[str, list[str]] = {}
    for section in (conda, {fn: r for fn, r in tar.items() if fn not in shadowed}):
        for fn, rec in section.items():
            if rec.get("record_version", 0) <= 1:
                by_name.setdefault(rec["name"], []).append(fn)
    return by_name


@pytest.mark.data
@pytest.mark.parametrize("subdir", ["conda-forge-subset/linux-64", "r/linux-64",
                                    "conda-forge-subset/noarch"])
def test_real_channels(data_dir, tmp_path, subdir):
    path = data_dir / "channels" / subdir / "repodata.json"
    expected = _conda_rule_filenames(path)
    for status in ("written", "hit"):
        repo = load_repodata(path, "chan", cache_dir=str(tmp_path))
        assert repo.cache_status == status
        assert repo.names() == expected.keys()
        got = {name: [r["fn"] for r in repo.get(name)] for name in sorted(repo.names())}
        assert got == expected


def test_names_tracking_a_feature_without_loading_names(tmp_path, load):
    packages = {
        "mkl-1.0-0.tar.bz2": record("mkl", track_features="mkl"),
        "blas-1.0-mkl.tar.bz2": record("blas", build="mkl", track_features="mkl debug"),
        "plain-1.0-0.tar.bz2": record("plain"),
    }
    conda = {"dbg-1.0-0.conda": record("dbg", track_features="debug")}
    repo = load(write_repodata(tmp_path, packages, conda))
    assert repo.names_tracking("mkl") == {"mkl", "blas"}
    assert repo.names_tracking("debug") == {"blas", "dbg"}
    assert repo.names_tracking("nomkl") == frozenset()
    assert repo.loaded_names() == frozenset()


@pytest.mark.parametrize("large", [True, False], ids=["large", "small"])
def test_cached_records_keep_their_fields_and_share_strings_when_large(
    tmp_path, load, monkeypatch, large
):
    # a large file's cache writes each name's equal strings once, a small file's writes them
    # as they are; what a record holds must not change either way
    monkeypatch.setattr(repodata, "SHARE_ABOVE", 0 if large else 1 << 62)
    packages = {
        f"a-1.0-{b}.tar.bz2": record("a", build=str(b), license="MIT", subdir="linux-64",
                                     depends=["python >=3.8", "zlib"], constrains=["b <2"])
        for b in (0, 1)
    }
    path = write_repodata(tmp_path, packages)
    raw = json.loads(path.read_text())["packages"]
    first, second = load(path).get("a")
    for got in (first, second):
        original = raw[got["fn"]]
        assert {k: got[k] for k in original} == original
        assert list(got)[: len(original)] == list(original)  # the file's field order first
    if load_repodata(path, "chan", cache_dir=str(tmp_path / "cache")).cache_status == "hit":
        warm_first, warm_second = load_repodata(
            path, "chan", cache_dir=str(tmp_path / "cache")).get("a")
        assert (warm_first["depends"][0] is warm_second["depends"][0]) is large
        assert (warm_first["license"] is warm_second["license"]) is large
        assert warm_first["depends"] is not warm_second["depends"]  # lists stay per record
