"""conda's match specs, without conda: parse, print canonically, match a record, merge.

This module owns ``parse_spec(text) -> MatchSpec`` (the engine's own class) and
``merge_specs(specs)``. A ``MatchSpec`` parses every string conda's ``MatchSpec`` parses (and
refuses what it refuses, raising ``InvalidSpec``), prints as conda's ``str(MatchSpec(text))``,
and matches plain repodata dicts the way conda's ``MatchSpec.match`` matches records. Version
semantics come from ``version.py``. Standard library only; cached per text.

Channels are the one place where conda consults its configuration. We assume conda's defaults:
the channel alias ``https://conda.anaconda.org`` and ``defaults`` = ``pkgs/main`` + ``pkgs/r``
(conda adds ``pkgs/msys2`` on Windows). The adapter may set ``CHANNEL_ALIAS`` and
``DEFAULT_CHANNELS`` from the user's configuration, then call ``clear_caches()``. A record's
``channel`` is its channel's name (``conda-forge``, ``pkgs/main``) or a channel URL.
"""

from __future__ import annotations

import os
import re
from functools import reduce
from urllib.parse import unquote

from .errors import InvalidSpec, InvalidVersion
from .version import (
    BuildNumberSpec,
    clear_caches as _clear_version_caches,
    VersionSpec,
    parse_build_number_spec,
    parse_version_spec,
)

__all__ = [
    "MatchSpec", "parse_spec", "merge_specs", "clear_caches", "CHANNEL_ALIAS", "DEFAULT_CHANNELS",
]  # fmt: skip

CHANNEL_ALIAS = "https://conda.anaconda.org"
DEFAULT_CHANNELS = ("pkgs/main", "pkgs/r")
KNOWN_SUBDIRS = frozenset(
    (
        "emscripten-wasm32", "freebsd-64", "linux-32", "linux-64", "linux-aarch64",
        "linux-armv6l", "linux-armv7l", "linux-ppc64", "linux-ppc64le", "linux-riscv64",
        "linux-s390x", "noarch", "osx-64", "osx-arm64", "wasi-wasm32", "win-32", "win-64",
        "win-arm64", "zos-z",
    )
)  # fmt: skip
_DEFAULTS_BASE = "https://repo.anaconda.com"

# Fields a spec may constrain, in the order conda prints them inside brackets.
FIELD_NAMES = (
    "channel", "subdir", "name", "version", "build", "build_number", "track_features",
    "features", "url", "md5", "sha256", "license", "license_family", "fn", "when", "extras",
    "flags",
)  # fmt: skip
_FIELD_SET = frozenset(FIELD_NAMES)
_PACKAGE_EXTENSIONS = (".tar.bz2", ".conda")


def _invalid(text, reason) -> InvalidSpec:
    return InvalidSpec(f"invalid match spec {text!r}: {reason}")


# --------------------------------------------------------------------------------------------
# field matchers: each has .match(value), .raw (conda's raw value), .exact (or None), str()
# --------------------------------------------------------------------------------------------


class _RawEquality:
    """Field matchers are equal when they are of one class and hold the same raw value."""

    __slots__ = ()

    def __eq__(self, other):
        return other.__class__ is self.__class__ and other.raw == self.raw

    def __hash__(self):
        return hash(self.raw)


class ExactMatch(_RawEquality):
    """A case-sensitive string compared for equality (subdir, md5, sha256, fn, url)."""

    __slots__ = ("raw",)

    def __init__(self, value):
        self.raw = str(value)

    @property
    def exact(self):
        return self.raw

    def match(self, value) -> bool:
        return self.raw == str(value)

    def merge(self, other):
        return _merge_equal(self, other)

    def __str__(self):
        return self.raw


def _merge_equal(this, other):
    if this.raw != other.raw:
        raise InvalidSpec(f"incompatible component merge: {this.raw!r} and {other.raw!r}")
    return this.raw


#: the glob "*" (every feature's "*[track_features=f]" has it), compiled once, at import:
#: compiling it costs about 0.1 ms, which every solve with a feature paid
_MATCH_ANY = re.compile(r"^(?:.*)$").match


def _glob_matcher(value: str, text_for_errors: str):
    """'^...$' is a regex, a '*' makes a glob, anything else is exact (None)."""
    try:
        if value == "*":
            return _MATCH_ANY
        if value.startswith("^") and value.endswith("$"):
            return re.compile(value).match
        if "*" in value:
            return re.compile("^(?:" + re.escape(value).replace(r"\*", ".*") + ")$").match
    except re.error as exc:
        raise _invalid(text_for_errors, f"invalid regular expression: {exc}") from None
    return None


class GlobMatch(_RawEquality):
    """conda's ``GlobStrMatch``: exact text, a ``*`` glob or a ``^...$`` regex (build)."""

    __slots__ = ("raw", "_match")

    def __init__(self, value):
        self.raw = value
        self._match = _glob_matcher(value, value)

    @property
    def exact(self):
        return self.raw if self._match is None else None

    @property
    def matches_all(self) -> bool:
        return self.raw == "*"

    def match(self, value) -> bool:
        value = str(value)
        if self._match is not None:
            return self._match(value) is not None
        return self.raw == value

    def merge(self, other):
        return _merge_globs(self, other)

    def __str__(self):
        return self.raw


