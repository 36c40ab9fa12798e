"""conda's version order and version specs, without conda.

This module owns two things:

* ``parse_version(text) -> Version``: a version whose equality, hash and ordering are those of
  conda's ``VersionOrder`` (epochs, local versions, ``_``/``-``, ``dev``/``post`` and other
  letters, ``*``, case-insensitivity, openssl's trailing ``_``).
* ``parse_version_spec(text) -> VersionSpec``: a version constraint with ``.match(version)``,
  for every form conda's ``VersionSpec`` accepts (relations, ``~=``, ``=``, ``1.2.*``, globs,
  ``,``/``|`` with parentheses, ``^...$`` regexes), plus ``parse_build_number_spec`` for the
  ``build_number`` field of a match spec.

Both are cached per text. Standard library only.

How the order is made native: conda compares versions component by component, every
component subcomponent by subcomponent, filling what is missing with ``0``; strings sort below
``0`` and numbers, ``post`` above everything. Python's tuple order treats "missing" as smaller
than anything, so a plain tuple of parts would get ``1.0a < 1.0`` right but ``1.0 == 1.0.0``
wrong. We therefore write each sequence as *triples*: every non-zero item as ``(tag, zeros
before it, item)``, tagged ``0`` when it sorts below zero (then more zeros before it make it
larger) and ``2`` when above (then more zeros make it smaller, so the count is negated), and
end the sequence with ``1``, which stands for "zeros from here on". A component is such a
sequence of its parts; a version is such a sequence of its components (their encodings
inlined, which is safe because every encoding ends in its own ``1``), then the same for the
local part. The first differing element decides exactly as conda's zero-filled walk would,
the elements met there always have comparable types, and equal versions (``1.0``, ``1.0.0``,
``1.00``) get equal keys. So a ``Version`` simply *is* that flat tuple: ``==``, ``<``,
``hash`` and ``sorted`` are native tuple operations.
"""

from __future__ import annotations

import re

from .errors import InvalidSpec, InvalidVersion

__all__ = [
    "Version",
    "VersionSpec",
    "BuildNumberSpec",
    "parse_version",
    "version_key",
    "parse_version_spec",
    "parse_build_number_spec",
    "clear_caches",
]

_INF = float("inf")
# "zeros from here on": sorts above any triple tagged 0 (below zero), below any tagged 2.
_END = 1

_VALID_CHARS = re.compile(r"[*.+!_0-9a-z]+")
# a run of digits, a run of stars, or a run of anything else
_SUBCOMPONENTS = re.compile(r"[0-9]+|[*]+|[^0-9*]+")


# --------------------------------------------------------------------------------------------
# versions
# --------------------------------------------------------------------------------------------


class Version(tuple):
    """A parsed version. Compare, hash and sort like conda's ``VersionOrder``.

    The object *is* its flat order key (see the module doc; ``version_key`` gives the same
    key as a plain tuple), so comparisons and sorting run natively. ``.text`` is the original
    text, ``.norm`` conda's ``str(VersionOrder)``.
    """

    # no __slots__: tuple subclasses cannot have them; ``text`` lives in __dict__

    @property
    def key(self) -> tuple:
        return tuple(self)

    @property
    def norm(self) -> str:
        return _normalize(self.text)

    def __str__(self):
        return self.norm

    def __repr__(self):
        return f"Version({self.text!r})"

    def __reduce__(self):
        return parse_version, (self.text,)

    def parts(self) -> tuple[tuple, tuple]:
        """conda's parsed lists: ((epoch,), component, ...) and the local components, each
        component a tuple of ints, strings and inf."""
        return _parts_of(self.text)[:2]

    def startswith(self, prefix: Version) -> bool:
        """conda's ``VersionOrder.startswith``: component-wise prefix, last part as a string."""
        bounds = _prefix_bounds(prefix.text)
        if bounds is not None:
            return bounds[0] < self < bounds[1]
        return _prefix_test(prefix.text)(self.text)


