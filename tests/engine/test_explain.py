"""Explanations of unsatisfiable solves (``engine/explain.py``).

Every unsatisfiable case checks the full explanation text; classic's chains are checked
against what conda's ``SolverTests`` expect (``conda/testing/solver_helpers.py``), on the
same records (the small cases rebuilt inline, the ``test_unsat_from_r1`` ones on conda's test
index 1).
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

import pytest

from conda_altsolver.engine import Policy, Repo, SpecRequest, Unsatisfiable, solve
from conda_altsolver.engine.chains import unsatisfiable_entries
from conda_altsolver.engine.explain import (
    Derived,
    External,
    Term,
    conclusion,
    explain_conflict,
    merge_requests,
    refute_with_exclusions,
    render,
)
from conda_altsolver.engine.pool import Pool

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine_data import load_channel, load_test_index  # noqa: E402

solve_module = importlib.import_module("conda_altsolver.engine.solve")


def record(name, version="1.0", depends=(), build="0", channel="test"):
    """conda.testing.helpers.record's defaults, as the engine sees them."""
    return {
        "name": name, "version": version, "build": build, "build_number": 0,
        "depends": list(depends), "channel": channel, "subdir": "linux-64",
        "fn": f"{name}-{version}-{build}.tar.bz2",
    }


def unsatisfiable(records, specs, virtual=(), policy=None) -> Unsatisfiable:
    repos = [Repo.from_records(records)]
    if virtual:
        repos.append(Repo.from_records(virtual))
    with pytest.raises(Unsatisfiable) as caught:
        solve(repos, specs, policy=policy)
    error = caught.value
    assert error.explanation  # every unsatisfiable case is explained
    return error


# -- conda's SolverTests cases, rebuilt -----------------------------------------------------------

SIMPLE = [
    record("a", depends=["c >=1,<2"]),
    record("b", depends=["c >=2,<3"]),
    record("c", "1.0"),
    record("c", "2.0"),
]
SHORTEST_1 = [
    record("a", depends=["d", "c <1.3.0"]),
    record("b", depends=["c"]),
    record("c", "1.3.6"),
    record("c", "1.2.8"),
    record("d", depends=["c >=0.8.0"]),
]
SHORTEST_2 = [
    record("a", depends=["d", "c >=0.8.0"]),
    record("b", depends=["c"]),
    record("c", "1.3.6"),
    record("c", "1.2.8"),
    record("d", depends=["c <1.3.0"]),
]
SHORTEST_3 = [
    record("a", depends=["f", "e"]),
    record("b", depends=["c"]),
    record("c", "1.3.6"),
    record("c", "1.2.8"),
    record("d", depends=["c >=0.8.0"]),
    record("e", depends=["c <1.3.0"]),
    record("f", depends=["d"]),
]
SHORTEST_4 = [
    record("a", depends=["py =3.7.1"]),
    record("py_req_1"),
    record("py_req_2"),
    record("py", "3.7.1", ["py_req_1", "py_req_2"]),
    record("py", "3.6.1", ["py_req_1", "py_req_2"]),
]
CHAIN = [
    record("a", depends=["b"]),
    record("b", depends=["c >=1,<2"]),
    record("c", "1.0", ["d >=1,<2"]),
    record("d", "1.0"),
    record("e", depends=["c >=2,<3"]),
    record("c", "2.0", ["d >=2,<3"]),
    record("d", "2.0"),
]
TWO_NOT_THREE = [
    record("a", "1.0", ["d >=1,<2"]),
    record("a", "2.0", ["d >=2,<3"]),
    record("b", "1.0", ["d >=1,<2"]),
    record("b", "2.0", ["d >=3,<4"]),
    record("c", "1.0", ["d >=2,<3"]),
    record("c", "2.0", ["d >=3,<4"]),
    record("d", "1.0"),
    record("d", "2.0"),
    record("d", "3.0"),
]
EXPAND_SINGLE = [
    record("a", depends=["b", "c"]),
    record("b", depends=["d >=1,<2"]),
    record("c", depends=["d >=2,<3"]),
    record("d", "1.0"),
    record("d", "2.0"),
]
MISSING_DEP = [
    record("a", depends=["b", "c"]),
    record("b", depends=["c >=2,<3"]),
    record("c", "1.0"),
]

