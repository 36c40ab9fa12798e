"""State collection and classic's spec rules (``conda_altsolver.state``), on fake prefixes.

The index questions (package pools, conflicts, updates) are answered by a small fake, so
these tests pin down the rules themselves, independently of the engine.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

pytest.importorskip("conda")

from conda.base.constants import DepsModifier, UpdateModifier  # noqa: E402
from conda.base.context import context, reset_context  # noqa: E402
from conda.common.constants import NULL  # noqa: E402
from conda.exceptions import (  # noqa: E402
    CondaError,
    PackagesNotFoundInPrefixError,
    SpecsConfigurationConflictError,
    UnsatisfiableError,
)
from conda.models.match_spec import MatchSpec  # noqa: E402
from fakes import fresh_conda_state, record, write_channel, write_prefix  # noqa: E402,F401

from conda_altsolver import state  # noqa: E402
from conda_altsolver.errors import PackageRecordError  # noqa: E402
from conda_altsolver.solver import AltSolver  # noqa: E402

pytestmark = pytest.mark.conda

INSTALLED = [
    record("zlib 1.2 0"),
    record("python 3.9.1 0 zlib"),
    record("numpy 1.20 py39_0 python 3.9.*"),
    record("openssl 1.1 0"),
]


class FakeQueries:
    """Answers ``state.Queries`` from fixed tables."""

    def __init__(self, conflicts=(), pool=None, update=None, python_conflict=False):
        self.conflicts = {MatchSpec(s).name for s in conflicts}
        self.pool = pool or {}
        self.update = update
        self.python_conflict = python_conflict
        self.python_raised = None

    def package_pool(self, specs):
        return {MatchSpec(s).name: set(self.pool.get(MatchSpec(s).name, ())) for s in specs}

    def conflicting(self, specs, explicit):
        if self.python_conflict and any(MatchSpec(s).name == "python" for s in specs):
            return {s for s in specs if s.name == "python"}
        return {s for s in specs if s.name in self.conflicts}

    def newest_update(self, record):
        return self.update

    def raise_python_conflict(self, spec_set, freeze):
        self.python_raised = spec_set
        raise UnsatisfiableError({})


@pytest.fixture
def env(tmp_path):
    channel = write_channel(tmp_path, "chan", INSTALLED)

    def make(history=(), pins=(), add=(), remove=(), command=NULL, records=INSTALLED, **mods):
        prefix = write_prefix(tmp_path, channel, records, history=history, pins=pins)
        solver = AltSolver(prefix, [channel], specs_to_add=add, specs_to_remove=remove,
                           command=command)
        return state.collect_input(solver, state.normalize_modifiers(**mods))

    return make


def plan_for(inp, queries=None):
    plan = state.seed_plan(inp)
    state.apply_removals(inp, plan)
    state.apply_targets(inp, plan, queries or FakeQueries())
    return plan


def as_text(specs_map):
    return {name: str(spec) for name, spec in specs_map.items()}


# region modifiers and collection


def test_modifiers_default_to_context():
    mods = state.normalize_modifiers()
    assert mods.update_modifier == context.update_modifier
    assert mods.deps_modifier == context.deps_modifier
    assert mods.prune is False and mods.should_retry_solve is False


def test_modifiers_accept_strings_and_prune_unfreezes():
    mods = state.normalize_modifiers("update_all", "NO_DEPS")
    assert mods.update_modifier == UpdateModifier.UPDATE_ALL
    assert mods.deps_modifier == DepsModifier.NO_DEPS
    mods = state.normalize_modifiers(UpdateModifier.FREEZE_INSTALLED, prune=True)
    assert mods.update_modifier == context.update_modifier and mods.prune


def test_collect_reads_prefix_history_and_pins(env, monkeypatch):
    monkeypatch.setenv("CONDA_PINNED_PACKAGES", "zlib=1.2")
    monkeypatch.setenv("CONDA_OVERRIDE_CUDA", "11.0")
    monkeypatch.setenv("CONDA_TRACK_FEATURES", "mkl")
    reset_context()
    inp = env(history=["python=3.9"], pins=["numpy 1.20"])
    assert set(inp.installed) == {"zlib", "python", "numpy", "openssl"}
    assert as_text(inp.history) == {"python": "python=3.9"}
    assert [str(p) for p in inp.pinned] == ["zlib=1.2", "numpy==1.20"]
    assert all(p.optional for p in inp.pinned)
    assert any(rec.name == "__cuda" and rec.version == "11.0" for rec in inp.virtual)
    assert [str(s) for s in inp.track_features] == ["*[track_features=mkl]"]


@pytest.mark.parametrize("field, value, words", [
    ("depends", None, "Value for depends cannot be None"),
    ("track_features", 5, "'int' object is not iterable"),
    ("timestamp", [], "Invalid value [] for timestamp"),
])
def test_an_unreadable_installed_record_is_named(tmp_path, field, value, words):
    """conda's ``PrefixRecord`` refuses the file with a bare ``TypeError`` (a traceback for
    classic); the solve names the ``conda-meta`` file instead."""
    channel = write_channel(tmp_path, "chan", INSTALLED)
    prefix = write_prefix(tmp_path, channel, INSTALLED)
    path = next((prefix / "conda-meta").glob("zlib-*.json"))
    fields = json.loads(path.read_text())
    fields[field] = value
    path.write_text(json.dumps(fields))
    solver = AltSolver(prefix, [channel], specs_to_add=["zlib"])
    with pytest.raises(PackageRecordError) as raised:
        state.collect_input(solver, state.normalize_modifiers())
    assert str(path) in str(raised.value) and words in str(raised.value)


@pytest.mark.parametrize("version", ["1..0", ""])
def test_an_installed_version_conda_rejects_is_named(tmp_path, version):
    """conda reads an installed record's version only when it makes its spec (an empty one
    then fails with an ``IndexError``): the solve names the ``conda-meta`` file first."""
    channel = write_channel(tmp_path, "chan", INSTALLED)
    prefix = write_prefix(tmp_path, channel, INSTALLED)
    path = next((prefix / "conda-meta").glob("zlib-*.json"))
    fields = json.loads(path.read_text())
    fields["version"] = version
    path.unlink()
    path = path.with_name(f"zlib-{version}-{fields['build']}.json")
    path.write_text(json.dumps(fields))
    solver = AltSolver(prefix, [channel], specs_to_add=["zlib"])
    with pytest.raises(PackageRecordError) as raised:
        state.collect_input(solver, state.normalize_modifiers())
    assert str(path) in str(raised.value)
    assert f"'version' is {version!r}, not a valid conda version" in str(raised.value)


def test_ignore_pinned_drops_pins(env):
    inp = env(pins=["numpy 1.20"], ignore_pinned=True)
    assert inp.pinned == ()


# endregion
# region early exits


def test_satisfied_skip_solve(env):
    inp = env(add=["numpy"], update_modifier=UpdateModifier.SPECS_SATISFIED_SKIP_SOLVE)
    assert state.satisfied_without_solve(inp)
    inp = env(add=["numpy >=2"], update_modifier=UpdateModifier.SPECS_SATISFIED_SKIP_SOLVE)
    assert not state.satisfied_without_solve(inp)


def test_force_remove_keeps_dependents(env):
    inp = env(remove=["python"], force_remove=True)
    removed = state.force_removed(inp, state.seed_plan(inp).solution)
    assert {rec.name for rec in removed} == {"zlib", "numpy", "openssl"}


def test_force_remove_on_prune_starts_from_nothing(env):
    # classic's state container starts from no records on prune, even for --force
    inp = env(remove=["python"], force_remove=True, prune=True)
    assert state.force_removed(inp, state.seed_plan(inp).solution) == ()


# endregion
# region seeding and removals


def test_seed_without_history_names_every_installed_record(env):
    plan = state.seed_plan(env())
    assert {"zlib", "python", "numpy", "openssl"} <= set(plan.specs_map)
    assert all(str(plan.specs_map[n]) == n for n in ("zlib", "python", "numpy", "openssl"))


def test_seed_with_history_adds_aggressive_and_virtual(env, monkeypatch):
    monkeypatch.setenv("CONDA_AGGRESSIVE_UPDATE_PACKAGES", "openssl")
    monkeypatch.setenv("CONDA_OVERRIDE_CUDA", "11.0")
    reset_context()
    plan = state.seed_plan(env(history=["numpy"]))
    specs = {k: v for k, v in as_text(plan.specs_map).items() if not k.startswith("__")}
    assert specs == {"numpy": "numpy", "openssl": "openssl"}
    assert plan.specs_map["__cuda"] == MatchSpec("__cuda")


def test_prune_seeds_nothing(env):
    assert state.seed_plan(env(history=["numpy"], prune=True)).specs_map == {}


def test_removal_takes_dependents_with_it(env):
    inp = env(history=["numpy"], remove=["python"])
    plan = state.seed_plan(inp)
    state.apply_removals(inp, plan)
    assert {rec.name for rec in plan.solution} == {"zlib", "openssl"}
    assert "numpy" not in plan.specs_map


def test_removal_of_missing_package_raises(env):
    inp = env(remove=["scipy"])
    with pytest.raises(PackagesNotFoundInPrefixError):
        state.apply_removals(inp, state.seed_plan(inp))


# endregion
# region targeting, per update modifier


def test_update_specs_targets_installed_records(env):
    plan = plan_for(env(history=["numpy"], add=["zlib"], update_modifier="update_specs"))
    numpy = plan.specs_map["numpy"]
    assert str(numpy) == "numpy" and numpy.target.endswith("::numpy-1.20-py39_0")
    assert str(plan.specs_map["zlib"]) == "zlib" and plan.specs_map["zlib"].target is None
    assert str(plan.specs_map["python"]) == "python=3.9"  # minor version kept


def test_update_specs_neuters_conflicting_non_history(env):
    inp = env(add=["zlib >1.2"], update_modifier="update_specs")
    plan = plan_for(inp, FakeQueries(conflicts=["openssl"]))
    # openssl holds the update back and is not in history: loosened to its name
    assert str(plan.specs_map["openssl"]) == "openssl" and not plan.specs_map["openssl"].target
    assert plan.specs_map["numpy"].target


def test_update_specs_keeps_conflicting_history(env):
    inp = env(history=["numpy"], add=["zlib >1.2"], update_modifier="update_specs")
    plan = plan_for(inp, FakeQueries(conflicts=["numpy"]))
    assert plan.specs_map["numpy"].target


def test_freeze_installed_with_history_freezes_exactly(env):
    plan = plan_for(env(history=["numpy"], add=["openssl"], update_modifier="freeze_installed"))
    assert plan.specs_map["zlib"].get_exact_value("version") == "1.2"
    assert plan.specs_map["numpy"].get_exact_value("build") == "py39_0"
    assert plan.specs_map["python"].get_exact_value("version") == "3.9.1"


def test_freeze_installed_lets_conflicts_float(env):
    queries = FakeQueries(conflicts=["zlib"])
    plan = plan_for(env(history=["numpy"], add=["openssl"], update_modifier="freeze_installed"),
                    queries)
    assert str(plan.specs_map["zlib"]) == "zlib" and plan.specs_map["zlib"].optional


def test_freeze_without_history_does_not_freeze_targets(env):
    plan = plan_for(env(add=["openssl"], update_modifier="freeze_installed"))
    assert plan.specs_map["numpy"].target  # targeted, not exact


def test_update_all_with_history_names_only(env):
    plan = plan_for(env(history=["numpy 1.20"], update_modifier="update_all"))
    assert as_text(plan.specs_map) == {"numpy": "numpy", "python": "python=3.9"}


def test_update_all_without_history_names_everything(env):
    plan = plan_for(env(update_modifier="update_all"))
    assert plan.specs_map["zlib"].target is None
    assert set(plan.specs_map) >= {"zlib", "python", "numpy", "openssl"}


def test_requested_python_is_not_held(env):
    plan = plan_for(env(history=["numpy"], add=["python=3.10"]))
    assert str(plan.specs_map["python"]) == "python=3.10"


def test_python_minor_conflict_is_reported(env):
    queries = FakeQueries(python_conflict=True)
    with pytest.raises(UnsatisfiableError):
        plan_for(env(history=["numpy"], add=["numpy 2"]), queries)
    assert queries.python_raised is not None


def test_aggressive_update_replaces_target(env, monkeypatch):
    monkeypatch.setenv("CONDA_AGGRESSIVE_UPDATE_PACKAGES", "openssl")
    reset_context()
    plan = plan_for(env(history=["numpy"]))
    assert str(plan.specs_map["openssl"]) == "openssl" and not plan.specs_map["openssl"].target


def test_conda_never_downgraded_in_its_prefix(env):
    records = [*INSTALLED, record("conda 4.10 0")]
    inp = env(records=records)
    inp = dataclasses.replace(inp, is_conda_prefix=True)
    plan = plan_for(inp)
    assert str(plan.specs_map["conda"]) == "conda[version='>=4.10']"


def test_two_installed_matches_is_a_broken_prefix(env):
    inp = env()
    plan = state.seed_plan(inp)
    plan.specs_map["*"] = MatchSpec("*")
    with pytest.raises(CondaError):
        state.apply_targets(inp, plan, FakeQueries())


# endregion
# region pins and hard locks


def test_pin_on_reached_name_becomes_required(env):
    inp = env(history=["numpy"], add=["numpy"], pins=["python 3.9.*"])
    python_records = {rec for rec in inp.installed.values() if rec.name == "python"}
    plan = plan_for(inp, FakeQueries(pool={"numpy": set(), "python": python_records}))
    assert str(plan.specs_map["python"]) == "python=3.9" and not plan.specs_map["python"].optional


def test_request_overlapping_a_pin_keeps_the_pin(env):
    inp = env(add=["python"], pins=["python 3.9.*"])
    python = set(inp.installed.values())
    plan = plan_for(inp, FakeQueries(pool={"python": python}))
    assert str(plan.specs_map["python"]) == "python=3.9" and "python" in plan.pin_overrides


def test_request_contradicting_a_pin_is_a_configuration_error(env):
    inp = env(add=["python=3.10"], pins=["python 3.9.*"])
    records = {"python": [*(rec for rec in inp.installed.values() if rec.name == "python"),
                          record("python 3.10.0 0 zlib")]}
    with pytest.raises(SpecsConfigurationConflictError) as exc_info:
        state.check_pin_conflicts(inp, lambda name: records.get(name, []))
    assert exc_info.value._kwargs["requested_specs"] == ["python=3.10"]
    assert exc_info.value._kwargs["pinned_specs"] == ["python=3.9"]
    assert exc_info.value.allow_retry is False


def test_request_compatible_with_a_pin_passes(env):
    inp = env(add=["python>=3"], pins=["python 3.9.*"])
    records = [rec for rec in inp.installed.values() if rec.name == "python"]
    state.check_pin_conflicts(inp, lambda name: records)


def test_name_only_pin_hard_locks(env):
    plan = plan_for(env(history=["numpy"], pins=["zlib"], update_modifier="update_all"))
    assert plan.specs_map["zlib"].get_exact_value("version") == "1.2"


def test_request_against_hard_lock_is_a_configuration_error(env):
    inp = env(add=["zlib=1.3"], pins=["zlib"])
    with pytest.raises(SpecsConfigurationConflictError) as exc_info:
        state.check_pin_conflicts(inp, lambda name: [record("zlib 1.3 0")])
    assert exc_info.value._kwargs["requested_specs"] == ["zlib=1.3"]
    assert exc_info.value._kwargs["pinned_specs"] == ["zlib"]
    assert exc_info.value.allow_retry is False


@pytest.mark.parametrize("request_, pin", [("zlib=7.7", "zlib"), ("python=7.7", "python 3.9.*")])
def test_request_no_record_matches_is_left_for_the_not_found_error(env, request_, pin):
    # classic reports such a request as ResolvePackageNotFound, pin or no pin
    inp = env(add=[request_], pins=[pin])
    state.check_pin_conflicts(inp, lambda name: [record(f"{name} 1.3 0")])


def test_request_matching_hard_lock_is_fine(env):
    state.check_pin_conflicts(env(add=["zlib=1.2"], pins=["zlib"]),
                              lambda name: [record("zlib 1.2 0"), record("zlib 1.3 0")])


# endregion


def test_neutered_history_lists_loosened_specs(env):
    inp = env(history=["numpy 1.20"])
    plan = state.seed_plan(inp)
    plan.specs_map["numpy"] = MatchSpec("numpy")
    assert [str(s) for s in state.neutered_history(inp, plan)] == ["numpy"]


def test_prune_starts_from_no_installed_records(env):
    plan = plan_for(env(history=["numpy"], add=["numpy"], prune=True))
    assert plan.solution == ()
    assert "python" not in plan.specs_map  # no python minor rule without a starting python


def test_removing_a_feature_keeps_the_history_spec_without_it(env):
    records = [record("mkl 1.0 0", track_features="mkl"),
               record("numpy 1.20 p0 mkl", features="mkl"), record("zlib 1.2 0")]
    inp = env(history=["numpy[features=mkl]", "zlib"], records=records,
              remove=[MatchSpec(track_features="mkl")])
    plan = state.seed_plan(inp)
    state.apply_removals(inp, plan)
    assert {rec.name for rec in plan.solution} == {"zlib"}
    assert str(plan.specs_map["numpy"]) == "numpy"
    assert "mkl" not in plan.specs_map
