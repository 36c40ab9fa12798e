"""Why a solve is unsatisfiable: a derivation tree, its text, and classic's conflict chains.

``explain_conflict(pool, requests, reasons)`` takes the ``reason`` tuples of the clauses in a
refutation (``SatSolver.conflict_reasons()``, see ``encode.py`` for their kinds) and returns an
``Explanation``. It is a pipeline of pure passes (``../shared/notes/engine-algorithms.md`` §3.7):

1. **proof -> incompatibilities**: each reason becomes a PubGrub incompatibility whose terms
   are bitsets over a name's records (bit ``len(records)`` means "not installed"). Dependency
   clauses of several records are first merged per (name, dependency name): a weaker but
   sound statement ("every scipy 0.12.0b1 depends on numpy 1.6*|1.7*") that usually still
   refutes; if it does not, finer groupings are tried, down to one clause per record;
2. **incompatibilities -> derivation**: a small PubGrub (unit propagation, conflict resolution
   via prior causes) over those incompatibilities only, which yields PubGrub's derivation;
3. **derivation -> tree**: plain ``External``/``Derived`` nodes, terms printed compactly (the
   original spec text when the set is exactly its matches, else ranges over existing
   versions); consecutive root requests are merged into one cause;
4. **tree -> text**: PubGrub's reporter rules ("Because X and Y, Z." / "And because ...").

Classic's ``UnsatisfiableError`` chains, which conda's tests check verbatim, come from
``chains.py``.
"""

from __future__ import annotations

from typing import NamedTuple

from .chains import (
    CHAIN_SEED_LIMIT,
    CHECK_DEPTH,
    classic_chains,
    classify_chains,
    unprovided_root,
)
from .errors import PackagesNotFound
from .gcpause import gc_paused
from .request import role_of
from .spec import parse_spec
from .version import parse_version

ROOT = "<root>"
#: PubGrub steps before giving up on a grouping (the proofs here are small)
_STEP_LIMIT = 20000

# request roles (``SpecRequest.role`` when the caller sets it) -> how a cause names them
ROLE_PHRASES = {
    "requested": "you requested {}",
    "pinned": "you pinned {}",
    "installed": "your environment has {} installed",
    "history": "you previously requested {}",
    "virtual": "your system has {}",
    "constraint": "you constrained {}",
}


# -- the tree: plain data ---------------------------------------------------------------------


# The nodes are NamedTuples rather than frozen dataclasses: this module is imported by the
# first failed solve of a process, and four dataclasses cost about 2 ms to create.


class Term(NamedTuple):
    """``name`` (not) installed in ``versions`` ("" = any version)."""

    name: str
    positive: bool
    versions: str = ""

    def __str__(self):
        return _with_name(self.name, self.versions)


def _with_name(name: str, versions: str) -> str:
    """``c >=1,<2``, ``numpy=1.5`` (as conda writes ``=`` specs), or just the name."""
    if not versions:
        return name
    if versions.startswith("=") and not versions.startswith("=="):
        return name + versions
    return f"{name} {versions}"


class External(NamedTuple):
    """A fact from the input: a request, a dependency, a missing or excluded package.

    ``kind``: ``requests``, ``requires``, ``constrains``, ``missing``, ``virtual``,
    ``invalid`` or ``excluded``; ``text`` is the phrase used in explanations.
    """

    kind: str
    terms: tuple
    text: str
    specs: tuple = ()
    roles: tuple = ()

    def __str__(self):
        return self.text


class Derived(NamedTuple):
    """An incompatibility derived from two causes (PubGrub's rule of resolution)."""

    terms: tuple
    cause1: object
    cause2: object
    shared_id: int | None = None