SOLVER_TESTS = {
    "test_unsat_simple": (
        SIMPLE, ["a", "b"],
        [("a", "c[version='>=1,<2']"), ("b", "c[version='>=2,<3']")],
        "Because every version of a depends on c >=1,<2 and every version of b depends on "
        "c >=2,<3, a and b are incompatible.\n"
        "And because you requested a and b, no solution is possible.",
    ),
    "test_unsat_shortest_chain_1": (
        SHORTEST_1, ["c=1.3.6", "a", "b"],
        [("a", "c[version='<1.3.0']"), ("a", "d", "c[version='>=0.8.0']"), ("b", "c"),
         ("c=1.3.6",)],
        "Because every version of a depends on c <1.3.0 and you requested c=1.3.6 and a, "
        "no solution is possible.",
    ),
    "test_unsat_shortest_chain_2": (
        SHORTEST_2, ["c=1.3.6", "a", "b"],
        [("a", "c[version='>=0.8.0']"), ("a", "d", "c[version='<1.3.0']"), ("b", "c"),
         ("c=1.3.6",)],
        "Because every version of a depends on d and every version of d depends on "
        "c <1.3.0, a requires c <1.3.0.\n"
        "And because you requested c=1.3.6 and a, no solution is possible.",
    ),
    "test_unsat_shortest_chain_3": (
        SHORTEST_3, ["c=1.3.6", "a", "b"],
        [("a", "e", "c[version='<1.3.0']"), ("b", "c"), ("c=1.3.6",)],
        "Because every version of a depends on e and every version of e depends on "
        "c <1.3.0, a requires c <1.3.0.\n"
        "And because you requested c=1.3.6 and a, no solution is possible.",
    ),
    "test_unsat_shortest_chain_4": (
        SHORTEST_4, ["a", "py=3.6.1"],
        [("a", "py=3.7.1"), ("py=3.6.1",)],
        "Because every version of a depends on py=3.7.1 and you requested a and py=3.6.1, "
        "no solution is possible.",
    ),
    "test_unsat_chain": (
        CHAIN, ["a", "e"],
        [("a", "b", "c[version='>=1,<2']"), ("e", "c[version='>=2,<3']")],
        "Because every version of b depends on c >=1,<2 and every version of e depends on "
        "c >=2,<3, b and e are incompatible.\n"
        "And because every version of a depends on b and you requested a and e, "
        "no solution is possible.",
    ),
    "test_unsat_any_two_not_three": (
        TWO_NOT_THREE, ["a", "b", "c"],
        [("a", "d[version='>=1,<2|>=2,<3']"), ("b", "d[version='>=1,<2|>=3,<4']"),
         ("c", "d[version='>=2,<3|>=3,<4']")],
        "Because every version of b depends on d >=1,<2|>=3,<4 and every version of c "
        "depends on d >=2,<3|>=3,<4, b and c together require d >=3.0.\n"
        "And because every version of a depends on d >=1,<2|>=2,<3 and you requested a, b "
        "and c, no solution is possible.",
    ),
    "test_unsat_expand_single": (
        EXPAND_SINGLE, ["a"],
        [("b", "d[version='>=1,<2']"), ("c", "d[version='>=2,<3']")],
        "Because every version of b depends on d >=1,<2 and every version of c depends on "
        "d >=2,<3, b and c are incompatible.\n"
        "And because every version of a depends on b, a and c are incompatible.\n"
        "And because every version of a depends on c and you requested a, "
        "no solution is possible.",
    ),
    "test_unsat_missing_dep": (
        MISSING_DEP, ["a", "b"],
        [("a", "b"), ("b",)],
        "Because every version of a depends on b and nothing provides c >=2,<3 needed by "
        "every version of b, a cannot be installed.\n"
        "And because you requested a, no solution is possible.",
    ),
}


@pytest.mark.parametrize("case", sorted(SOLVER_TESTS))
def test_solver_tests_cases(case):
    records, specs, entries, text = SOLVER_TESTS[case]
    error = unsatisfiable(records, specs)
    assert unsatisfiable_entries(error.bad_deps) == entries
    assert error.explanation == text


