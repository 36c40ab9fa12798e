"""Seeded random channels for the differential tests of the engine's fast paths.

Small noarch channels over a few names, with the shapes the reduction and the search must
get right: dependencies on the record's own name, version ranges, exclusions, ``constrains``,
``features``/``track_features``, two channels, and (optionally) several builds per version and
dependencies on names no channel has.
"""

from __future__ import annotations

import random


def random_records(rnd: random.Random, names: list, versions: int = 4, builds: int = 1,
                   missing: float = 0.0) -> list:
    """Up to ``versions`` versions per name, in one or both of channels ``one`` and ``two``,
    with 1..``builds`` builds each; a dependency on ``missing`` with that probability."""
    records = []
    for name in names:
        for version in range(1, rnd.randint(2, versions + 1)):
            for channel in rnd.sample(["one", "two"], rnd.randint(1, 2)):
                for build in range(rnd.randint(1, builds)):
                    depends = []
                    for other in rnd.sample(names, rnd.randint(0, 3)):  # may be its own name
                        low = rnd.randint(1, 4)
                        depends.append(rnd.choice([other, f"{other} >={low}", f"{other} <{low}",
                                                   f"{other} {low}.*", f"{other} !={low}"]))
                    if missing and rnd.random() < missing:
                        depends.append("missing")
                    record = {"name": name, "version": str(version),
                              "build": f"{channel}{build}" if builds > 1 else channel,
                              "build_number": build, "depends": depends, "channel": channel,
                              "subdir": "noarch"}
                    if rnd.random() < 0.15:
                        record["constrains"] = [f"{rnd.choice(names)} <{rnd.randint(1, 4)}"]
                    if rnd.random() < 0.1:
                        record["features"] = "fx"
                    if rnd.random() < 0.1:
                        record["track_features"] = "fx"
                    records.append(record)
    return records
