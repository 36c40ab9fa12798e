"""End-to-end solves through ``AltSolver`` on a small local channel and fake prefixes.

Every update and deps modifier, prune, removals, pins and hard locks, relaxation and each
error path; the expectations are classic's behaviour on the same inputs.
"""

from __future__ import annotations

import pytest

pytest.importorskip("conda")

from conda.base.constants import DepsModifier, UpdateModifier  # noqa: E402
from conda.base.context import reset_context  # noqa: E402
from conda.core.prefix_data import PrefixData  # noqa: E402
from conda.exceptions import (  # noqa: E402
    PackagesNotFoundInPrefixError,
    ResolvePackageNotFound,
    SpecsConfigurationConflictError,
    UnsatisfiableError,
)
from conda.core.solve import Solver  # noqa: E402
from conda.models.prefix_graph import PrefixGraph  # noqa: E402
from fakes import fresh_conda_state, record, write_channel, write_prefix  # noqa: E402,F401

from conda_altsolver import solver as solver_module  # noqa: E402
from conda_altsolver.solver import AltSolver  # noqa: E402

pytestmark = pytest.mark.conda

CHANNEL = [
    record("zlib 1.2 0"),
    record("zlib 1.2 1"),
    record("zlib 1.3 0"),
    record("python 3.9.1 0 zlib"),
    record("python 3.9.2 0 zlib >=1.3"),
    record("python 3.10.0 0 zlib 1.2 1"),
    record("numpy 1.20 py39_0 python 3.9.*"),
    record("numpy 1.21 py39_0 python 3.9.*"),
    record("numpy 1.22 py310_0 python 3.10.*"),
    record("scipy 1.0 py39_0 numpy >=1.20,python 3.9.*"),
    record("extra 1.0 0 newdep"),
    record("newdep 1.0 0"),
    record("oldlib 1.0 0"),
    record("broken 1.0 0 doesnotexist"),
    record("cudapkg 1.0 0 __cuda >=11"),
]
INSTALLED = [
    record("zlib 1.2 0"),
    record("python 3.9.1 0 zlib"),
    record("numpy 1.20 py39_0 python 3.9.*"),
]


@pytest.fixture(params=["altsolver", "classic"])
def solve(request, tmp_path):
    """Run a solve; each test runs with classic too, which shows the expectations are classic's."""
    return make_runner(AltSolver if request.param == "altsolver" else Solver, tmp_path)


@pytest.fixture
def solve_alt(tmp_path):
    """Run a solve with AltSolver only: for its deliberate differences from classic."""
    return make_runner(AltSolver, tmp_path)


def make_runner(backend, tmp_path):
    channel = write_channel(tmp_path, "chan", CHANNEL)

    def run(add=(), remove=(), installed=(), history=(), pins=(), **kwargs):
        prefix = write_prefix(tmp_path, channel, list(installed), history=history, pins=pins)
        solver = backend(str(prefix), [channel], specs_to_add=add, specs_to_remove=remove)
        result = solver.solve_final_state(**kwargs)
        run.solver, run.prefix = solver, prefix
        return result

    return run


def dists(records):
    return [f"{rec.name}-{rec.version}-{rec.build}" for rec in records]


def test_create_picks_the_newest_consistent_set(solve):
    result = solve(add=["numpy"])
    assert dists(result) == ["zlib-1.2-1", "python-3.10.0-0", "numpy-1.22-py310_0"]


def test_result_is_in_prefix_graph_order_without_virtual_packages(solve, monkeypatch):
    monkeypatch.setenv("CONDA_OVERRIDE_CUDA", "12.0")
    reset_context()
    result = solve(add=["cudapkg", "numpy"])
    assert not any(rec.name.startswith("__") for rec in result)
    assert list(result) == list(PrefixGraph(result).graph)


def test_freeze_installed_keeps_installed_records_themselves(solve):
    result = solve(add=["scipy"], installed=INSTALLED, history=["numpy"],
                   update_modifier=UpdateModifier.FREEZE_INSTALLED)
    assert dists(result) == [
        "zlib-1.2-0", "python-3.9.1-0", "numpy-1.20-py39_0", "scipy-1.0-py39_0"
    ]
    if isinstance(solve.solver, AltSolver):  # classic returns index copies
        installed = PrefixData(solve.prefix)
        assert all(rec is installed.get(rec.name) for rec in result if rec.name != "scipy")


def test_update_specs_updates_the_request_keeps_python_minor(solve):
    # python and zlib are not in history: classic lets them move (within python 3.9)
    result = solve(add=["numpy"], installed=INSTALLED, history=["numpy"],
                   update_modifier=UpdateModifier.UPDATE_SPECS)
    assert dists(result) == ["zlib-1.3-0", "python-3.9.2-0", "numpy-1.21-py39_0"]