class LowerGlobMatch(GlobMatch):
    """A glob over lower-cased text (name). The record's value is compared as it is."""

    __slots__ = ()

    def __init__(self, value):
        super().__init__(value.lower())


class CaseInsensitiveMatch(GlobMatch):
    """A glob where both sides are lower-cased (license, license_family, when)."""

    __slots__ = ()

    def __init__(self, value):
        super().__init__(str(value).lower())

    def match(self, value) -> bool:
        return super().match(str(value).lower())


def _glob_pattern(value: str) -> str:
    if value.startswith("^") and value.endswith("$"):
        return value[1:-1]
    if "*" in value:
        return re.escape(value).replace(r"\*", ".*")
    return value


def _merge_globs(this, other):
    """conda's ``GlobStrMatch.merge``: the stricter of two compatible globs, or a regex that
    requires both; incompatible literals raise ``InvalidSpec``."""
    if this.raw == other.raw:
        return this.raw
    if this._match is None and other._match is not None:
        this, other = other, this
    other_text = str(other)
    if "*" not in other_text:
        if this._match is not None and this._match(other_text):
            return other.raw
        return _merge_equal(this, other)
    this_text = str(this.raw)
    if this_text.count("*") == other_text.count("*") == 1 and (
        this_text[0] == other_text[0] == "*" or this_text[-1] == other_text[-1] == "*"
    ):
        this_core, other_core = this_text.strip("*"), other_text.strip("*")
        if this_core in other_core:
            return other.raw
        if other_core in this_core:
            return this.raw
        return _merge_equal(this, other)
    first, second = _glob_pattern(this_text), _glob_pattern(other_text)
    return rf"^(?={first})(?:{second})$"


def _split_features(value) -> tuple:
    if not value:
        return ()
    if isinstance(value, str):
        value = value.replace(" ", ",").split(",")
    return tuple(f for f in (str(v).strip() for v in value) if f)


class FeatureMatch(_RawEquality):
    """``track_features``/``features``: the record's set must equal the spec's set."""

    __slots__ = ("raw",)

    def __init__(self, value):
        self.raw = frozenset(_split_features(value))

    @property
    def exact(self):
        return self.raw

    def match(self, value) -> bool:
        return self.raw == frozenset(_split_features(value))

    def merge(self, other):
        return _merge_equal(self, other)

    def __str__(self):
        return " ".join(sorted(self.raw))


class ListMatch(FeatureMatch):
    """``extras``/``flags``: an ordered list compared for equality."""

    __slots__ = ()

    def __init__(self, value):
        self.raw = _split_features(value)

    def match(self, value) -> bool:
        return self.raw == _split_features(value)

    def __str__(self):
        return "[{}]".format(", ".join(f"'{k}'" for k in sorted(self.raw)))


class _SpecFieldMatch:
    """A parsed spec (``spec_type``, built by ``parse``) seen as a field matcher."""

    __slots__ = ("spec",)
    spec_type: type
    parse = staticmethod(lambda value: value)

    def __init__(self, value):
        self.spec = value if isinstance(value, self.spec_type) else self.parse(value)

    @property
    def raw(self):
        return self.spec.spec

    @property
    def exact(self):
        return self.spec.exact_value

    def match(self, value) -> bool:
        return self.spec.match(value)

    def merge(self, other):
        return self.spec.merge(other.spec)

    def __str__(self):
        return str(self.spec.spec)

    def __eq__(self, other):
        return other.__class__ is self.__class__ and other.spec == self.spec

    def __hash__(self):
        return hash(self.spec)


class VersionMatch(_SpecFieldMatch):
    """The ``version`` field: a ``VersionSpec`` seen as a field matcher."""

    __slots__ = ()
    spec_type = VersionSpec
    parse = staticmethod(parse_version_spec)


class BuildNumberMatch(_SpecFieldMatch):
    """The ``build_number`` field: a ``BuildNumberSpec`` seen as a field matcher."""

    __slots__ = ()
    spec_type = BuildNumberSpec
    parse = staticmethod(parse_build_number_spec)


# --------------------------------------------------------------------------------------------
# channels
# --------------------------------------------------------------------------------------------


_URL_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*://")


def _is_url(text: str) -> bool:
    return _URL_SCHEME.match(text) is not None


def _split_subdir(path: str) -> tuple[str, str | None]:
    """'conda-forge/linux-64' -> ('conda-forge', 'linux-64'); unknown subdirs stay."""
    path = path.rstrip("/")
    head, sep, tail = path.rpartition("/")
    if sep and tail in KNOWN_SUBDIRS:
        return head, tail
    return path, None


def _path_to_url(path: str) -> str:
    # conda writes local paths into file URLs without percent-encoding
    path = os.path.abspath(os.path.expanduser(path))
    return "file://" + path.replace("\\", "/")


def _alias_path(url: str) -> str | None:
    """The channel name of a URL under the channel alias (any scheme), else None."""
    location = CHANNEL_ALIAS.split("://", 1)[-1].rstrip("/")
    rest = url.partition("://")[2]
    if rest == location:
        return ""
    if rest.startswith(location + "/"):
        return rest[len(location) + 1 :]
    return None


