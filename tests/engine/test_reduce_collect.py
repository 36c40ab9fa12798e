"""The shortcuts of the reduction's last stage and of pool loading give the plain answers.

* ``Reduction.is_valid``/``_has_valid_match`` remember dependencies with a final valid match,
  and ``_expand`` skips dependencies whose matches it has all settled: compared with the
  plain walk (kept here as the reference, as first ported from classic's ``valid2`` and
  reduced-index loop), kept ids and ``filter_out`` alike, with and without a
  ``ValidityMemo`` carried across reductions, on seeded random channels with cycles,
  missing names, features and two channels;
* ``make_group_keys`` against the per-record ``version_key`` it replaced.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from conda_altsolver.engine import Policy, Repo, ValidityMemo
from conda_altsolver.engine.policy import (
    MAX_CHANNEL_PRIORITY,
    MISSING_CHANNEL_PRIORITY,
    make_group_keys,
    make_version_key,
)
from conda_altsolver.engine.version import parse_version
from conda_altsolver.engine.pool import Pool
from conda_altsolver.engine.reduce import Reduction
from conda_altsolver.engine.solve import _parse_requests, _requested_features


class _PlainCollect(Reduction):
    """``valid2`` and the collection walk without the remembered dependencies."""

    def is_valid(self, rid):
        filter_out = self.filter_out
        value = filter_out.get(rid)
        if value is not None:
            return not value
        filter_out[rid] = False
        deps = self.pool.deps(rid)
        if deps is None:
            self._drop(rid, "invalid dep specs")
            return False
        if self.memo is not None:
            valid = self._remembered_valid(self.memo.verdicts(self.pool.records[rid]), deps)
        else:
            valid = all(dep.optional or self._has_valid_match(dep) for dep in deps)
        if not valid:
            self._drop(rid, "invalid depends specs")
        return valid

    def _has_valid_match(self, dep):
        filter_out = self.filter_out
        for other in self.pool.dep_matches(dep):
            known = filter_out.get(other)
            if known is None:
                if self.is_valid(other):
                    return True
            elif not known:
                return True
        return False

    def _expand(self, root, seed, index):
        pool = self.pool
        specs_by_name = {name: list(deps) for name, deps in seed.items()}
        root_deps = pool.deps(root) or ()
        for dep in root_deps:
            known = specs_by_name.get(dep.name, [])
            if dep not in known and (not known or dep.spec.strictness >= known[0].spec.strictness):
                known.insert(0, dep)
            specs_by_name[dep.name] = known
        seen = set()
        pending = list(dict.fromkeys(root_deps))
        pending_set = set(pending)
        while pending:
            dep = pending.pop()
            pending_set.discard(dep)
            seen.add(dep)
            for rid in pool.dep_matches(dep):
                if rid in index or not self.is_valid(rid):
                    continue
                if self.strict and self.strict_channel(pool.names[rid]) != self._channel(rid):
                    continue
                index[rid] = None
                for new in pool.deps(rid) or ():
                    if new in seen or new in pending_set:
                        continue
                    known = specs_by_name.get(new.name)
                    broader = bool(known) and new.spec.strictness < known[0].spec.strictness
                    if new.feature is None and new.spec.get("track_features") is None and (
                        not broader
                    ):
                        pending.append(new)
                        pending_set.add(new)
                    else:
                        seen.add(new)


sys.path.insert(0, str(Path(__file__).resolve().parent))
from random_channels import random_records  # noqa: E402

NAMES = ["a", "b", "c", "d", "e", "f"]


def _random_records(rnd: random.Random) -> list:
    return random_records(rnd, NAMES, versions=5, builds=2, missing=0.05)


def _reduce(cls, repos, policy, specs, memo):
    pool = Pool(repos, policy)
    requests = _parse_requests(pool, specs)
    reduction = cls(pool, policy.strict, memo)
    kept = reduction.run([r.dep for r in requests if r.dep is not None],
                         _requested_features(requests))

    def ident(rid):  # ids follow the pool's load order: compare records instead
        record = pool.records[rid]
        return record["name"], record["version"], record["build"], record["channel"]

    return [ident(rid) for rid in kept], {ident(r): why for r, why in reduction.filter_out.items()}


@pytest.mark.parametrize("seed", range(80))
def test_collect_shortcuts_match_the_plain_walk(seed):
    rnd = random.Random(seed)
    repos = [Repo.from_records(_random_records(rnd))]
    for priority in ("strict", "flexible", "disabled"):
        policy = Policy(channel_order=("one", "two"), channel_priority=priority)
        memos = ValidityMemo(), ValidityMemo()  # carried across this policy's reductions
        for _ in range(4):
            specs = [rnd.choice([n, f"{n} >={rnd.randint(1, 3)}", f"{n} {rnd.randint(1, 3)}.*"])
                     for n in rnd.sample(NAMES, rnd.randint(1, 3))]
            if rnd.random() < 0.2:
                specs.append("fx@")
            for fast, plain in ((None, None), memos):
                assert _reduce(Reduction, repos, policy, specs, fast) == _reduce(
                    _PlainCollect, repos, policy, specs, plain)


@pytest.mark.parametrize("priority", ["strict", "flexible", "disabled"])
@pytest.mark.parametrize("ignore_timestamps", [False, True])
def test_group_keys_are_version_keys(priority, ignore_timestamps):
    rnd = random.Random(priority + str(ignore_timestamps))
    records = []
    for _ in range(200):
        record = {"name": "x", "version": rnd.choice(["1.0", "1.0.0", "2.1a", "2.1", "10"]),
                  "build": rnd.choice(["0", "py_1", ""]), "channel": rnd.choice(["a", "b", "z"])}
        for field, values in (("build_number", [None, 0, 3]), ("subdir", ["noarch", "linux-64"]),
                              ("timestamp", [None, 0, 1600000000, 1600000000123])):
            if rnd.random() < 0.8:
                record[field] = rnd.choice(values)
        records.append(record)
    policy = Policy(channel_order=("a", "b"), channel_priority=priority,
                    ignore_timestamps=ignore_timestamps)
    reference = _reference_version_key(policy)
    expected = [reference(record) for record in records]
    assert make_group_keys(policy)(records) == expected
    assert [make_version_key(policy)(record) for record in records] == expected


def _reference_version_key(policy):
    """classic's ``version_key`` as first ported, one record at a time."""
    priorities = policy.channel_priorities()

    def key(record):
        priority = priorities.get(record.get("channel"), MISSING_CHANNEL_PRIORITY)
        valid = 1 if priority < MAX_CHANNEL_PRIORITY else 0
        version = parse_version(record.get("version") or "")
        build_number = record.get("build_number") or 0
        noarch = -int(record.get("subdir") == "noarch")
        if policy.channel_priority == "disabled":
            head = (valid, version, -priority, build_number, noarch)
        else:
            head = (valid, -priority, version, build_number, noarch)
        if policy.ignore_timestamps:
            return head + (record.get("build") or "",)
        timestamp = record.get("timestamp") or 0
        if timestamp > 253402300799:  # after 9999-12-31 in seconds: milliseconds
            timestamp /= 1000
        return head + (timestamp, record.get("build") or "")

    return key