@pytest.mark.parametrize(
    "specs, entries, text",
    [
        (
            ["numpy 1.5*", "scipy 0.12.0b1"],
            [("numpy=1.5",), ("scipy==0.12.0b1", "numpy[version='1.6.*|1.7.*']")],
            "Because scipy 0.12.0b1 depends on numpy 1.6*|1.7* and you requested numpy 1.5* "
            "and scipy 0.12.0b1, no solution is possible.",
        ),
        (
            ["numpy 1.5*", "python 3*"],
            [("numpy=1.5", "nose", "python=3.3"),
             ("numpy=1.5", "python[version='2.6.*|2.7.*']"), ("python=3",)],
            "Because numpy 1.5* depends on python 2.6*|2.7* and you requested numpy 1.5* and "
            "python 3*, no solution is possible.",
        ),
    ],
)
def test_unsat_from_r1(data_dir, specs, entries, text):
    error = unsatisfiable(load_test_index(data_dir, "index.json"), specs)
    assert unsatisfiable_entries(error.bad_deps) == entries
    assert error.explanation == text


# -- our own cases -------------------------------------------------------------------------------

GLIBC = {"name": "__glibc", "version": "2.17", "build": "0", "build_number": 0, "channel": "@",
         "subdir": "linux-64", "depends": []}


def test_direct_conflict_tree():
    error = unsatisfiable(SIMPLE, ["a", "b"])
    assert error.chains == (("a", "c[version='>=1,<2']"), ("b", "c[version='>=2,<3']"))
    assert set(error.core) == {"a", "b"}
    tree = error.tree
    assert isinstance(tree, Derived) and tree.terms == ()
    derived, requests = tree.cause1, tree.cause2
    assert isinstance(derived, Derived)
    assert derived.terms == (Term("a", True), Term("b", True))
    assert isinstance(requests, External) and requests.kind == "requests"
    assert requests.specs == ("a", "b") and requests.roles == ("requested", "requested")
    assert {c.kind for c in (derived.cause1, derived.cause2)} == {"requires"}


def test_classic_chains_wait_for_their_first_read(monkeypatch):
    # classic's chains walk the dependency graph of every request; a failed solve leaves
    # them until the error's chains or bad_deps are read, then works them out once
    explain_module = importlib.import_module("conda_altsolver.engine.explain")
    calls = []
    plain_chains = explain_module.classic_chains

    def counted(*args, **kwargs):
        calls.append(args)
        return plain_chains(*args, **kwargs)

    monkeypatch.setattr(explain_module, "classic_chains", counted)
    error = unsatisfiable(SIMPLE, ["a", "b"])
    assert calls == [] and set(error.core) == {"a", "b"}
    assert unsatisfiable_entries(error.bad_deps) == [
        ("a", "c[version='>=1,<2']"), ("b", "c[version='>=2,<3']")]
    assert error.chains == (("a", "c[version='>=1,<2']"), ("b", "c[version='>=2,<3']"))
    assert len(calls) == 1


def test_requested_spec_against_a_dependency():
    records = [record("numpy", v) for v in ("1.20", "1.21", "1.22")]
    records.append(record("pandas", "2.0", ["numpy >=1.22"]))
    error = unsatisfiable(records, ["pandas", "numpy 1.21.*"])
    assert error.explanation == (
        "Because every version of pandas depends on numpy >=1.22 and you requested pandas "
        "and numpy 1.21.*, no solution is possible."
    )
    assert unsatisfiable_entries(error.bad_deps) == [
        ("numpy=1.21",), ("pandas", "numpy[version='>=1.22']")]


def test_optional_spec_is_a_constraint():
    records = [record("numpy", v) for v in ("1.20", "1.21", "1.22")]
    records.append(record("pandas", "2.0", ["numpy >=1.22"]))
    error = unsatisfiable(records, ["pandas", SpecRequest("numpy 1.21.*", optional=True)])
    assert error.explanation == (
        "Because every version of pandas depends on numpy >=1.22 and you requested pandas and "
        "you constrained numpy 1.21.*, no solution is possible."
    )


def test_role_labels_when_supported():
    if "role" not in getattr(SpecRequest, "__dataclass_fields__", {}):
        pytest.skip("SpecRequest has no role field yet (requested in .status/requests.txt)")
    records = [record("numpy", v) for v in ("1.20", "1.21", "1.22")]
    records.append(record("pandas", "2.0", ["numpy >=1.22"]))
    pin = SpecRequest("numpy 1.21.*", role="pinned")
    error = unsatisfiable(records, ["pandas", pin])
    assert "you requested pandas and you pinned numpy 1.21.*" in error.explanation


