"""One small hand-made channel per rule of classic's solve, checked against classic's answer.

Each test states the rule it pins down; the expected answers are what conda classic's
``Resolve.solve`` gives on the same records (``test_solve_rules_live`` re-asks classic where
conda is importable).
"""

from __future__ import annotations

import pytest

from conda_altsolver.engine import (
    PackagesNotFound,
    Policy,
    Repo,
    SpecRequest,
    Unsatisfiable,
    conflicting_specs,
    solve,
)


def rec(text, depends=(), channel="test", subdir="linux-64", **fields):
    """``rec("name version build_number")`` -> a record dict (build ``<bn>`` unless given)."""
    name, version, *rest = text.split()
    build_number = int(rest[0]) if rest else 0
    record = {
        "name": name, "version": version, "build": fields.pop("build", f"h_{build_number}"),
        "build_number": build_number, "depends": list(depends), "channel": channel,
        "subdir": subdir,
    }
    record.update(fields)
    return record


def virtual(name, version):
    return {"name": name, "version": version, "build": "0", "build_number": 0, "channel": "@",
            "subdir": "linux-64", "depends": [], "package_type": "virtual_system"}


def answer(records, specs, policy=None, **kwargs):
    result = solve([Repo.from_records(records)], specs, policy=policy, **kwargs)
    return sorted(f"{r['name']}-{r['version']}-{r['build']}" for r in result)


CASES = {}


def case(name, records, specs, expected, policy=None):
    CASES[name] = (records, specs, expected, policy)


# -- channel priority ---------------------------------------------------------------------------
_PRIORITY = [rec("a 1.0", channel="c1"), rec("a 2.0", channel="c2", build="c2_0")]
case("flexible-prefers-top-channel", _PRIORITY, ["a"], ["a-1.0-h_0"],
     Policy(channel_order=("c1", "c2")))
case("disabled-prefers-version", _PRIORITY, ["a"], ["a-2.0-c2_0"],
     Policy(channel_order=("c1", "c2"), channel_priority="disabled"))
case("strict-keeps-top-channel", _PRIORITY, ["a"], ["a-1.0-h_0"],
     Policy(channel_order=("c1", "c2"), channel_priority="strict"))
case("flexible-falls-back", _PRIORITY, ["a >=2"], ["a-2.0-c2_0"],
     Policy(channel_order=("c1", "c2")))
case("strict-does-not-fall-back", _PRIORITY, ["a >=2"], "Unsatisfiable",
     Policy(channel_order=("c1", "c2"), channel_priority="strict"))
# a channel missing from channel_order ranks 1: it ties the second channel
case("unlisted-channel-ranks-one",
     [rec("a 1.0", channel="c0"), rec("a 2.0", channel="c1", build="c1"),
      rec("a 3.0", channel="other", build="other")],
     ["a"], ["a-1.0-h_0"], Policy(channel_order=("c0", "c1")))
case("unlisted-ties-second",
     [rec("a 2.0", channel="c1", build="c1"), rec("a 3.0", channel="other", build="other")],
     ["a"], ["a-3.0-other"], Policy(channel_order=("c0", "c1")))

# -- noarch vs arch, build numbers, timestamps -----------------------------------------------
case("arch-over-noarch-when-equal",
     [rec("p 1.0", subdir="noarch", build="noarch_0"), rec("p 1.0")], ["p"], ["p-1.0-h_0"])
case("noarch-when-version-greater",
     [rec("p 2.0", subdir="noarch", build="noarch_0"), rec("p 1.0")], ["p"], ["p-2.0-noarch_0"])
case("noarch-field-is-not-subdir",  # noarch means subdir == "noarch", not the noarch field
     [rec("p 1.0", build="x_0", noarch="python", timestamp=2), rec("p 1.0", subdir="noarch",
                                                                    timestamp=3)],
     ["p"], ["p-1.0-x_0"])
