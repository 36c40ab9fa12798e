"""The package pool: record ids, each name's candidates best-first, and spec -> candidates.

Every record the solve touches gets an int id (its index in ``Pool.records``); everything
downstream works on ids. Names are loaded from the repos on first use, so a solve only reads
the names it reaches. This is classic's full index (``Resolve.groups``, ``trackers``,
``find_matches``, ``ms_depends``) without a ``PackageRecord`` per record:

* ``group(name)``: the name's ids sorted best-first by classic's ``version_key``;
* ``matches(spec)``: ids a spec matches, evaluating the version spec once per distinct
  version text (a range bisects them, sorted in version order), cached per spec;
* ``deps(rid)``: the record's dependencies merged as ``PackageRecord.combined_depends``
  does, plus one feature dependency per entry of ``features`` (``Resolve.ms_depends``);
  merged once per distinct dependency list, as ``Dep`` objects shared by every record;
* ``trackers(feature)``: ids whose ``track_features`` contain the feature (classic's full
  index sees them all: every name a repo's ``names_tracking(feature)`` gives is loaded),
  plus the ``feature@`` pseudo-record when the feature was requested.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from fnmatch import fnmatchcase
from itertools import compress, repeat
from operator import attrgetter, itemgetter, lt

from .errors import InvalidSpec, InvalidVersion
from .policy import make_group_keys, make_one_channel_keys
from .record_check import invalid_record
from .repo import split_features
from .spec import merge_specs, parse_spec
from .version import version_key

#: package types classic restricts a name to when present (``PackageType.unmanageable``)
_UNMANAGEABLE = frozenset(
    ("virtual_python_egg_unmanageable", "virtual_python_egg_link", "virtual_system")
)


class Dep:
    """One dependency of a record as classic's ``ms_depends`` sees it (shared, not per record).

    ``feature`` is set for the dependencies that ``features: f`` adds (``*[track_features=f]``);
    their clause takes every tracker of ``f`` (classic's ``push_MatchSpec`` "simple" path).
    """

    __slots__ = ("text", "spec", "name", "plain", "optional", "feature", "mask", "found", "pulls",
                 "required", "clause")

    def __init__(self, spec, text: str, optional: bool, feature: str | None = None):
        self.spec = spec
        self.text = text  # str(spec)
        self.name = name = spec.name
        self.plain = _plain_name(name)  # an exact name: its matches never change
        self.optional = optional
        self.feature = feature
        # a record needs a match (not a constrains, not a feature's tracker); and gets the
        # clause saying so, which classic gives no dependency on a virtual package (__x)
        self.required = required = feature is None and not optional
        self.clause = required and not name.startswith("__")
        # whether the reduction's last walk follows it (classic's does not follow features)
        self.pulls = feature is None and "track_features" not in spec.components
        self.mask = None  # the pool's match bitset, once computed (plain names only)
        self.found = None  # the pool's matches, once computed (plain names only)

    def __repr__(self):
        return f"Dep({self.text!r}{', optional' if self.optional else ''})"


class Pool:
    """Records by id, loaded per name from ``repos`` (best repo first)."""

    def __init__(self, repos, policy):
        self.repos = list(repos)
        self.policy = policy
        self.group_keys = make_group_keys(policy)
        self.one_channel_keys = make_one_channel_keys(policy)
        self.records: list[dict] = []
        self.names: list[str] = []
        self._groups: dict[str, tuple] = {}
        self._channels: dict[str, object] = {}  # name -> its records' one channel (see group)
        self._trackers: dict[str, list] = {}
        self._trackers_ordered: set[str] = set()  # features whose list ``trackers`` has sorted
        # id -> features / track_features tuple, for the ids that have one (few do)
        self._features: dict[int, tuple] = {}
        self._track: dict[int, tuple] = {}
        self._featured: set[str] = set()  # names with a record that has either column
        self._deps: list = []  # id -> merged deps (None: a spec is invalid), or _UNSET
        self._deps_by_text: dict[tuple, tuple | None] = {}
        self._text_deps: dict[str, Dep] = {}  # dependency text -> its Dep
        self._dep_cache: dict = {}  # text, or (text, optional, feature) -> its Dep
        self._matches: dict[str, tuple] = {}
        self._masks: dict[str, int] = {}
        self._group_versions: dict[str, tuple] = {}  # name -> (versions, distinct, keys)
        self._feature_matches: dict[str, tuple] = {}  # spec text -> (tracker counts, ids)
        self._open_masks: dict[str, tuple] = {}  # feature spec text -> (ids, bitset)
        self._all_names: list | None = None
        self.feature_records: dict[str, int] = {}
        self._complete_features: set = set()
        self._reached_features: set | None = None  # see _grown_features
        self._required: dict[int, tuple] = {}
        self._required_by_name: dict[int, dict] = {}
        self._required_plain: dict[int, tuple] = {}  # id(deps) -> (deps, required or None)

    # -- loading -------------------------------------------------------------------------

    def _add_group(self, records: list, name: str) -> range:
        """Give every record of a name an id and its feature columns, at once (the pool adds
        every record it loads: one loop per column, not a call per record); return the ids.
        A feature value ``split_features`` cannot read raises before anything is added."""
        featured = []  # (column, [(position in records, features)])
        for column, field in ((self._track, "track_features"), (self._features, "features")):
            values = list(_column(records, field))
            if any(values):  # most names have neither (split_features gives () for them too)
                featured.append((column, [(offset, split_features(value))
                                          for offset, value in enumerate(values) if value]))
        start = len(self.records)
        count = len(records)
        self.records.extend(records)
        self.names.extend([name] * count)
        if featured:
            self._featured.add(name)
            for column, split in featured:
                for offset, features in split:
                    column[start + offset] = features
        self._deps.extend([_UNSET] * count)
        return range(start, start + count)

    def group(self, name: str) -> tuple:
        """The name's record ids, best first (classic's group order). Raises
        ``InvalidRecord`` for a record with a field the pool cannot read, adding none."""
        ids = self._groups.get(name)
        if ids is not None:
            return ids
        found, order = self._found(name)
        try:
            channels = set(_column(found, "channel"))
            if order is None:
                if not _distinct(found):
                    found = _unique(found)
                group_keys = self.one_channel_keys if len(channels) == 1 else self.group_keys
                keys = group_keys(found)
                # best first, equal keys in load order (a stable sort, reversed)
                order = sorted(range(len(keys)), key=keys.__getitem__, reverse=True)
            if any(map(_UNMANAGEABLE.__contains__, _column(found, "package_type"))):  # rare
                order = [i for i in order if found[i].get("package_type") in _UNMANAGEABLE]
            loaded = self._add_group(found, name)
        except (ValueError, TypeError, AttributeError, OverflowError) as exc:
            culprit = invalid_record(found)
            if culprit is None:
                raise
            raise culprit from exc
        ids = tuple(map(loaded.start.__add__, order))
        self._channels[name] = channels.pop() if len(channels) == 1 else MIXED
        if name in self._featured:
            track = self._track
            for rid in sorted(ids):  # load order
                for feature in track.get(rid, ()):
                    self._trackers.setdefault(feature, []).append(rid)
                    self._trackers_ordered.discard(feature)
        self._groups[name] = ids
        return ids

    def one_channel(self, name: str):
        """The channel every record of the loaded ``name`` has, or ``MIXED`` (then each
        record's own ``channel`` says). A name seldom spans channels: the strict channel
        filter then reads no record."""
        return self._channels[name]

    def _found(self, name: str) -> tuple[list, Sequence[int] | None]:
        """The name's records from every repo, and their best-first order when a single repo
        has them all and knows it (``Repo.best_first``): one repo's records share a channel,
        so its order is the one the pool's keys give, unless timestamps are ignored."""
        found = None
        source = None
        for repo in self.repos:
            records = repo.get(name)
            if records:
                if found is None:
                    found, source = records, repo
                else:
                    found = [*found, *records]
                    source = None
        if found is None:
            return [], None
        if source is None or self.policy.ignore_timestamps:
            return found, None
        return found, source.best_first(name)

    def keys_of(self, ids) -> list:
        """The records' order keys (``policy.make_group_keys``), computed again: a name's
        keys sort it once, when it loads, and rank it only if a solve encodes it (a few
        names in a hundred on a large channel), so keeping a key per loaded record would
        cost megabytes for little."""
        records = self.records
        return self.group_keys([records[rid] for rid in ids])

    def loaded_names(self):
        return self._groups.keys()

    def all_names(self) -> list:
        """Every name any repo offers (only for the rare glob-name spec)."""
        if self._all_names is None:
            names = set()
            for repo in self.repos:
                names.update(repo.names())
            self._all_names = sorted(names)
        return self._all_names

    def add_feature_record(self, feature: str) -> int:
        """The ``feature@`` pseudo-record classic's index adds for a requested feature."""
        rid = self.feature_records.get(feature)
        if rid is None:
            name = feature + "@"
            record = {
                "name": name, "version": "0", "build": "0", "build_number": 0,
                "channel": "@", "subdir": "", "track_features": feature, "depends": [],
                "fn": name, "md5": "12345678901234567890123456789012",
            }
            rid = self._add_group([record], name)[0]
            self._groups[name] = (rid,)
            self._channels[name] = "@"
            self._trackers.setdefault(feature, []).append(rid)
            self._trackers_ordered.discard(feature)
            self.feature_records[feature] = rid
        return rid

    def trackers(self, feature: str) -> list:
        """Ids tracking the feature: classic's full index sees every tracker, so load every
        name that has one (each repo says which: ``Repo.names_tracking``).

        They are listed by name, then best first, whatever order the names were loaded in:
        a feature's matches are tried in this order, and no answer may depend on which names
        an earlier reduction on this pool happened to load first."""
        if feature not in self._complete_features:
            if not self.policy.grown_index or feature in self._grown_features():
                for name in self._names_tracking(feature):
                    self.group(name)
            # only now: a group that raised (InvalidRecord) leaves the feature to load again
            self._complete_features.add(feature)
        ids = self._trackers.get(feature, [])
        if feature not in self._trackers_ordered:
            self._trackers_ordered.add(feature)
            names = self.names
            position = {rid: index for name in {names[rid] for rid in ids}
                        for index, rid in enumerate(self._groups[name])}
            ids.sort(key=lambda rid: (names[rid], position[rid]))
        return ids

    def _grown_features(self) -> set:
        """The features the policy's grown index reaches a tracker of (``Policy.index_roots``):
        conda's ``ReducedIndex`` takes every record of each name it reaches, then the names
        of those records' dependencies and constrains, and every tracker of each feature
        they track. Walked once per pool, the first time a feature asks for its trackers."""
        if self._reached_features is None:
            names = list(self.policy.index_roots)
            seen_names = set(names)
            features = list(self.policy.index_root_features)
            seen_features = set(features)
            while names or features:
                if features:
                    for name in self._names_tracking(features.pop()):
                        if name not in seen_names:
                            seen_names.add(name)
                            names.append(name)
                    continue
                for rid in self.group(names.pop()):
                    for dep in self.deps(rid) or ():
                        if dep.feature is None and _plain_name(dep.name) \
                                and dep.name not in seen_names:
                            seen_names.add(dep.name)
                            names.append(dep.name)
                    for feature in self.track_features(rid):
                        if feature not in seen_features:
                            seen_features.add(feature)
                            features.append(feature)
            self._reached_features = seen_features
        return self._reached_features

    def _names_tracking(self, feature: str) -> list:
        names = set()
        for repo in self.repos:
            names.update(repo.names_tracking(feature))
        return sorted(names)

    def featured_names(self) -> set[str]:
        """Loaded names with a record that tracks or has a feature (possibly empty ones)."""
        return self._featured

    def tracked_features(self):
        return self._trackers.keys()

    def track_features(self, rid: int) -> tuple:
        return self._track.get(rid, ())

    def features(self, rid: int) -> tuple:
        return self._features.get(rid, ())

    def is_feature_record(self, rid: int) -> bool:
        return self.records[rid].get("channel") == "@" and self.names[rid].endswith("@")

    # -- dependencies ----------------------------------------------------------------------

    def _dep(self, spec, optional: bool, feature: str | None = None) -> Dep:
        # one Dep per (text, optional, feature); the plain text alone keys the common case
        # (no tuple kept per Dep)
        text = str(spec)
        key = text if not optional and feature is None else (text, optional, feature)
        dep = self._dep_cache.get(key)
        if dep is None:
            dep = self._dep_cache[key] = Dep(spec, text, optional, feature)
        return dep

    def deps(self, rid: int):
        """``combined_depends`` + feature deps; ``None`` when a spec is invalid. Raises
        ``InvalidRecord`` when an entry of ``depends`` or ``constrains`` is no string."""
        deps = self._deps[rid]
        if deps is not _UNSET:
            return deps
        record = self.records[rid]
        # many builds share their dependency lists: merge each distinct one once
        depends = record.get("depends")
        constrains = record.get("constrains")
        try:
            depends = tuple(depends) if depends else ()
            features = self._features.get(rid, ())
            key = (depends, tuple(constrains or ()), features) if constrains or features \
                else depends
            deps = self._deps_by_text.get(key, _UNSET)
            if deps is _UNSET:
                deps = self._deps_by_text[key] = self._merge_deps(
                    depends, constrains or (), features)
        except TypeError as exc:  # an unhashable entry: no spec string
            culprit = invalid_record((record,))
            if culprit is None:
                raise
            raise culprit from exc
        if deps is None:  # an invalid spec, or an entry that is no spec string at all
            culprit = invalid_record((record,))
            if culprit is not None:
                raise culprit
        self._deps[rid] = deps
        return deps

    def has_deps(self, rid: int) -> bool:
        """Whether ``deps(rid)`` has been worked out (it is kept)."""
        return self._deps[rid] is not _UNSET

    def text_dep(self, text: str) -> Dep:
        """The required ``Dep`` of one (non-empty) dependency text, as ``deps`` makes it
        for a record whose dependencies name no package twice, and shares with it; raises
        ``parse_spec``'s errors for an invalid text. (``_plain_deps`` has it inline: a
        call per text cost the conda-forge-scale solve 0.3% of its instructions.)"""
        dep = self._text_deps.get(text)
        if dep is None:
            dep = self._text_deps[text] = self._dep(parse_spec(text), False)
        return dep

    def _merge_deps(self, depends: tuple, constrains, features: tuple):
        try:
            plain = self._plain_deps(depends)  # None when a name repeats or is a glob
            if plain is not None and not constrains and not features:
                return plain
            if plain is not None:
                result = {dep.name: (dep.spec, False) for dep in plain}
            else:
                result = {spec.name: (spec, False) for spec in merge_specs(depends)}
            for text in constrains:
                spec = parse_spec(text)
                # a constrains on a name already depended on replaces that dependency and
                # stays required; on a new name it is optional (combined_depends)
                result[spec.name] = (spec, spec.name not in result)
            deps = [self._dep(spec, optional) for spec, optional in result.values()]
        except (InvalidSpec, InvalidVersion, ValueError):
            return None
        for feature in features:
            deps.append(self._dep(parse_spec(f"*[track_features={feature}]"), False, feature))
        return tuple(deps)

    def parsed_texts(self) -> tuple[dict[str, str], dict[str, str]]:
        """The dependency texts ``deps`` has parsed, for a caller that maps a record's whole
        ``depends`` at once: text -> canonical spec string, and canonical spec string ->
        name. Built on each call: only failed solves ask, so a solve keeps no such tables."""
        deps = self._text_deps
        return ({text: dep.text for text, dep in deps.items()},
                {dep.text: dep.name for dep in deps.values()})

    def dep_of_text(self, text: str):
        """The required, feature-less ``Dep`` whose canonical spec string is ``text``, if
        ``deps`` has made one (its matches are ``matches(parse_spec(text))``), else None."""
        return self._dep_cache.get(text)

    def _plain_deps(self, depends: tuple):
        """The common case of ``_merge_deps``: each name once, nothing to intersect, so the
        merge is a sort by spec text (``merge_specs``' order); None when a name repeats."""
        cache = self._text_deps
        deps = []
        for text in depends:
            dep = cache.get(text)
            if dep is None:
                if text == "":
                    continue
                dep = cache[text] = self._dep(parse_spec(text), False)  # text_dep, inline
            deps.append(dep)
        if len(deps) > 1:
            names = set(map(_NAME, deps))
            if len(names) != len(deps) or "*" in names:
                return None
            deps.sort(key=_TEXT)  # merge_specs sorts by str(spec), which is Dep.text
        elif deps and deps[0].name == "*":
            return None
        return tuple(deps)

    # -- matching ----------------------------------------------------------------------------

    def matches(self, spec) -> tuple:
        """Ids the spec matches (classic's ``find_matches``), in group order; cached."""
        key = str(spec)
        found = self._matches.get(key)
        if found is None:
            if _plain_name(spec.name):
                found = self._matches[key] = self._find(spec)
            else:
                found = self._find(spec)
        return found

    def dep_matches(self, dep) -> tuple:
        """``matches`` of a dependency, kept on the (pool-owned) ``Dep``."""
        found = dep.found
        if found is None:
            if not dep.plain:
                return self.matches(dep.spec)
            # ``matches``, with what the Dep already knows: its text is ``str(spec)`` and
            # its name exact (once per dependency of every record reached: keep it short)
            found = self._matches.get(dep.text)
            if found is None:
                found = self._matches[dep.text] = self._match_group(dep.spec, self.group(dep.name))
            dep.found = found
        return found

    def match_mask(self, spec) -> int:
        """``matches`` as an int bitset over record ids."""
        key = str(spec)
        mask = self._masks.get(key)
        if mask is not None:
            return mask
        found = self.matches(spec)
        if not _plain_name(spec.name):
            # a feature spec's matches are reused while its trackers are unchanged
            cached = self._open_masks.get(key)
            if cached is not None and cached[0] is found:
                return cached[1]
        mask = id_mask(found)
        if _plain_name(spec.name):
            self._masks[key] = mask
        else:
            self._open_masks[key] = (found, mask)
        return mask

    def required_masks(self, rid: int) -> tuple:
        """Match bitsets of the record's required dependencies (reduction's hot loop)."""
        masks = self._required.get(rid)
        if masks is None:
            deps = self.deps(rid) or ()
            masks = tuple(self.dep_mask(d) for d in deps if not d.optional)
            if all(d.plain for d in deps):
                self._required[rid] = masks  # feature deps may gain trackers: recompute
        return masks

    def required_plain(self, deps: tuple):
        """The required dependencies in ``deps`` (a ``deps(rid)``), or None when one of them
        is not on an exact name (a feature's ``*``, whose matches grow as names load).
        Records share their dependency tuples, so this is worked out once per tuple."""
        known = self._required_plain.get(id(deps))
        if known is not None and known[0] is deps:
            return known[1]
        required = tuple(dep for dep in deps if not dep.optional)
        if not all(dep.plain for dep in required):
            required = None
        self._required_plain[id(deps)] = (deps, required)
        return required

    def required_by_name(self, rid: int) -> dict:
        """name -> required dependency (not a constrains, not a feature's ``*``), in order."""
        found = self._required_by_name.get(rid)
        if found is None:
            found = self._required_by_name[rid] = {
                dep.name: dep for dep in self.deps(rid) or ()
                if not dep.optional and dep.name != "*"
            }
        return found

    def dep_mask(self, dep) -> int:
        """``match_mask`` of a dependency, kept on the (pool-owned) ``Dep``."""
        mask = dep.mask
        if mask is None:
            if not dep.plain:
                return self.match_mask(dep.spec)
            mask = self._masks.get(dep.text)  # as dep_matches: ``match_mask``, shortened
            if mask is None:
                mask = self._masks[dep.text] = id_mask(self.dep_matches(dep))
            dep.mask = mask
        return mask

    def _find(self, spec) -> tuple:
        name = spec.name
        if _plain_name(name):
            return self._match_group(spec, self.group(name))
        features = split_features(spec.get("track_features"))
        if features:
            # trackers only grow, as names load: the answer holds while their counts do
            lists = [self.trackers(feature) for feature in features]
            sizes = tuple(len(ids) for ids in lists)
            key = str(spec)
            cached = self._feature_matches.get(key)
            if cached is not None and cached[0] == sizes:
                return cached[1]
            records = self.records
            found = tuple(rid for ids in lists for rid in ids if spec.match(records[rid]))
            self._feature_matches[key] = (sizes, found)
            return found
        found = []
        for other in self.all_names():
            if name == "*" or fnmatchcase(other, name):
                found.extend(self._match_group(spec, self.group(other), slow=True))
        return tuple(found)

    def _match_group(self, spec, ids: tuple, slow: bool = False) -> tuple:
        if spec.is_name_only and not slow:
            return ids
        records = self.records
        if slow or spec.needs_record:  # a field other than version and build (rare)
            return tuple(rid for rid in ids if spec.match(records[rid]))
        components = spec.components
        check_build = "build" in components or "build_number" in components
        version = spec.version
        candidates = ids if version is None else self._version_matches(version, spec.name, ids)
        if not check_build:
            return tuple(candidates)
        match_build = spec.match_build
        return tuple(
            rid for rid in candidates
            if match_build(records[rid].get("build") or "", records[rid].get("build_number") or 0)
        )

    def _version_matches(self, version, name: str, ids: tuple):
        """The ids (a sequence, in group order) of the group ``ids`` of ``name`` whose
        version the version spec ``version`` matches."""
        versions, distinct, keys, cuts = self._group_versions_of(name, ids)
        key_test = version.key_test
        bounds = version.bounds
        if bounds is not None and keys is not None:
            # the keys are sorted: the ones passing are a run of them, found by bisection
            start, stop = _span(keys, bounds)
            if cuts is not None:  # and so are the ids: their run is a slice
                if start >= stop:
                    return ()
                return ids[bisect_right(cuts, -stop):bisect_right(cuts, -start)]
            ok = distinct if start == 0 and stop == len(keys) else set(distinct[start:stop])
        elif key_test is not None and keys is not None:
            excluded = version.excluded
            if excluded is not None:  # "!=v": every key but a run equal to v's
                start, stop = bisect_left(keys, excluded), bisect_right(keys, excluded)
                if cuts is not None:
                    return ids[:bisect_right(cuts, -stop)] + ids[bisect_right(cuts, -start):]
                ok = set(distinct).difference(distinct[start:stop])
            else:
                # match(text) is key_test(its key): one call and one cache lookup less
                ok = {text for text, key in zip(distinct, keys) if key_test(key)}
        else:
            match = version.match
            ok = {text for text in distinct if match(text)}
        if len(ok) == len(distinct):
            return ids  # the common ">=low": every version passes
        return list(compress(ids, map(ok.__contains__, versions)))

    def _group_versions_of(self, name: str, ids: tuple):
        """The group's version texts (aligned with ``ids``), its distinct ones and their
        order keys, in key order (keys None if one has none), so that a spec tests each
        distinct version once, or bisects the keys; and ``cuts`` (``_version_cuts``) when the
        ids run from the highest version down (one channel's group does), so that a run of
        versions is a slice of the ids."""
        found = self._group_versions.get(name)
        if found is None:  # ids is the name's group, which never changes once loaded
            records = self.records
            versions = tuple([records[rid].get("version") or "" for rid in ids])
            # a group of one channel runs from its highest version down: then its distinct
            # versions, last seen first, are already in key order, which n - 1 comparisons
            # confirm where a sort of (key, text) pairs took n log n
            distinct = tuple(dict.fromkeys(versions))[::-1]
            cuts = None
            try:
                keys = tuple(map(version_key, distinct))
                if not all(map(lt, keys, keys[1:])):  # not strictly ascending: sort
                    pairs = sorted(zip(keys, distinct))
                    keys = tuple([key for key, _text in pairs])
                    distinct = tuple([text for _key, text in pairs])
                cuts = _version_cuts(versions, distinct)
            except (InvalidVersion, TypeError):
                # the spec's own match answers (or raises) as conda does; keys are made to be
                # comparable (TypeError: never seen, but then no order to bisect)
                keys = None
            found = self._group_versions[name] = (versions, distinct, keys, cuts)
        return found


def id_mask(ids) -> int:
    """The bitset of ``ids`` (distinct). Set bit by bit over the ids' own span, then shifted
    once: a name's ids are consecutive, often far up in a large pool, where each
    ``|= 1 << rid`` would copy the whole (long) int; a run of consecutive ids (a whole
    group, or a slice of one) fills its span at once."""
    if not ids:
        return 0
    base = min(ids)
    span = max(ids) - base + 1
    if span == len(ids):
        return ((1 << span) - 1) << base
    mask = 0
    for rid in ids:
        mask |= 1 << (rid - base)
    return mask << base


def _version_cuts(versions: tuple, distinct: tuple) -> list | None:
    """The negated rank in ``distinct`` (the distinct versions, ascending) of each of
    ``versions`` (a group's, in group order), when those descend; else None. Then the ids
    whose version is at least ``distinct[k]`` are the first ``bisect_right(cuts, -k)``."""
    rank = {text: -k for k, text in enumerate(distinct)}
    cuts = list(map(rank.__getitem__, versions))
    return cuts if cuts == sorted(cuts) else None


def _span(keys: tuple, bounds: tuple) -> tuple[int, int]:
    """The run ``keys[start:stop]`` (sorted keys) inside every one of a key test's
    ``bounds`` (see ``version._BOUNDS_OF``)."""
    start, stop = 0, len(keys)
    for low, low_included, high, high_included in bounds:
        if low is not None:
            start = max(start, (bisect_left if low_included else bisect_right)(keys, low))
        if high is not None:
            stop = min(stop, (bisect_right if high_included else bisect_left)(keys, high))
    return start, stop


_UNSET = object()  # not computed yet (None is an answer: "a spec is invalid")
_IDENT = itemgetter("channel", "subdir", "version", "build")
#: ``one_channel``'s answer for a name whose records span channels
MIXED = object()
_TEXT = attrgetter("text")
_NAME = attrgetter("name")


def _column(records: list, field: str):
    """``record.get(field)`` of each record, lazily: ``dict.get`` called on each one
    straight from C (records are dicts), where a ``methodcaller`` makes a bound method per
    record first, four times the work (2.8% of a conda-forge-scale solve's instructions:
    four columns over every record loaded)."""
    return map(dict.get, records, repeat(field))


def _distinct(records: list) -> bool:
    """Whether no two records share channel, subdir, version and build (then no two share
    classic's identity, which adds the build number): one pass in C, where ``_unique``
    builds a tuple per record in Python."""
    try:
        return len(set(map(_IDENT, records))) == len(records)
    except (KeyError, TypeError):  # a field missing or unhashable: _unique decides
        return False


def _unique(records: list) -> list:
    """The records, each identity once (the first kept): classic's index is keyed by the
    record's identity."""
    seen = set()
    unique = []
    for record in records:
        get = record.get
        ident = (
            get("channel"), get("subdir"), get("version"), get("build"), get("build_number") or 0,
        )
        if ident not in seen:
            seen.add(ident)
            unique.append(record)
    return unique


def _plain_name(name) -> bool:
    """An exact package name (not ``*``, not a glob)."""
    return bool(name) and "*" not in name and "?" not in name and "[" not in name