class ChannelRef:
    """What conda's ``Channel`` tells about one channel string, reduced to what specs use:
    ``name`` (``pkgs/main``), ``canonical`` (``defaults``), ``base_url`` (None for
    ``defaults`` and ``local``), ``subdir`` and whether it is a URL outside the alias."""

    __slots__ = ("name", "canonical", "base_url", "subdir", "is_foreign_url")

    def __init__(self, value: str):
        if not _is_url(value) and (value.startswith(("/", "./", "../", "~")) or value == "."):
            value = _path_to_url(value)
        self.is_foreign_url = False
        if _is_url(value):
            self._from_url(value)
        else:
            self._from_name(value)

    def _from_url(self, value: str) -> None:
        scheme, _, rest = value.partition("://")
        host, slash, path = rest.partition("/")
        # scheme and host are case-insensitive: conda lower-cases them
        base, self.subdir = _split_subdir(f"{scheme.lower()}://{host.lower()}{slash}{path}")
        self.base_url = base
        name = _alias_path(base)
        if name is None:
            self.is_foreign_url = True
            self.name = base.partition("://")[2].partition("/")[2] or base
            self.canonical = "defaults" if _is_defaults_url(base) else base
        else:
            self.name = name
            self.canonical = "defaults" if name in DEFAULT_CHANNELS else name

    def _from_name(self, value: str) -> None:
        self.name, self.subdir = _split_subdir(value)
        self.canonical = "defaults" if self.name in DEFAULT_CHANNELS else self.name
        if self.name in ("defaults", "local"):
            self.base_url = None
        elif self.name in DEFAULT_CHANNELS:
            self.base_url = f"{_DEFAULTS_BASE}/{self.name}"
        else:
            self.base_url = f"{CHANNEL_ALIAS}/{self.name}"

    def __str__(self):
        # conda's str(Channel): its URL when it has one
        return self.base_url or self.name


def _is_defaults_url(url: str) -> bool:
    location = url.partition("://")[2]
    defaults_location = _DEFAULTS_BASE.partition("://")[2]
    return any(location == f"{defaults_location}/{member}" for member in DEFAULT_CHANNELS)


_CHANNEL_CACHE: dict[str, ChannelRef] = {}


def _channel(value: str) -> ChannelRef:
    try:
        return _CHANNEL_CACHE[value]
    except KeyError:
        ref = _CHANNEL_CACHE[value] = ChannelRef(value)
        return ref


def _spec_channel(value: str | None) -> tuple[str | None, str | None]:
    """A spec's channel text -> (the value the spec keeps, the subdir it names)."""
    if not value:
        return None, None
    ref = _channel(value)
    if _is_url(value) and ref.is_foreign_url:
        return ref.base_url or ref.canonical, ref.subdir
    return ref.canonical, ref.subdir


class ChannelMatch:
    """conda's ``ChannelMatch``: by channel name, by base URL, or by a glob over the name."""

    __slots__ = ("raw", "_match", "_ref")

    def __init__(self, value):
        value = str(value)
        self.raw = value
        self._ref = None
        try:
            if value.startswith("^") and value.endswith("$"):
                self._match = re.compile(value).match
            elif "*" in value:
                self._match = re.compile("^(?:" + value.replace("*", ".*") + ")$").match
            else:
                self._match = None
                self._ref = _channel(value)
        except re.error as exc:
            raise _invalid(value, f"invalid regular expression: {exc}") from None

    @property
    def exact(self):
        return str(self) if self._match is None else None

    @property
    def matches_all(self) -> bool:
        return self.raw == "*"

    def match(self, value) -> bool:
        if not value:
            return False
        other = _channel(str(value))
        if self._match is not None:
            return self._match(other.canonical) is not None
        if self._ref.is_foreign_url:
            return self._ref.base_url == other.base_url
        return self._ref.name in (other.name, other.canonical)

    def merge(self, other):
        if self.raw == other.raw or (
            self._ref is not None and other._ref is not None and str(self) == str(other)
        ):
            return self.raw
        return _merge_globs(self, other)

    def __str__(self):
        if self._ref is None:
            return self.raw
        if self._ref.is_foreign_url:
            return self._ref.base_url or self._ref.canonical
        return self._ref.canonical

    def conda_raw_str(self) -> str:
        """str() of conda's raw value (a ``Channel``): its URL when it has one."""
        return self.raw if self._ref is None else str(_channel(str(self)))

    def __eq__(self, other):
        return other.__class__ is self.__class__ and str(other) == str(self)

    def __hash__(self):
        return hash(str(self))


_FIELD_MATCHERS = {
    "channel": ChannelMatch,
    "name": LowerGlobMatch,
    "version": VersionMatch,
    "build": GlobMatch,
    "build_number": BuildNumberMatch,
    "track_features": FeatureMatch,
    "features": FeatureMatch,
    "license": CaseInsensitiveMatch,
    "license_family": CaseInsensitiveMatch,
    "when": CaseInsensitiveMatch,
    "flags": ListMatch,
    "extras": ListMatch,
}


_MATCHER_CLASSES = (
    ExactMatch, GlobMatch, FeatureMatch, VersionMatch, BuildNumberMatch, ChannelMatch,
)  # fmt: skip


def _make_matcher(field: str, value):
    if isinstance(value, _MATCHER_CLASSES):
        return value
    return _FIELD_MATCHERS.get(field, ExactMatch)(value)


