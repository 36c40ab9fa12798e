"""``gc_paused``: the collector is off inside, restored after, and what the block left alive
goes to the oldest generation without a young-generation pass over it."""

from __future__ import annotations

import gc

import pytest

from conda_altsolver.engine.gcpause import gc_paused


@pytest.fixture
def collector():
    enabled = gc.isenabled()
    gc.enable()
    yield
    if not enabled:
        gc.disable()


def _in_generation(obj, generation: int) -> bool:
    return any(other is obj for other in gc.get_objects(generation))


def test_objects_made_in_the_block_end_in_the_oldest_generation(collector):
    with gc_paused():
        assert not gc.isenabled()
        made = [[index] for index in range(1000)]
    assert gc.isenabled()
    assert _in_generation(made[-1], 2) and not _in_generation(made[-1], 0)
    assert gc.get_count()[0] < 100  # no pass is due over the block's objects


def test_a_disabled_collector_stays_disabled(collector):
    gc.disable()
    with gc_paused():
        made = [[1]]
    assert not gc.isenabled()
    assert _in_generation(made[0], 0)  # and nothing was moved


def test_objects_the_process_froze_stay_frozen(collector):
    frozen = [[1]]
    gc.freeze()
    try:
        with gc_paused():
            made = [[2]]
        # The count itself may drop: anything frozen that the block frees leaves it.
        assert gc.get_freeze_count() > 0
        assert not any(_in_generation(frozen[0], generation) for generation in range(3))
        assert not _in_generation(made[0], 2)  # left young, as before this helper
    finally:
        gc.unfreeze()


@pytest.mark.parametrize("call", ["solve", "reduced_index", "conflicting_specs"])
def test_the_engine_loads_records_with_the_collector_paused(collector, call):
    # records are loaded lazily, inside these calls: a conda solve's package pool (the
    # reduced index) loads most of them, and did so with the collector running
    from conda_altsolver.engine import Policy, Repo, SpecRequest, solve as engine_solve
    from conda_altsolver.engine.solve import conflicting_specs, reduced_index

    seen = []

    def load(name):
        seen.append(gc.isenabled())
        return [{"name": name, "version": "1", "build": "0", "build_number": 0,
                 "depends": ["b"] if name == "a" else [], "channel": "c", "subdir": "noarch"}]

    repo = Repo.from_loader(["a", "b"], load)
    entry = {"solve": engine_solve, "reduced_index": reduced_index,
             "conflicting_specs": conflicting_specs}[call]
    entry([repo], [SpecRequest("a")], Policy(channel_order=("c",)))
    assert seen == [False, False]
    assert gc.isenabled()
