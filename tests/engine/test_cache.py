"""The parsed repodata cache: hits, misses, and every way a cache can be wrong."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import shutil
from pathlib import Path

import pytest

from conda_altsolver.engine import cache, repodata
from conda_altsolver.engine.repodata import load_repodata


def write_repodata(path: Path, versions=("1.0", "2.0"), names=("a", "b", "c")) -> Path:
    packages = {
        f"{name}-{version}-0.tar.bz2": {
            "name": name, "version": version, "build": "0", "build_number": 0,
            "depends": [f"dep-of-{name}"],
        }
        for name in names
        for version in versions
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"info": {"subdir": "noarch"}, "packages": packages}))
    return path


def snapshot(repo) -> dict:
    return {name: [(r["fn"], r["depends"]) for r in repo.get(name)] for name in repo.names()}


def expected_snapshot(versions=("1.0", "2.0"), names=("a", "b", "c")) -> dict:
    return {name: [(f"{name}-{v}-0.tar.bz2", [f"dep-of-{name}"]) for v in versions]
            for name in names}


@pytest.fixture
def source(tmp_path) -> Path:
    return write_repodata(tmp_path / "chan" / "noarch" / "repodata.json")


def load(path, **kwargs):
    return load_repodata(path, "chan", **kwargs)


def test_miss_then_hit_beside_the_source(source):
    first = load(source)
    assert first.cache_status == "written"
    assert os.path.exists(str(source) + cache.SUFFIX)
    second = load(source)
    assert second.cache_status == "hit"
    assert snapshot(first) == snapshot(second) == expected_snapshot()
    assert [p.name for p in source.parent.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize("batch", [1, 2, 3])
def test_blocks_written_in_batches_read_back(source, monkeypatch, batch):
    monkeypatch.setattr(cache, "_WRITE_BATCH", batch)  # three names: one to three batches
    load(source)
    repo = load(source)
    assert repo.cache_status == "hit"
    assert snapshot(repo) == expected_snapshot()
    assert repo._source.reader.blocks_read == 3


def test_cache_dir_serves_several_sources(tmp_path):
    one = write_repodata(tmp_path / "one" / "repodata.json", names=("a",))
    two = write_repodata(tmp_path / "two" / "repodata.json", names=("b",))
    cache_dir = str(tmp_path / "cache")
    for path in (one, two, one, two):
        load(path, cache_dir=cache_dir)
    assert load(one, cache_dir=cache_dir).names() == {"a"}
    assert load(two, cache_dir=cache_dir).cache_status == "hit"
    assert len(os.listdir(cache_dir)) == 2


def test_stale_cache_is_rebuilt(source):
    load(source)
    write_repodata(source, versions=("1.0", "2.0", "3.0"))
    repo = load(source)
    assert repo.cache_status == "written"
    assert snapshot(repo) == expected_snapshot(versions=("1.0", "2.0", "3.0"))


def test_same_size_and_mtime_but_new_etag_is_rebuilt(source):
    load(source, etag="v1")
    assert load(source, etag="v1").cache_status == "hit"
    assert load(source, etag="v2").cache_status == "written"


def test_etag_alone_cannot_hide_a_changed_file(source):
    load(source, etag="same")
    stat = os.stat(source)
    write_repodata(source, versions=("1.0", "9.0"))  # same size, different content
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    repo = load(source, etag="same")
    assert repo.cache_status == "written"
    assert snapshot(repo) == expected_snapshot(versions=("1.0", "9.0"))


def _cache_file(source: Path) -> Path:
    return Path(str(source) + cache.SUFFIX)


@pytest.mark.parametrize("keep", [0, 10, 0.5, -1])
def test_truncated_cache_is_rebuilt(source, keep):
    load(source)
    data = _cache_file(source).read_bytes()
    cut = int(len(data) * keep) if isinstance(keep, float) else keep % len(data)
    _cache_file(source).write_bytes(data[:cut])
    repo = load(source)
    assert repo.cache_status == "written"
    assert snapshot(repo) == expected_snapshot()


def test_every_corrupted_byte_is_caught(source):
    """Flip each byte in turn: the answer is always right, from the cache or rebuilt."""
    load(source)
    original = _cache_file(source).read_bytes()
    for position in range(len(original)):
        corrupt = bytearray(original)
        corrupt[position] ^= 0x55
        _cache_file(source).write_bytes(bytes(corrupt))
        assert snapshot(load(source)) == expected_snapshot(), position


def test_block_corrupted_after_opening_falls_back_to_json(source):
    load(source)
    repo = load(source)
    assert repo.cache_status == "hit"
    offset, length, _crc = repo._source.reader.entry("b")
    with open(_cache_file(source), "r+b") as stream:  # in place: the reader's own inode
        stream.seek(len(cache.PREFIX) + offset + length // 2)
        stream.write(b"\xff\xfe")
    assert snapshot(repo) == expected_snapshot()
    assert repo.cache_status == "written"


def test_swapped_cache_from_another_source_is_rejected(tmp_path):
    one = write_repodata(tmp_path / "one" / "repodata.json", names=("a",))
    two = write_repodata(tmp_path / "two" / "repodata.json", names=("b",))
    load(one), load(two)
    shutil.copyfile(_cache_file(one), _cache_file(two))
    repo = load(two)
    assert repo.cache_status == "written"
    assert repo.names() == {"b"}


def test_foreign_prefix_is_rejected(source):
    load(source)
    data = _cache_file(source).read_bytes()
    foreign = data.replace(cache.PREFIX, cache.PREFIX.replace(b"cache v", b"cache w"), 1)
    _cache_file(source).write_bytes(foreign)
    assert cache.open_cache(str(_cache_file(source)), cache.source_key(str(source))) is None
    assert load(source).cache_status == "written"


@pytest.mark.parametrize("content", [b"", b"garbage", b"\x00" * 4096])
def test_garbage_cache_is_rebuilt(source, content):
    _cache_file(source).write_bytes(content)
    repo = load(source)
    assert repo.cache_status == "written"
    assert snapshot(repo) == expected_snapshot()


def test_unwritable_cache_dir_means_no_cache(source, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    repo = load(source, cache_dir=str(blocker / "cache"))
    assert repo.cache_status == "unwritable"
    assert snapshot(repo) == expected_snapshot()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a non-root POSIX user")
def test_read_only_dir_means_no_cache(source):
    os.chmod(source.parent, 0o555)
    try:
        repo = load(source)
        assert repo.cache_status == "unwritable"
        assert snapshot(repo) == expected_snapshot()
    finally:
        os.chmod(source.parent, 0o755)


def test_caching_off(source):
    assert load(source, cache=False).cache_status == "off"
    assert not _cache_file(source).exists()


def test_reader_keeps_its_file_when_the_path_is_replaced(source):
    load(source)
    repo = load(source)
    cache.write_cache(str(_cache_file(source)), ("someone", "else"), {}, {"x": ([], [])})
    assert snapshot(repo) == expected_snapshot()
    assert repo.cache_status == "hit"


def _hammer(path: str, cache_dir: str, rounds: int) -> None:
    """One of several processes loading and rewriting the same cache at once."""
    key = cache.source_key(path)
    for _ in range(rounds):
        repo = load_repodata(path, "chan", cache_dir=cache_dir)
        if snapshot(repo) != expected_snapshot():
            raise SystemExit(3)
        if repo.cache_status == "written":  # this process parsed: write once more to collide
            info, groups = repodata.parse_repodata(path)
            cache.write_cache(cache.cache_path_for(path, cache_dir), key, info, groups)
        else:
            with contextlib.suppress(FileNotFoundError):  # make the others rebuild
                os.unlink(cache.cache_path_for(path, cache_dir))


def test_concurrent_writers_never_corrupt(source, tmp_path):
    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    cache_dir = str(tmp_path / "cache")
    workers = [
        context.Process(target=_hammer, args=(str(source), cache_dir, 60)) for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        if worker.is_alive():
            worker.kill()
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    assert snapshot(load(source, cache_dir=cache_dir)) == expected_snapshot()
    assert load(source, cache_dir=cache_dir).cache_status == "hit"
    assert [n for n in os.listdir(cache_dir) if n.endswith(".tmp")] == []


def test_cache_path_for(tmp_path):
    source = str(tmp_path / "repodata.json")
    assert cache.cache_path_for(source) == source + cache.SUFFIX
    in_dir = cache.cache_path_for(source, str(tmp_path / "c"))
    assert os.path.dirname(in_dir) == str(tmp_path / "c")
    assert in_dir != cache.cache_path_for(str(tmp_path / "other.json"), str(tmp_path / "c"))


def test_file_changed_while_parsed_is_not_cached(source, monkeypatch):
    real_parse = repodata.parse_repodata

    def parse_then_touch(path):
        parsed = real_parse(path)
        stat = os.stat(path)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1000))
        return parsed

    monkeypatch.setattr(repodata, "parse_repodata", parse_then_touch)
    assert load(source).cache_status == "unwritable"
    assert not _cache_file(source).exists()


def test_stale_temp_files_are_removed(source):
    stale = Path(str(_cache_file(source)) + ".dead.tmp")
    stale.write_bytes(b"half a cache")
    os.utime(stale, (1, 1))
    fresh = Path(str(_cache_file(source)) + ".live.tmp")
    fresh.write_bytes(b"someone is writing")
    load(source)
    assert not stale.exists()
    assert fresh.exists()


def test_reads_without_pread(source, monkeypatch):
    load(source)
    monkeypatch.setattr(cache, "_HAS_PREAD", False)
    repo = load(source)
    assert repo.cache_status == "hit"
    assert snapshot(repo) == expected_snapshot()


def test_cold_load_of_a_large_file_answers_from_the_cache_it_wrote(source, monkeypatch):
    monkeypatch.setattr(repodata, "REOPEN_ABOVE", 0)
    repo = load(source)
    assert repo.cache_status == "written"
    assert repo._source.groups is None  # the parsed records were dropped
    assert snapshot(repo) == expected_snapshot()
    assert repo._source.reader.blocks_read == 3