# --------------------------------------------------------------------------------------------
# the spec
# --------------------------------------------------------------------------------------------


_CHEAP_FIELDS = frozenset(("name", "version", "build", "build_number", "when"))


class MatchSpec:
    """A parsed match spec: ``.name``, ``.match(record)``, ``str()`` as conda prints it.

    What the engine asks of a spec per dependency of every record it reaches is held in
    plain attributes, set when the spec is made (a property costs a Python call per read):
    ``name`` (the exact package name, or ``"*"`` for a glob or no name), ``version`` (its
    ``VersionSpec``, or None), ``strictness`` (conda's: 1 a name, 2 and a version, 3 more),
    ``is_name_only`` and ``needs_record`` (a field other than name, version, build and build
    number is constrained, ``when`` constraining nothing: matching then needs the whole
    record)."""

    __slots__ = (
        "text", "components", "optional", "target", "_str", "name", "_version", "_build",
        "_build_number", "_others", "_early", "strictness", "version", "is_name_only",
        "needs_record",
    )  # fmt: skip

    def __init__(self, components: dict, text: str | None = None, optional=False, target=None):
        self.text = text
        self.components = components  # field -> matcher
        self.optional = optional
        self.target = target
        self._str = None
        name = components.get("name")
        self.name = (name.exact if name is not None else None) or "*"
        self._version = version = components.get("version")
        self.version = version.spec if version is not None else None
        self._build = components.get("build")
        self._build_number = components.get("build_number")
        # fields other than name/version/build/build_number, checked after the cheap ones
        # (those written before the version, before it)
        self._early = 0
        if _CHEAP_FIELDS.issuperset(components):
            self._others = ()
        else:
            self._others = tuple((f, m) for f, m in components.items() if f not in _CHEAP_FIELDS)
            # how many of them come before the version in conda's order: conda checks
            # components in order, so a record they reject never meets an invalid version
            fields = list(components)
            before = fields.index("version") if "version" in components else 0
            self._early = sum(1 for f in fields[:before] if f not in _CHEAP_FIELDS)
        self.needs_record = bool(self._others)
        self.is_name_only = len(components) == 1 and "name" in components and self.name != "*"
        self.strictness = self._compute_strictness()

    # --- what the engine asks ---------------------------------------------------------------

    @property
    def is_name_only_spec(self) -> bool:
        """conda's name for ``is_name_only``."""
        return self.is_name_only

    def _compute_strictness(self) -> int:
        components = self.components
        named = sum(f in components for f in ("name", "version", "build"))
        if named < len(components):
            return 3
        if self.name == "*" or components.get("name") is None or "build" in components:
            return 3
        return 2 if "version" in components else 1

    def match_version(self, version) -> bool:
        """Does a version (text or ``Version``) pass this spec's version constraint?"""
        return self._version is None or self._version.spec.match(version)

    def match_build(self, build, build_number=0) -> bool:
        """Do a build string and build number pass this spec's build constraints?"""
        if self._build is not None and not self._build.match(build):
            return False
        return self._build_number is None or self._build_number.match(build_number)

    def match(self, record: dict) -> bool:
        """conda's ``MatchSpec.match`` on a repodata dict (``when`` is ignored, as conda)."""
        name = self.components.get("name")
        if name is not None and not name.match(record.get("name")):
            return False
        others = self._others
        if others and self._early:
            for field, matcher in others[:self._early]:
                if not matcher.match(_record_value(record, field)):
                    return False
            others = others[self._early:]
        if self._version is not None and not self._version.spec.match(record["version"]):
            return False
        if self._build is not None and not self._build.match(record.get("build")):
            return False
        if self._build_number is not None and not self._build_number.match(
            record.get("build_number", 0)
        ):
            return False
        for field, matcher in others:
            if not matcher.match(_record_value(record, field)):
                return False
        return True

    def get(self, field: str, default=None):
        """The raw value of a field, as conda's ``get_raw_value`` (``channel``: its name or
        URL as printed in ``str(spec)``; ``track_features``: a frozenset)."""
        if field == "optional":
            return self.optional
        if field == "target":
            return self.target
        matcher = self.components.get(field)
        if matcher is None:
            return default
        return str(matcher) if field == "channel" else matcher.raw

    get_raw_value = get

    def get_exact_value(self, field: str):
        matcher = self.components.get(field)
        return None if matcher is None else matcher.exact

    def __contains__(self, field: str) -> bool:
        return field in self.components

    # --- printing ---------------------------------------------------------------------------

    def __str__(self):
        if self._str is None:
            self._str = _canonical_str(self.components)
        return self._str

    def __repr__(self):
        return f"MatchSpec({str(self)!r})"

    def __eq__(self, other):
        return (
            other.__class__ is MatchSpec
            and other.components == self.components
            and other.optional == self.optional
            and other.target == self.target
        )

    def __hash__(self):
        return hash((frozenset(self.components.items()), self.optional, self.target))


def _record_value(record: dict, field: str):
    value = record.get(field)
    if value is None and field == "fn" and "name" in record:
        # conda's PackageRecord derives fn when the record has none
        value = f"{record['name']}-{record.get('version')}-{record.get('build')}.tar.bz2"
    return value


