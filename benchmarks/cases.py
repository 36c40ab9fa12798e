"""The benchmark cases: which channels, which subdir, which specs.

Real data comes from ``../shared/data`` beside the project (or ``$ALTSOLVER_TEST_DATA``);
conda's test indexes (``{filename: record}`` files) are written out as channel directories
under a work directory first, split into the subdir and ``noarch`` the way conda's own test
helpers split them (``conda.testing.helpers._get_index_r_base``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("ALTSOLVER_TEST_DATA", ROOT.parent / "shared" / "data"))

SUDOKU_GIVENS = (
    "sudoku_0_0 ==5, sudoku_1_0 ==3, sudoku_4_0 ==7, sudoku_0_1 ==6, sudoku_3_1 ==1, "
    "sudoku_4_1 ==9, sudoku_5_1 ==5, sudoku_1_2 ==9, sudoku_2_2 ==8, sudoku_7_2 ==6, "
    "sudoku_0_3 ==8, sudoku_4_3 ==6, sudoku_8_3 ==3, sudoku_0_4 ==4, sudoku_3_4 ==8, "
    "sudoku_5_4 ==3, sudoku_8_4 ==1, sudoku_0_5 ==7, sudoku_4_5 ==2, sudoku_8_5 ==6, "
    "sudoku_1_6 ==6, sudoku_6_6 ==2, sudoku_7_6 ==8, sudoku_3_7 ==4, sudoku_4_7 ==1, "
    "sudoku_5_7 ==9, sudoku_8_7 ==5, sudoku_4_8 ==8, sudoku_7_8 ==7, sudoku_8_8 ==9"
).split(", ")

# Virtual packages every solver gets for a linux-64 case (name, version, build).
LINUX_VIRTUAL = (("__glibc", "2.28", "0"), ("__unix", "0", "0"), ("__linux", "5.15", "0"),
                 ("__archspec", "1", "x86_64"))
WIN_VIRTUAL = (("__win", "0", "0"), ("__archspec", "1", "x86_64"))


@dataclass
class Case:
    """One solve: channels as (canonical name, channel directory), best first."""

    name: str
    channels: list[tuple[str, str]]
    subdir: str
    specs: list[str]
    add_pip: bool = False
    note: str = ""
    virtual: tuple = field(default=())

    def repodata_files(self) -> list[tuple[str, str, str]]:
        """(channel name, subdir, path) for every existing subdir file, subdir before noarch."""
        out = []
        for channel, directory in self.channels:
            for subdir in dict.fromkeys((self.subdir, "noarch")):
                path = os.path.join(directory, subdir, "repodata.json")
                if os.path.exists(path):
                    out.append((channel, subdir, path))
        return out

    def to_json(self) -> str:
        return json.dumps(self.__dict__)

    @classmethod
    def from_json(cls, text: str) -> Case:
        data = json.loads(text)
        data["virtual"] = tuple(tuple(v) for v in data["virtual"])
        return cls(**data)


# (index file, channel name, subdir, add_pip, specs): channel names and add_pip as conda's
# test helpers use them.
TEST_INDEXES = (
    ("index.json", "channel-1", "linux-64", True, ["anaconda 1.5.0", "python 2.7*"]),
    ("index2.json", "channel-2", "linux-64", True, ["pandas", "python 2.7*", "numpy 1.6*"]),
    ("index4.json", "channel-4", "linux-64", True, ["numpy", "scipy", "pandas", "python 3.6*"]),
    ("index5.json", "channel-5", "win-64", False, ["python 3.6*", "pip"]),
)


def all_cases(work_dir: str) -> tuple[list[Case], list[str]]:
    """Every case whose data exists, and a line per case skipped for want of data."""
    cases: list[Case] = []
    skipped: list[str] = []
    indexes = DATA / "conda-test-indexes"
    for filename, channel, subdir, add_pip, specs in TEST_INDEXES:
        if not (indexes / filename).exists():
            skipped.append(f"{filename}: not found in {indexes}")
            continue
        directory = convert_test_index(indexes / filename, Path(work_dir) / channel, subdir)
        virtual = WIN_VIRTUAL if subdir.startswith("win") else LINUX_VIRTUAL
        cases.append(Case(filename.removesuffix(".json"), [(channel, directory)], subdir, specs,
                          add_pip, virtual=virtual))
    channels = DATA / "channels"
    real = (
        ("conda-forge-subset", ["python", "setuptools"], "linux-64", ""),
        ("pytorch", ["pytorch"], "linux-64", "unsatisfiable: the snapshot lacks blas=*=mkl"),
        ("r", ["r-base"], "linux-64", "unsatisfiable: the snapshot lacks blas, bwidget"),
        ("sudoku", SUDOKU_GIVENS, "noarch", "unsatisfiable on purpose"),
        ("sudoku-fixed", SUDOKU_GIVENS, "noarch", "one answer, 81 packages"),
    )
    for channel, specs, subdir, note in real:
        directory = channels / channel
        if not (directory / subdir / "repodata.json").exists():
            skipped.append(f"{channel}: not found in {channels}")
            continue
        virtual = LINUX_VIRTUAL if subdir == "linux-64" else ()
        cases.append(Case(channel, [(channel, str(directory))], subdir, list(specs),
                          note=note, virtual=virtual))
    return cases, skipped


def convert_test_index(index_path: Path, channel_dir: Path, subdir: str) -> str:
    """Write a ``{filename: record}`` index as ``channel_dir/{subdir,noarch}/repodata.json``."""
    records = json.loads(index_path.read_text())
    split: dict[str, dict] = {subdir: {}, "noarch": {}}
    for filename, record in records.items():
        noarch = record.get("subdir") == "noarch" or record.get("noarch")
        split["noarch" if noarch else subdir][filename] = record
    for name, packages in split.items():
        target = channel_dir / name / "repodata.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        data = {"info": {"subdir": name}, "packages": packages, "repodata_version": 1}
        text = json.dumps(data)
        if not target.exists() or target.read_text() != text:  # same text: keep the mtime,
            target.write_text(text)                             # and the caches keyed by it
    return str(channel_dir)