case("higher-build-number", [rec("p 1.0 0"), rec("p 1.0 3"), rec("p 1.0 1")], ["p"], ["p-1.0-h_3"])
case("version-over-build-number", [rec("p 1.0 9"), rec("p 1.1 0")], ["p"], ["p-1.1-h_0"])
case("newer-timestamp", [rec("p 1.0", build="old", timestamp=1500000000),
                         rec("p 1.0", build="new", timestamp=1600000000)], ["p"], ["p-1.0-new"])
case("milliseconds-become-seconds",
     [rec("p 1.0", build="ms", timestamp=1_600_000_000_000),
      rec("p 1.0", build="s", timestamp=1_700_000_000)], ["p"], ["p-1.0-s"])
# timestamps only break ties: a dependency's version comes first
case("timestamp-after-dependency-versions",
     [rec("m 1.0", ["l 1.2.*"], build="old_dep", timestamp=2),
      rec("m 1.0", ["l 1.5.*"], build="new_dep", timestamp=1),
      rec("l 1.2"), rec("l 1.5")], ["m"], ["l-1.5-h_0", "m-1.0-new_dep"])

# -- features / track_features ---------------------------------------------------------------
_MKL = [
    rec("numpy 1.0", ["mkl"], build="mkl_0", features="mkl"),
    rec("numpy 1.0", build="plain_0"),
    rec("mkl 1.0", track_features="mkl"),
]
case("no-feature-by-default", _MKL, ["numpy"], ["numpy-1.0-plain_0"])
case("feature-request-follows", _MKL, ["numpy", "mkl@"], ["mkl-1.0-h_0", "numpy-1.0-mkl_0"])
case("tracked-feature-costs-more-than-build-number",
     [rec("p 1.0 5", track_features="debug", build="debug_5"), rec("p 1.0 0")], ["p"],
     ["p-1.0-h_0"])
# second order: the cuda build itself tracks nothing, but its variant dependency does; the
# track_features count (objective 3) precedes the build number (objective 5)
_CPUONLY = [
    rec("pytorch 1.0 1", ["mutex * cuda"], build="cuda_1"),
    rec("pytorch 1.0 0", ["mutex * cpu"], build="cpu_0"),
    rec("mutex 1.0", build="cuda", track_features="cuda"),
    rec("mutex 1.0", build="cpu"),
]
case("second-order-track-features-cpu-wins", _CPUONLY, ["pytorch"],
     ["mutex-1.0-cpu", "pytorch-1.0-cpu_0"])
case("second-order-explicit-cuda", _CPUONLY, ["pytorch", "mutex * cuda"],
     ["mutex-1.0-cuda", "pytorch-1.0-cuda_1"])

# classic counts a requested feature's pseudo-record name ("nomkl@") in the package count as
# the spec that name parses to, *[track_features=nomkl]: so a real tracker pulled in by a
# newer build is an extra package, and the older build without it wins
_NOMKL = [
    rec("scipy 1.0", ["blas * openblas"], build="new", features="nomkl", timestamp=2000),
    rec("scipy 1.0", build="old", features="nomkl", timestamp=1000),
    rec("blas 1.0", build="openblas", track_features="nomkl"),
]
case("feature-pseudo-record-counts-as-its-feature", _NOMKL, ["nomkl@", "scipy"],
     ["scipy-1.0-old"])

# conda's solver grows its index from the request and the installed records
# (Policy.index_roots): a record's features do not pull their trackers in, so a featured
# build is only installable where something else reaches a tracker (checked with conda
# 26.7.1's solver on conda's test channel-1: python 2.7.4 with mkl-rt is unsatisfiable)
_GROWN = [
    rec("mkl-rt 11.0", build="p0", features="mkl"),
    rec("mkl 11.0", ["mkl-rt"], track_features="mkl"),
    rec("numpy 1.7", ["mkl"]),
]
case("full-index-sees-every-tracker", _GROWN, ["mkl-rt"], ["mkl-11.0-h_0", "mkl-rt-11.0-p0"])
case("grown-index-misses-an-unreached-tracker", _GROWN, ["mkl-rt"], "Unsatisfiable",
     policy=Policy(index_roots=["mkl-rt"]))
