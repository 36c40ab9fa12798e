"""Record loaders shared by the engine's solve tests and ``scripts/record_classic_answers.py``.

They turn the shared data (``../shared/data``) into plain record dicts the way conda's own
test helpers and ``SubdirData`` present them to classic, so that classic and the engine solve
over the very same records:

* ``conda-test-indexes/index*.json`` (``conda.testing.helpers._get_index_r_base``): channel
  ``channel-N``; subdir ``noarch`` when the record says ``subdir: noarch`` or has ``noarch``,
  else the platform subdir; python 2.x/3.x records gain a ``pip`` dependency
  (``add_pip_as_python_dependency``; indexes 1, 2 and 4 only);
* ``channels/<name>/<subdir>/repodata.json``: ``packages.conda`` plus the ``packages`` entries
  without a ``.conda`` twin, subdir from the folder, the same pip rule.
"""

from __future__ import annotations

import json
from pathlib import Path

SUBDIR = "linux-64"

#: the givens of ``channels/sudoku`` and ``channels/sudoku-fixed`` (the data README's)
SUDOKU_GIVENS = [
    "sudoku_0_0 ==5", "sudoku_1_0 ==3", "sudoku_4_0 ==7", "sudoku_0_1 ==6", "sudoku_3_1 ==1",
    "sudoku_4_1 ==9", "sudoku_5_1 ==5", "sudoku_1_2 ==9", "sudoku_2_2 ==8", "sudoku_7_2 ==6",
    "sudoku_0_3 ==8", "sudoku_4_3 ==6", "sudoku_8_3 ==3", "sudoku_0_4 ==4", "sudoku_3_4 ==8",
    "sudoku_5_4 ==3", "sudoku_8_4 ==1", "sudoku_0_5 ==7", "sudoku_4_5 ==2", "sudoku_8_5 ==6",
    "sudoku_1_6 ==6", "sudoku_6_6 ==2", "sudoku_7_6 ==8", "sudoku_3_7 ==4", "sudoku_4_7 ==1",
    "sudoku_5_7 ==9", "sudoku_8_7 ==5", "sudoku_4_8 ==8", "sudoku_7_8 ==7", "sudoku_8_8 ==9",
]
#: index file -> (channel name, add pip), as conda.testing.helpers.get_index_r_N
TEST_INDEXES = {
    "index.json": ("channel-1", True),
    "index2.json": ("channel-2", True),
    "index4.json": ("channel-4", True),
    "index5.json": ("channel-5", False),
}


def _add_pip(record: dict) -> None:
    if record["name"] == "python" and record["version"].startswith(("2.", "3.")):
        record["depends"] = list(record.get("depends") or ()) + ["pip"]


def load_test_index(data_dir: Path, filename: str, subdir: str = SUBDIR) -> list[dict]:
    channel, add_pip = TEST_INDEXES[filename]
    with open(Path(data_dir) / "conda-test-indexes" / filename) as handle:
        packages = json.load(handle)
    records = []
    for fn, raw in packages.items():
        noarch = raw.get("subdir") == "noarch" or raw.get("noarch")
        records.append(_record(raw, fn, "noarch" if noarch else subdir, channel, add_pip))
    return records


def load_channel(data_dir: Path, channel: str, subdirs=(SUBDIR, "noarch"), name=None,
                 add_pip: bool = True) -> list[dict]:
    records = []
    for subdir in subdirs:
        path = Path(data_dir) / "channels" / channel / subdir / "repodata.json"
        if not path.exists():
            continue
        with open(path) as handle:
            repodata = json.load(handle)
        conda_packages = repodata.get("packages.conda", {})
        legacy = repodata.get("packages", {})
        shadowed = {fn[: -len(".conda")] + ".tar.bz2" for fn in conda_packages}
        entries = list(conda_packages.items())
        entries += [(fn, raw) for fn, raw in legacy.items() if fn not in shadowed]
        records.extend(_record(raw, fn, subdir, name or channel, add_pip) for fn, raw in entries)
    return records


def _record(raw: dict, fn: str, subdir: str, channel: str, add_pip: bool) -> dict:
    """A repodata entry as conda's test helpers present it to a solver."""
    record = dict(raw, subdir=subdir, channel=channel, fn=fn)
    record.setdefault("depends", [])
    if add_pip:
        _add_pip(record)
    return record


def dist_str(record: dict) -> str:
    """``channel/subdir::name-version-build``, as classic's ``PackageRecord.dist_str``."""
    subdir = record.get("subdir")
    return "{}{}::{}-{}-{}".format(
        record["channel"], "/" + subdir if subdir else "", record["name"],
        record["version"], record["build"],
    )
