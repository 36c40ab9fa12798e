"""Engine failures mapped to conda exceptions (``conda_altsolver.errors``)."""

from __future__ import annotations

import pytest

pytest.importorskip("conda")

from conda.exceptions import (  # noqa: E402
    InvalidMatchSpec,
    InvalidVersionSpec,
    PackagesNotFoundError,
    PackagesNotFoundInChannelsError,
    ResolvePackageNotFound,
    UnsatisfiableError,
)
from conda.base.context import context  # noqa: E402
from conda.models.match_spec import MatchSpec  # noqa: E402

from conda_altsolver import errors  # noqa: E402
from conda_altsolver.engine import (  # noqa: E402
    InvalidSpec,
    InvalidVersion,
    PackagesNotFound,
    Unsatisfiable,
)

pytestmark = pytest.mark.conda


def virtual_cuda():
    from conda.models.records import PackageRecord

    return PackageRecord.virtual_package("__cuda", "8.0")


def convert(exc, specs_to_add=("cudatoolkit",), history=None, retry=False, matches=None):
    return errors.from_engine(
        exc,
        specs_to_add=[MatchSpec(s) for s in specs_to_add],
        history=history or {},
        find_matches=matches or (lambda spec: []),
        virtual=[virtual_cuda()],
        should_retry_solve=retry,
    )


def test_virtual_package_conflict_has_classic_text():
    exc = Unsatisfiable(
        core=("cudatoolkit",),
        chains=[("__cuda==8.0=0",), ("cudatoolkit", "__cuda >=10.0|>=9.0")],
        explanation="cudatoolkit needs a newer CUDA driver",
    )
    error = convert(exc)
    assert type(error) is UnsatisfiableError
    assert str(error).strip() == (
        "The following specifications were found to be incompatible with your system:\n\n"
        f"  - feature:/{context.subdir}::__cuda==8.0=0\n"
        "  - cudatoolkit -> __cuda[version='>=10.0|>=9.0']\n\n"
        "Your installed version is: 8.0"
    )
    assert error.explanation == "cudatoolkit needs a newer CUDA driver"
    assert error.allow_retry is False


def test_direct_conflict_lists_chains_and_appends_explanation():
    exc = Unsatisfiable(
        chains=[("a", "c 1.*"), ("b", "c 2.*")], explanation="a and b need different c (100%)"
    )
    error = convert(exc, specs_to_add=("a", "b"))
    assert sorted(tuple(map(str, chain)) for chain in error.unsatisfiable) == [
        ("a", "c=1"), ("b", "c=2")
    ]
    assert str(error).rstrip().endswith("a and b need different c (100%)")
    # conda's CLI shows the guidance, not the message: the explanation is in its cause
    assert "a and b need different c (100%)" in error.guidance.cause


def test_conflict_with_history_is_classified():
    exc = Unsatisfiable(chains=[("a", "c 2.*")])
    error = convert(exc, specs_to_add=("a",), history={"c": MatchSpec("c 1.*")})
    assert "incompatible with a past" in str(error) and "c=1" in str(error)


def test_python_conflict_is_classified():
    def matches(spec):
        return {"python=2.7": {"py27"}, "python=3.9": {"py39"}}.get(str(spec), set())

    exc = Unsatisfiable(chains=[("python=3.9",), ("numpy", "python 2.7.*")])
    error = convert(exc, specs_to_add=("numpy",), matches=matches)
    assert "existing python installation" in str(error)


def test_retry_gives_the_hintless_error():
    error = convert(Unsatisfiable(chains=[("a", "c")]), retry=True)
    assert type(error) is UnsatisfiableError and not error.unsatisfiable
    assert getattr(error, "allow_retry", True) is True


def test_no_chains_gives_the_hintless_text():
    assert "Did not find conflicting dependencies" in str(convert(Unsatisfiable()))


def test_missing_dependency_is_resolve_package_not_found():
    error = convert(PackagesNotFound(["libfoo >=2"], chains=[("app", "libfoo >=2")]))
    assert isinstance(error, ResolvePackageNotFound)
    assert "app -> libfoo[version='>=2']" in str(error)
    assert error.allow_retry is False


def test_missing_request_is_packages_not_found_in_channels():
    error = errors.packages_not_found([MatchSpec("nope")], ["chan"])
    assert isinstance(error, PackagesNotFoundInChannelsError)
    assert isinstance(error, PackagesNotFoundError) and error.allow_retry is False


@pytest.mark.parametrize(
    "exc, expected",
    [(InvalidVersion("bad version '1..2'"), InvalidVersionSpec),
     (InvalidSpec("bad spec 'x[[['"), InvalidMatchSpec)],
)
def test_bad_input_is_a_conda_error_not_a_traceback(exc, expected):
    error = convert(exc)
    assert isinstance(error, expected)
    assert str(error)


def test_unknown_exceptions_pass_through():
    exc = RuntimeError("boom")
    assert convert(exc) is exc
