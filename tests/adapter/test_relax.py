"""Progressive relaxation (``conda_altsolver.relax``) against scripted conflict answers."""

from __future__ import annotations

import pytest

pytest.importorskip("conda")

from conda.exceptions import SpecsConfigurationConflictError  # noqa: E402
from conda.models.match_spec import MatchSpec  # noqa: E402

from conda_altsolver.relax import MAX_STEPS, loosened, may_loosen, relax  # noqa: E402

pytestmark = pytest.mark.conda

TARGET = "chan/linux-64::{}-1.0-0"


def targeted(text):
    spec = MatchSpec(text)
    return MatchSpec(spec, target=TARGET.format(spec.name))


def conflicts_while(predicate):
    """A ``conflicting`` answer: the specs ``predicate`` accepts, until none are left."""
    calls = []

    def conflicting(specs, explicit):
        calls.append(tuple(specs))
        return {spec for spec in specs if predicate(spec)}

    conflicting.calls = calls
    return conflicting


def test_loosened_keeps_version_drops_target():
    assert str(loosened(targeted("numpy 1.2.*"))) == "numpy=1.2"
    assert loosened(targeted("numpy 1.2.*")).target is None
    assert str(loosened(targeted("numpy"))) == "numpy"


def test_only_targeted_required_specs_may_loosen():
    assert may_loosen(targeted("numpy"))
    assert not may_loosen(MatchSpec("numpy"))
    assert not may_loosen(MatchSpec(targeted("numpy"), optional=True))


def test_no_conflict_means_no_change():
    specs_map = {"numpy": targeted("numpy"), "python": MatchSpec("python")}
    result = relax(specs_map, (), (), (), conflicts_while(lambda s: False), "/p")
    assert list(result.specs) == list(specs_map.values()) and not result.remaining


def test_targeted_conflicts_are_loosened_and_retried():
    specs_map = {"numpy": targeted("numpy 1.2.*"), "scipy": MatchSpec("scipy")}
    conflicting = conflicts_while(lambda s: bool(s.target))
    result = relax(specs_map, [MatchSpec("mkl@")], [MatchSpec("scipy")], (), conflicting, "/p")
    assert str(specs_map["numpy"]) == "numpy=1.2" and specs_map["numpy"].target is None
    assert not result.remaining and len(conflicting.calls) == 2
    assert MatchSpec("mkl@") in result.specs
    assert [(str(a), str(b)) for a, b in result.loosened] == [("numpy=1.2", "numpy=1.2")]


def test_explicit_specs_are_never_loosened():
    specs_map = {"numpy": MatchSpec("numpy 1.2.*")}
    result = relax(specs_map, (), [MatchSpec("numpy 1.2.*")], (),
                   conflicts_while(lambda s: True), "/p")
    assert result.remaining == {MatchSpec("numpy 1.2.*")}
    assert str(specs_map["numpy"]) == "numpy=1.2"


def test_pinned_conflict_is_a_configuration_error():
    pin = MatchSpec("python=2.6", optional=True)
    specs_map = {"python": MatchSpec(pin, optional=False), "sk": MatchSpec("scikit-learn==0.13")}
    with pytest.raises(SpecsConfigurationConflictError) as exc_info:
        relax(specs_map, (), [specs_map["sk"]], [pin], conflicts_while(lambda s: True), "/p")
    assert exc_info.value._kwargs["requested_specs"] == ["scikit-learn==0.13"]
    assert exc_info.value._kwargs["pinned_specs"] == ["python=2.6"]


def test_steps_are_bounded():
    counter = iter(range(10_000))

    def always_new(specs, explicit):
        # a fresh targeted conflict every time: relaxation must give up, not loop forever
        return {targeted(f"pkg{next(counter)}")}

    result = relax({}, (), (), (), always_new, "/p", max_steps=5)
    assert result.remaining and len(result.loosened) == 5
    assert MAX_STEPS >= 5