# characters that send a version or build into the brackets, quoted
_NEEDS_QUOTES = re.compile(r"[><$^|,]")
_MAIN_FIELDS = frozenset(("channel", "subdir", "name", "version", "build"))
_FIELD_ORDER = {field: i for i, field in enumerate(FIELD_NAMES)}


def _canonical_str(components: dict) -> str:
    """conda's ``str(MatchSpec)``: ``channel/subdir::name==version=build[key=value,...]``."""
    name = components.get("name")
    if name is not None and len(components) == (1 if "version" not in components else 2):
        # most dependencies: a name and at most a version (what the general path gives)
        version = components.get("version")
        if version is None:
            return name.raw
        return name.raw + _plain_tail(version.spec.spec, None)
    out: list[str] = []
    brackets: list[str] = []
    channel = components.get("channel")
    if channel is not None:
        if channel.exact:
            out.append(str(channel))
        elif not channel.matches_all:
            brackets.append(f"channel={channel}")
    subdir = components.get("subdir")
    if subdir is not None:
        if channel is not None and channel.exact:
            out.append(f"/{subdir}")
        else:
            brackets.append(f"subdir={subdir}")
    name = components.get("name")
    out.append(("::" if out else "") + (name.raw if name is not None else "*"))
    version_exact = _print_version(components, out, brackets)
    build = components.get("build")
    if build is not None:
        _print_build(build.raw, version_exact, out, brackets)
    if len(components) > len(_MAIN_FIELDS.intersection(components)):
        _print_other_fields(components, channel is not None, brackets)
    if brackets:
        out.append("[" + ",".join(brackets) + "]")
    return "".join(out)


def _print_version(components, out, brackets) -> bool:
    """Where the version goes: outside (``==1.0``, ``=1.0``, ``!=1.0``) or in brackets."""
    version = components.get("version")
    if version is None:
        return False
    return _print_version_text(version.spec.spec, "build" in components, out, brackets)


def _print_version_text(text: str, has_build: bool, out, brackets) -> bool:
    """``_print_version`` of a version spec's text, in a spec with a build or not."""
    if _NEEDS_QUOTES.search(text):
        brackets.append(f"version='{text}'")
    elif text[:2] in ("!=", "~="):
        if has_build:
            brackets.append(f"version='{text}'")
        else:
            out.append(text)
    elif text[-2:] == ".*":
        out.append("=" + text[:-2])
    elif text == "*":
        pass
    elif text[-1] == "*":
        out.append("=" + text[:-1])
    elif text.startswith("=="):
        out.append(text)
        return True
    else:
        out.append("==" + text)
        return True
    return False


def _print_build(text: str, version_exact: bool, out, brackets) -> None:
    if _NEEDS_QUOTES.search(text):
        brackets.append(f"build='{text}'")
    elif "*" in text:
        brackets.append(f"build={text}")
    elif version_exact:
        out.append("=" + text)
    else:
        brackets.append(f"build={text}")


def _print_other_fields(components, has_channel, brackets) -> None:
    skip = set(_MAIN_FIELDS)
    if "url" in components and "fn" in components:
        skip.add("fn")
    if has_channel:
        skip.add("url")  # the channel already says where it comes from
    others = sorted((f for f in components if f not in skip), key=_FIELD_ORDER.__getitem__)
    for field in others:
        text = str(components[field])
        if text.startswith("[") and field in ("extras", "flags"):
            brackets.append(f"{field}={text}")
        elif any(c in text for c in ", ="):
            brackets.append(f"{field}='{text}'")
        else:
            brackets.append(f"{field}={text}")


# --------------------------------------------------------------------------------------------
# parsing a spec string into raw field values (conda's _parse_spec_str, step by step)
# --------------------------------------------------------------------------------------------

# key=value inside brackets; the value may be quoted and ends at ',', ' ' or the end
_BRACKET_KV = re.compile(r"([a-zA-Z0-9_-]+?)=([\"']?)([^'\"]*?)\2(?:[, ]|$)")
# the package name, then (from the first operator or space on) the version and build
_NAME_AND_REST = re.compile(r"([^ =<>!~]+)?([><!=~ ].+)?")
# version and build: the build is the part after the first space or '=' that is not preceded
# by an operator and is followed only by build characters
_VERSION_AND_BUILD = re.compile(r"(.+?[^><!,|]?)(?:(?<![=!|,<>~])[ =]([^-=,|<>~]+?))?$")


def _last_enclosed(text: str, opener: str, closer: str) -> str | None:
    """The text from the last ``opener`` that has a ``closer`` after it to the last
    ``closer``, the way conda's greedy bracket and parenthesis patterns find it."""
    end = text.rfind(closer)
    if end < 0:
        return None
    start = text.rfind(opener, 0, end)
    if start < 0:
        return None
    return text[start : end + 1]


def _sanitize_version(version: str, build: str | None) -> str:
    """``=1.2`` means ``1.2*`` (fuzzy) without a build, ``==1.2`` means ``1.2``; empty
    operators pass through so that they fail later."""
    if version in ("==", "=") or not version.startswith("="):
        return version
    bare = version.lstrip("=")
    if version.startswith("==") and build is None:
        return bare
    if not any(c in bare for c in "=,|"):
        if build is None and not bare.endswith("*"):
            return bare + "*"
        return bare
    return version