def test_missing_dependency():
    error = unsatisfiable([record("a", depends=["b >=2"]), record("b", "1.0")], ["a"])
    assert error.explanation == (
        "Because nothing provides b >=2 needed by every version of a and you requested a, "
        "no solution is possible."
    )
    error = unsatisfiable([record("a", depends=["zzz"])], ["a"])
    assert error.explanation == (
        "Because nothing provides zzz needed by every version of a and you requested a, "
        "no solution is possible."
    )


def test_invalid_dependency_spec_is_quoted():
    error = unsatisfiable([record("a", depends=["b >=>1"]), record("b")], ["a"])
    assert error.explanation == (
        "Because every version of a has invalid dependency specs (invalid match spec "
        "'b >=>1': invalid version spec '>=>1': invalid operator) and you requested a, "
        "no solution is possible."
    )


def test_virtual_package_too_old():
    records = [record("a", "1.0", ["__glibc >=2.28"]), record("a", "0.9", ["__glibc >=2.30"])]
    error = unsatisfiable(records, ["a"], virtual=[GLIBC])
    assert error.explanation == (
        "Because your system has __glibc 2.17 but every version of a needs "
        "__glibc >=2.28|>=2.30 and you requested a, no solution is possible."
    )
    assert error.bad_deps["virtual_package"] == {
        (("a", "__glibc[version='>=2.28|>=2.30']"), "2.17"), (("__glibc==2.17=0",), "2.17")}


def test_virtual_package_absent():
    error = unsatisfiable([record("a", depends=["__cuda >=11"])], ["a"], virtual=[GLIBC])
    assert error.explanation == (
        "Because your system has no __cuda but every version of a needs __cuda >=11 and you "
        "requested a, no solution is possible."
    )


def test_python_version_conflict():
    pythons = [record("python", v) for v in ("2.7.18", "3.8.10", "3.9.1")]
    foo = [record("foo", "1.0", ["python >=3.8"]), record("foo", "0.5", ["python >=3.9"])]
    specs = [SpecRequest("python 2.7.*", target=pythons[0]), "foo"]
    error = unsatisfiable(pythons + foo, specs)
    assert error.explanation == (
        "Because every version of foo depends on python >=3.8 and your environment has "
        "python 2.7.* installed and you requested foo, no solution is possible."
    )
    assert error.bad_deps["python"] == {
        (("foo", "python[version='>=3.8|>=3.9']"), "python=2.7")}
    assert not error.bad_deps["direct"]


def test_strict_channel_priority():
    records = [
        record("a", depends=["b >=2"], channel="chanB"),
        record("b", "1.0", channel="chanA"),
        record("b", "2.0", channel="chanB"),
    ]
    policy = Policy(channel_order=("chanA", "chanB"), channel_priority="strict")
    error = unsatisfiable(records, ["a"], policy=policy)
    assert error.explanation == (
        "Because every version of a depends on b >=2 and b 2.0 is excluded by strict channel "
        "priority (b only from chanA), a cannot be installed.\n"
        "And because you requested a, no solution is possible."
    )
    assert error.core == ("a",)


def test_sudoku_names_the_clashing_givens(data_dir):
    givens = (data_dir / "README.md").read_text().split("Sudoku givens for both")[1]
    givens = givens.split(":", 1)[1].split("`.")[0].replace("`", "").replace("\n", " ")
    specs = [g.strip() for g in givens.split(",")]
    assert len(specs) == 30
    records = load_channel(data_dir, "sudoku", subdirs=("noarch",))
    start = time.perf_counter()
    pool = Pool([Repo.from_records(records)], Policy())
    requests = solve_module._parse_requests(pool, specs)
    # the first refutation, as ``_minimal_conflict`` starts with (its deletion loop is the
    # slow part on this puzzle: one given alone is unsatisfiable, with a long proof)
    reasons = refute_with_exclusions(pool, requests)
    found = explain_conflict(pool, requests, reasons)
    elapsed = time.perf_counter() - start
    assert found.text == (
        "Because sudoku_0_3 8 depends on sudoku_2_2 !=8 and you requested sudoku_2_2 ==8 and "
        "sudoku_0_3 ==8, no solution is possible."
    )
    assert set(found.core) == {"sudoku_2_2 ==8", "sudoku_0_3 ==8"}
    assert elapsed < 5  # about 0.5 s here; generous for a loaded machine