def _component_parts(text: str) -> tuple | None:
    """'2g' -> (2, 'g'); 'beta15' -> (0, 'beta', 15): a leading string gets a 0 in front so
    that numbers and strings stay in phase ('1.1.a1' == '1.1.0a1'). None when empty."""
    runs = _SUBCOMPONENTS.findall(text)
    if not runs:
        return None
    parts = [] if text[0].isdigit() else [0]
    for run in runs:
        if run.isdigit():
            parts.append(int(run))
        elif run == "post":
            parts.append(_INF)  # 'post' sorts above every number
        elif run == "dev":
            parts.append("DEV")  # upper case sorts below every lower-case string
        else:
            parts.append(run)
    return tuple(parts)


def _parts_key(parts: tuple) -> tuple:
    """Flat order key of one component (a tuple of ints, strings and inf)."""
    out = []
    zeros = 0
    for part in parts:
        if part.__class__ is str:
            out += (0, zeros, part)
        elif part == 0:
            zeros += 1
            continue
        else:
            out += (2, -zeros, part)
        zeros = 0
    out.append(_END)
    return tuple(out)


def _canon(parts: tuple) -> tuple:
    """A component without its trailing zeros: equal under zero fill <=> equal canon."""
    n = len(parts)
    while n and parts[n - 1].__class__ is int and parts[n - 1] == 0:
        n -= 1
    return parts[:n]


# component text -> (parts, tag, key, (tag, 0, *key)); tag is None for a zero component.
# Components repeat a lot ('0', '1', 'post1'): parsing each once is a big saving.
_COMPONENTS: dict[str, tuple] = {}


def _component(text: str):
    known = _COMPONENTS.get(text)  # version_key asks only after missing it
    if known is not None:
        return known
    parts = _component_parts(text)
    if parts is None:
        return None
    key = _parts_key(parts)
    tag = None if key[0] == _END else key[0]
    entry = _COMPONENTS[text] = (parts, tag, key, (tag, 0, *key))
    return entry


def _key_of(components, out: list, original: str) -> None:
    """Append the flat key of a sequence of component texts (missing ones count as zero)."""
    zeros = 0
    cache = _COMPONENTS
    for text in components:
        entry = cache.get(text) or _component(text)
        if entry is None:
            raise InvalidVersion(f"invalid version {original!r}: empty version component")
        tag = entry[1]
        if tag is None:
            zeros += 1
        elif zeros:
            out += (tag, zeros if tag == 0 else -zeros)
            out += entry[2]
            zeros = 0
        else:
            out += entry[3]
    out.append(_END)


def _normalize(text: str) -> str:
    norm = text.strip().lower()
    if _valid(norm):
        return norm
    if not norm:
        raise InvalidVersion(f"invalid version {text!r}: empty version string")
    # '-' is accepted as a separator only when no '_' is used
    if "-" in norm and "_" not in norm:
        norm = norm.replace("-", "_")
        if _valid(norm):
            return norm
    raise InvalidVersion(f"invalid version {text!r}: invalid character(s)")


def _split_texts(norm: str, original: str) -> tuple[str, list[str], list[str]]:
    """norm -> (epoch text, release component texts, local component texts)."""
    epoch = "0"
    public = norm
    if "!" in norm:
        pieces = norm.split("!")
        if len(pieces) > 2:
            raise InvalidVersion(f"invalid version {original!r}: duplicated epoch separator '!'")
        epoch, public = pieces
        if not epoch.isdigit():
            raise InvalidVersion(f"invalid version {original!r}: epoch must be an integer")
    local: list[str] = []
    if "+" in public:
        pieces = public.split("+")
        if len(pieces) > 2:
            raise InvalidVersion(
                f"invalid version {original!r}: duplicated local version separator '+'"
            )
        public, local_text = pieces
        local = local_text.replace("_", ".").split(".")
    if not public:
        raise InvalidVersion(
            f"invalid version {original!r}: missing version before local version separator '+'"
        )
    if public[-1] == "_":
        # openssl style: a trailing '_' stays on the last component ('1.0.1_' < '1.0.1a')
        release = public[:-1].replace("_", ".").split(".")
        release[-1] += "_"
    else:
        release = public.replace("_", ".").split(".")
    return epoch, release, local


