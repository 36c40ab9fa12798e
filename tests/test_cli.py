"""``python -m conda_altsolver solve``: the engine's own command line, without conda."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def run_cli(*args, cache_home):
    env = {"XDG_CACHE_HOME": str(cache_home), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "conda_altsolver", *args],
        capture_output=True, text=True, env=env,
    )


def write_channel(root, records):
    packages = {f"{r['name']}-{r['version']}-{r['build']}.tar.bz2": r for r in records}
    (root / "noarch").mkdir(parents=True)
    (root / "noarch" / "repodata.json").write_text(
        json.dumps({"info": {"subdir": "noarch"}, "packages": packages})
    )
    return root


def record(name, version, depends=(), build="0"):
    return {"name": name, "version": version, "build": build, "build_number": 0,
            "depends": list(depends), "subdir": "noarch"}


@pytest.fixture
def channel(tmp_path):
    return write_channel(tmp_path / "chan", [
        record("app", "1.0", ["lib >=2"]),
        record("app", "2.0", ["lib >=3"]),
        record("lib", "2.5"),
        record("lib", "3.1"),
        record("old", "1.0", ["lib <2"]),
    ])


def test_solve_prints_the_plan(channel, tmp_path):
    result = run_cli("solve", "-c", str(channel), "--subdir", "linux-64", "app",
                     cache_home=tmp_path / "cache")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Solved 1 spec(s) for linux-64: 2 package(s)"
    assert [line.split() for line in lines[1:]] == [
        ["app", "2.0", "0", "chan"],
        ["lib", "3.1", "0", "chan"],
    ]


def test_cache_goes_to_the_user_cache_not_the_channel(channel, tmp_path):
    run_cli("solve", "-c", str(channel), "app", cache_home=tmp_path / "cache")
    assert sorted(p.name for p in (channel / "noarch").iterdir()) == ["repodata.json"]
    assert list((tmp_path / "cache" / "conda-altsolver").iterdir())


def test_conflict_is_explained_not_a_traceback(channel, tmp_path):
    result = run_cli("solve", "-c", str(channel), "app >=2", "lib <3",
                     cache_home=tmp_path / "cache")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("The request cannot be solved:")
    assert "no solution is possible" in result.stderr


def test_missing_package_is_named(channel, tmp_path):
    result = run_cli("solve", "-c", str(channel), "nosuchthing", cache_home=tmp_path / "cache")
    assert result.returncode == 1
    assert result.stderr.strip() == "No package matches: nosuchthing"


def test_malformed_repodata_names_the_file(tmp_path):
    bad = tmp_path / "bad" / "noarch"
    bad.mkdir(parents=True)
    (bad / "repodata.json").write_text("{not json")
    result = run_cli("solve", "-c", str(tmp_path / "bad"), "x", cache_home=tmp_path / "cache")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert str(bad / "repodata.json") in result.stderr


def test_missing_channel_is_an_error(tmp_path):
    result = run_cli("solve", "-c", str(tmp_path / "nowhere"), "--subdir", "linux-64", "x",
                     cache_home=tmp_path / "c")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"error: channel {tmp_path / 'nowhere'}: no linux-64/ or noarch/ repodata.json"
    )


def test_malformed_record_is_named_and_the_rest_still_solves(tmp_path):
    root = write_channel(tmp_path / "chan", [
        record("app", "1.0", ["lib"]), {**record("lib", "1.0"), "version": "1..0"},
        record("other", "1.0"),
    ])
    result = run_cli("solve", "-c", str(root), "app", cache_home=tmp_path / "cache")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "lib-1..0-0.tar.bz2: 'version' is '1..0', not a valid conda version" in result.stderr
    result = run_cli("solve", "-c", str(root), "other", cache_home=tmp_path / "cache")
    assert result.returncode == 0, result.stderr
