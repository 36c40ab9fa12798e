"""Helpers for the adapter tests: local file channels and fake prefixes written to disk.

Both are real files read through conda's own APIs (``SubdirData``, ``PrefixData``,
``History``, ``conda-meta/pinned``), so the adapter sees them exactly as it sees a user's.
Records are written in a compact form: ``"name 1.0 0 dep1,dep2"`` (build defaults to ``0``).
Test modules import what they use; importing ``fresh_conda_state`` makes that autouse
fixture apply to the module.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("conda")

from conda.base.context import context, reset_context  # noqa: E402
from conda.core.prefix_data import PrefixData  # noqa: E402
from conda.core.subdir_data import SubdirData  # noqa: E402
from conda.models.channel import Channel  # noqa: E402
from conda.models.records import PrefixRecord  # noqa: E402

SUBDIR = context.subdir


def record(text: str, subdir: str = SUBDIR, **extra) -> dict:
    """A repodata record from ``"name version [build [dep1,dep2,...]]"``."""
    parts = text.split(" ", 3)
    name, version = parts[0], parts[1]
    build = parts[2] if len(parts) > 2 else "0"
    depends = [d.strip() for d in parts[3].split(",")] if len(parts) > 3 else []
    base = {
        "name": name,
        "version": version,
        "build": build,
        "build_number": int(build.rsplit("_", 1)[-1]) if build.rsplit("_", 1)[-1].isdigit() else 0,
        "depends": depends,
        "subdir": subdir,
        "md5": "0" * 32,
        "timestamp": 0,
    }
    base.update(extra)
    return base


def write_channel(root: Path, name: str, records: list[dict]) -> Channel:
    """A local channel ``root/name`` with ``repodata.json`` in SUBDIR and noarch."""
    by_subdir: dict[str, dict] = {SUBDIR: {}, "noarch": {}}
    for rec in records:
        fn = f"{rec['name']}-{rec['version']}-{rec['build']}.tar.bz2"
        by_subdir.setdefault(rec["subdir"], {})[fn] = rec
    for subdir, packages in by_subdir.items():
        path = root / name / subdir
        path.mkdir(parents=True, exist_ok=True)
        repodata = {"info": {"subdir": subdir}, "packages": packages}
        (path / "repodata.json").write_text(json.dumps(repodata))
    return Channel(str(root / name))


def write_prefix(
    root: Path,
    channel: Channel,
    records: list[dict],
    history: list[str] = (),
    pins: list[str] = (),
) -> Path:
    """A prefix whose conda-meta holds ``records`` (from ``channel``), history and pins."""
    prefix = root / "prefix"
    meta = prefix / "conda-meta"
    meta.mkdir(parents=True, exist_ok=True)
    for rec in records:
        fn = f"{rec['name']}-{rec['version']}-{rec['build']}.tar.bz2"
        prefix_record = PrefixRecord(
            **rec, channel=channel, fn=fn, url=f"{channel.base_url}/{rec['subdir']}/{fn}", files=()
        )
        (meta / f"{fn[:-8]}.json").write_text(json.dumps(prefix_record.dump()))
    lines = ["==> 2024-01-01 00:00:00 <==", "# cmd: conda create"]
    if history:
        lines.append(f"# update specs: {json.dumps(list(history))}")
    (meta / "history").write_text("\n".join(lines) + "\n")
    if pins:
        (meta / "pinned").write_text("\n".join(pins) + "\n")
    PrefixData._cache_.clear()
    return prefix


@pytest.fixture(autouse=True)
def fresh_conda_state(monkeypatch):
    """Each test starts from a clean context and clean conda caches."""
    monkeypatch.setenv("CONDA_PKGS_DIRS", str(Path("/tmp") / "altsolver-test-pkgs"))
    monkeypatch.delenv("CONDA_PINNED_PACKAGES", raising=False)
    monkeypatch.setenv("CONDA_ADD_PIP_AS_PYTHON_DEPENDENCY", "false")
    monkeypatch.setenv("CONDA_OVERRIDE_CUDA", "")
    monkeypatch.setenv("CONDA_AGGRESSIVE_UPDATE_PACKAGES", "")
    reset_context()
    PrefixData._cache_.clear()
    yield
    SubdirData.clear_cached_local_channel_data(exclude_file=False)
    PrefixData._cache_.clear()
    reset_context()


__all__ = ["SUBDIR", "fresh_conda_state", "record", "write_channel", "write_prefix"]