class Explanation:
    """What ``explain_conflict`` returns: ``text`` (the derivation in words), ``tree``
    (``Derived``/``External`` nodes, or None), ``core`` (the request specs the explanation
    rests on), and ``classic()``, which works out classic's conflict chains with their
    classification (``_classify_bad_deps``'s) when called: they walk the dependency graph
    from every request, and only conda's error shows them (``Unsatisfiable`` calls it on the
    first read of its chains, once)."""

    __slots__ = ("text", "tree", "core", "_pool", "_requests", "_seeds", "_depth")

    def __init__(self, text: str, tree, core: tuple, pool, requests: list, seeds: list,
                 depth: int):
        self.text = text
        self.tree = tree
        self.core = core
        self._pool, self._requests, self._seeds, self._depth = pool, requests, seeds, depth

    def classic(self) -> tuple[tuple, dict]:
        """``(chains, bad_deps)``: classic's chains (tuples of spec strings) and their kinds.
        Raises ``PackagesNotFound`` where classic's conflict map stops (``unprovided_root``)."""
        with gc_paused():  # as the solve that raised was
            missing = unprovided_root(self._pool, self._seeds)
            if missing is not None:
                raise PackagesNotFound([missing])
            chains = tuple(classic_chains(self._pool, self._seeds, self._depth))
            return chains, classify_chains(self._pool, chains, self._requests)


# -- step 1: version sets over a name's records ----------------------------------------------


class _Universe:
    """Each name's records (best first); a term is an int: bit i = record i, bit n = absent."""

    def __init__(self, pool):
        self.pool = pool
        self.ids: dict[str, tuple] = {ROOT: (-1,)}
        self.position: dict[int, int] = {}
        self.known: dict[tuple, str] = {}  # (name, version bits) -> original spec text

    def records(self, name: str) -> tuple:
        ids = self.ids.get(name)
        if ids is None:
            ids = self.ids[name] = tuple(self.pool.group(name))
            for index, rid in enumerate(ids):
                self.position[rid] = index
        return ids

    def full(self, name: str) -> int:
        return (1 << (len(self.records(name)) + 1)) - 1

    def versions(self, name: str) -> int:
        return (1 << len(self.records(name))) - 1

    def absent(self, name: str) -> int:
        return 1 << len(self.records(name))

    def bits(self, name: str, rids) -> int:
        self.records(name)
        mask = 0
        for rid in rids:
            mask |= 1 << self.position[rid]
        return mask

    def remember(self, name: str, bits: int, text: str) -> None:
        self.known.setdefault((name, bits), text)

    def term(self, name: str, ext: int) -> Term:
        """Print a term: a positive one as its records, a negative one as what it excludes."""
        positive = not ext & self.absent(name)
        bits = ext if positive else self.versions(name) & ~ext
        return Term(name, positive, self.describe(name, bits))

    def describe(self, name: str, bits: int) -> str:
        """Versions as a spec would say them: "" for all, a known spec's text, or ranges."""
        if name == ROOT:
            return ""
        if bits == self.versions(name):
            return ""
        text = self.known.get((name, bits))
        if text is not None:
            return text
        return _ranges(self.pool, self.records(name), bits)


def _ranges(pool, ids: tuple, bits: int) -> str:
    """A set of records as version ranges over the versions that exist (``>=1,<2|==3.0``)."""
    by_version: dict = {}
    for index, rid in enumerate(ids):
        version = parse_version(pool.records[rid].get("version") or "0")
        by_version.setdefault(version, []).append(index)
    ordered = sorted(by_version)
    parts = []
    run: list = []

    def flush(next_version):
        if not run:
            return
        low = run[0]
        if len(run) == 1 and next_version is not None:
            parts.append(f"=={low.text}")
        elif low == ordered[0]:
            parts.append(f"<{next_version.text}" if next_version is not None else "")
        else:
            parts.append(f">={low.text}" + (f",<{next_version.text}" if next_version else ""))
        run.clear()

    for version in ordered:
        members = by_version[version]
        chosen = [i for i in members if bits >> i & 1]
        if len(chosen) == len(members):
            run.append(version)
            continue
        flush(version)
        if chosen:  # only some builds of this version
            builds = ", ".join(pool.records[ids[i]].get("build", "") for i in chosen)
            parts.append(f"=={version.text} ({builds})")
    flush(None)
    return "|".join(p for p in parts if p) or "(none)"