# CEP-26 package names: a letter or digit (or one '_'), then runs of letters and digits each
# followed by at most one '.', '_' or '-'; virtual packages start with '__'.
_NAME_OK = re.compile(r"(?:[a-z0-9]|_(?!_))[._-]?(?:[a-z0-9]+[._-])*(?:[a-z0-9]+)?")
_VIRTUAL_NAME_OK = re.compile(r"__[a-z0-9][._-]?(?:[a-z0-9]+[._-])*(?:[a-z0-9]+)?")
_NAME_BAD_CHARS = re.compile(r"[^a-z0-9._-]")


def _check_name(name: str, text: str) -> None:
    """Refuse what CEP-26 refuses (conda lower-cases first); globs are not checked."""
    if "*" in name:
        return
    lowered = name.lower()
    if _NAME_OK.fullmatch(lowered) or _VIRTUAL_NAME_OK.fullmatch(lowered):
        return
    bad = _NAME_BAD_CHARS.findall(lowered)
    if bad:
        chars = "".join(dict.fromkeys(bad))
        raise _invalid(text, f"package name contains invalid characters ({chars})")
    raise _invalid(text, "invalid package name")


def _parse_tarball(text: str) -> dict:
    """A package file or URL as a spec: every field it names."""
    url = text if _is_url(text) else unquote(_path_to_url(text))
    directory, _, filename = url.rpartition("/")
    channel_url, subdir = _split_subdir(directory)
    if subdir is None:
        return {"name": "*", "fn": unquote(filename) if url.startswith("file://") else filename,
                "url": url}  # fmt: skip
    stem = filename
    for ext in _PACKAGE_EXTENSIONS:
        if stem.lower().endswith(ext):
            stem = stem[: -len(ext)]
            break
    try:
        name, version, build = stem.rsplit("-", 2)
    except ValueError:
        raise _invalid(text, "cannot read name-version-build from the file name") from None
    return {
        "channel": _channel(channel_url).canonical,
        "subdir": subdir,
        "name": name,
        "version": version,
        "build": build,
        "fn": filename,
        "url": url,
    }


def _is_tarball(spec: str) -> bool:
    return spec[-6:].lower() == ".conda" or spec[-8:].lower() == ".tar.bz2"


def _parse_brackets(spec: str, text: str) -> tuple[str, dict]:
    found = _last_enclosed(spec, "[", "]")
    if found is None:
        return spec, {}
    spec = spec.replace(found, "")
    fields: dict = {}
    for m in _BRACKET_KV.finditer(found[1:-1]):
        key, _, value = m.group(1, 2, 3)
        if not key or not value:
            raise _invalid(text, "key-value mismatch in brackets")
        if key == "version":
            value = _sanitize_version(value, None)
        fields[key] = value
    return spec, fields


def _parse_text(text: str) -> tuple[dict, dict]:
    """conda's string grammar -> (raw field values, {'optional'/'target'} extras)."""
    if text.endswith("@"):
        # 'feature@' is how conda asks for a feature
        return {"name": "*", "track_features": (text[:-1],)}, {}
    spec = text
    # Each step below runs only when its marker is present: most specs have none of them.
    if "#" in spec:
        spec = spec.split("#", 1)[0]  # a comment
    if " if " in spec:
        spec = spec.split(" if ", 1)[0]  # a condition: ignored, as conda does
    if _is_tarball(spec):
        return _parse_tarball(spec), {}
    brackets: dict = {}
    if "]" in spec:
        spec, brackets = _parse_brackets(spec, text)
    if ")" in spec:
        # a legacy '(...)' section is dropped entirely
        found = _last_enclosed(spec, "(", ")")
        if found is not None:
            spec = spec.replace(found, "")
    spec, channel, subdir = _take_channel(spec, brackets)
    name, version, build = _name_version_build(spec, text)

    fields = {"name": name}
    for field, value in (("channel", channel), ("subdir", subdir), ("version", version),
                         ("build", build)):  # fmt: skip
        if value is not None:
            fields[field] = value
    if not brackets:
        return fields, _NO_EXTRAS
    brackets.pop("name", None)  # a name outside the brackets always wins
    fields.update(brackets)
    extras = {k: fields.pop(k) for k in ("optional", "target") if k in fields}
    return fields, extras


def _take_channel(spec: str, brackets: dict) -> tuple[str, str | None, str | None]:
    """Strip ``channel::`` (and a namespace) off the spec; brackets override both."""
    channel = subdir = None
    if ":" in spec:
        pieces = spec.rsplit(":", 2)
        spec = pieces[-1]  # the middle piece (a namespace) is ignored, as conda does
        if len(pieces) == 3:
            channel, subdir = _spec_channel(pieces[0])
    if "channel" in brackets:
        b_channel, b_subdir = _spec_channel(brackets.pop("channel"))
        channel = b_channel or channel
        subdir = b_subdir or subdir
    if "subdir" in brackets:
        subdir = brackets.pop("subdir")
    return spec, channel, subdir


