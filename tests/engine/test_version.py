"""engine/version.py: conda's version order and version specs, checked on conda's own
documented examples and on the pitfalls listed in the engine notes (§5). No conda needed:
every expected answer here was taken from conda 26.7.1.
"""

from __future__ import annotations

import pytest

from conda_altsolver.engine.errors import InvalidSpec, InvalidVersion
from conda_altsolver.engine.version import (
    Version,
    parse_build_number_spec,
    parse_version,
    parse_version_spec,
    version_key,
)

# conda's VersionOrder docstring order, smallest first; '==' marks equal neighbours
CONDA_DOC_ORDER = """
0.4 < 0.4.0 < 0.4.1.rc == 0.4.1.RC < 0.4.1 < 0.5a1 < 0.5b3 < 0.5C1 < 0.5 < 0.9.6 < 0.960923
< 1.0 < 1.1dev1 < 1.1_ < 1.1a1 < 1.1.0dev1 == 1.1.dev1 < 1.1.a1 < 1.1.0rc1 < 1.1.0 == 1.1
< 1.1.0post1 == 1.1.post1 < 1.1post1 < 1996.07.12 < 1!0.4.1 < 1!3.1.1.6 < 2!0.4.1
"""


def _doc_pairs():
    tokens = CONDA_DOC_ORDER.split()
    for i in range(1, len(tokens) - 1, 2):
        yield tokens[i - 1], tokens[i], tokens[i + 1]


@pytest.mark.parametrize(("left", "op", "right"), list(_doc_pairs()))
def test_conda_documented_order(left, op, right):
    a, b = parse_version(left), parse_version(right)
    if op == "==":
        assert a == b and hash(a) == hash(b)
    elif left in ("0.4",):
        # conda's docstring lists 0.4 < 0.4.0, but VersionOrder makes them equal
        assert a == b
    else:
        assert a < b and b > a and a != b


@pytest.mark.parametrize(
    ("smaller", "larger"),
    [
        ("1.0a1", "1.0"),
        ("1.0rc1", "1.0"),
        ("1.0a", "1.0alpha"),
        ("1.0alpha", "1.0b"),
        ("1.0dev1", "1.0a1"),
        ("1.0a1", "1.0.dev1"),
        ("1.0.dev1", "1.0"),
        ("1.0", "1.0.post1"),
        ("1.0.post1", "1.0.1"),
        ("1.0.1", "1.0post1"),
        ("1.0post1", "1.1"),
        ("1.0.1_", "1.0.1a"),
        ("1.0_", "1.0"),
        ("2.0", "1!0.1"),
        ("1.0+local", "1.0"),
        ("1.0", "1.0+1"),
        ("1.9", "1.10"),
        ("1.0.*", "1.0.0"),  # '*' is a string: below numbers
    ],
)
def test_pitfall_order(smaller, larger):
    assert parse_version(smaller) < parse_version(larger)
    assert parse_version(larger) > parse_version(smaller)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("1.0", "1.0.0"),
        ("1.0", "1.0.0.0"),
        ("1.1.0_1", "1.1.0.1"),
        ("2021.1", "2021.01"),
        ("1.0-1", "1.0_1"),
        ("1.0RC1", "1.0rc1"),
        ("0!1.0", "1.0"),
        ("1.1.a1", "1.1.0a1"),
        (" 1.0 ", "1.0"),
    ],
)
def test_equal_versions(a, b):
    assert parse_version(a) == parse_version(b)
    assert hash(parse_version(a)) == hash(parse_version(b))


@pytest.mark.parametrize(
    "text", ["", "  ", "1.0-rc_1", "1!2!3", "a!1.0", "1+2+3", "+1", "1..0", "1.0@", "1 0", "é"]
)
def test_invalid_versions(text):
    with pytest.raises(InvalidVersion) as info:
        parse_version(text)
    assert repr(text) in str(info.value)


def test_version_keeps_text_and_is_cached():
    v = parse_version("1.0-RC1")
    assert v.text == "1.0-RC1"
    assert str(v) == "1.0_rc1"
    assert parse_version("1.0-RC1") is v
    assert parse_version(v) is v
    assert isinstance(v, Version)
    assert v != "1.0-RC1"


def test_sorting_uses_native_keys():
    texts = ["1.10", "1.9", "1.0a1", "1!0.1", "1.0", "1.0.post1", "1.0dev"]
    ordered = sorted(texts, key=parse_version)
    assert ordered == ["1.0dev", "1.0a1", "1.0", "1.0.post1", "1.9", "1.10", "1!0.1"]