def _display_spec(text: str) -> str:
    """A canonical spec as people write it: ``c[version='>=1,<2']`` -> ``c >=1,<2``."""
    try:
        spec = parse_spec(text)
    except ValueError:
        return text
    if set(spec.components) - {"name", "version", "build"}:
        return str(spec)
    words = [spec.name, spec.get("version"), spec.get("build")]
    if words[1] is None and words[2] is not None:
        words[1] = "*"
    return " ".join(w for w in words if w)


def _original_dep(record: dict, dep_text: str) -> str:
    """The dependency as the record wrote it (``c >=1,<2``), else a readable canonical form."""
    for text in list(record.get("depends") or ()) + list(record.get("constrains") or ()):
        try:
            if str(parse_spec(text)) == dep_text:
                return text
        except ValueError:
            continue
    return _display_spec(dep_text)


# -- step 1: reasons -> incompatibilities ------------------------------------------------------


class _Incompat:
    """Terms (name -> ext bits) that cannot all hold; ``cause`` external data or two parents."""

    __slots__ = ("terms", "cause", "parents")

    def __init__(self, terms: dict, cause=None, parents=None):
        self.terms = terms
        self.cause = cause
        self.parents = parents


def _add_term(terms: dict, universe: _Universe, name: str, ext: int) -> None:
    """Intersect into ``terms``; a term allowing everything says nothing and is left out."""
    ext &= terms.get(name, universe.full(name))
    if ext == universe.full(name):
        terms.pop(name, None)
    else:
        terms[name] = ext


def _request_text(request) -> str:
    target = request.request.target
    if role_of(request) == "installed" and target is not None and request.spec.is_name_only:
        return f"{target.get('name')} {target.get('version')}"
    return request.request.spec


class _Builder:
    """Turns proof reasons into incompatibilities at one level of merging."""

    def __init__(self, pool, universe: _Universe, requests: list):
        self.pool = pool
        self.universe = universe
        self.by_index = {r.index: r for r in requests}
        self.allowed: dict[str, int] = {}  # name -> records its requests allow

    def request(self, index) -> _Incompat | None:
        request = self.by_index.get(index)
        if request is None or request.dep is None or not _plain(request.spec.name):
            return None  # feature or glob requests: not expressible per name
        name = request.spec.name
        universe = self.universe
        matches = universe.bits(name, self.pool.matches(request.spec))
        text = _request_text(request)
        universe.remember(name, matches, _version_words(text, name))
        terms = {ROOT: 1}
        if request.request.optional:
            _add_term(terms, universe, name, universe.versions(name) & ~matches)
        else:
            _add_term(terms, universe, name, universe.full(name) & ~matches)
        if not request.request.optional:
            # records a request rules out can never be chosen: clauses about them are noise
            self.allowed[name] = self.allowed.get(name, matches) & matches
        cause = ("request", (role_of(request),), (text,), (request.index,))
        return _Incompat(terms, cause)

    def dependency(self, kind: str, name: str, rids: list, dep_name: str, texts: list,
                   cands: int) -> _Incompat:
        universe = self.universe
        terms: dict = {}
        _add_term(terms, universe, name, universe.bits(name, rids))
        # one spec covering the union reads best (">=3.8" rather than ">=3.8|>=3.9")
        covering = [text for text, bits in texts.items() if bits == cands and cands]
        shown = _union_text(dep_name, covering[:1] or list(texts))
        universe.remember(dep_name, cands, shown)
        if kind == "constrains":
            _add_term(terms, universe, dep_name, universe.versions(dep_name) & ~cands)
        else:
            _add_term(terms, universe, dep_name, universe.full(dep_name) & ~cands)
            if not cands:
                kind = "virtual" if dep_name.startswith("__") else "missing"
        return _Incompat(terms, (kind, name, tuple(rids), dep_name, shown))

    def build(self, reasons: list, grouping: int) -> list:
        """Incompatibilities for ``reasons``; ``grouping``: 0 per (name, dependency name),
        1 per (record version, dependency name), 2 per record and dependency."""
        result = []
        groups: dict = {}
        excluded: dict = {}
        self.allowed = {}
        for reason in reasons:
            if reason[0] == "request":
                incompat = self.request(reason[1])
                if incompat is not None:  # else left out, like feature dependencies
                    result.append(incompat)
        for reason in reasons:
            kind = reason[0]
            if kind in ("requires", "constrains"):
                # a feature dependency spans names: leave it out (the rest may still refute)
                self._group_dep(groups, kind, reason[1], reason[2], grouping)
            elif kind in ("invalid", "excluded"):
                rid = reason[1]
                why = reason[2] if len(reason) > 2 else ""
                excluded.setdefault((kind, self.pool.names[rid], why), []).append(rid)
        for (kind, name, why), rids in excluded.items():
            terms = {name: self.universe.bits(name, rids)}
            result.append(_Incompat(terms, (kind, name, tuple(rids), why)))
        for (kind, name, _, dep_name), (rids, texts, cands) in groups.items():
            result.append(self.dependency(kind, name, rids, dep_name, texts, cands))
        return result

    def _group_dep(self, groups, kind, rid, dep_text, grouping) -> None:
        pool = self.pool
        dep = next((d for d in pool.deps(rid) or () if d.text == dep_text), None)
        if dep is None or dep.feature is not None or not _plain(dep.name):
            return
        name = pool.names[rid]
        allowed = self.allowed.get(name)
        if allowed is not None and not self.universe.bits(name, [rid]) & allowed:
            return
        record = pool.records[rid]
        detail = (None, record.get("version"), rid)[grouping]
        key = (kind, name, detail, dep.name)
        rids, texts, cands = groups.get(key, ([], {}, 0))
        matches = self.universe.bits(dep.name, pool.matches(dep.spec))
        cands |= matches
        if rid not in rids:
            rids.append(rid)
        texts.setdefault(_original_dep(record, dep_text), matches)
        groups[key] = (rids, texts, cands)


