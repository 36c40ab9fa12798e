"""Property tests: engine/version.py and engine/spec.py give conda's answers.

hypothesis generates version strings, version specs and match specs (both plausible ones and
odd ones) and compares every answer with conda's ``VersionOrder``, ``VersionSpec`` and
``MatchSpec``. Disagreements found this way live on as regression tests in test_version.py
and test_spec.py. Runs only where conda is importable; the examples are the same on every
run unless ``ALTSOLVER_HYPOTHESIS_RANDOM`` is set.
"""

from __future__ import annotations

import os
import warnings

import pytest

conda_version = pytest.importorskip("conda.models.version")
conda_match_spec = pytest.importorskip("conda.models.match_spec")

from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from conda_altsolver.engine.errors import InvalidSpec, InvalidVersion  # noqa: E402
from conda_altsolver.engine.spec import merge_specs, parse_spec  # noqa: E402
from conda_altsolver.engine.version import parse_version, parse_version_spec  # noqa: E402

VersionOrder = conda_version.VersionOrder
VersionSpec = conda_version.VersionSpec
CondaMatchSpec = conda_match_spec.MatchSpec

pytestmark = pytest.mark.conda

# modest by default (shared machines); ALTSOLVER_HYPOTHESIS_EXAMPLES=5000 for a deep run
# The same examples on every run, so that CI's verdict is the code's; a run with
# ALTSOLVER_HYPOTHESIS_RANDOM=1 explores new ones (a finding becomes a test in test_spec.py).
SETTINGS = settings(
    max_examples=int(os.environ.get("ALTSOLVER_HYPOTHESIS_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=not os.environ.get("ALTSOLVER_HYPOTHESIS_RANDOM"),
)

# --- strategies -----------------------------------------------------------------------------

_WORDS = ["a", "b", "rc", "dev", "post", "alpha", "beta", "g", "x", "DEV", "Post", "RC", "*"]
_number = st.integers(0, 30).map(str) | st.sampled_from(["00", "01", "010", "2021", "999"])
_word = st.sampled_from(_WORDS)
_part = st.lists(_number | _word, min_size=1, max_size=3).map("".join)
_sep = st.sampled_from([".", ".", ".", "_", "-"])


@st.composite
def versions(draw) -> str:
    """Mostly plausible versions: parts joined by separators, epochs, locals, '_' tails."""
    parts = draw(st.lists(_part, min_size=1, max_size=5))
    text = parts[0]
    for part in parts[1:]:
        text += draw(_sep) + part
    if draw(st.integers(0, 9)) == 0:
        text = draw(_number) + "!" + text
    if draw(st.integers(0, 6)) == 0:
        text += "+" + draw(_part) + draw(st.sampled_from(["", ".1", "_2", ".a"]))
    if draw(st.integers(0, 9)) == 0:
        text += "_"
    return text


_odd_versions = st.text(alphabet="0123456789.+_-!*abDEVpost ", min_size=0, max_size=10)
any_version = versions() | _odd_versions

_operators = st.sampled_from(["", "==", "!=", "<", "<=", ">", ">=", "~=", "=", "==="])


@st.composite
def simple_version_specs(draw) -> str:
    text = draw(_operators) + draw(versions())
    tail = draw(st.sampled_from(["", "", "", "*", ".*", "$"]))
    text += tail
    if draw(st.integers(0, 12)) == 0:
        text = "^" + text.replace("*", ".*") + ("" if text.endswith("$") else "$")
    return text


@st.composite
def version_specs(draw) -> str:
    """Simple specs combined with ',' and '|', sometimes parenthesised, sometimes spaced."""
    items = draw(st.lists(simple_version_specs(), min_size=1, max_size=4))
    text = items[0]
    for item in items[1:]:
        text += draw(st.sampled_from([",", "|", ",", " , ", "| "])) + item
    if draw(st.integers(0, 5)) == 0:
        text = f"({text})" + draw(st.sampled_from(["", ",>0", "|1.0"]))
    if draw(st.integers(0, 15)) == 0:
        text = draw(st.sampled_from(["*", "", "()", "1.0,,2", "(1.0", "1.0)", "@", "1.*.3"]))
    return text


_names = st.sampled_from(
    ["numpy", "python", "py-lib", "_openmp_mutex", "__glibc", "Foo", "a.b", "x_y", "py*",
     "*", "*lib", "bad__name", "9x", "x--y", "x-", "_"]
)  # fmt: skip
_builds = st.sampled_from(
    ["py_0", "py39h1234_0", "*", "py*", "*_0", "*cpu*", "^py.*$", "0", "h_1"]
)  # fmt: skip
_channels = st.sampled_from(
    ["conda-forge", "defaults", "pkgs/main", "pkgs/r", "conda-forge/linux-64", "local",
     "https://conda.anaconda.org/conda-forge", "https://repo.anaconda.com/pkgs/main",
     "https://example.com/chan/noarch", "*", "conda-*", "conda-forge/label/dev"]
)  # fmt: skip
_bracket_items = st.sampled_from(
    ["build=py_0", "build='py*'", "build_number=3", "build_number='>=2'", "version='>=1.0'",
     "version=1.0", "version='=1.0'", "subdir=linux-64", "md5=abc", "track_features=mkl",
     "track_features='a b'", "features=mkl", "license=MIT", "channel=conda-forge",
     "fn=foo-1.0-0.tar.bz2", "sha256=ff", "optional=true", "name=other", "unknown=1"]
)  # fmt: skip


@st.composite
def match_specs(draw) -> str:
    text = draw(_names)
    if draw(st.booleans()):
        sep = draw(st.sampled_from([" ", "", "=", "==", " =", ">=", " >="]))
        text += sep + draw(versions())
        if draw(st.integers(0, 2)) == 0:
            text += draw(st.sampled_from([" ", "=", " =", "  "])) + draw(_builds)
    elif draw(st.integers(0, 3)) == 0:
        text += " " + draw(version_specs())
    if draw(st.integers(0, 3)) == 0:
        text = draw(_channels) + "::" + text
    if draw(st.integers(0, 3)) == 0:
        items = draw(st.lists(_bracket_items, min_size=1, max_size=3))
        text += "[" + draw(st.sampled_from([",", " ", ", "])).join(items) + "]"
    if draw(st.integers(0, 20)) == 0:
        text = draw(st.sampled_from(["mkl@", "x #c", "x if y", "x (optional)", "::x", "a:b"]))
    return text


def _valid_record_version(text: str) -> bool:
    try:
        VersionOrder(text)
    except Exception:
        return False
    return "*" not in text


_records = st.fixed_dictionaries(
    {
        "name": _names.filter(lambda n: "*" not in n).map(str.lower),
        "version": versions().filter(_valid_record_version),
        "build": st.sampled_from(["py_0", "py39h1234_0", "0", "cpu_1", "h_1"]),
        "build_number": st.integers(0, 4),
        "channel": st.sampled_from(["conda-forge", "pkgs/main", "pkgs/r", "local", "pytorch"]),
        "subdir": st.sampled_from(["linux-64", "noarch"]),
        "md5": st.sampled_from(["abc", "ABC"]),
        "track_features": st.sampled_from(["", "mkl", "a b", "a,b"]),
        "license": st.sampled_from(["MIT", "mit", "BSD"]),
    }
)


# --- helpers --------------------------------------------------------------------------------


def _conda(fn, *args):
    """conda's answer, or the exception class name when conda refuses."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args)
    except Exception as exc:  # conda raises several kinds; any of them means "refused"
        return ("error", type(exc).__name__)


def _ours(fn, *args):
    try:
        return fn(*args)
    except (InvalidSpec, InvalidVersion) as exc:
        return ("error", type(exc).__name__)


def _same(ours, theirs) -> bool:
    if isinstance(theirs, tuple) and theirs[:1] == ("error",):
        return isinstance(ours, tuple) and ours[:1] == ("error",)
    return ours == theirs


# --- versions -------------------------------------------------------------------------------


@SETTINGS
@given(any_version)
@example("1.0-rc_1")
@example("1!2!3")
@example("+1")
@example("1..0")
def test_version_validity(text):
    theirs = _conda(lambda t: str(VersionOrder(t)), text)
    ours = _ours(lambda t: str(parse_version(t)), text)
    assert _same(ours, theirs), (text, ours, theirs)


@SETTINGS
@given(versions(), versions())
@example("1.0", "1.0.0")
@example("1.0post1", "1.0.1")
@example("1.0.1_", "1.0.1a")
@example("1.0+local", "1.0")
@example("1.0dev1", "1.0a1")
def test_version_order(a, b):
    try:
        va, vb = VersionOrder(a), VersionOrder(b)
    except Exception:
        return
    pa, pb = parse_version(a), parse_version(b)
    assert (pa == pb) == (va == vb), (a, b)
    assert (pa < pb) == (va < vb), (a, b)
    assert (pa > pb) == (va > vb), (a, b)
    if pa == pb:
        assert hash(pa) == hash(pb)
    assert pa.startswith(pb) == va.startswith(vb), (a, b)


# --- version specs --------------------------------------------------------------------------


@SETTINGS
@given(version_specs(), st.lists(versions(), min_size=1, max_size=8))
@example("~=1", ["0.5", "2.0"])
@example("*", ["0!0+0_"])
@example("*|>1", ["0!0+0_", "2"])
@example("1.0.*", ["1.0.0a", "1.0a", "1!1.0"])
@example("(1.0)(2.0)", ["1.0", "2.0"])
@example("1.0**", ["1.0", "1.0a"])
def test_version_spec(spec_text, version_texts):
    theirs = _conda(lambda t: VersionSpec(t).spec, spec_text)
    ours = _ours(lambda t: parse_version_spec(t).spec, spec_text)
    assert _same(ours, theirs), (spec_text, ours, theirs)
    if isinstance(theirs, tuple):
        return
    for version in version_texts:
        expected = _conda(VersionSpec(spec_text).match, version)
        got = _ours(parse_version_spec(spec_text).match, version)
        assert _same(got, expected), (spec_text, version, got, expected)


# --- match specs ----------------------------------------------------------------------------


def _conda_spec_summary(text):
    spec = CondaMatchSpec(text)
    fields = {k: str(v) for k, v in spec._match_components.items()}
    return str(spec), spec.name, spec.strictness, spec.is_name_only_spec, fields


def _our_spec_summary(text):
    spec = parse_spec(text)
    fields = {k: str(v) for k, v in spec.components.items()}
    return str(spec), spec.name, spec.strictness, spec.is_name_only, fields


@SETTINGS
@given(match_specs())
@example("numpy=")
@example("numpy= ")
@example("foo (>=1|<0.5),>2")
@example("pkgs/main::x")
@example("*/linux-64::foo>=1.0")
@example("x[name=y]")
@example("numpy\t::py_0post")
@example("Xhttps://::::post1a")
@example("https://Foo.COM/chan::x")
def test_match_spec_parse(text):
    theirs = _conda(_conda_spec_summary, text)
    ours = _ours(_our_spec_summary, text)
    assert _same(ours, theirs), (text, ours, theirs)


@SETTINGS
@given(match_specs(), st.lists(_records, min_size=1, max_size=6))
def test_match_spec_match(text, records):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = CondaMatchSpec(text)
    except Exception:
        return
    ours = parse_spec(text)
    for record in records:
        expected = _conda(theirs.match, dict(record))
        got = _ours(ours.match, record)
        if isinstance(expected, tuple):
            continue  # conda failed on the record itself (e.g. an invalid version): skip
        assert bool(got) == bool(expected), (text, record, got, expected)


@SETTINGS
@given(st.lists(match_specs(), min_size=1, max_size=4))
@example(["x >=1", "x <2", "y", "x[build=py*]", "x[build=*_0]", "*[md5=1]"])
@example(["x 1.0 py_0", "x 1.0 py_1"])
def test_merge(texts):
    def conda_merge(ts):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [str(s) for s in CondaMatchSpec.merge(ts)]

    theirs = _conda(conda_merge, texts)
    ours = _ours(lambda ts: [str(s) for s in merge_specs(ts)], texts)
    assert _same(ours, theirs), (texts, ours, theirs)