def _build_key(text: str) -> tuple:
    """The general case: whitespace, '-', an epoch, a local part, a trailing '_', errors."""
    norm = _normalize(text)
    epoch, release, local = _split_texts(norm, text)
    # The epoch is always a single-number component, so it can lead the key as a plain int.
    key: list = [int(epoch)]
    _key_of(release, key, text)
    _key_of(local, key, text)
    return tuple(key)


_KEYS: dict[str, tuple] = {}
_VERSIONS: dict[str, Version] = {}
_valid = _VALID_CHARS.fullmatch
# valid characters but no epoch, no local part and no trailing '_'
_plain = re.compile(r"[*._0-9a-z]*[*.0-9a-z]").fullmatch


def version_key(text: str, _keys=_KEYS) -> tuple:
    """The order key of a version text as a plain tuple (cached): what ``Version`` is made
    of, without the object. Raises ``InvalidVersion`` naming the text."""
    key = _keys.get(text)
    if key is not None:
        return key
    if text.__class__ is not str:
        if text.__class__ is Version:
            return text
        raise InvalidVersion(f"invalid version {text!r}: not a string")
    try:
        # One regex picks the common case; everything else (whitespace, '-', '!', '+', a
        # trailing '_', errors) goes the general way.
        norm = text.lower()
        if _plain(norm) is None:
            key = _build_key(text)
        else:
            # the common case: epoch 0, no local part, no trailing '_'
            built = [0]
            _key_of(norm.replace("_", ".").split("."), built, text)
            built.append(_END)  # the empty local part
            key = tuple(built)
    except InvalidVersion:
        raise
    except ValueError:  # int() refuses a number of over 4,300 digits (conda's too)
        raise InvalidVersion(f"invalid version {text!r}: a number too long") from None
    _keys[text] = key
    return key


#: the order key of a text keyed before, or None (a string key; an unhashable one raises
#: ``TypeError``): ``version_key``'s cache hit, without a call per text
cached_key = _KEYS.get


def parse_version(text) -> Version:
    """The ``Version`` of ``text`` (cached); raises ``InvalidVersion`` naming the text."""
    try:
        version = _VERSIONS.get(text)
    except TypeError:  # unhashable
        raise InvalidVersion(f"invalid version {text!r}: not a string") from None
    if version is not None:
        return version
    if text.__class__ is Version:
        return text
    version = Version(version_key(text))
    version.text = text
    _VERSIONS[text] = version
    return version


# --- startswith -----------------------------------------------------------------------------

# text -> (release parts, local parts, release canons, local canons)
_PARTS: dict[str, tuple] = {}


def _parts_of(text: str) -> tuple:
    try:
        return _PARTS[text]
    except KeyError:
        pass
    version_key(text)  # validates, with the error conda would give
    epoch, release, local = _split_texts(_normalize(text), text)
    release_parts = tuple(_component(c)[0] for c in (epoch, *release))
    local_parts = tuple(_component(c)[0] for c in local)
    entry = _PARTS[text] = (
        release_parts,
        local_parts,
        tuple(map(_canon, release_parts)),
        tuple(map(_canon, local_parts)),
    )
    return entry


def _strip_empty(canons: tuple) -> tuple:
    n = len(canons)
    while n and not canons[n - 1]:
        n -= 1
    return canons[:n]


def _make_prefix_test(prefix_text: str):
    """conda's ``VersionOrder.startswith(prefix)`` as a function of a version's text: the
    components before the prefix's last must be equal (zero-filled), then the last one must
    agree up to its last part, which (when a string) only has to be a prefix."""
    release, local, release_canons, _ = _parts_of(prefix_text)
    with_local = bool(local)
    release_canon = _strip_empty(release_canons)
    theirs = local if with_local else release
    last = len(theirs) - 1
    head = _strip_empty(tuple(map(_canon, theirs[:last])))
    n_head = len(head)
    their_comp = theirs[last]
    lastpart = len(their_comp) - 1
    comp_head = _canon(their_comp[:lastpart])
    their_part = their_comp[lastpart]
    is_str = their_part.__class__ is str

    def test(text) -> bool:
        entry = _PARTS.get(text) or _parts_of(text)
        if with_local:
            if _strip_empty(entry[2]) != release_canon:
                return False
            mine, canons = entry[1], entry[3]
        else:
            mine, canons = entry[0], entry[2]
        if n_head and canons[:n_head] != head:
            return False
        if any(canons[n_head:last]):
            return False
        my_comp = mine[last] if len(mine) > last else ()
        if lastpart and _canon(my_comp[:lastpart]) != comp_head:
            return False
        my_part = my_comp[lastpart] if len(my_comp) > lastpart else 0
        if is_str:
            return my_part.__class__ is str and my_part.startswith(their_part)
        return my_part == their_part

    return test