def _plain(name: str) -> bool:
    return bool(name) and name != "*" and not any(c in name for c in "*?[")


def _union_text(name: str, texts: list) -> str:
    """One text for merged dependency specs: ``numpy 1.6*|1.7*`` (shown after the name)."""
    versions = [_version_words(text, name) for text in texts]
    if any(v == "" for v in versions):
        return ""
    return "|".join(sorted(set(versions)))


def _version_words(text: str, name: str) -> str:
    """What follows the name in a spec as written (``c >=1,<2`` -> ``>=1,<2``)."""
    stripped = text.strip()
    if stripped.startswith(name) and stripped[len(name):len(name) + 1] in " =<>!":
        return stripped[len(name):].strip()  # "py =3.7.1" and "py=3.7.1" print alike
    try:
        display = _display_spec(text)
    except ValueError:
        return text
    return display[len(name):].strip() if display.startswith(name) else display


# -- step 2: a small PubGrub over the incompatibilities ----------------------------------------


class _PubGrub:
    """Unit propagation and conflict resolution over finite version sets (ints)."""

    def __init__(self, universe: _Universe, incompats: list):
        self.universe = universe
        self.by_name: dict[str, list] = {}
        self.assignments: list = []  # (name, ext, level, cause or None)
        self.acc: dict[str, int] = {}
        self.level = 0
        self.steps = 0
        not_root = _Incompat({ROOT: 2}, ("root",))
        for incompat in [not_root] + incompats:
            self._add(incompat)

    def _add(self, incompat: _Incompat) -> None:
        for name in incompat.terms:
            self.by_name.setdefault(name, []).append(incompat)

    def _current(self, name: str) -> int:
        return self.acc.get(name, self.universe.full(name))

    def _relation(self, incompat: _Incompat):
        """("satisfied" | "almost" | "contradicted" | "open", the one unsatisfied name)."""
        unsatisfied = None
        count = 0
        for name, ext in incompat.terms.items():
            current = self._current(name)
            if not current & ext:
                return "contradicted", None
            if current & ~ext:
                count += 1
                unsatisfied = name
                if count > 1:
                    return "open", None
        return ("satisfied", None) if count == 0 else ("almost", unsatisfied)

    def _assign(self, name: str, ext: int, cause) -> None:
        self.assignments.append((name, ext, self.level, cause))
        self.acc[name] = self._current(name) & ext

    def _derive(self, incompat: _Incompat, name: str) -> None:
        self._assign(name, self.universe.full(name) & ~incompat.terms[name], incompat)

    def _backtrack(self, level: int) -> None:
        self.assignments = [a for a in self.assignments if a[2] <= level]
        self.level = level
        self.acc = {}
        for name, ext, _, _ in self.assignments:
            self.acc[name] = self._current(name) & ext

    def run(self) -> _Incompat | None:
        """The root incompatibility of the failure, or None if the set is satisfiable."""
        failure = self._propagate(ROOT)
        while failure is None:
            self.steps += 1
            if self.steps > _STEP_LIMIT:
                return None
            decision = self._decide()
            if decision is None:
                return None
            name, ext = decision
            self.level += 1
            self._assign(name, ext, None)
            failure = self._propagate(name)
        return failure

    def _propagate(self, start: str):
        changed = [start]
        while changed:
            name = changed.pop()
            for incompat in reversed(list(self.by_name.get(name, ()))):
                relation, other = self._relation(incompat)
                if relation == "satisfied":
                    learned = self._resolve(incompat)
                    if _is_terminal(learned):
                        return learned
                    relation, other = self._relation(learned)
                    if relation != "almost":  # cannot happen after a correct backjump
                        raise RuntimeError("conflict resolution did not learn a unit")
                    self._derive(learned, other)
                    changed = [other]
                    break
                if relation == "almost":
                    self._derive(incompat, other)
                    if other not in changed:
                        changed.append(other)
        return None

    def _decide(self):
        """An open name: required ones first (fewest options), the best version first."""
        best = None
        for name in self.by_name:
            current = self._current(name)
            if name == ROOT or current & (current - 1) == 0:
                continue
            absent = self.universe.absent(name)
            rank = (bool(current & absent), bin(current).count("1"), name)
            if best is None or rank < best[0]:
                best = (rank, name, current, absent)
        if best is None:
            return None
        _, name, current, absent = best
        return name, absent if current & absent else current & -current

    def _satisfier(self, incompat: _Incompat):
        """Index of the assignment that completes satisfying ``incompat``, and the level of
        the latest assignment before it that is still needed."""
        found: dict[str, int] = {}
        local: dict[str, int] = {}
        for index, (name, ext, _, _) in enumerate(self.assignments):
            term = incompat.terms.get(name)
            if term is None or name in found:
                continue
            local[name] = local.get(name, self.universe.full(name)) & ext
            if not local[name] & ~term:
                found[name] = index
                if len(found) == len(incompat.terms):
                    break
        index = max(found.values())
        name = self.assignments[index][0]
        previous = max((self.assignments[i][2] for n, i in found.items() if n != name),
                       default=0)
        term = incompat.terms[name]
        own = self.assignments[index][1]
        if own & ~term:  # the satisfier alone is not enough: find its needed predecessor
            current = own
            for earlier, (other, ext, level, _) in enumerate(self.assignments[:index]):
                if other == name:
                    current &= ext
                    if not current & ~term:
                        previous = max(previous, level)
                        break
        return index, previous

    def _resolve(self, incompat: _Incompat) -> _Incompat:
        """PubGrub's conflict resolution: resolve with prior causes, learn, backjump."""
        universe = self.universe
        while not _is_terminal(incompat):
            index, previous = self._satisfier(incompat)
            name, _, level, cause = self.assignments[index]
            if cause is None or previous != level:
                if incompat.parents is not None:
                    self._add(incompat)
                self._backtrack(previous)
                return incompat
            terms: dict = {}
            for source in (incompat, cause):
                for other, ext in source.terms.items():
                    if other != name:
                        _add_term(terms, universe, other, ext)
            _add_term(terms, universe, name, incompat.terms[name] | cause.terms[name])
            incompat = _Incompat(terms, None, (incompat, cause))
        return incompat