def test_update_specs_keeps_targeted_history(solve):
    result = solve(add=["numpy"], installed=INSTALLED, history=["numpy", "python", "zlib"],
                   update_modifier=UpdateModifier.UPDATE_SPECS)
    assert dists(result) == ["zlib-1.2-0", "python-3.9.1-0", "numpy-1.21-py39_0"]


def test_update_all_moves_everything_within_python_minor(solve):
    result = solve(installed=INSTALLED, history=["numpy"],
                   update_modifier=UpdateModifier.UPDATE_ALL)
    assert dists(result) == ["zlib-1.3-0", "python-3.9.2-0", "numpy-1.21-py39_0"]


def test_update_deps_updates_the_dependencies_too(solve):
    result = solve(add=["scipy"], installed=INSTALLED, history=["numpy"],
                   update_modifier=UpdateModifier.UPDATE_DEPS)
    assert "numpy-1.21-py39_0" in dists(result)
    assert any(d.startswith("python-3.9.") for d in dists(result))


def test_specs_satisfied_skip_solve_loads_no_index(solve, monkeypatch):
    def no_index(*args, **kwargs):
        raise AssertionError("the index must not be loaded")

    monkeypatch.setattr(solver_module, "SolverIndex", no_index)
    result = solve(add=["numpy"], installed=INSTALLED, history=["numpy"],
                   update_modifier=UpdateModifier.SPECS_SATISFIED_SKIP_SOLVE)
    assert dists(result) == ["zlib-1.2-0", "python-3.9.1-0", "numpy-1.20-py39_0"]


def test_no_deps_adds_only_the_request(solve):
    result = solve(add=["extra"], installed=INSTALLED, history=["numpy"],
                   deps_modifier=DepsModifier.NO_DEPS)
    assert "extra-1.0-0" in dists(result) and "newdep-1.0-0" not in dists(result)


def test_only_deps_adds_the_dependencies_only(solve):
    result = solve(add=["extra"], installed=INSTALLED, history=["numpy"],
                   deps_modifier=DepsModifier.ONLY_DEPS)
    assert "newdep-1.0-0" in dists(result) and "extra-1.0-0" not in dists(result)


def test_prune_drops_orphans(solve):
    installed = [*INSTALLED, record("oldlib 1.0 0")]
    kept = solve(add=["numpy"], installed=installed, history=["numpy", "oldlib"])
    assert "oldlib-1.0-0" in dists(kept)
    pruned = solve(add=["numpy"], installed=installed, history=["numpy"], prune=True)
    assert "oldlib-1.0-0" not in dists(pruned)


def test_remove_takes_dependents(solve):
    result = solve(remove=["python"], installed=INSTALLED, history=["numpy", "zlib"])
    assert dists(result) == ["zlib-1.2-0"]
    # nothing asks for zlib any more: classic drops it too
    assert solve(remove=["python"], installed=INSTALLED, history=["numpy"]) == ()


def test_remove_of_missing_package(solve):
    with pytest.raises(PackagesNotFoundInPrefixError):
        solve(remove=["scipy"], installed=INSTALLED, history=["numpy"])


def test_force_remove_leaves_dependents(solve):
    result = solve(remove=["python"], installed=INSTALLED, history=["numpy"], force_remove=True)
    assert sorted(dists(result)) == ["numpy-1.20-py39_0", "zlib-1.2-0"]


def test_pin_holds_a_reached_dependency(solve):
    result = solve(add=["scipy"], installed=INSTALLED, history=["numpy"], pins=["numpy 1.20"],
                   update_modifier=UpdateModifier.UPDATE_SPECS)
    assert "numpy-1.20-py39_0" in dists(result)


def test_request_whose_dependency_contradicts_a_pin(solve):
    with pytest.raises(SpecsConfigurationConflictError) as exc_info:
        solve(add=["scipy"], pins=["python 3.10.*"])
    assert exc_info.value._kwargs["requested_specs"] == ["scipy"]
    assert exc_info.value._kwargs["pinned_specs"] == ["python=3.10"]


def test_request_contradicting_a_pin(solve_alt):
    # conda-libmamba-solver's semantics; classic overrides the pin with a warning
    with pytest.raises(SpecsConfigurationConflictError) as exc_info:
        solve_alt(add=["numpy=1.21"], installed=INSTALLED, history=["numpy"],
                  pins=["numpy 1.20"])
    assert exc_info.value._kwargs["requested_specs"] == ["numpy=1.21"]