def _name_version_build(spec: str, text: str) -> tuple[str, str | None, str | None]:
    name, rest = _NAME_AND_REST.match(spec).groups()
    if name is None:
        raise _invalid(text, f"no package name found in {rest!r}")
    _check_name(name, text)
    rest = rest and rest.strip()
    if not rest:
        return name, None, None
    if "[" in rest:
        raise _invalid(text, "multiple brackets sections not allowed")
    version, build = _split_version_build(rest)
    return name, _sanitize_version(version, build), build


_NO_EXTRAS: dict = {}


def _split_version_build(rest: str) -> tuple[str, str | None]:
    m = _VERSION_AND_BUILD.search(rest)
    if m is None:
        version, build = rest, None
    else:
        version, build = m.groups()
        build = build and build.strip()
    return version.replace(" ", "") if version else version, build


# (field, raw value) -> matcher: the same constraint text recurs across many specs
_MATCHER_CACHE: dict[tuple, object] = {}


def _build_spec(fields: dict, text: str | None, optional=False, target=None) -> MatchSpec:
    components = {}
    for field, value in fields.items():
        try:
            matcher = _MATCHER_CACHE.get((field, value))
        except TypeError:  # an unhashable value
            matcher = None
        if matcher is None:
            if field not in _FIELD_SET:
                unknown = sorted(set(fields) - _FIELD_SET)
                raise _invalid(text, f"cannot match on field(s): {unknown}")
            try:
                matcher = _make_matcher(field, value)
            except (InvalidSpec, InvalidVersion) as exc:
                raise _invalid(text, str(exc)) from None
            if isinstance(value, str):
                _MATCHER_CACHE[(field, value)] = matcher
        components[field] = matcher
    return MatchSpec(components, text, optional, target)


_SPEC_CACHE: dict[str, MatchSpec] = {}


def parse_spec(text) -> MatchSpec:
    """The ``MatchSpec`` of ``text`` (cached); raises ``InvalidSpec`` naming the text and why."""
    if text.__class__ is MatchSpec:
        return text
    spec = _SPEC_CACHE.get(text)  # most texts are parsed once: a miss must be cheap
    if spec is not None:
        return spec
    if not isinstance(text, str):
        raise _invalid(text, "not a string")
    if not text:
        # conda's MatchSpec('') constrains nothing at all
        spec = _SPEC_CACHE[text] = MatchSpec({}, text)
        return spec
    spec = _plain_spec(text)
    if spec is None:
        fields, extras = _parse_text(text)
        spec = _build_spec(fields, text, **extras)
    _SPEC_CACHE[text] = spec
    return spec


def _plain_spec(text: str) -> MatchSpec | None:
    """The spec of the forms most dependencies take ("name", "name >=a,<b", "name 1.2.*
    build*") and of their printed forms, or None for the grammar to read: one regex reads
    the very fields the grammar would give (or, for "name rest", what it read of both halves
    in earlier texts), and the spec is made without the general constructor's checks (a
    name, an optional version and build, nothing else)."""
    head, space, rest = text.partition(" ")
    if space:
        # "name rest" with a rest the regex read before (after another name): the regex
        # would read it the same after any name (its lookarounds stay on their side of the
        # space, and names have none), so only the name is left to check
        shape = _PLAIN_RESTS.get(rest)
        if shape is not None:
            name_matcher = _PLAIN_NAMES.get(head)
            if name_matcher is None and _NAME_OK.fullmatch(head) is not None:
                name_matcher = _PLAIN_NAMES[head] = _plain_name_matcher(head)
            if name_matcher is not None:
                return _versioned_spec(text, name_matcher, *shape)
    plain = _PLAIN_SPEC.fullmatch(text)
    if plain is None:
        return None
    name, compared, quoted, bare, build = plain.groups()
    name_matcher = _PLAIN_NAMES.get(name)
    if name_matcher is None:
        name_matcher = _PLAIN_NAMES[name] = _plain_name_matcher(name)
    version = compared or quoted or bare
    if version is None:
        spec = _NEW_SPEC(MatchSpec)
        spec.text = text
        spec.optional = False
        spec.target = spec._build_number = None
        spec.name = spec._str = name_matcher.raw  # lower-case and glob-free: shared
        spec._others = ()
        spec._early = 0
        spec.components = {"name": name_matcher}
        spec._version = spec._build = spec.version = None
        spec.strictness = 1
        spec.is_name_only = True
        spec.needs_record = False
        return spec
    cache = _MATCHER_CACHE
    version_matcher = cache.get(("version", version))
    if version_matcher is None:
        try:
            version_matcher = VersionMatch(version)
        except (InvalidSpec, InvalidVersion) as exc:
            raise _invalid(text, str(exc)) from None
        cache[("version", version)] = version_matcher
    build_matcher = None
    if build is not None:
        build_matcher = cache.get(("build", build))
        if build_matcher is None:  # a glob at most: no regex to refuse
            build_matcher = cache[("build", build)] = GlobMatch(build)
    if bare is not None and "*" not in bare and (build is None or "*" not in build):
        # a pinned dependency: _plain_tail's steps for a version without a glob (its spec's
        # own text, printed after "==") and a build without one (after "="); the regex
        # lets neither have a character to quote
        tail = "==" + bare if build is None else "==" + bare + "=" + build
    else:
        tail = _plain_tail(version_matcher.spec.spec, build)
    if head == name:  # the name ends at the first space: the rest was read on its own
        _PLAIN_RESTS[rest] = (version_matcher, build_matcher, tail)
    return _versioned_spec(text, name_matcher, version_matcher, build_matcher, tail)


