"""engine/spec.py: match specs parse, print, match and merge as conda's ``MatchSpec`` does.

Expected answers were taken from conda 26.7.1; no conda is needed to run these. Cases found
by the property tests in test_against_conda.py are kept here as regressions.
"""

from __future__ import annotations

import re

import pytest

from conda_altsolver.engine import spec as spec_module
from conda_altsolver.engine.errors import InvalidSpec, InvalidVersion
from conda_altsolver.engine.spec import MatchSpec, merge_specs, parse_spec

# text -> (conda's str(MatchSpec(text)), strictness, is_name_only_spec)
CANONICAL = {
    "numpy": ("numpy", 1, True),
    "numpy 1.21.*": ("numpy=1.21", 2, False),
    "python >=3.8,<3.9.0a0": ("python[version='>=3.8,<3.9.0a0']", 2, False),
    "libgcc-ng >=9.3.0": ("libgcc-ng[version='>=9.3.0']", 2, False),
    "foo 1.0 py_0": ("foo==1.0=py_0", 3, False),
    "bar =1.2": ("bar=1.2", 2, False),
    "foo=1.0=py27_0": ("foo==1.0=py27_0", 3, False),
    "conda-forge::foo[version=1.0.*]": ("conda-forge::foo=1.0", 3, False),
    "conda-forge/linux-64::foo>=1.0": ("conda-forge/linux-64::foo[version='>=1.0']", 3, False),
    "*/linux-64::foo>=1.0": ("foo[subdir=linux-64,version='>=1.0']", 3, False),
    "pkgs/main/linux-64::numpy==1.11.3": ("defaults/linux-64::numpy==1.11.3", 3, False),
    "defaults::numpy": ("defaults::numpy", 3, False),
    "*[track_features=mkl]": ("*[track_features=mkl]", 3, False),
    "mkl@": ("*[track_features=mkl]", 3, False),
    "numpy[md5=abc]": ("numpy[md5=abc]", 3, False),
    "x 1.0 *": ("x==1.0[build=*]", 3, False),
    "x * py_0": ("x[build=py_0]", 3, False),
    "x >=1 *": ("x[version='>=1',build=*]", 3, False),
    'x[build_number=">=3"]': ("x[build_number='>=3']", 3, False),
    "x ~=1.0 py_0": ("x[version='~=1.0',build=py_0]", 3, False),
    "x !=1.0": ("x!=1.0", 2, False),
    "X": ("x", 1, True),
    "Py*": ("py*", 3, False),
    "x=1.0=py_0[build_number=0]": ("x==1.0=py_0[build_number=0]", 3, False),
    "x 1.*.3": ("x==1.*.3", 2, False),
    'x[version="=1.0"]': ("x=1.0", 2, False),
    "x[license=MIT]": ("x[license=mit]", 3, False),
    "x #comment": ("x", 1, True),
    "x if y": ("x", 1, True),
    "x (optional)": ("x", 1, True),
    "https://conda.anaconda.org/conda-forge/linux-64/numpy-1.0-py_0.tar.bz2": (
        "conda-forge/linux-64::numpy==1.0=py_0",
        3,
        False,
    ),
    "https://example.com/foo/numpy-1.0-py_0.conda": (
        "*[url=https://example.com/foo/numpy-1.0-py_0.conda]",
        3,
        False,
    ),
    "https://repo.anaconda.com/pkgs/main::x": ("https://repo.anaconda.com/pkgs/main::x", 3, False),
    'x[track_features="b a"]': ("x[track_features='a b']", 3, False),
    "numpy=": ("numpy", 1, True),  # '=' with nothing after it is ignored
    "__glibc >=2.17": ("__glibc[version='>=2.17']", 2, False),
    "_openmp_mutex": ("_openmp_mutex", 1, True),
    "x[channel=conda-forge/linux-64]": ("conda-forge/linux-64::x", 3, False),
    "conda-*::x": ("x[channel=conda-*]", 3, False),
    "9x": ("9x", 1, True),
    "": ("*", 3, False),
    # found by the property tests: channel text is kept as written, spaces included
    "numpy\t::py_0post": ("numpy\t::py_0post", 3, False),
    # ...and an upper-case scheme makes no URL
    "Xhttps://::::post1a": ("Xhttps://::::post1a", 3, False),
}


@pytest.mark.parametrize("text", list(CANONICAL))
def test_canonical_str(text):
    spec = parse_spec(text)
    expected_str, strictness, name_only = CANONICAL[text]
    assert str(spec) == expected_str
    assert spec.strictness == strictness
    assert spec.is_name_only is name_only