def _is_terminal(incompat: _Incompat) -> bool:
    return all(name == ROOT for name in incompat.terms)


# -- step 3: derivation -> tree ------------------------------------------------------------------


def _phrase(universe: _Universe, cause) -> tuple:
    """(kind, text, specs, roles) of an external incompatibility."""
    kind = cause[0]
    if kind == "request":
        _, roles, specs, _ = cause
        return "requests", _requests_text(roles, specs), specs, roles
    name, rids = cause[1], cause[2]
    subject = _subject(universe, name, rids)
    if kind == "invalid":
        return kind, f"{subject} has invalid dependency specs{_first_invalid(universe, rids)}", \
            (), ()
    if kind == "excluded":
        return kind, f"{subject} is excluded by {cause[3]}", (), ()
    dep_name, shown = cause[3], cause[4]
    dep = _with_name(dep_name, shown)
    if kind == "requires":
        return kind, f"{subject} depends on {dep}", (dep,), ()
    if kind == "constrains":
        return kind, f"{subject} constrains {dep_name} to {shown or 'any version'}", (dep,), ()
    if kind == "virtual":
        system = universe.pool.group(dep_name)
        if system:
            record = universe.pool.records[system[0]]
            have = f"{dep_name} {record.get('version')}"
            return kind, f"your system has {have} but {subject} needs {dep}", (dep,), ()
        return kind, f"your system has no {dep_name} but {subject} needs {dep}", (dep,), ()
    return "missing", f"nothing provides {dep} needed by {subject}", (dep,), ()