_PREFIX_TESTS: dict[str, object] = {}


def _prefix_test(prefix_text: str):
    test = _PREFIX_TESTS.get(prefix_text)
    if test is None:
        test = _PREFIX_TESTS[prefix_text] = _make_prefix_test(prefix_text)
    return test


# --------------------------------------------------------------------------------------------
# version specs
# --------------------------------------------------------------------------------------------

# One token: a regex '^...$', a separator or parenthesis, or a run of anything else.
_TOKENS = re.compile(r"\s*\^[^$]*[$]|\s*[()|,]|[^()|,]+")
_NEEDS_TREE = re.compile(r".*[()|,^$]")
# an operator, not followed by another operator character, then a version without spaces
_RELATION = re.compile(r"(=|==|!=|<=|>=|<|>|~=)(?![=<>!~])(\S+)")
_OPERATOR_START = frozenset("=<>!~")
# a version alone: no operator first, no star, '@', space, '-' or tree character anywhere
_bare_version = re.compile(r"[0-9A-Za-z][0-9A-Za-z._+!]*").fullmatch


def _bad_spec(text, reason):
    return InvalidSpec(f"invalid version spec {text!r}: {reason}")


def _treeify(text: str):
    """Parse ``,`` (and) and ``|`` (or) with parentheses into nested tuples:
    ``'1.2,>4|<=7'`` -> ``('|', (',', '1.2', '>4'), '<=7')``; same-operator nests are fused.
    ``,`` binds tighter than ``|``."""
    output: list = []
    ops: list[str] = []

    def reduce_until(stoppers: str) -> None:
        while ops and ops[-1] not in stoppers:
            if len(output) < 2:
                raise _bad_spec(text, "cannot join single expression")
            op = ops.pop()
            right = output.pop()
            left = output.pop()
            right = right[1:] if isinstance(right, tuple) and right[0] == op else (right,)
            left = left[1:] if isinstance(left, tuple) and left[0] == op else (left,)
            output.append((op, *left, *right))

    for token in _TOKENS.findall(f"({text})"):
        token = token.strip()
        if token == "|":
            reduce_until("(")
            ops.append("|")
        elif token == ",":
            reduce_until("|(")
            ops.append(",")
        elif token == "(":
            ops.append("(")
        elif token == ")":
            reduce_until("(")
            if not ops or ops[-1] != "(":
                raise _bad_spec(text, "expression must start with '('")
            ops.pop()
        else:
            output.append(token)
    if ops:
        raise _bad_spec(text, f"unable to convert to expression tree: {ops}")
    if not output:
        raise _bad_spec(text, "unable to determine version from spec")
    # like conda, anything after the first complete expression is ignored: '(1.0)(2.0)'
    return output[0]


def _untreeify(op: str, children: list[str], depth: int = 0, in_and: bool = False) -> str:
    # Children are already canonical strings, so only this level is written out; conda does
    # the same, which is why its canonical form drops inner parentheses.
    if op == "|":
        joined = "|".join(children)
        return f"({joined})" if in_and or depth > 0 else joined
    joined = ",".join(children)
    return f"({joined})" if depth > 0 else joined