@pytest.mark.parametrize(
    "text",
    ["foo >>1.0", "foo =", "foo[unknown=1]", "numpy= ", "numpy==", "bad__name",
     "x[version=]", "foo[build=a]b[c]", "foo (>=1|<0.5),>2", "x[build=^(ab$]"],
)  # fmt: skip
def test_refused_specs(text):
    with pytest.raises(InvalidSpec) as info:
        parse_spec(text)
    assert repr(text) in str(info.value)


def test_fields_and_properties():
    spec = parse_spec("conda-forge/linux-64::numpy >=1.20,<2 py39*[build_number=3]")
    assert spec.name == "numpy"
    assert spec.get("channel") == "conda-forge"
    assert spec.get("subdir") == "linux-64"
    assert spec.get("version") == ">=1.20,<2"
    assert spec.get("build") == "py39*"
    assert spec.get("build_number") == 3
    assert spec.get("md5") is None
    assert spec.get("md5", "x") == "x"
    assert spec.version.spec == ">=1.20,<2"
    assert spec.match_version("1.21.0") and not spec.match_version("2.0")
    assert spec.match_build("py39h1_3", 3) and not spec.match_build("py39h1_3", 2)
    assert not spec.match_build("py38h1_3", 3)
    assert parse_spec("numpy").version is None
    assert parse_spec("numpy").match_version("anything")
    assert parse_spec("*[track_features=mkl]").get("track_features") == frozenset({"mkl"})
    assert parse_spec("x[optional=true]").optional == "true"
    assert parse_spec("numpy") is parse_spec("numpy")
    assert isinstance(parse_spec("numpy"), MatchSpec)


RECORD = {
    "name": "numpy",
    "version": "1.21.0",
    "build": "py39h1234_0",
    "build_number": 0,
    "channel": "conda-forge",
    "subdir": "linux-64",
    "md5": "abcdef",
    "sha256": "ff00",
    "track_features": "",
    "license": "BSD-3-Clause",
    "fn": "numpy-1.21.0-py39h1234_0.tar.bz2",
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("numpy", True),
        ("NumPy", True),
        ("num*", True),
        ("scipy", False),
        ("numpy 1.21", True),
        ("numpy 1.21.0.0", True),
        ("numpy =1.21", True),
        ("numpy 1.2*", False),  # component-wise: 1.21 does not start with 1.2
        ("numpy >=1.20,<1.22", True),
        ("numpy <1.21.0a0", False),
        ("numpy 1.21.0 py39h1234_0", True),
        ("numpy 1.21.0 py39*", True),
        ("numpy * *_0", True),
        ("numpy * py38*", False),
        ("numpy[build=PY39*]", False),  # builds are case-sensitive
        ("numpy[build_number=0]", True),
        ("numpy[build_number='>0']", False),
        ("conda-forge::numpy", True),
        ("defaults::numpy", False),
        ("https://conda.anaconda.org/conda-forge::numpy", True),
        ("conda-*::numpy", True),
        ("*::numpy", True),
        ("numpy[subdir=linux-64]", True),
        ("numpy[subdir=noarch]", False),
        ("numpy[md5=abcdef]", True),
        ("numpy[md5=ABCDEF]", False),  # md5 is compared exactly
        ("numpy[license=bsd-3-clause]", True),  # license is not
        ("numpy[license=BSD*]", True),
        ("numpy[fn=numpy-1.21.0-py39h1234_0.tar.bz2]", True),
        ("*[track_features=mkl]", False),
        ("numpy[track_features='']", False),  # an empty value is refused... see below
    ][:-1],
)
def test_match_record(text, expected):
    assert parse_spec(text).match(RECORD) is expected


@pytest.mark.parametrize(
    ("record_channel", "text", "expected"),
    [
        ("pkgs/main", "defaults::numpy", True),
        ("pkgs/r", "defaults::numpy", True),
        ("pkgs/main", "pkgs/main::numpy", True),
        ("pkgs/r", "pkgs/main::numpy", True),  # conda matches on the canonical 'defaults'
        ("conda-forge", "defaults::numpy", False),
        ("pkgs/main", "https://repo.anaconda.com/pkgs/main::numpy", True),
        ("pkgs/r", "https://repo.anaconda.com/pkgs/main::numpy", False),
        ("channel-1", "channel-1::numpy", True),
        ("https://conda.anaconda.org/conda-forge", "conda-forge::numpy", True),
        ("https://example.com/chan", "https://example.com/chan::numpy", True),
        ("https://example.com/chan", "chan::numpy", True),
        ("pkgs/main", "*::numpy", True),
        ("pkgs/main", "defa*::numpy", True),
    ],
)
def test_match_channels(record_channel, text, expected):
    assert parse_spec(text).match(dict(RECORD, channel=record_channel)) is expected