case("grown-index-reaches-the-tracker-by-name", _GROWN, ["mkl-rt"],
     ["mkl-11.0-h_0", "mkl-rt-11.0-p0"], policy=Policy(index_roots=["mkl-rt", "numpy"]))

# -- optional specs and constrains --------------------------------------------------------------
_OPTIONAL = [rec("a 1.0", ["c"]), rec("c 1.0"), rec("c 2.0"), rec("b 1.0")]
case("optional-not-installed", _OPTIONAL, ["b", SpecRequest("c <2", optional=True)], ["b-1.0-h_0"])
case("optional-constrains-when-pulled", _OPTIONAL, ["a", SpecRequest("c <2", optional=True)],
     ["a-1.0-h_0", "c-1.0-h_0"])
# optional specs alone: classic installs nothing, unless no package at all is left in its
# reduced index, which it reports as unsatisfiable
case("optional-only-installs-nothing", _OPTIONAL, [SpecRequest("c <2", optional=True)], [])
case("optional-only-matching-nothing", _OPTIONAL, [SpecRequest("c >=3", optional=True)],
     "Unsatisfiable")
case("optional-only-excluding-each-other", _OPTIONAL,
     [SpecRequest("c <2", optional=True), SpecRequest("c >=2", optional=True)], "Unsatisfiable")
_CONSTRAINS = [
    rec("a 2.0", constrains=["c <2"]), rec("a 1.0"), rec("c 1.0"), rec("c 2.0"),
    rec("b 1.0", ["c"]),
]
case("constrains-limits-installed", _CONSTRAINS, ["a", "b"], ["a-2.0-h_0", "b-1.0-h_0", "c-1.0-h_0"])
case("constrains-does-not-install", _CONSTRAINS, ["a"], ["a-2.0-h_0"])
# a constrains on a name also depended on replaces that dependency (combined_depends)
case("constrains-replaces-dependency",
     [rec("a 1.0", ["c"], constrains=["c <2"]), rec("c 1.0"), rec("c 2.0")], ["a"],
     ["a-1.0-h_0", "c-1.0-h_0"])

# -- virtual packages ------------------------------------------------------------------------
_GLIBC = [rec("a 2.0", ["__glibc >=2.28"]), rec("a 1.0", ["__glibc >=2.17"])]
case("virtual-prunes-new-build", _GLIBC + [virtual("__glibc", "2.17")], ["a"], ["a-1.0-h_0"])
case("virtual-allows-new-build", _GLIBC + [virtual("__glibc", "2.31")], ["a"], ["a-2.0-h_0"])
case("virtual-missing", _GLIBC, ["a"], "Unsatisfiable")

# -- targets (update count) ------------------------------------------------------------------
_INSTALLED_B = rec("b 1.0")
_TARGETS = [rec("a 2.0", ["b >=2"]), rec("a 1.0"), _INSTALLED_B, rec("b 2.0")]
case("requested-version-beats-update-count", _TARGETS,
     ["a", SpecRequest("b", target=_INSTALLED_B)], ["a-2.0-h_0", "b-2.0-h_0"])
case("update-count-keeps-installed",
     [rec("a 1.0", ["b"]), _INSTALLED_B, rec("b 2.0")],
     ["a", SpecRequest("b", target=_INSTALLED_B)], ["a-1.0-h_0", "b-1.0-h_0"])
case("no-target-takes-newest", [rec("a 1.0", ["b"]), _INSTALLED_B, rec("b 2.0")], ["a"],
     ["a-1.0-h_0", "b-2.0-h_0"])

# -- package count vs versions, under-specified requests -----------------------------------
case("version-over-package-count",
     [rec("a 1.0", ["b"]), rec("b 2.0", ["c"]), rec("b 1.0"), rec("c 1.0")], ["a"],
     ["a-1.0-h_0", "b-2.0-h_0", "c-1.0-h_0"])