class VersionSpec:
    """A version constraint. ``match`` takes a version string or a ``Version``."""

    __slots__ = (
        "spec", "is_exact", "match", "key_test", "bounds", "excluded", "_kind", "_arg",
        "_children", "__weakref__",
    )  # fmt: skip

    def __init__(self, spec: str, is_exact: bool, kind: str, arg, children=()):
        self.spec = spec  # conda's canonical spec string
        self.is_exact = is_exact
        self._kind = kind
        self._arg = arg
        self._children = children
        # bounds: the keys the key test passes, as (low, low included, high, high included)
        # ranges (None: unbounded), all of which a key must be in; ``Pool`` bisects a group's
        # sorted keys with them instead of testing each key. excluded: the one key a "!=" test
        # refuses (``Pool`` bisects for its run). None when the test has no such form.
        self.bounds = self.excluded = None
        # key_test(key) -> bool when the spec depends on the version's order key alone (then
        # callers holding keys skip the text), else None; match(version) works always. The
        # factory sets bounds and excluded.
        self.key_test = _KEY_TESTS[kind](self)
        if kind == "*":
            self.match = _always  # conda does not even parse the version
        elif self.key_test is not None:
            self.match = self._match_key
        else:
            self.match = _MATCHERS[kind](self)

    def _match_key(self, v) -> bool:
        key = _KEYS.get(v)
        if key is None:
            try:
                key = version_key(v)
            except InvalidVersion:
                # conda tests child by child and may answer before parsing ('*|>1'): ask
                # the slow path, which raises or answers as conda would
                return _MATCHERS[self._kind](self)(v)
        return self.key_test(key)

    @property
    def raw_value(self) -> str:
        return self.spec

    @property
    def exact_value(self):
        return self.spec if self.is_exact else None

    def merge(self, other: VersionSpec) -> VersionSpec:
        """conda's ``VersionSpec.merge``: the two specs and-ed, sorted."""
        if self.spec == other.spec:
            return self
        return parse_version_spec(",".join(sorted((self.spec, other.spec))))

    def __str__(self):
        return self.spec

    def __repr__(self):
        return f"VersionSpec({self.spec!r})"

    def __eq__(self, other):
        return isinstance(other, VersionSpec) and other.spec == self.spec

    def __hash__(self):
        return hash(self.spec)


def _as_text(value) -> str:
    return value.text if value.__class__ is Version else str(value)


def _always(v) -> bool:
    """Any version or key passes ("*")."""
    return True


# Each factory builds the test of one kind of spec: a native tuple comparison (the target
# key's own method) or a closure over plain values (keys, a compiled regex), so that a match
# is one cache lookup and a comparison or two. _KEY_TESTS give a test of the key, or None
# when the text is needed (they set the spec's bounds and excluded); _MATCHERS then give a
# test of the version (text or Version).


def _k_tree(spec):
    children = spec._children
    tests = tuple(c.key_test for c in children)
    if None in tests:
        return None
    if spec._kind == "|":
        if len(tests) == 2:
            first, second = tests
            return lambda k: first(k) or second(k)
        return lambda k: any(test(k) for test in tests)
    bounds = [child.bounds for child in children]
    if None not in bounds:
        spec.bounds = tuple(bound for child in bounds for bound in child)
    if len(tests) == 2:
        # the most common spec of all ('>=1.2,<2.0a0'): two native comparisons
        first, second = tests
        return lambda k: first(k) and second(k)
    return lambda k: all(child(k) for child in tests)


def _k_true(spec):
    spec.bounds = ()
    return _always


def _k_none(spec):
    return None


_COMPARE = {
    "==": tuple.__eq__,
    "!=": tuple.__ne__,
    "<": tuple.__lt__,
    "<=": tuple.__le__,
    ">": tuple.__gt__,
    ">=": tuple.__ge__,
}


def _k_relation(spec):
    op, target = spec._arg
    if op in ("=", "!=startswith"):
        bounds = _prefix_bounds(target.text)
        if bounds is None:
            return None
        low, high = bounds
        if op == "=":
            spec.bounds = ((low, False, high, False),)
            return lambda k: low < k < high
        return lambda k: not low < k < high
    if op == "~=":
        return _compatible_release_by_key(spec.spec, target)
    target = tuple(target)
    if op in _BOUNDS_OF:
        spec.bounds = (_BOUNDS_OF[op](target),)
    elif op == "!=":
        spec.excluded = target
    # "k >= t" is t's own "t <= k", and so on: a method of the target key, no closure
    return getattr(target, _MIRRORED[op])