@pytest.mark.parametrize(
    ("version", "prefix", "expected"),
    [
        ("1.0.1", "1.0", True),
        ("1.01", "1.0", False),
        ("1.0a1", "1.0", True),
        ("1.0.post1", "1.0", True),
        ("1.0+local", "1.0", True),
        ("1.0", "1.0+l", False),
        ("1.0+local", "1.0+l", True),
        ("1.10", "1.1", False),
        ("1.0rc1", "1.0r", True),
    ],
)
def test_startswith(version, prefix, expected):
    assert parse_version(version).startswith(parse_version(prefix)) is expected


# --- version specs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "version", "expected"),
    [
        ("*", "anything", True),
        ("1.0*", "1.0.5", True),
        ("1.0*", "1.01", False),
        ("1.0.*", "1.0a1", True),
        ("1.0.*", "1.0.post1", True),
        ("1.0.*", "1.0+local", True),
        ("1.*.3", "1.2.3", True),
        ("1.*.3", "1.2.4", False),
        ("1.0", "1.0.0", True),
        ("1.0", "1.0.1", False),
        ("1.0", "1.0+abc", False),
        ("==1.0", "1.0.0", True),
        ("=1.0", "1.0.1", True),
        ("=1.0", "1.0+abc", True),
        ("<2.0", "2.0a1", True),
        ("<2.0", "2.0rc1", True),
        ("<2.0", "2.0.dev0", True),
        ("<2.0a0", "2.0rc1", False),
        ("~=1.4.2", "1.4.5", True),
        ("~=1.4.2", "1.5.0", False),
        ("~=1.4.2", "1.4.1", False),
        ("~=1.4", "1.9", True),
        ("~=1.4", "2.0", False),
        ("!=1.0.*", "1.0.5", False),
        ("!=1.0.*", "1.1", True),
        ("=1.0.*", "1.0.5", True),
        (">=1.0.*", "1.0", True),
        ("<=1.0.*", "1.0.1", False),
        (">=1.8,<2|==1.7", "1.7", True),
        (">=1.8,<2|==1.7", "2.0", False),
        ("(>=1,<2)|(>=3,<4)", "3.5", True),
        ("(>=1,<2)|(>=3,<4)", "2.5", False),
        ("^1\\.[0-9]+$", "1.12", True),
        ("^1\\.[0-9]+$", "1.12.1", False),
        ("@", "@", True),
        ("@", "1.0", False),
        ("1.0|1.2.*", "1.2.3", True),
        (">1.0", "1.0+local", False),  # the local part only breaks ties, below the public one
    ],
)
def test_version_spec_match(spec, version, expected):
    assert parse_version_spec(spec).match(version) is expected
    if version != "@":
        assert parse_version_spec(spec).match(parse_version(version)) is expected


@pytest.mark.parametrize(
    ("spec", "canonical", "exact"),
    [
        ("1.0*", "1.0.*", False),
        ("1.0**", "1.0*.*", False),
        ("(1.2.3,4.5.6)|<=7.8.9", "1.2.3,4.5.6|<=7.8.9", False),
        ("(1.2.3|4.5.6),<=7.8.9", "1.2.3|4.5.6,<=7.8.9", False),
        ("(1.0)(2.0)", "1.0", True),  # conda keeps the first expression only
        ("  >=1.0 ,  <2 ", ">=1.0,<2", False),
        ("==1.0", "==1.0", True),
        (">=1.0.*", ">=1.0.*", False),
        ("1.0", "1.0", True),
    ],
)
def test_version_spec_canonical(spec, canonical, exact):
    parsed = parse_version_spec(spec)
    assert parsed.spec == canonical == str(parsed)
    assert parsed.is_exact is exact


@pytest.mark.parametrize(
    "spec",
    [">>1.0", "<= 1.0", "<>1.0", "~=1.0.*", "1.0,,2", "(1.0", "1.0)", "", "^1.0", "1.0$",
     "()", "1.0-rc_1", ">=1.0 <2", "1.0,"],
)  # fmt: skip
def test_invalid_version_specs(spec):
    with pytest.raises(InvalidSpec):
        parse_version_spec(spec)


def test_compatible_release_on_single_part_fails_like_conda():
    # conda builds the prefix '' for '~=1' and fails, but only once a version >= 1 is tested
    spec = parse_version_spec("~=1")
    assert spec.match("0.5") is False
    with pytest.raises(InvalidSpec):
        spec.match("2.0")


def test_version_spec_merge_and_cache():
    a, b = parse_version_spec(">=1.0"), parse_version_spec("<2")
    assert a.merge(b).spec == "<2,>=1.0"
    assert a.merge(a) is a
    assert parse_version_spec(">=1.0") is a


