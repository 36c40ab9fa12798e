"""An inconsistent environment, solved as classic solves it.

conda's ``tests/core/test_solve.py::test_broken_install`` checks classic's answers on a prefix
whose numpy does not fit the rest, but it also reads classic's ``Resolve`` (``solver._r``),
which this plugin does not build; here are its solves alone, with its expected answers, run
by conda's own test helpers in a fresh process (they patch conda's global caches).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = [pytest.mark.conda, pytest.mark.data]

SCRIPT = textwrap.dedent('''
    import json, sys
    from conda.base.context import context
    from conda.models.match_spec import MatchSpec
    from conda.testing.helpers import get_solver

    class TmpDir:
        def __init__(self, path):
            self.strpath = path

    tmpdir = TmpDir(sys.argv[1])
    out = {}
    with context._override("solver", "altsolver"), context._override("json", True):
        specs = MatchSpec("pandas=0.11.0=np16py27_1"), MatchSpec("python=2.7")
        with get_solver(tmpdir, specs) as solver:
            first = solver.solve_final_state()
        out["first"] = [rec.dist_str().split("::")[1] for rec in first]
        modified = list(first)
        numpy = MatchSpec("channel-1::numpy==1.7.1=py33_p0")
        modified[7] = next(rec for rec in solver._alt_index.records("numpy") if numpy.match(rec))
        for key, add in (("flask", ["flask"]), ("flask numpy", ["flask", "numpy 1.6.*"])):
            with get_solver(tmpdir, [MatchSpec(s) for s in add], prefix_records=modified,
                            history_specs=specs) as solver:
                out[key] = [rec.dist_str().split("::")[1] for rec in solver.solve_final_state()]
    print(json.dumps(out))
''')


def test_inconsistent_numpy_is_kept_then_replaced(tmp_path, data_dir):
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True,
        timeout=600,
        env={**os.environ, "CONDA_TEST_DATA_DIR": str(data_dir / "conda-test-indexes")},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    answers = json.loads(done.stdout.strip().splitlines()[-1])
    assert answers["first"][-1] == "pandas-0.11.0-np16py27_1"
    # the incompatible numpy stays (classic warns that the environment is inconsistent)
    assert answers["flask"] == [
        "numpy-1.7.1-py33_p0", "openssl-1.0.1c-0", "readline-6.2-0", "sqlite-3.7.13-0",
        "system-5.8-1", "tk-8.5.13-0", "zlib-1.2.7-0", "python-2.7.5-0", "jinja2-2.6-py27_0",
        "pytz-2013b-py27_0", "scipy-0.12.0-np16py27_0", "six-1.3.0-py27_0",
        "werkzeug-0.8.3-py27_0", "dateutil-2.1-py27_1", "flask-0.9-py27_0",
        "pandas-0.11.0-np16py27_1",
    ]
    assert "The environment is inconsistent" in done.stderr
    # asking for numpy again puts a consistent one back
    assert answers["flask numpy"] == [
        "openssl-1.0.1c-0", "readline-6.2-0", "sqlite-3.7.13-0", "system-5.8-1",
        "tk-8.5.13-0", "zlib-1.2.7-0", "python-2.7.5-0", "jinja2-2.6-py27_0",
        "numpy-1.6.2-py27_4", "pytz-2013b-py27_0", "six-1.3.0-py27_0",
        "werkzeug-0.8.3-py27_0", "dateutil-2.1-py27_1", "flask-0.9-py27_0",
        "scipy-0.12.0-np16py27_0", "pandas-0.11.0-np16py27_1",
    ]