def test_pin_against_installed_python_minor(solve):
    with pytest.raises(UnsatisfiableError):
        solve(add=["scipy"], installed=INSTALLED, history=["numpy"], pins=["python 3.10.*"])


def test_name_only_pin_hard_locks(solve_alt):
    # conda-libmamba-solver's semantics; classic ignores name-only pins
    result = solve_alt(installed=INSTALLED, history=["numpy"], pins=["zlib"],
                   update_modifier=UpdateModifier.UPDATE_ALL)
    assert "zlib-1.2-0" in dists(result) and "python-3.9.1-0" in dists(result)


@pytest.mark.parametrize("remove", ["numpy", "python"])
def test_removal_beats_a_hard_lock(solve, remove):
    # the lock keeps numpy from changing as a side effect; removing it, or python under
    # it, is explicit: both solvers remove (classic ignores name-only pins)
    result = solve(remove=[remove], installed=INSTALLED, history=["numpy"], pins=["numpy"])
    assert "numpy-1.20-py39_0" not in dists(result)
    assert any(d.startswith("python-") for d in dists(result)) == (remove == "numpy")


def test_request_against_a_hard_lock(solve_alt):
    with pytest.raises(SpecsConfigurationConflictError):
        solve_alt(add=["zlib=1.3"], installed=INSTALLED, history=["numpy"], pins=["zlib"])


def test_relaxation_loosens_a_conflicting_history_spec(solve):
    result = solve(add=["python=3.10"], installed=INSTALLED, history=["numpy", "zlib=1.2=0"])
    assert "zlib-1.2-1" in dists(result) and "python-3.10.0-0" in dists(result)
    assert [str(spec) for spec in solve.solver.neutered_specs] == ["zlib==1.2"]


@pytest.mark.parametrize("spec, pins", [("nosuchpackage", []), ("zlib=9.9", []),
                                        ("zlib=9.9", ["zlib"]), ("zlib=9.9", ["zlib 1.2"])])
def test_missing_request(solve, spec, pins):
    # classic's _add_specs asks for the request's package pool first: a request no channel
    # offers is ResolvePackageNotFound there (conda's CLI shows it as PackagesNotFoundError),
    # before any pin is looked at
    with pytest.raises(ResolvePackageNotFound) as exc_info:
        solve(add=[spec], installed=INSTALLED if pins else (), history=["numpy"] if pins else (),
              pins=pins)
    assert spec.split("=")[0] in str(exc_info.value)


def test_missing_dependency(solve):
    with pytest.raises((ResolvePackageNotFound, UnsatisfiableError)):
        solve(add=["broken"])


def test_conflicting_requests(solve):
    with pytest.raises(UnsatisfiableError):
        solve(add=["numpy=1.22", "scipy"])


def test_virtual_package_too_old(solve, monkeypatch):
    monkeypatch.setenv("CONDA_OVERRIDE_CUDA", "10.0")
    reset_context()
    with pytest.raises((UnsatisfiableError, ResolvePackageNotFound)) as exc_info:
        solve(add=["cudapkg"])
    assert "__cuda" in str(exc_info.value)


def test_progress_is_printed_and_quiet_under_json(solve, monkeypatch, capsys):
    solve(add=["zlib"])
    assert "Solving environment" in capsys.readouterr().out
    monkeypatch.setenv("CONDA_JSON", "true")
    reset_context()
    solve(add=["zlib"])
    assert "Solving environment" not in capsys.readouterr().out


def test_frozen_attempt_before_a_retry_has_no_hints(solve_alt):
    with pytest.raises(UnsatisfiableError) as exc_info:
        solve_alt(add=["numpy=1.22", "scipy"], installed=INSTALLED, history=["numpy"],
                  update_modifier=UpdateModifier.FREEZE_INSTALLED, should_retry_solve=True)
    assert getattr(exc_info.value, "allow_retry", True) is True
    assert "Did not find conflicting dependencies" in str(exc_info.value)


def test_final_unsatisfiable_stops_conda_retrying(solve_alt):
    with pytest.raises(UnsatisfiableError) as exc_info:
        solve_alt(add=["numpy=1.22", "scipy"], should_retry_solve=True)
    assert exc_info.value.allow_retry is False


def test_the_same_instance_solves_again_unfrozen(solve_alt):
    frozen = solve_alt(add=["numpy"], installed=INSTALLED, history=["numpy"],
                       update_modifier=UpdateModifier.FREEZE_INSTALLED)
    assert dists(frozen) == ["zlib-1.2-0", "python-3.9.1-0", "numpy-1.21-py39_0"]
    again = solve_alt.solver.solve_final_state(update_modifier=UpdateModifier.UPDATE_ALL)
    assert dists(again) == ["zlib-1.3-0", "python-3.9.2-0", "numpy-1.21-py39_0"]