@pytest.mark.parametrize(
    ("spec", "number", "expected"),
    [
        (3, 3, True),
        ("3", 3, True),
        ("3", 4, False),
        (">=2", 3, True),
        (">=2", 1, False),
        ("!=2", 2, False),
        ("*", 7, True),
        ("^[12]$", 2, True),
        ("^[12]$", 3, False),
        ("abc", 3, False),
    ],
)
def test_build_number_spec(spec, number, expected):
    assert parse_build_number_spec(spec).match(number) is expected


# --- regressions from the property tests (test_against_conda.py) and the fuzzing -------------


@pytest.mark.parametrize(
    ("spec", "version", "expected"),
    [
        ("*", "0!0+0_", True),  # '*' never parses the version, so an invalid one passes
        ("*|>1", "0!0+0_", True),  # conda answers '|' child by child, left to right
        ("=1.0", "1.0a", True),
        ("1.0.*", "1.0.0a", True),
        ("1.0.*", "1.0a", True),
        ("!=1.0.*", "1.0a", False),
        ("0.*", "0a", True),
        ("1.*", "1!1.0", False),  # the epoch is a component like any other
        ("=1!1.0", "1!1.0.5", True),
        ("~=1.0.0", "1.0.0a", False),
    ],
)
def test_regressions_version_spec(spec, version, expected):
    assert parse_version_spec(spec).match(version) is expected


def test_invalid_version_raises_when_it_must_be_read():
    with pytest.raises(InvalidVersion):
        parse_version_spec(">1|*").match("0!0+0_")
    with pytest.raises(InvalidVersion):
        parse_version_spec("1.0.*").match("1.0-rc_1")


def test_version_key_is_the_versions_own_order():
    texts = ["1.0", "1.0.0", "1.0a1", "1!0.1", "1.0+local", "1.0.post1", "1.0_"]
    by_key = sorted(texts, key=version_key)
    by_object = sorted(texts, key=parse_version)
    assert by_key == by_object
    assert version_key("1.0") == version_key("1.0.0") == parse_version("1.0.0")


@pytest.mark.parametrize("spec", ["!=1.0", "!=1", "!=2", "!=3", "!=1.0a", "!=0.9"])
def test_pool_bisects_an_excluded_key_as_the_spec_matches(spec):
    """A ``!=`` spec names the key it refuses (``excluded``); ``Pool`` bisects a group's
    sorted keys for its run (``1``, ``1.0`` and ``1.0.0`` are one key) instead of testing
    each: the records kept are the ones the spec matches."""
    from conda_altsolver.engine import Policy, Repo
    from conda_altsolver.engine.pool import Pool
    from conda_altsolver.engine.spec import parse_spec

    assert parse_version_spec(spec).excluded is not None
    versions = ["1", "1.0", "1.0.0", "1.0.1", "2", "0.9", "1.0a", "2.0"]
    records = [{"name": "x", "version": v, "build": str(i), "build_number": 0, "depends": [],
                "subdir": "noarch", "fn": f"x-{v}-{i}.tar.bz2"} for i, v in enumerate(versions)]
    pool = Pool([Repo.from_records(records)], Policy())
    found = {pool.records[rid]["version"] for rid in pool.matches(parse_spec(f"x {spec}"))}
    assert found == {v for v in versions if parse_version_spec(spec).match(v)}


BARE_VERSIONS = ["1.0", "8d", "R15B01", "1!2.0", "1.0+local", "0.4.2.dev", "1.0_", "2012j",
                 "1.1.0post1", "1..0", "1.0+", "+1", ".5", "1_0.1"]
KEYS_TO_TEST = ["0", "1", "1.0", "1.0.0", "8d", "8e", "1!2", "1.0+local", "1.0_", "0.4.2.dev0",
                "2012j", "1.1.post1", "0.5"]


def _spec_outcome(text: str):
    """What a version spec of ``text`` is made of and answers, or the error it raises."""
    from conda_altsolver.engine import version as version_module

    version_module.clear_caches()
    try:
        spec = parse_version_spec(text)
    except (InvalidSpec, InvalidVersion) as exc:
        return type(exc), str(exc)
    key_answers = [spec.key_test(version_key(v)) for v in KEYS_TO_TEST] if spec.key_test else None
    return (spec.spec, spec.is_exact, spec._kind, spec._arg, spec.bounds, spec.excluded,
            key_answers, [spec.match(v) for v in KEYS_TO_TEST])


@pytest.mark.parametrize("text", BARE_VERSIONS)
def test_a_bare_version_spec_is_what_the_general_path_makes(text, monkeypatch):
    """A version alone ("1.2.3", the pinned dependency's spec) skips the tree and relation
    checks: the spec (its parts, bounds, key test and matches) or the error is the same."""
    from conda_altsolver.engine import version as version_module

    fast = _spec_outcome(text)
    monkeypatch.setattr(version_module, "_bare_version", lambda text: None)
    assert _spec_outcome(text) == fast
    version_module.clear_caches()