def _plain_name_matcher(name: str) -> LowerGlobMatch:
    """``LowerGlobMatch(name)`` of a name the plain regex accepted: lower-case already, and
    no glob (so no pattern)."""
    matcher = _NEW_SPEC(LowerGlobMatch)
    matcher.raw = name
    matcher._match = None
    return matcher


def _plain_tail(version: str, build: str | None) -> str:
    """What follows the name in the printed form of a spec of a name, a version (its version
    spec's text) and maybe a build: ``_canonical_str``'s steps for them, which depend on the
    version and build alone."""
    out: list[str] = []
    brackets: list[str] = []
    exact = _print_version_text(version, build is not None, out, brackets)
    if build is not None:
        _print_build(build, exact, out, brackets)
    if brackets:
        out.append("[" + ",".join(brackets) + "]")
    return "".join(out)


def _versioned_spec(text: str, name_matcher, version_matcher, build_matcher, tail: str):
    """A plain spec with a version (and maybe a build): ``tail`` is what its printed form
    has after the name."""
    spec = _NEW_SPEC(MatchSpec)
    spec.text = text
    spec.optional = False
    spec.target = spec._build_number = None
    spec.name = name = name_matcher.raw
    spec._others = ()
    spec._early = 0
    spec._version = version_matcher
    spec.version = version_matcher.spec
    spec._build = build_matcher
    spec.is_name_only = spec.needs_record = False
    if build_matcher is None:
        spec.components = {"name": name_matcher, "version": version_matcher}
        spec.strictness = 2
    else:
        spec.components = {
            "name": name_matcher, "version": version_matcher, "build": build_matcher,
        }
        spec.strictness = 3
    spec._str = name + tail
    return spec


#: names the plain regex accepted -> their matcher; and the rests it read after a name and a
#: space -> (version matcher, build matcher or None, the printed form's tail after the name)
_PLAIN_NAMES: dict[str, LowerGlobMatch] = {}
_PLAIN_RESTS: dict[str, tuple] = {}


_NEW_SPEC = object.__new__

# A CEP-26 lower-case name (as _NAME_OK), then either comparisons joined by ',' (after one
# space or none, or quoted in brackets: "x >=1", and "x!=1" and "x[version='>=1,<2']" as
# such specs print) or, after one space, a bare version (and, after one more space, a
# build). Never an '=' or '==' (_sanitize_version rewrites them), '|', '!' in a bare
# version, '-' in a build or a second space: the grammar's corner cases. Nor a file name,
# nor "name if condition".
_COMPARISONS = r"(?:>=|<=|!=|>|<)[0-9A-Za-z._+!]+(?:,(?:>=|<=|!=|>|<)[0-9A-Za-z._+!]+)*"
_PLAIN_SPEC = re.compile(
    r"(" + _NAME_OK.pattern + ")"
    r"(?: ?(" + _COMPARISONS + r")|\[version='(" + _COMPARISONS + r")'\]"
    r"| (?!if )([0-9A-Za-z._+*]+)(?: ([0-9A-Za-z_.+*]+))?)?"  # " if " only comes here
    r"(?<!(?i:\.conda))(?<!(?i:\.tar\.bz2))"
)


# --------------------------------------------------------------------------------------------
# merging
# --------------------------------------------------------------------------------------------


def _merge_two(this: MatchSpec, other: MatchSpec) -> MatchSpec:
    if this.optional != other.optional or this.target != other.target:
        raise InvalidSpec(f"incompatible match spec merge: {this} and {other}")
    merged: dict = {}
    for field in set(this.components) | set(other.components):
        mine, theirs = this.components.get(field), other.components.get(field)
        if mine is None or theirs is None:
            merged[field] = mine if theirs is None else theirs
        else:
            merged[field] = _make_matcher(field, mine.merge(theirs))
    return MatchSpec(merged, None, this.optional, this.target)


def merge_specs(specs) -> list[MatchSpec]:
    """conda's ``MatchSpec.merge``: same-name specs intersected (name-less and glob-named
    specs kept apart, at the end); incompatible builds raise ``InvalidSpec``."""
    parsed = sorted((parse_spec(s) for s in specs if s), key=str)
    groups: dict = {}
    unmergeable: list[MatchSpec] = []
    for spec in parsed:
        if spec.name == "*":
            unmergeable.append(spec)
        else:
            groups.setdefault(spec.name, {}).setdefault(spec.optional, []).append(spec)
    merged = []
    for by_optional in groups.values():
        for group in by_optional.values():
            targets = {s.target for s in group if s.target is not None}
            if len(targets) > 1:
                raise InvalidSpec("incompatible match spec merge: " + ", ".join(map(str, group)))
            merged.append(reduce(_merge_two, group) if len(group) > 1 else group[0])
    return merged + unmergeable


def clear_caches() -> None:
    """Forget every parsed spec and channel, and the version caches under them."""
    _SPEC_CACHE.clear()
    _CHANNEL_CACHE.clear()
    _MATCHER_CACHE.clear()
    _PLAIN_NAMES.clear()
    _PLAIN_RESTS.clear()
    _clear_version_caches()
