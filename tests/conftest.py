"""Shared test plumbing: where ../shared/data is, and skipping what needs conda or the data.

A test marked ``conda`` is skipped with one line of reason when conda cannot be imported; a
test marked ``data`` when ``../shared/data`` is absent. At the end of the run a line says how
many conda tests ran and how many were skipped, so a CI log tells what was covered.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("ALTSOLVER_TEST_DATA", ROOT.parent / "shared" / "data"))
HAS_CONDA = importlib.util.find_spec("conda") is not None
HAS_DATA = DATA.is_dir()

CONDA_REASON = "conda is not importable in this Python (these tests drive conda or compare with it)"
DATA_REASON = f"test data not found at {DATA} (the project's ../shared/data)"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not HAS_DATA:
        pytest.skip(DATA_REASON)
    return DATA


def pytest_collection_modifyitems(config, items):
    skip_conda = pytest.mark.skip(reason=CONDA_REASON)
    skip_data = pytest.mark.skip(reason=DATA_REASON)
    for item in items:
        if "conda" in item.keywords and not HAS_CONDA:
            item.add_marker(skip_conda)
        if "data" in item.keywords and not HAS_DATA:
            item.add_marker(skip_data)


_conda_outcomes: dict[str, int] = {"passed": 0, "failed": 0, "skipped": 0}


def pytest_runtest_logreport(report):
    if "conda" not in report.keywords:
        return
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        key = report.outcome if report.outcome in _conda_outcomes else "failed"
        _conda_outcomes[key] += 1


def pytest_terminal_summary(terminalreporter):
    ran = _conda_outcomes["passed"] + _conda_outcomes["failed"]
    terminalreporter.write_line(
        f"conda tests: {ran} ran ({_conda_outcomes['passed']} passed, "
        f"{_conda_outcomes['failed']} failed), {_conda_outcomes['skipped']} skipped"
        + ("" if HAS_CONDA else f" [{CONDA_REASON}]")
    )