def _first_invalid(universe: _Universe, rids) -> str:
    """What follows "has invalid dependency specs" for records dropped for one: the first
    dependency or constraint text of theirs that does not parse, and why, in parentheses
    ("" when none is found)."""
    records = universe.pool.records
    for rid in sorted(rids):
        record = records[rid]
        for text in (*(record.get("depends") or ()), *(record.get("constrains") or ())):
            try:
                parse_spec(text)
            except ValueError as exc:  # InvalidSpec and InvalidVersion are ValueErrors
                return f" ({exc})"
    return ""


def _subject(universe: _Universe, name: str, rids) -> str:
    bits = universe.bits(name, rids)
    if bits == universe.versions(name):
        return f"every version of {name}"
    if len(rids) == 1:
        return _record_text(universe, rids[0])
    return str(Term(name, True, universe.describe(name, bits)))


def _record_text(universe: _Universe, rid: int) -> str:
    record = universe.pool.records[rid]
    name = universe.pool.names[rid]
    same = [r for r in universe.records(name)
            if universe.pool.records[r].get("version") == record.get("version")]
    if len(same) > 1:
        return f"{name} {record.get('version')} ({record.get('build')})"
    return f"{name} {record.get('version')}"


def _requests_text(roles: tuple, specs: tuple) -> str:
    grouped: dict[str, list] = {}
    for role, spec in zip(roles, specs):
        grouped.setdefault(role, []).append(spec)
    phrases = []
    for role, members in grouped.items():
        pattern = ROLE_PHRASES.get(role, role + " {}")
        phrases.append(pattern.format(_join(members)))
    return ", and ".join(phrases) if len(phrases) > 2 else " and ".join(phrases)


def _join(items: list) -> str:
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _to_tree(universe: _Universe, root: _Incompat):
    """Plain nodes; derived incompatibilities used twice get a ``shared_id``."""
    uses: dict[int, int] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        uses[id(node)] = uses.get(id(node), 0) + 1
        if node.parents is not None and uses[id(node)] == 1:
            stack.extend(node.parents)
    shared: dict[int, int] = {}
    made: dict[int, object] = {}

    def terms_of(node):
        return tuple(universe.term(n, node.terms[n]) for n in sorted(node.terms) if n != ROOT)

    def build(node):
        key = id(node)
        if key in made:
            return made[key]
        if node.parents is None:
            kind, text, specs, roles = _phrase(universe, node.cause)
            result = External(kind, terms_of(node), text, specs, roles)
        else:
            shared_id = None
            if uses[key] > 1:
                shared_id = shared.setdefault(key, len(shared) + 1)
            result = Derived(terms_of(node), build(node.parents[0]), build(node.parents[1]),
                             shared_id)
        made[key] = result
        return result

    return build(root)


