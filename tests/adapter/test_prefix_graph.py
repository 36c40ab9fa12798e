"""``conda_altsolver.prefix_graph``: conda's install order, with cycles broken in one pass.

Each graph is ordered by conda's own ``PrefixGraph`` and by ours; the orders must be equal.
Random solutions with dense cycles (records depending on names, version ranges, their own
name), ``python``/``pip``/``menuinst`` (conda's special edges), names in two channels; and
the sudoku answer, one big cycle, where conda's order costs a ``Dist`` per record per break.
"""

from __future__ import annotations

import random

import pytest

pytest.importorskip("conda")

from conda.base.context import context, reset_context  # noqa: E402
from conda.models.channel import Channel  # noqa: E402
from conda.models.prefix_graph import PrefixGraph as CondaPrefixGraph  # noqa: E402
from conda.models.records import PackageRecord  # noqa: E402

from conda_altsolver import prefix_graph  # noqa: E402

pytestmark = pytest.mark.conda


def _record(name, version="1.0", depends=(), channel="pkgs/main", build="0"):
    return PackageRecord(name=name, version=version, build=build, build_number=0,
                         channel=Channel(channel), subdir="linux-64", depends=list(depends),
                         fn=f"{name}-{version}-{build}.tar.bz2")


def _random_solution(rnd: random.Random) -> list:
    names = [f"p{i}" for i in range(rnd.randint(2, 25))]
    names += rnd.sample(["python", "pip", "menuinst", "conda"], rnd.randint(0, 4))
    if "menuinst" in names and "python" not in names:
        names.append("python")  # conda refuses menuinst without python
    records = []
    for name in names:
        depends = []
        for other in rnd.sample(names, rnd.randint(0, min(6, len(names)))):
            depends.append(rnd.choice([other, f"{other} >=1", f"{other} <1", f"{other} 1.*"]))
        records.append(_record(name, rnd.choice(["1.0", "0.5"]), depends,
                               rnd.choice(["pkgs/main", "conda-forge"])))
    for _ in range(rnd.choice([0, 0, 1, 3])):  # a name twice (conda's graph takes any)
        twin = rnd.choice(records)
        records.append(_record(twin.name, "2.0", rnd.sample(names, min(2, len(names))),
                               "conda-forge", str(len(records))))
    rnd.shuffle(records)
    return records


def _orders(records) -> tuple:
    return tuple(CondaPrefixGraph(records).graph), tuple(prefix_graph.PrefixGraph(records).graph)


@pytest.mark.parametrize("seed", range(300))
def test_the_order_is_condas(seed):
    conda_order, ours = _orders(_random_solution(random.Random(seed)))
    assert [r.dist_str() for r in ours] == [r.dist_str() for r in conda_order]


def test_cycles_are_broken_as_conda_breaks_them():
    """a <-> b, b -> c, c -> a; d alone: fewest parents first, then dist_str."""
    records = [_record("a", depends=["b"]), _record("b", depends=["a", "c"]),
               _record("c", depends=["a"]), _record("d")]
    conda_order, ours = _orders(records)
    assert ours == conda_order
    assert [r.name for r in ours] == ["d", "a", "c", "b"]


def test_the_graphs_edges_are_condas():
    records = _random_solution(random.Random(7))
    theirs, ours = CondaPrefixGraph(records), prefix_graph.PrefixGraph(records)
    assert list(ours.graph.items()) == list(theirs.graph.items())
    assert ours.spec_matches == theirs.spec_matches


@pytest.fixture
def no_cycles_allowed(monkeypatch):
    monkeypatch.setenv("CONDA_ALLOW_CYCLES", "false")
    reset_context()
    yield
    monkeypatch.delenv("CONDA_ALLOW_CYCLES")
    reset_context()


def test_without_allow_cycles_conda_raises(no_cycles_allowed):
    from conda.exceptions import CyclicalDependencyError

    assert not context.allow_cycles
    with pytest.raises(CyclicalDependencyError):
        prefix_graph.PrefixGraph([_record("a", depends=["b"]), _record("b", depends=["a"])])


@pytest.mark.data
def test_the_sudoku_answer_is_ordered_as_conda_orders_it(data_dir):
    """81 packages, each depending on its 20 peers with another digit: one big cycle."""
    import sys
    from pathlib import Path

    from conda_altsolver.engine import Repo, solve

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "engine"))
    from engine_data import SUDOKU_GIVENS, load_channel

    channel = load_channel(data_dir, "sudoku-fixed", subdirs=("noarch",), add_pip=False)
    chosen = solve([Repo.from_records(channel)], SUDOKU_GIVENS)
    records = [_record(r["name"], r["version"], r["depends"], "sudoku") for r in chosen]
    conda_order, ours = _orders(records)
    assert len(ours) == 81 and ours == conda_order


def test_a_break_conda_cannot_make_fails_as_condas():
    """Two records with one ``dist_str`` (their build numbers differ) tie at a cycle break:
    conda compares the records, which raises; ours leaves it to conda's code."""
    twins = [PackageRecord(name="a", version="1", build="0", build_number=number,
                           channel=Channel("pkgs/main"), subdir="linux-64", depends=["b"],
                           fn="a-1-0.tar.bz2") for number in (0, 1)]
    records = [*twins, _record("b", "1", ["a"])]
    with pytest.raises(TypeError) as theirs:
        CondaPrefixGraph(records)
    with pytest.raises(TypeError) as ours:
        prefix_graph.PrefixGraph(records)
    assert str(ours.value) == str(theirs.value)