def test_pubgrub_linear_error_reporting():
    """dart-lang/pub ``doc/solver.md``, "Linear error reporting"."""
    records = [
        record("foo", "1.0.0", ["bar >=2,<3"]),
        record("bar", "2.0.0", ["baz >=3,<4"]),
        record("baz", "1.0.0"),
        record("baz", "3.0.0"),
    ]
    error = unsatisfiable(records, ["foo >=1,<2", "baz >=1,<2"])
    assert error.explanation == (
        "Because every version of bar depends on baz >=3,<4 and every version of foo depends "
        "on bar >=2,<3, foo requires baz >=3,<4.\n"
        "And because you requested foo >=1,<2 and baz >=1,<2, no solution is possible."
    )


def test_pubgrub_branching_error_reporting():
    """dart-lang/pub ``doc/solver.md``, "Branching error reporting": numbered lines."""
    records = [
        record("foo", "1.0.0", ["a >=1,<2", "b >=1,<2"]),
        record("foo", "1.1.0", ["x >=1,<2", "y >=1,<2"]),
        record("a", "1.0.0", ["b >=2,<3"]),
        record("b", "1.0.0"),
        record("b", "2.0.0"),
        record("x", "1.0.0", ["y >=2,<3"]),
        record("y", "1.0.0"),
        record("y", "2.0.0"),
    ]
    error = unsatisfiable(records, ["foo >=1,<2"])
    assert error.explanation == (
        "Because every version of a depends on b >=2,<3 and foo 1.0.0 depends on a >=1,<2, "
        "foo ==1.0.0 requires b >=2,<3.\n"
        "And because foo 1.0.0 depends on b >=1,<2, foo ==1.0.0 cannot be installed. (1)\n"
        "\n"
        "Because foo 1.1.0 depends on x >=1,<2 and every version of x depends on y >=2,<3, "
        "foo >=1.1.0 requires y >=2,<3.\n"
        "And because foo 1.1.0 depends on y >=1,<2, foo >=1.1.0 cannot be installed.\n"
        "And because foo ==1.0.0 cannot be installed (1), foo cannot be installed.\n"
        "And because you requested foo >=1,<2, no solution is possible."
    )


# -- the passes alone -----------------------------------------------------------------------------


def test_conclusion_phrases():
    a, b = Term("a", True), Term("b", True, ">=2")
    assert conclusion(()) == "no solution is possible"
    assert conclusion((a,)) == "a cannot be installed"
    assert conclusion((Term("a", False),)) == "a is required"
    assert conclusion((a, Term("c", False, "<2"))) == "a requires c <2"
    assert conclusion((a, b)) == "a and b >=2 are incompatible"


def test_merge_requests_folds_consecutive_requests():
    fact = External("requires", (Term("a", True), Term("c", False, "<2")), "a depends on c <2")
    first = External("requests", (Term("a", False),), "you requested a", ("a",), ("requested",))
    second = External("requests", (Term("c", False),), "you pinned c 3", ("c 3",), ("pinned",))
    inner = Derived((Term("c", True, ">=2"),), fact, first)
    tree = Derived((), inner, second)
    merged = merge_requests(tree)
    assert merged.cause1 is fact
    assert merged.cause2.text == "you requested a and you pinned c 3"
    assert render(merged) == (
        "Because a depends on c <2 and you requested a and you pinned c 3, "
        "no solution is possible."
    )


def test_shared_derivations_are_numbered():
    fact1 = External("requires", (Term("a", True),), "x")
    fact2 = External("requires", (Term("b", True),), "y")
    shared = Derived((Term("a", True),), fact1, fact2, shared_id=1)
    left = Derived((Term("b", True),), shared, External("missing", (), "z"))
    tree = Derived((), left, shared)
    assert render(tree) == (
        "Because x and y, a cannot be installed. (1)\n"
        "And because z, b cannot be installed.\n"
        "And because a cannot be installed (1), no solution is possible."
    )