@pytest.mark.parametrize(
    ("features", "text", "expected"),
    [
        ("mkl", "*[track_features=mkl]", True),
        ("mkl debug", "*[track_features=mkl]", False),  # set equality, not containment
        ("debug,mkl", "*[track_features='mkl debug']", True),
        (["mkl"], "mkl@", True),
        ("", "mkl@", False),
    ],
)
def test_match_features(features, text, expected):
    assert parse_spec(text).match(dict(RECORD, track_features=features)) is expected


def test_when_is_ignored_by_match():
    spec = parse_spec("numpy[when=python]")
    assert spec.match(RECORD)


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["x >=1", "x <2"], ["x[version='<2,>=1']"]),
        (
            ["x >=1", "x <2", "y", "x[build=py*]", "x[build=*_0]", "*[md5=1]"],
            ["x[version='<2,>=1',build='^(?=.*_0)(?:py.*)$']", "y", "*[md5=1]"],
        ),
        (["x[build=py*]", "x[build=py3*]"], ["x[build=py3*]"]),
        (["x[build=*_0]", "x[build=py39_0]"], ["x[build=py39_0]"]),
        (["x 1.0 py_0", "x 1.0"], ["x==1.0=py_0"]),
        (["x >=1", "x >=1"], ["x[version='>=1']"]),
        (["conda-forge::x", "x >=1"], ["conda-forge::x[version='>=1']"]),
        (["py*", "py* >1"], ["py*", "py*[version='>1']"]),  # globs are not merged
        (["b", "a", None, ""], ["a", "b"]),
    ],
)
def test_merge(texts, expected):
    assert [str(s) for s in merge_specs(texts)] == expected


@pytest.mark.parametrize(
    "texts",
    [
        ["x 1.0 py_0", "x 1.0 py_1"],
        ["x[build=py*]", "x[build=cp*]"],
        ["x[build_number=1]", "x[build_number=2]"],
        ["conda-forge::x", "defaults::x"],
        ["x[md5=a]", "x[md5=b]"],
    ],
)
def test_merge_conflicts(texts):
    with pytest.raises(InvalidSpec):
        merge_specs(texts)


def test_local_path_channels_are_file_urls_without_quoting():
    # found by fuzzing: conda writes the path into the URL as it is
    assert str(parse_spec("/tmp/x y::numpy")) == "file:///tmp/x y::numpy"


def test_an_invalid_record_version_raises_once_it_is_read():
    # conda raises too; it checks the fields in spec order, so a channel that does not
    # match answers False before the version is read
    with pytest.raises(InvalidVersion):
        parse_spec("numpy >=1").match(dict(RECORD, version="1.0-rc_1"))
    assert parse_spec("scipy >=1").match(dict(RECORD, version="1.0-rc_1")) is False
    assert parse_spec("other::numpy >=1").match(dict(RECORD, version="1.0-rc_1")) is False


@pytest.mark.parametrize("text, raises", [
    ("other::numpy ~=0+0", False),  # found by the property test against conda
    ("numpy[md5=other, version='~=0+0']", False),
    ("numpy ~=0+0", True),
    ("numpy[license=other] ~=0+0", True),  # the version comes first in conda's order
])
def test_an_invalid_version_spec_raises_only_when_conda_reads_it(text, raises):
    spec = parse_spec(text)
    if raises:
        with pytest.raises(InvalidSpec):
            spec.match(RECORD)
    else:
        assert spec.match(RECORD) is False