def test_channels_set_after_construction_are_honoured(tmp_path):
    empty = write_channel(tmp_path, "empty", [])
    full = write_channel(tmp_path, "full", CHANNEL)
    prefix = write_prefix(tmp_path, full, [])
    solver = AltSolver(str(prefix), [empty], specs_to_add=["zlib"])
    solver.channels = (full,)
    assert dists(solver.solve_final_state()) == ["zlib-1.3-0"]


def test_prebuilt_index_is_honoured(tmp_path):
    from conda.core.subdir_data import SubdirData
    from conda.models.channel import Channel

    full = write_channel(tmp_path, "full", CHANNEL)
    empty = write_channel(tmp_path, "empty", [])
    prefix = write_prefix(tmp_path, full, [])
    url = Channel(str(tmp_path / "full")).urls(True, [fakes_subdir()])[0]
    index = {rec: rec for rec in SubdirData(Channel(url)).iter_records() if rec.name == "zlib"}
    solver = AltSolver(str(prefix), [empty], specs_to_add=["zlib"])
    solver._index = index  # as conda-build does
    assert dists(solver.solve_final_state()) == ["zlib-1.3-0"]


def test_channel_in_spec_adds_the_channel(tmp_path):
    other = write_channel(tmp_path, "other", [record("zlib 9.0 0")])
    main = write_channel(tmp_path, "main", CHANNEL)
    prefix = write_prefix(tmp_path, main, [])
    solver = AltSolver(str(prefix), [main], specs_to_add=[f"{other.base_url}::zlib"])
    assert dists(solver.solve_final_state()) == ["zlib-9.0-0"]


def test_no_channels_is_an_error(tmp_path):
    from conda.exceptions import NoChannelsConfiguredError

    solver = AltSolver(str(tmp_path), ["x"], specs_to_add=["zlib"])
    solver.channels = ()
    with pytest.raises(NoChannelsConfiguredError):
        solver.solve_final_state()


def test_transaction_records_neutered_history(solve_alt):
    solve_alt(add=["python=3.10"], installed=INSTALLED, history=["numpy", "zlib=1.2=0"])
    transaction = solve_alt.solver.solve_for_transaction()
    setup = transaction.prefix_setups[str(solve_alt.prefix)]
    assert [str(spec) for spec in setup.neutered_specs] == ["zlib==1.2"]


def fakes_subdir():
    from fakes import SUBDIR

    return SUBDIR


def test_requests_tell_the_engine_who_asked(solve_alt, monkeypatch, tmp_path):
    from conda_altsolver import engine

    seen = {}
    real_solve = engine.solve

    def spy(repos, specs, **kwargs):
        seen.update({request.spec: request.role for request in specs})
        return real_solve(repos, specs, **kwargs)

    monkeypatch.setattr(engine, "solve", spy)
    solve_alt(add=["scipy"], installed=INSTALLED, history=["numpy"], pins=["zlib 1.2.*"],
              update_modifier=UpdateModifier.UPDATE_SPECS)
    assert seen["scipy"] == "requested"
    assert seen["numpy"] == "history"
    assert seen["zlib=1.2"] == "pinned"
    assert seen["__unix"] == "virtual" or not any(s.startswith("__unix") for s in seen)


@pytest.mark.parametrize("json_output", [False, True])
def test_equally_good_solutions_are_warned_about_as_classic_does(
        tmp_path, capsys, monkeypatch, json_output):
    """Two builds that no objective tells apart: classic prints its "possible package
    resolutions" warning on stdout (not in JSON mode), and so does altsolver."""
    if json_output:
        monkeypatch.setenv("CONDA_JSON", "true")
        reset_context()
    tied = [record("a 1.0 h1"), record("a 1.0 h2"), record("b 1.0 0 a")]
    channel = write_channel(tmp_path, "tied", tied)
    printed = {}
    for backend in (Solver, AltSolver):
        prefix = write_prefix(tmp_path / backend.__name__, channel, [])
        capsys.readouterr()
        backend(str(prefix), [channel], specs_to_add=["b"]).solve_final_state()
        printed[backend] = capsys.readouterr().out
    warnings = {backend: [line for line in out.splitlines() if "possible package" in line]
                for backend, out in printed.items()}
    assert warnings[AltSolver] == warnings[Solver]
    assert warnings[AltSolver] == ([] if json_output else [
        "Warning: 2 possible package resolutions (only showing differing packages):"])
    listed = {backend: sorted(line.strip() for line in out.splitlines()
                              if line.strip().startswith("- ") and "::a-1.0-h" in line)
              for backend, out in printed.items()}
    assert listed[AltSolver] == listed[Solver]