#: a comparison ``k op t`` as the method of ``t`` that computes it
_MIRRORED = {"==": "__eq__", "!=": "__ne__", "<": "__gt__", "<=": "__ge__", ">": "__lt__",
             ">=": "__le__"}


#: the keys a comparison lets through, as one of ``VersionSpec.bounds``' ranges
_BOUNDS_OF = {
    "==": lambda t: (t, True, t, True),
    "<": lambda t: (None, False, t, False),
    "<=": lambda t: (None, False, t, True),
    ">": lambda t: (t, False, None, False),
    ">=": lambda t: (t, True, None, False),
}


def _m_tree(spec):
    children = tuple(c.match for c in spec._children)
    if spec._kind == "|":
        return lambda v: any(match(v) for match in children)
    return lambda v: all(match(v) for match in children)


def _m_regex(spec):
    search = spec._arg.match
    return lambda v: search(_as_text(v)) is not None


def _m_exact_text(spec):
    text = spec.spec
    return lambda v: _as_text(v) == text


def _m_relation(spec):
    """Relations tested on the version itself (the key tests cover most of them)."""
    op, target = spec._arg
    if op == "~=":
        return _compatible_release(spec.spec, target)
    if op in _COMPARE:
        compare, target = _COMPARE[op], tuple(target)
        return lambda v: compare(_KEYS.get(v) or version_key(v), target)
    test = _prefix_test(target.text)
    if op == "!=startswith":
        return lambda v: not test(_as_text(v))
    return lambda v: test(_as_text(v))


_BOUNDS: dict[str, tuple | None] = {}


def _prefix_bounds(prefix_text: str):
    """``_compute_prefix_bounds``, cached per prefix."""
    try:
        return _BOUNDS[prefix_text]
    except KeyError:
        bounds = _BOUNDS[prefix_text] = _compute_prefix_bounds(prefix_text)
        return bounds


def _compute_prefix_bounds(prefix_text: str):
    """Two keys that enclose exactly the versions starting with ``prefix_text``, when its last
    component is a single number (``1.21``: the common case), else None.

    Such a prefix matches when the components before the last are equal and the last one's
    first part is that number. Every component's first part is a number (a 0 is put in front
    of letters), and no real part is the empty string, which sorts below every other string.
    So the versions that start with ``1.21`` are exactly those above ``1.21`` with ``''``
    appended to its last component and below ``1.22`` with ``''`` appended.
    """
    release, local, _, _ = _parts_of(prefix_text)
    last = release[-1]
    if local or len(release) < 2 or len(last) != 1 or last[0].__class__ is not int:
        return None
    low = _key_from_parts(release[:-1] + ((last[0], ""),), ())
    high = _key_from_parts(release[:-1] + ((last[0] + 1, ""),), ())
    return low, high


def _key_from_parts(release: tuple, local: tuple) -> tuple:
    """The key of already split parts (the epoch first), for synthetic bounds."""
    key = [release[0][0]]
    for components in (release[1:], local):
        zeros = 0
        for component in components:
            ckey = _parts_key(component)
            tag = ckey[0]
            if tag == _END:
                zeros += 1
                continue
            key += (tag, zeros if tag == 0 else -zeros)
            key += ckey
            zeros = 0
        key.append(_END)
    return tuple(key)


def _compatible_prefix(target: Version) -> str:
    return ".".join(target.norm.split(".")[:-1])


def _compatible_release_by_key(text: str, target: Version):
    """``~=1.4.2``: at least 1.4.2 and starts with 1.4 (the target minus its last '.' part),
    as a key test when the prefix allows one."""
    try:
        bounds = _prefix_bounds(_compatible_prefix(target))
    except InvalidVersion:
        return None
    if bounds is None:
        return None
    low, high = bounds
    target = tuple(target)
    return lambda k: k >= target and low < k < high


def _compatible_release(text: str, target: Version):
    prefix_text = _compatible_prefix(target)
    try:
        test = _prefix_test(prefix_text)
    except InvalidVersion:
        test = None  # conda fails only when a version >= target is tested: mirror that
    target = tuple(target)

    def match(v):
        if (_KEYS.get(v) or version_key(v)) < target:
            return False
        if test is None:
            raise _bad_spec(text, f"invalid version {prefix_text!r}: empty version string")
        return test(_as_text(v))

    return match