case("no-extra-packages",
     [rec("a 1.0", ["b"]), rec("b 1.0"), rec("c 1.0", ["b"])], ["a"], ["a-1.0-h_0", "b-1.0-h_0"])
_PYDANTIC = [
    rec("python 3.11.0"), rec("python 3.10.9"),
    rec("pydantic 1.8.2", ["python >=3.10,<3.11"], build="py310_0"),
    rec("pydantic 1.8.2", ["python >=3.9,<3.10"], build="py39_0"),
    rec("pydantic 1.8.1", ["python >=3.10,<3.11"], build="py310_0"),
    rec("pydantic 1.7.0", ["python >=3.10,<3.11"], build="py310_0"),
    rec("pydantic 0.18.2", ["python >=3.6"], build="pyhd_0", subdir="noarch"),
]
case("pydantic-peak-picks-older-python", _PYDANTIC, ["python", "pydantic <1.9"],
     ["pydantic-1.8.2-py310_0", "python-3.10.9-h_0"])
case("pydantic-alone", _PYDANTIC, ["pydantic <1.9"],
     ["pydantic-1.8.2-py310_0", "python-3.10.9-h_0"])

# -- the reduced index's broadening rule (conda's SolverTests) -------------------------------
case("broadening-preferred-solution",
     [rec("top 1.0", ["middle", "bottom==1.5"]), rec("top 2.0", ["middle"]),
      rec("middle 1.0", ["bottom"]), rec("bottom 1.5"), rec("bottom 2.5")],
     ["top"], ["bottom-2.5-h_0", "middle-1.0-h_0", "top-2.0-h_0"])
case("broadening-unsatisfiable-early-dep",
     [rec("a 1.0", ["b", "c==2"]), rec("a 2.0", ["b"]), rec("b 1.0", ["c"]), rec("c 1.0")],
     ["a"], ["a-2.0-h_0", "b-1.0-h_0", "c-1.0-h_0"])


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule(name):
    records, specs, expected, policy = CASES[name]
    if expected == "Unsatisfiable":
        with pytest.raises(Unsatisfiable):
            answer(records, specs, policy)
    else:
        assert answer(records, specs, policy) == expected


@pytest.mark.conda
@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_live_classic(name):
    """Classic gives the answers written above on the same records."""
    from conda.base.constants import ChannelPriority
    from conda.base.context import context
    from conda.exceptions import UnsatisfiableError
    from conda.models.match_spec import MatchSpec
    from conda.models.records import PackageRecord
    from conda.resolve import Resolve

    records, specs, expected, policy = CASES[name]
    policy = policy or Policy()
    precs = {}
    for record in records:
        if record.get("package_type") == "virtual_system":
            prec = PackageRecord.virtual_package(record["name"], record["version"])
        else:
            prec = PackageRecord(**record)
        precs[prec] = prec
    if policy.index_roots is not None:
        precs = _grown_index(precs, policy)
    matchspecs = []
    for item in specs:
        if isinstance(item, SpecRequest):
            kwargs = {"optional": True} if item.optional else {}
            if item.target is not None:
                kwargs["target"] = PackageRecord(**item.target).dist_str()
            matchspecs.append(MatchSpec(item.spec, **kwargs))
        else:
            matchspecs.append(MatchSpec(item))
    with context._override("channel_priority", ChannelPriority(policy.channel_priority)), \
            context._override("solver_ignore_timestamps", policy.ignore_timestamps), \
            context._override("json", True):
        resolve = Resolve(precs, channels=policy.channel_order)
        if expected == "Unsatisfiable":
            with pytest.raises(UnsatisfiableError):
                resolve.solve(matchspecs, should_retry_solve=True)
            return
        got = resolve.solve(matchspecs)
    assert sorted(f"{p.name}-{p.version}-{p.build}" for p in got if p.channel.name != "@") == expected