def merge_requests(node):
    """Fold "because X and request a, ...; and because request b, ..." into one cause
    ("you requested a and b") when the step in between is used nowhere else."""
    if not isinstance(node, Derived):
        return node
    cause1, cause2 = merge_requests(node.cause1), merge_requests(node.cause2)
    derived, external = (cause1, cause2) if isinstance(cause1, Derived) else (cause2, cause1)
    if (isinstance(derived, Derived) and isinstance(external, External)
            and external.kind == "requests" and derived.shared_id is None):
        inner = [c for c in (derived.cause1, derived.cause2)
                 if isinstance(c, External) and c.kind == "requests"]
        if inner:
            other = derived.cause2 if derived.cause1 is inner[0] else derived.cause1
            specs = inner[0].specs + external.specs
            roles = inner[0].roles + external.roles
            merged = External("requests", inner[0].terms + external.terms,
                              _requests_text(roles, specs), specs, roles)
            return Derived(node.terms, other, merged, node.shared_id)
    return Derived(node.terms, cause1, cause2, node.shared_id)


# -- step 4: tree -> text (PubGrub's reporter) ----------------------------------------------------


def conclusion(terms: tuple) -> str:
    """What a derived incompatibility says, root left implicit."""
    positive = [t for t in terms if t.positive]
    negative = [t for t in terms if not t.positive]
    if not terms:
        return "no solution is possible"
    if len(terms) == 1:
        return f"{terms[0]} cannot be installed" if positive else f"{terms[0]} is required"
    if len(positive) == 1 and len(negative) == 1:
        return f"{positive[0]} requires {negative[0]}"
    if not negative:
        return f"{_join(positive)} are incompatible"
    if not positive:
        return "one of " + " or ".join(map(str, negative)) + " is required"
    return f"{_join(positive)} together require " + " or ".join(map(str, negative))


class _Reporter:
    def __init__(self):
        self.lines: list[str] = []
        self.refs: dict[int, int] = {}
        self.count = 0

    def ref(self, node):
        return self.refs.get(node.shared_id) if node.shared_id is not None else None

    def add_ref(self) -> int:
        self.count += 1
        self.lines[-1] += f" ({self.count})"
        return self.count

    def build(self, node: Derived) -> None:
        self.helper(node)
        if node.shared_id is not None and node.shared_id not in self.refs:
            self.refs[node.shared_id] = self.add_ref()

    def helper(self, node: Derived) -> None:
        c1, c2, then = node.cause1, node.cause2, conclusion(node.terms)
        if isinstance(c1, External) and isinstance(c2, External):
            if _order(c2) < _order(c1):  # either order is correct; read in name order
                c1, c2 = c2, c1
            self.lines.append(f"Because {c1} and {c2}, {then}.")
        elif isinstance(c1, External) or isinstance(c2, External):
            derived, external = (c2, c1) if isinstance(c1, External) else (c1, c2)
            self.one_each(derived, external, then)
        else:
            self.both_derived(node, c1, c2, then)

    def one_each(self, derived: Derived, external: External, then: str) -> None:
        ref = self.ref(derived)
        if ref is not None:
            self.lines.append(f"Because {conclusion(derived.terms)} ({ref}) and {external}, "
                              f"{then}.")
            return
        p1, p2 = derived.cause1, derived.cause2
        if isinstance(p1, External) != isinstance(p2, External):
            prior, prior_external = (p2, p1) if isinstance(p1, External) else (p1, p2)
            self.build(prior)
            self.lines.append(f"And because {prior_external} and {external}, {then}.")
        else:
            self.build(derived)
            self.lines.append(f"And because {external}, {then}.")

    def both_derived(self, node, d1: Derived, d2: Derived, then: str) -> None:
        r1, r2 = self.ref(d1), self.ref(d2)
        if r1 is not None and r2 is not None:
            self.lines.append(f"Because {conclusion(d1.terms)} ({r1}) and "
                              f"{conclusion(d2.terms)} ({r2}), {then}.")
        elif r1 is not None or r2 is not None:
            known, other, ref = (d1, d2, r1) if r1 is not None else (d2, d1, r2)
            self.build(other)
            self.lines.append(f"And because {conclusion(known.terms)} ({ref}), {then}.")
        else:
            self.build(d1)
            r2 = self.ref(d2)
            if r2 is not None:  # explained while explaining d1: refer to it, don't repeat
                self.lines.append(f"And because {conclusion(d2.terms)} ({r2}), {then}.")
                return
            if d1.shared_id is not None:
                self.lines.append("")
                self.build(node)
                return
            r1 = self.add_ref()
            self.lines.append("")
            self.build(d2)
            self.lines.append(f"And because {conclusion(d1.terms)} ({r1}), {then}.")


