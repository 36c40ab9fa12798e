"""conda's ``exclude_newer`` policy (``--exclude-newer``, ``exclude_newer_package``, and
``channel_settings``' ``exclude_newer``), honoured as classic honours it.

Every solve here runs with classic too, on the same channel and the same policy: the
expectations are classic's answers. Skipped where the conda installed has no such policy.
"""

from __future__ import annotations

import pytest

pytest.importorskip("conda")
exclude_newer = pytest.importorskip(
    "conda.core.exclude_newer", reason="this conda has no exclude_newer policy"
)

from conda.base.context import reset_context  # noqa: E402
from conda.core.solve import Solver  # noqa: E402
from conda.exceptions import ResolvePackageNotFound  # noqa: E402
from fakes import SUBDIR, fresh_conda_state, record, write_channel, write_prefix  # noqa: E402,F401

from conda_altsolver.index import SolverIndex  # noqa: E402
from conda_altsolver.solver import AltSolver  # noqa: E402

pytestmark = pytest.mark.conda

NOW = 1_750_000_000
DAY = 86_400
OLD = (NOW - 30 * DAY) * 1000  # repodata timestamps are often milliseconds
NEW = NOW - 3600  # and sometimes seconds

CHANNEL = [
    record("lib 1.0 0", timestamp=OLD),
    record("lib 2.0 0", timestamp=NEW),
    record("app 1.0 0 lib", timestamp=OLD),
    record("app 1.1 0 lib >=2", timestamp=OLD),
    # the index's own time comes first: this build was published an hour ago
    record("tool 1.0 0", timestamp=OLD),
    record("tool 2.0 0", timestamp=OLD, indexed_timestamp=NEW),
    record("undated 1.0 0", timestamp=0),
]


def policy(cutoff="1d", packages=None, channels=None):
    return exclude_newer.ExcludeNewerPolicy.from_values(cutoff, packages or {}, channels,
                                                        now=NOW)


@pytest.fixture(params=["altsolver", "classic"])
def solve(request, tmp_path):
    backend = AltSolver if request.param == "altsolver" else Solver
    channel = write_channel(tmp_path, "chan", CHANNEL)

    def run(add, installed=(), rule=None, **kwargs):
        prefix = write_prefix(tmp_path, channel, list(installed))
        solver = backend(str(prefix), [channel], specs_to_add=add)
        solver.exclude_newer_policy = rule if rule is not None else policy()
        return sorted(f"{r.name}-{r.version}-{r.build}"
                      for r in solver.solve_final_state(**kwargs))

    run.channel = channel
    return run


def test_a_global_cutoff_leaves_newer_records_out(solve):
    assert solve(["app"]) == ["app-1.0-0", "lib-1.0-0"]
    assert solve(["tool"]) == ["tool-1.0-0"]  # indexed_timestamp before timestamp
    assert solve(["undated"]) == ["undated-1.0-0"]  # no time: never left out


def test_without_a_cutoff_everything_counts(solve):
    assert solve(["app"], rule=policy(None)) == ["app-1.1-0", "lib-2.0-0"]


def test_a_request_only_newer_records_meet_is_not_found(solve):
    with pytest.raises(ResolvePackageNotFound):
        solve(["lib >=2"])


def test_a_package_exemption_lets_its_newer_records_in(solve):
    assert solve(["app"], rule=policy(packages={"lib": False})) == ["app-1.1-0", "lib-2.0-0"]
    # a package's own cutoff wins over the global one, later or earlier, and stands alone
    assert solve(["app"], rule=policy("1d", {"lib": 0})) == ["app-1.1-0", "lib-2.0-0"]
    assert solve(["app"], rule=policy(None, {"lib": "1d"})) == ["app-1.0-0", "lib-1.0-0"]


def test_a_channel_setting_overrides_the_global_cutoff(solve):
    exempt = [{"channel": solve.channel.base_url, "exclude_newer": False}]
    assert solve(["app"], rule=policy(channels=exempt)) == ["app-1.1-0", "lib-2.0-0"]
    only_channel = [{"channel": solve.channel.base_url, "exclude_newer": "1d"}]
    assert solve(["app"], rule=policy(None, channels=only_channel)) == [
        "app-1.0-0", "lib-1.0-0"]


def test_an_installed_newer_record_stays_usable(solve):
    installed = [record("lib 2.0 0", timestamp=NEW)]
    assert solve(["app"], installed=installed) == ["app-1.1-0", "lib-2.0-0"]


def test_the_setting_reaches_the_solver_through_conda(tmp_path, monkeypatch):
    """``CONDA_EXCLUDE_NEWER``: the solver accepts it (conda refuses a solver that does not
    declare the policy) and solves with it."""
    channel = write_channel(tmp_path, "chan", CHANNEL)
    prefix = write_prefix(tmp_path, channel, [])
    monkeypatch.setenv("CONDA_EXCLUDE_NEWER", "2000-01-01")
    reset_context()
    solver = AltSolver(str(prefix), [channel], specs_to_add=["tool"])
    with pytest.raises(ResolvePackageNotFound):
        solver.solve_final_state()  # every dated record is newer than 2000
    monkeypatch.setenv("CONDA_EXCLUDE_NEWER", "1d")
    reset_context()
    solver = AltSolver(str(prefix), [channel], specs_to_add=["undated"])
    assert [r.name for r in solver.solve_final_state()] == ["undated"]