_KEY_TESTS = {
    "|": _k_tree,
    ",": _k_tree,
    "*": _k_true,
    "regex": _k_none,
    "exact_text": _k_none,
    "relation": _k_relation,
}
_MATCHERS = {
    "*": lambda spec: _always,
    "|": _m_tree,
    ",": _m_tree,
    "regex": _m_regex,
    "exact_text": _m_exact_text,
    "relation": _m_relation,
}


def _compile_regex(text: str, pattern: str):
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise _bad_spec(text, f"invalid regular expression: {exc}") from None


def _version_for_spec(text: str, version_text: str) -> Version:
    try:
        return parse_version(version_text)
    except InvalidVersion as exc:
        raise _bad_spec(text, str(exc)) from None


def _build_tree_spec(tree: tuple) -> VersionSpec:
    children = tuple(_spec_from_tree(child) for child in tree[1:])
    spec = _untreeify(tree[0], [c.spec for c in children])
    return VersionSpec(spec, False, tree[0], None, children)


def _spec_from_tree(node) -> VersionSpec:
    if isinstance(node, tuple):
        return _build_tree_spec(node)
    return parse_version_spec(node)


def _build_relation(text: str, star_suffix: bool = True) -> VersionSpec:
    """``op version``; ``star_suffix``: give a trailing '.*' its version-spec meaning (build
    number specs, like conda's ``BuildNumberMatch``, keep it as part of the version)."""
    m = _RELATION.fullmatch(text)
    if m is None:
        raise _bad_spec(text, "invalid operator")
    op, version_text = m.groups()
    if star_suffix and version_text[-2:] == ".*":
        # '.*' after an operator: '!=' turns into "does not start with"; '~=' refuses it;
        # every other operator ignores it (conda warns for some, never for '=' and '>=')
        if op == "~=":
            raise _bad_spec(text, "invalid operator with '.*'")
        version_text = version_text[:-2]
        if op == "!=":
            op = "!=startswith"
    target = _version_for_spec(text, version_text)
    return VersionSpec(text, op == "==", "relation", (op, target))


def _build_simple(text: str) -> VersionSpec:
    """A spec without ',' or '|' (or a regex)."""
    if text[0] == "^" or text[-1] == "$":
        if text[0] != "^" or text[-1] != "$":
            raise _bad_spec(text, "regex specs must start with '^' and end with '$'")
        return VersionSpec(text, False, "regex", _compile_regex(text, text))
    if text[0] in _OPERATOR_START:
        return _build_relation(text)
    if text == "*":
        return VersionSpec(text, False, "*", None)
    if "*" in text.rstrip("*"):
        # a star inside ('1.*.3'): a glob over the raw text
        pattern = text.replace(".", r"\.").replace("+", r"\+").replace("*", ".*")
        return VersionSpec(text, False, "regex", _compile_regex(text, f"^(?:{pattern})$"))
    if text[-1] == "*":
        # '1.2*' is '1.2.*': starts with 1.2, component-wise
        if text[-2:] != ".*":
            text = text[:-1] + ".*"
        target = _version_for_spec(text, text.rstrip("*").rstrip("."))
        return VersionSpec(text, False, "relation", ("=", target))
    if "@" not in text:
        return VersionSpec(text, True, "relation", ("==", _version_for_spec(text, text)))
    # '@' is no version character: such specs compare the raw text ('@' matches nothing)
    return VersionSpec(text, True, "exact_text", None)


def _split_tree(text: str):
    """``_treeify`` for the common text without parentheses or regexes: split on '|', then
    on ','. Same tree, same errors (an empty operand cannot be joined)."""
    ors = []
    for alternative in text.split("|"):
        ands = [operand.strip() for operand in alternative.split(",")]
        if not all(ands):
            raise _bad_spec(text, "cannot join single expression")
        ors.append(ands[0] if len(ands) == 1 else (",", *ands))
    return ors[0] if len(ors) == 1 else ("|", *ors)