def _order(external: External) -> tuple:
    return (external.kind == "requests", [t.name for t in external.terms])


def render(tree) -> str:
    """The explanation text of a tree (an ``External`` alone is one sentence)."""
    if isinstance(tree, External):
        return f"Because {tree}, no solution is possible."
    reporter = _Reporter()
    reporter.build(tree)
    return "\n".join(reporter.lines)


# -- the pipeline -----------------------------------------------------------------------------


def derive(pool, requests: list, reasons: list):
    """Steps 1-3: the simplified derivation tree for ``reasons``, or None."""
    universe = _Universe(pool)
    builder = _Builder(pool, universe, requests)
    for grouping in (0, 1, 2):
        incompats = builder.build(reasons, grouping)
        if any(not i.terms or _is_terminal(i) for i in incompats):
            terminal = next(i for i in incompats if _is_terminal(i))
            return _to_tree(universe, terminal)
        root = _PubGrub(universe, incompats).run()
        if root is not None:
            return merge_requests(_to_tree(universe, root))
    return None


def explain_conflict(pool, requests: list, reasons: list, core: list | None = None,
                     depth: int = CHECK_DEPTH) -> Explanation:
    """Everything the engine reports about a conflict.

    ``requests``: the solve's parsed requests (objects with ``index``, ``request`` (a
    ``SpecRequest``), ``spec`` and ``dep``); ``reasons``: the refutation's clause reasons;
    ``core``: the conflicting subset of ``requests`` (default: the requests the refutation
    uses); it seeds the chains when there are too many requests.
    """
    core = list(core or ())
    if not reasons:  # the full pool is fine: the reduction's strict channel filter is not
        reasons = refute_with_exclusions(pool, requests)
    if not core:
        used = {reason[1] for reason in reasons if reason[0] == "request"}
        core = [r for r in requests if r.index in used]
    try:
        tree = derive(pool, requests, reasons) if reasons else None
        text = render(tree) if tree is not None else ""
    except RecursionError:  # a proof too deep to print: fall back to naming the requests
        tree, text = None, ""
    if not text:
        specs = [_request_text(r) for r in core] or [_request_text(r) for r in requests]
        text = f"The requests {_join(specs)} cannot be satisfied together."
    seeds = requests if len(requests) <= CHAIN_SEED_LIMIT else core
    return Explanation(text, tree, tuple(r.request.spec for r in core), pool, requests, seeds,
                       depth)


def refute_with_exclusions(pool, requests: list) -> list:
    """Reasons refuting ``requests`` on the full pool minus what strict channel priority
    removes (classic's reduced index drops those records; ``_minimal_conflict`` keeps them)."""
    from .encode import Encoder  # lazy: only a failed solve under strict priority needs these
    from .reduce import Reduction
    from .sat import SatSolver
    from .solve import _full_groups

    groups = _full_groups(pool, requests)
    solver = SatSolver()
    order = {rid: i for ids in groups.values() for i, rid in enumerate(ids)}
    encoder = Encoder(solver, pool, groups, order.__getitem__, virtual_clauses=True)
    reduction = Reduction(pool, True)
    for name, ids in groups.items():
        top = reduction.strict_channel(name)
        for rid in ids:
            var = encoder.rec_var[rid]
            if pool.deps(rid) is None:
                solver.add_clause([-var], reason=("invalid", rid))
            elif pool.policy.strict and pool.records[rid].get("channel") != top:
                why = f"strict channel priority ({name} only from {top})"
                solver.add_clause([-var], reason=("excluded", rid, why))
    selectors = [encoder.add_request(r.index, r.spec, r.request.optional) for r in requests]
    if solver.solve(assumptions=selectors):
        return []
    return solver.conflict_reasons()