RULES = {
    "global": lambda url: policy(),
    "package exempt": lambda url: policy(packages={"lib": False}),
    "package only": lambda url: policy(None, {"tool": "1d"}),
    "channel exempt": lambda url: policy(channels=[{"channel": url, "exclude_newer": False}]),
    "channel only": lambda url: policy(None, channels=[{"channel": url, "exclude_newer": "1d"}]),
    "other channel": lambda url: policy(
        None, channels=[{"channel": "https://example.com/other", "exclude_newer": "1d"}]),
    "url glob": lambda url: policy(None, channels=[{"channel": url + "/*", "exclude_newer": "1d"}]),
    "url glob, package": lambda url: policy(
        None, {"lib": False}, [{"channel": url + "/*", "exclude_newer": "1d"}]),
    # a URL glob that tells records of one channel apart: judged record by record
    "url glob, one package": lambda url: policy(
        None, channels=[{"channel": url + "/*/lib-*", "exclude_newer": "1d"}]),
}


@pytest.mark.parametrize("rule", sorted(RULES))
def test_both_ways_of_reading_a_channel_leave_out_the_same_records(tmp_path, rule):
    """The fast path judges the repodata record (channel settings resolved once per channel
    where none can tell its records apart), ``SubdirData``'s path the ``PackageRecord`` conda
    built from it, record by record: the same records stay."""
    channel = write_channel(tmp_path, "chan", CHANNEL)
    made = RULES[rule](channel.base_url)
    kept = []
    for fast in (True, False):
        index = SolverIndex([channel], (SUBDIR, "noarch"), fast=fast, exclude_newer=made)
        assert {source.kind for source in index.sources} == {
            "repodata" if fast else "subdir_data"}
        kept.append(sorted(rec.dist_str() for name in ("lib", "app", "tool", "undated")
                           for rec in index.records(name)))
    assert kept[0] == kept[1]
    assert (len(kept[0]) < len(CHANNEL)) == (rule not in ("channel exempt", "other channel"))
    if rule == "url glob, one package":
        assert {dist.rsplit("::", 1)[1] for dist in kept[0]} == {
            f"{rec['name']}-{rec['version']}-0" for rec in CHANNEL} - {"lib-2.0-0"}


FLAGS = ("supports_exclude_newer_global", "supports_exclude_newer_channel",
         "supports_exclude_newer_package")


def test_the_plugin_managers_subclass_keeps_the_capabilities():
    """conda's plugin manager hands out a subclass that binds ``build_repodata_subset``
    (when sharded repodata is on), and conda resets the capabilities of every subclass."""
    from conda.base.context import context

    backend = context.plugin_manager.get_solver_backend("altsolver")
    assert issubclass(backend, AltSolver)
    assert all(getattr(backend, flag) for flag in FLAGS)
    bound = type("PartialAltSolver", (AltSolver,), {"__init__": AltSolver.__init__})
    assert all(getattr(bound, flag) for flag in FLAGS)


def test_a_subclass_that_solves_its_own_way_declares_the_policy_again():
    class OwnSolve(AltSolver):
        def solve_final_state(self, *args, **kwargs):
            return ()

    class OwnGlobal(AltSolver):
        supports_exclude_newer_global = False

    assert not any(getattr(OwnSolve, flag) for flag in FLAGS)
    assert not OwnGlobal.supports_exclude_newer_global
    assert OwnGlobal.supports_exclude_newer_package and OwnGlobal.supports_exclude_newer_channel


def test_shards_are_filtered_and_a_prebuilt_index_is_not():
    """Records from sharded repodata are channel records; a prebuilt index (conda-build's
    ``solver._index``) is solved over as it is, as classic does."""
    from conda.models.channel import Channel
    from conda.models.records import PackageRecord

    remote = "https://example.com/remote"

    class Shards:
        base_url = f"{remote}/{SUBDIR}/"

        def iter_records(self):
            for version, timestamp in (("1.0", OLD), ("2.0", NEW)):
                yield f"lib-{version}-0.tar.bz2", {
                    "name": "lib", "version": version, "build": "0", "build_number": 0,
                    "depends": [], "timestamp": timestamp}

    index = SolverIndex([remote], (SUBDIR,), root_names=["lib"], exclude_newer=policy(),
                        build_repodata_subset=lambda roots, channels: {
                            url: Shards() for url in channels})
    assert {source.kind for source in index.sources} == {"shards"}
    assert [rec.version for rec in index.records("lib")] == ["1.0"]

    newer = PackageRecord(name="lib", version="2.0", build="0", build_number=0,
                          channel=Channel("conda-forge"), subdir=SUBDIR, fn="lib-2.0-0.tar.bz2",
                          timestamp=NEW)
    index = SolverIndex([], (SUBDIR,), prebuilt={newer: newer}, exclude_newer=policy())
    assert index.records("lib") == [newer]
