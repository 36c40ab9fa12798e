"""``conda_altsolver.prefix_graph``: conda's ``PrefixGraph``, its edges read with the
engine's specs and its cycles broken in one pass.

Each solution is given to conda's own ``PrefixGraph`` and to ours; edges (in order),
``spec_matches`` and the order must be equal. Random solutions with dense cycles (records
depending on names, version ranges, builds, build numbers, their own name; now and then a
dependency only conda reads, which leaves the edges to conda), ``python``/``pip``/
``menuinst`` (conda's special edges), names in two channels; and the sudoku answer, one big
cycle, where conda's order costs a ``Dist`` per record per break.
"""

from __future__ import annotations

import random

import pytest

pytest.importorskip("conda")

from conda.base.context import context, reset_context  # noqa: E402
from conda.models.channel import Channel  # noqa: E402
from conda.models.match_spec import MatchSpec  # noqa: E402
from conda.models.prefix_graph import PrefixGraph as CondaPrefixGraph  # noqa: E402
from conda.models.records import PackageRecord  # noqa: E402

from conda_altsolver import prefix_graph  # noqa: E402

pytestmark = pytest.mark.conda


def _record(name, version="1.0", depends=(), channel="pkgs/main", build="0", number=0):
    return PackageRecord(name=name, version=version, build=build, build_number=number,
                         channel=Channel(channel), subdir="linux-64", depends=list(depends),
                         fn=f"{name}-{version}-{build}.tar.bz2")


def _dependency(rnd: random.Random, other: str) -> str:
    if rnd.random() < 0.006:  # read by conda alone: a glob name, a field of the whole record
        return rnd.choice(["p1*", f"{other}[license=MIT]", f"{other} >=1[md5=0]"])
    return rnd.choice([other, f"{other} >=1", f"{other} <1", f"{other} 1.*", f"{other} * py*",
                       f"{other} 1.0 0", f"{other}=1.0=py_1", f"{other}[build_number=1]",
                       f"{other} >=0.5,<2 *_1", f"{other} 0.5|2.0"])


def _random_solution(rnd: random.Random) -> list:
    names = [f"p{i}" for i in range(rnd.randint(2, 25))]
    names += rnd.sample(["python", "pip", "menuinst", "conda"], rnd.randint(0, 4))
    if "menuinst" in names and "python" not in names:
        names.append("python")  # conda refuses menuinst without python
    records = []
    for name in names:
        depends = []
        for other in rnd.sample(names, rnd.randint(0, min(6, len(names)))):
            depends.append(_dependency(rnd, other))
        number = rnd.randint(0, 1)
        records.append(_record(name, rnd.choice(["1.0", "0.5"]), depends,
                               rnd.choice(["pkgs/main", "conda-forge"]),
                               rnd.choice(["0", "py_1", f"py39_{number}"]), number))
    for _ in range(rnd.choice([0, 0, 1, 3])):  # a name twice (conda's graph takes any)
        twin = rnd.choice(records)
        records.append(_record(twin.name, "2.0", rnd.sample(names, min(2, len(names))),
                               "conda-forge", str(len(records))))
    rnd.shuffle(records)
    return records


def _orders(records) -> tuple:
    return tuple(CondaPrefixGraph(records).graph), tuple(prefix_graph.PrefixGraph(records).graph)


@pytest.mark.parametrize("seed", range(300))
def test_edges_and_order_are_condas(seed):
    rnd = random.Random(seed)
    records = _random_solution(rnd)
    specs = [MatchSpec(spec) for spec in rnd.sample(["p0", "p1 >=1", "python", "p2 * py*"], 2)]
    theirs, ours = CondaPrefixGraph(records, specs), prefix_graph.PrefixGraph(records, specs)
    assert [r.dist_str() for r in ours.graph] == [r.dist_str() for r in theirs.graph]
    assert [(node, list(parents)) for node, parents in ours.graph.items()] == [
        (node, list(parents)) for node, parents in theirs.graph.items()]
    assert ours.spec_matches == theirs.spec_matches


def test_cycles_are_broken_as_conda_breaks_them():
    """a <-> b, b -> c, c -> a; d alone: fewest parents first, then dist_str."""
    records = [_record("a", depends=["b"]), _record("b", depends=["a", "c"]),
               _record("c", depends=["a"]), _record("d")]
    conda_order, ours = _orders(records)
    assert ours == conda_order
    assert [r.name for r in ours] == ["d", "a", "c", "b"]


def test_edges_are_read_with_the_engines_specs_unless_conda_alone_reads_one():
    plain = [_record("a", depends=["b >=1"]), _record("b", "1.0", build="py_1")]
    assert prefix_graph.plain_edges(tuple(plain)) == {plain[0]: {plain[1]: None}, plain[1]: {}}
    for text in ("b[license=MIT]", "b*", "b >=1[md5=0]", "b >=1,,<"):
        assert prefix_graph.plain_edges((_record("a", depends=[text]), plain[1])) is None
    odd = _record("b", "1.0 beta")  # no version the engine reads: conda's code decides
    assert prefix_graph.plain_edges((_record("a", depends=["b >=1"]), odd)) is None


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
