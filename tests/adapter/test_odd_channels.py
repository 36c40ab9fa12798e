"""Channels whose records (and ``info``) hold random odd or wrong values, solved through
conda on our fast path and through conda's ``SubdirData``, and environments whose installed
records hold them: the solve answers or raises a conda error (``CondaError``: a
``PackageRecordError`` naming the record, a ``RepodataReadError`` naming the file,
``UnsatisfiableError``, a missing package...); never a bare ``TypeError`` or conda's
``ValidationError`` (which is one), which conda's CLI shows as a traceback.

Examples are the same on every run; ``ALTSOLVER_HYPOTHESIS_RANDOM=1`` explores new ones,
``ALTSOLVER_HYPOTHESIS_EXAMPLES`` sets how many.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("conda")

from conda.core.prefix_data import PrefixData  # noqa: E402
from conda.core.subdir_data import SubdirData  # noqa: E402
from conda.exceptions import CondaError  # noqa: E402
from fakes import SUBDIR  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from conda_altsolver import index as index_module  # noqa: E402
from conda_altsolver.errors import PackageRecordError  # noqa: E402
from conda_altsolver.solver import AltSolver  # noqa: E402

pytestmark = pytest.mark.conda

SETTINGS = settings(
    max_examples=int(os.environ.get("ALTSOLVER_HYPOTHESIS_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=not os.environ.get("ALTSOLVER_HYPOTHESIS_RANDOM"),
)

NAMES = ("a", "b", "c")
ODD = [None, 0, -1, 5, 1.5, True, "", "x", "1..0", [], [5], ["a", None], {"a": 1}, "a,b",
       10**400, "1." + "1" * 5000]
FIELDS = ("version", "build", "build_number", "depends", "constrains", "track_features",
          "features", "timestamp", "md5", "size", "license", "noarch", "package_type",
          "record_version", "subdir", "name")
#: the file's info: the usual, or odd values (conda's own reading takes those files)
INFO = [{"subdir": SUBDIR}, {}, {"subdir": "win-64"}, {"subdir": 5}, {"base_url": "1..0"},
        {"base_url": 5}, {"arch": [], "platform": 5}, [], "x"]
SPECS = ("a", "b", "c 1.0", "a >=1")


@st.composite
def channel_records(draw):
    records = []
    for index in range(draw(st.integers(1, 4))):
        name = draw(st.sampled_from(NAMES))
        record = {"name": name, "version": "1.0", "build": str(index), "build_number": index,
                  "depends": draw(st.lists(st.sampled_from(["a", "b >=1", "c"]), max_size=2))}
        for field in draw(st.sets(st.sampled_from(FIELDS), max_size=2)):
            record[field] = draw(st.sampled_from(ODD))
        records.append(record)
    return records


@SETTINGS
@given(records=channel_records(), spec=st.sampled_from(SPECS), fast=st.booleans(),
       info=st.sampled_from(INFO))
def test_odd_records_give_an_answer_or_a_conda_error(monkeypatch, records, spec, fast, info):
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory) / "chan"
        packages = {f"{r['name']}-1.0-{r['build']}.tar.bz2": r for r in records}
        for subdir, document in ((SUBDIR, {"info": info, "packages": packages}),
                                 ("noarch", {})):
            (root / subdir).mkdir(parents=True)
            (root / subdir / "repodata.json").write_text(json.dumps(document))
        with monkeypatch.context() as patch:
            patch.setenv("CONDA_PKGS_DIRS", str(Path(directory) / "pkgs"))
            if not fast:
                patch.setattr(index_module, "_open_fast", lambda subdir_data: None)
            SubdirData.clear_cached_local_channel_data(exclude_file=False)
            solver = AltSolver(str(Path(directory) / "env"), [str(root)], (SUBDIR, "noarch"),
                               specs_to_add=[spec])
            try:
                solver.solve_final_state()
            except PackageRecordError as exc:
                # it names a record of the channel: by URL (an odd base_url makes an odd
                # one), file name, or name and channel
                assert any(part in str(exc) for part in (f"chan/{SUBDIR}", ".tar.bz2"))
            except CondaError:
                pass



PREFIX_FIELDS = ("version", "build", "build_number", "depends", "constrains",
                 "track_features", "features", "timestamp", "channel", "subdir", "noarch",
                 "files", "requested_spec")


@st.composite
def installed_records(draw):
    records = []
    for name in draw(st.sets(st.sampled_from(NAMES), min_size=1)):
        record = {"name": name, "version": "1.0", "build": "0", "build_number": 0,
                  "depends": [], "subdir": SUBDIR, "fn": f"{name}-1.0-0.tar.bz2",
                  "files": [], "paths_data": {"paths": [], "paths_version": 1}}
        for field in draw(st.sets(st.sampled_from(PREFIX_FIELDS), max_size=2)):
            record[field] = draw(st.sampled_from(ODD))
        records.append(record)
    return records


@SETTINGS
@given(records=installed_records(), spec=st.sampled_from(SPECS))
def test_odd_installed_records_give_an_answer_or_a_conda_error(monkeypatch, records, spec):
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory) / "chan"
        packages = {f"{n}-1.0-0.tar.bz2": {"name": n, "version": "1.0", "build": "0",
                                           "build_number": 0, "depends": []} for n in NAMES}
        for subdir, document in ((SUBDIR, {"info": {"subdir": SUBDIR}, "packages": packages}),
                                 ("noarch", {})):
            (root / subdir).mkdir(parents=True)
            (root / subdir / "repodata.json").write_text(json.dumps(document))
        meta = Path(directory) / "env" / "conda-meta"
        meta.mkdir(parents=True)
        (meta / "history").write_text("")
        for record in records:
            record.setdefault("channel", f"file://{root}/{SUBDIR}")
            # conda ignores a file whose name is not the record's name-version-build
            stem = f"{record['name']}-{record['version']}-{record['build']}"[:200]
            (meta / f"{stem}.json").write_text(json.dumps(record))
        with monkeypatch.context() as patch:
            patch.setenv("CONDA_PKGS_DIRS", str(Path(directory) / "pkgs"))
            SubdirData.clear_cached_local_channel_data(exclude_file=False)
            PrefixData._cache_.clear()
            solver = AltSolver(str(meta.parent), [str(root)], (SUBDIR, "noarch"),
                               specs_to_add=[spec])
            try:
                solver.solve_final_state()
            except PackageRecordError as exc:
                assert "conda-meta" in str(exc)  # it names the installed record's file
            except CondaError:
                pass