PLAIN_FORMS = [
    "numpy", "libgcc-ng >=12", "python >=3.8,<3.9.0a0", "x !=1.0", "x <2", "x >1,<=2,!=1.5",
    "_openmp_mutex >=4.5", "__glibc >=2.17", "x >=1!2.0", "x >=1.0+local", "x >=1.0_1",
    "x >=1.0.CONDA", "x.conda", "a.tar.bz2", "x- >=1", "x..y", "x >=1,", "x >=", "x >=1.*",
    "x ==1.0", "x =1.0", "x 1.0", "X >=1", "x  >=1", "x >=1 ", "x >=abc", "1abc",
    "python 2.7*", "numpy 1.7* py27_0", "python_abi 3.10.* *_cp310", "x 1.0 py-0", "x ! +1",
    "x 1.0|1.1", "x 1!2.0", "x 1.0  py_0", "x * *", "x 1.0 py_0 extra", "x 1.0 =py",
    "x if y", "x 1.0 if y", "x if", "if x", "x >=1 if y", "x 1.0 py.CONDA", "x 1.0 b.Tar.Bz2",
    "x 1.0 if", "x-1 1.0", "x_ >=1", "a__b", "_x_ 1", "x 1.* *_cp310", "x!=1", "x>=1,<2",
    "x<2", "x->=1", "x!=1 py_0", "x!=1.*", "x>=1.0a0,!=1.5", "x!= 1", "x!=1,", "x==1", "x=1",
    "x[version='>=1,<2']", "x[version='!=1']", "x[version='1.0']", "x[version='>=1'",
    "x[version=>=1]", "x [version='>=1']", "x[version='>=1'][build=py]", "x[version='>=1|<0']",
    "x[version=\"<2\"]",
    # pinned dependencies (a version and a build without globs print as they are)
    "x 1.0 py27_0", "x 1.0+local py_0", "x 1!2.0 0", "x R15B01 0", "x .5 py", "x 1.0_ b",
    "x 8d", "x 1.0 py.1+2", "x 1.0 1*", "x 1* py", "x +1 0",
]


def _slots_or_error(text: str):
    """Every slot of the spec of ``text``, or the error it raises."""
    try:
        spec = parse_spec(text)
    except (InvalidSpec, InvalidVersion) as exc:
        return type(exc), str(exc)
    str(spec), spec.strictness  # asked first: every slot then holds its value
    return {slot: getattr(spec, slot) for slot in MatchSpec.__slots__}


@pytest.mark.parametrize("text", PLAIN_FORMS)
def test_plain_forms_parse_as_the_full_grammar_does(text, monkeypatch):
    # "name" and "name >=a,<b" skip the grammar and the general constructor: the spec (every
    # slot of it) or the error must be the same
    def outcome():
        spec_module.clear_caches()
        return _slots_or_error(text)

    fast = outcome()
    monkeypatch.setattr(spec_module, "_PLAIN_SPEC", re.compile(r"(?!)"))
    assert outcome() == fast
    spec_module.clear_caches()


@pytest.mark.parametrize("text", PLAIN_FORMS + ["X.conda >=1", "x.conda >=1", "x.Tar.Bz2 1"])
def test_plain_forms_parse_alike_after_their_halves_were_read(text, monkeypatch):
    # a text whose name and rest (after the first space) both came in other texts is read
    # from what those gave: it must still be what the grammar alone gives
    head, _, rest = text.partition(" ")
    spec_module.clear_caches()
    for primer in (f"zz {rest}", f"{head} 1.0", f"{head} >=2", head):
        _slots_or_error(primer)
    primed = _slots_or_error(text)
    spec_module.clear_caches()
    monkeypatch.setattr(spec_module, "_PLAIN_SPEC", re.compile(r"(?!)"))
    assert _slots_or_error(text) == primed
    spec_module.clear_caches()


def test_plain_forms_read_one_after_another_parse_as_the_grammar_does(monkeypatch):
    # whatever one text leaves in the caches must not change how a later one reads
    texts = PLAIN_FORMS + ["y ", "y", "y  1.0", "zz >=1", "zz !=1.0 py_0"]
    spec_module.clear_caches()
    in_turn = [_slots_or_error(text) for text in texts]
    monkeypatch.setattr(spec_module, "_PLAIN_SPEC", re.compile(r"(?!)"))
    for text, seen in zip(texts, in_turn):
        spec_module.clear_caches()
        assert _slots_or_error(text) == seen, text
    spec_module.clear_caches()


def test_a_rest_read_before_is_not_read_again(monkeypatch):
    # the point of the halves: "name rest" with both known skips the regex
    spec_module.clear_caches()
    parse_spec("aa >=1,<2.0a0")
    parse_spec("bb 3.10.* *_cp310")
    calls = []
    real = spec_module._PLAIN_SPEC

    class Counting:
        def fullmatch(self, text):
            calls.append(text)
            return real.fullmatch(text)

    monkeypatch.setattr(spec_module, "_PLAIN_SPEC", Counting())
    assert str(parse_spec("bb >=1,<2.0a0")) == "bb[version='>=1,<2.0a0']"
    assert str(parse_spec("cc 3.10.* *_cp310")) == "cc=3.10[build=*_cp310]"
    assert parse_spec("cc 3.10.* *_cp310").match({"name": "cc", "version": "3.10.2",
                                                  "build": "h1_cp310", "build_number": 0})
    assert calls == []
    spec_module.clear_caches()