def _grown_index(precs: dict, policy: Policy) -> dict:
    """The records conda's ``ReducedIndex`` keeps from ``precs`` when grown from the
    policy's roots (``conda/core/index.py``, ``_derive_reduced_index``): by dependency name,
    and every tracker of each feature a kept record tracks; then a feature record for every
    feature a kept record has or tracks."""
    from conda.models.match_spec import MatchSpec
    from conda.models.records import PackageRecord

    names, features = set(policy.index_roots), set(policy.index_root_features)
    kept: dict = {}
    while True:
        new = [p for p in precs if p not in kept and (
            p.name in names or features & set(p.track_features))]
        if not new:
            break
        for prec in new:
            kept[prec] = prec
            names.update(MatchSpec(dep).name for dep in prec.combined_depends)
            features.update(prec.track_features)
    for prec in list(kept):
        for feature in (*prec.track_features, *prec.features):
            feature_record = PackageRecord.feature(feature)
            kept[feature_record] = feature_record
    return kept


# -- errors and conflicting_specs ----------------------------------------------------------


def test_not_found():
    with pytest.raises(PackagesNotFound) as info:
        answer([rec("a 1.0")], ["a", "zzz"])
    assert info.value.specs == ("zzz",)
    with pytest.raises(PackagesNotFound):
        answer([rec("a 1.0")], ["a >=2"])  # classic's verify_specs: no match at all


def test_conflict_map_stops_at_a_dependency_nothing_provides():
    # one request matching one record: classic's conflict map starts from that record's
    # dependencies and stops at the first one no record matches (ResolvePackageNotFound);
    # the explanation still says why
    records = [rec("r-base 3.3.1", ["icu 54.*", "zlib"]), rec("zlib 1.0"), rec("icu 58.0")]
    with pytest.raises(Unsatisfiable) as info:
        answer(records, ["r-base 3.3.1"])
    assert "icu 54.*" in info.value.explanation
    with pytest.raises(PackagesNotFound) as missing:
        info.value.chains  # noqa: B018 - reading them works classic's conflict map out
    assert missing.value.specs == ("icu=54",)  # as classic prints the spec
    with pytest.raises(Unsatisfiable) as info:  # two requests: chains as usual
        answer([*records, rec("zlib 2.0")], ["r-base 3.3.1", "zlib 2.0"])
    assert info.value.chains


@pytest.mark.conda
def test_conflict_map_stops_at_a_dependency_nothing_provides_live():
    from conda.exceptions import ResolvePackageNotFound
    from conda.models.match_spec import MatchSpec
    from conda.models.records import PackageRecord
    from conda.resolve import Resolve

    records = [rec("r-base 3.3.1", ["icu 54.*", "zlib"]), rec("zlib 1.0"), rec("icu 58.0")]
    precs = [PackageRecord(**r) for r in records]
    with pytest.raises(ResolvePackageNotFound) as info:
        Resolve({p: p for p in precs}).solve([MatchSpec("r-base 3.3.1")])
    assert "icu" in str(info.value)


def test_optional_specs_alone_that_leave_nothing_installable():
    """Named in the error: a name no repo has is not found (where classic, meaning to say
    so, fails with a TypeError); a version nothing matches makes the request unsatisfiable,
    with an explanation naming the spec."""
    records = [rec("a 1.0"), rec("c 1.0")]
    with pytest.raises(PackagesNotFound) as info:
        answer(records, [SpecRequest("zzz", optional=True)])
    assert info.value.specs == ("zzz",)
    assert answer(records, [SpecRequest("zzz", optional=True), SpecRequest("a", optional=True)]) == []
    with pytest.raises(Unsatisfiable) as info:
        answer(records, [SpecRequest("c >=3", optional=True)])
    assert info.value.core == ("c >=3",)
    assert info.value.chains == (("c[version='>=3']",),)
    assert "no c package matches c >=3" in info.value.explanation
    assert answer(records, []) == []


def test_unsatisfiable_core():
    records = [rec("a 1.0", ["c <2"]), rec("b 1.0", ["c >=2"]), rec("c 1.0"), rec("c 2.0"),
               rec("d 1.0")]
    with pytest.raises(Unsatisfiable) as info:
        answer(records, ["d", "a", "b"])
    assert set(info.value.core) == {"a", "b"}
    assert conflicting_specs([Repo.from_records(records)], ["d", "a"]) == []