def _build_version_spec(text: str) -> VersionSpec:
    if _bare_version(text) is not None:
        # the most common spec of pinned dependencies ('1.2.3', '8d'): what _build_simple
        # makes of a text with no operator, star, '@', space or tree character
        return VersionSpec(text, True, "relation", ("==", _version_for_spec(text, text)))
    if ("," in text or "|" in text) and not any(c in text for c in "()^$"):
        node = _split_tree(text)
        if isinstance(node, tuple):
            return _build_tree_spec(node)
        text = node
    elif _NEEDS_TREE.match(text):
        node = _treeify(text)
        if isinstance(node, tuple):
            return _build_tree_spec(node)
        text = node
    text = text.strip()
    if not text:
        raise _bad_spec(text, "empty version spec")
    return _build_simple(text)


_SPEC_CACHE: dict[str, VersionSpec] = {}


def parse_version_spec(text) -> VersionSpec:
    """The ``VersionSpec`` of ``text`` (cached); raises ``InvalidSpec`` naming the text."""
    if text.__class__ is VersionSpec:
        return text
    spec = _SPEC_CACHE.get(text)  # most texts are parsed once: a miss must be cheap
    if spec is not None:
        return spec
    if not isinstance(text, str):
        raise _bad_spec(text, "not a string")
    spec = _SPEC_CACHE[text] = _build_version_spec(text)
    return spec


# --------------------------------------------------------------------------------------------
# build numbers
# --------------------------------------------------------------------------------------------


class BuildNumberSpec:
    """conda's ``BuildNumberMatch``: an int is exact; relations, '*' and regexes work too."""

    __slots__ = ("spec", "is_exact", "match")

    def __init__(self, spec, is_exact: bool, match):
        self.spec = spec  # an int when the text was one, like conda's raw value
        self.is_exact = is_exact
        self.match = match

    @property
    def raw_value(self):
        return self.spec

    @property
    def exact_value(self):
        try:
            return int(self.spec)
        except ValueError:
            return None

    def merge(self, other: BuildNumberSpec):
        if self.spec != other.spec:
            raise InvalidSpec(f"incompatible build numbers: {self.spec!r} and {other.spec!r}")
        return self.spec

    def __str__(self):
        return str(self.spec)

    def __repr__(self):
        return f"BuildNumberSpec({self.spec!r})"

    def __eq__(self, other):
        return isinstance(other, BuildNumberSpec) and other.spec == self.spec

    def __hash__(self):
        return hash(self.spec)


def _build_number_spec(value) -> BuildNumberSpec:
    try:
        number = int(value)
    except (TypeError, ValueError):
        pass
    else:
        return BuildNumberSpec(number, True, lambda v: v == number)
    text = str(value).strip()
    if text == "*":
        return BuildNumberSpec(text, False, lambda v: True)
    if text.startswith(("=", "<", ">", "!")):
        relation = _build_relation(text, star_suffix=False)
        test = relation.match
        return BuildNumberSpec(text, relation.is_exact, lambda v: test(str(v)))
    if text and (text[0] == "^" or text[-1] == "$"):
        if text[0] != "^" or text[-1] != "$":
            raise _bad_spec(text, "regex specs must start with '^' and end with '$'")
        search = _compile_regex(text, text).match
        return BuildNumberSpec(text, False, lambda v: search(str(v)) is not None)
    # anything else is compared as text with the record's (int) build number: never equal
    return BuildNumberSpec(text, True, lambda v: v == text)


_BUILD_NUMBER_CACHE: dict = {}


def parse_build_number_spec(value) -> BuildNumberSpec:
    """The ``BuildNumberSpec`` of ``value`` (an int or text; cached)."""
    try:
        return _BUILD_NUMBER_CACHE[value]
    except KeyError:
        spec = _BUILD_NUMBER_CACHE[value] = _build_number_spec(value)
        return spec


def clear_caches() -> None:
    """Forget every parsed version and spec (benchmarks start from nothing)."""
    _KEYS.clear()
    _VERSIONS.clear()
    _PARTS.clear()
    _PREFIX_TESTS.clear()
    _BOUNDS.clear()
    _COMPONENTS.clear()
    _SPEC_CACHE.clear()
    _BUILD_NUMBER_CACHE.clear()