def test_conflicting_specs_see_feature_records_in_a_grown_index():
    # conda's grown index has each feature's own record ("mkl@"): its reduction leaves it
    # out, so the solve fails, but the search over the whole index finds no conflict
    repos = [Repo.from_records(_GROWN)]
    grown = Policy(index_roots=["mkl-rt"])
    with pytest.raises(Unsatisfiable):
        solve(repos, ["mkl-rt"], policy=grown)
    assert conflicting_specs(repos, ["mkl-rt"], policy=grown) == []


def test_conflicting_specs_check_every_required_spec_first():
    # classic's get_conflicting_specs reduces first, and its reduction starts with
    # verify_specs: a required spec no record matches is ResolvePackageNotFound
    repos = [Repo.from_records([rec("a 1.0", ["c"]), rec("c 1.0")])]
    with pytest.raises(PackagesNotFound) as info:
        conflicting_specs(repos, ["c 9.*"], explicit=["a"])
    assert info.value.specs == ("c=9",)
    assert conflicting_specs(repos, [SpecRequest("c 9.*", optional=True)], explicit=["a"]) \
        == [SpecRequest("c 9.*", optional=True)]


def test_conflicting_specs_as_classic():
    # classic's get_conflicting_specs (checked with conda 26.7.1): the explicit specs are
    # held first, then each other spec is kept if it fits with those kept so far, else
    # reported; classic tries them in set order, this engine in the order given
    records = [rec("a 1.0", ["c <2"]), rec("b 1.0", ["c >=2"]), rec("c 1.0"), rec("c 2.0"),
               rec("d 1.0")]
    repos = [Repo.from_records(records)]
    assert conflicting_specs(repos, ["d", "a", "b"]) == ["b"]
    assert conflicting_specs(repos, ["d", "a"], explicit=["b"]) == ["a"]
    # explicit specs that clash all conflict; the ones repeated among the others are
    # tried again with those
    assert conflicting_specs(repos, ["d", "a", "b"], explicit=["a", "b"]) == ["a", "b"]


def test_stats_receive_seconds_per_phase():
    records = [rec("a 1.0", ["c <2"]), rec("b 1.0", ["c >=2"]), rec("c 1.0"), rec("c 2.0")]
    repos = [Repo.from_records(records)]
    stats = {"reduce": 1.0}
    ties = [rec("p 1.0", build="b"), rec("p 1.0", build="a")]  # nothing forces one: searched
    solve([Repo.from_records(ties)], [SpecRequest("p")], stats=stats)
    assert set(stats) == {"reduce", "forced", "encode", "sat", "optimize"}
    assert stats["reduce"] > 1.0 and all(isinstance(v, float) for v in stats.values())
    failed = {}
    with pytest.raises(Unsatisfiable):
        solve(repos, [SpecRequest("a"), SpecRequest("b")], stats=failed)
    assert "explain" in failed and "optimize" not in failed
    checked = {}
    assert conflicting_specs(repos, ["a", "b"], stats=checked) == ["b"]
    assert set(checked) == {"reduce", "encode", "forced", "sat", "explain"}
    forced = {}  # a model the walk finds: no search
    assert conflicting_specs(repos, ["a"], stats=forced) == []
    assert set(forced) == {"reduce", "encode", "forced"}
    searched = {}  # ties the walk cannot settle: the search finds a model
    assert conflicting_specs([Repo.from_records(ties)], ["p"], stats=searched) == []
    assert set(searched) == {"reduce", "encode", "forced", "sat"}


def test_deterministic_choice_between_exact_ties():
    records = [rec("p 1.0", build="b"), rec("p 1.0", build="a"), rec("p 1.0", build="c")]
    first = answer(records, ["p"])
    for _ in range(3):
        assert answer(list(records), ["p"]) == first
