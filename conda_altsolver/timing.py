"""Where one solve's time went, phase by phase, shown with conda's ``-v``.

``AltSolver.solve_final_state`` opens a ``PhaseTimes`` and measures its phases with
``phase(name)``; the engine calls are measured around the call (and, when the engine's
``solve``/``conflicting_specs`` accept a ``stats`` dict, with the engine's own phases added).
At the end ``report`` logs one line on ``conda.altsolver.timing`` (seen with ``-vv``) and,
when conda runs verbose (``context.verbosity >= 1``, i.e. ``-v``) and not in JSON or quiet
mode, prints it to stderr, after the spinners have finished their lines.
"""

from __future__ import annotations

import inspect
import sys
from contextlib import contextmanager
from logging import getLogger
from time import perf_counter

log = getLogger("conda.altsolver.timing")

# engine phases, in the order they are printed, when the engine reports them
ENGINE_PHASES = ("reduce", "forced", "encode", "sat", "optimize", "explain")


class PhaseTimes:
    """Seconds and call counts per phase, in the order the phases first ran.

    Phases nest (the engine's conflict checks run inside the classic rules); each phase is
    charged only its own time, its nested phases' time going to them, so the phases add up
    to the whole.
    """

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.engine: dict[str, float] = {}
        self._start = perf_counter()
        self._nested: list[float] = []  # per open phase: seconds spent in its nested phases

    @contextmanager
    def phase(self, name: str):
        self.seconds.setdefault(name, 0.0)  # listed in the order phases start
        self.calls.setdefault(name, 0)
        start = perf_counter()
        self._nested.append(0.0)
        try:
            yield
        finally:
            elapsed = perf_counter() - start
            self.add(name, elapsed - self._nested.pop())
            if self._nested:
                self._nested[-1] += elapsed

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds
        self.calls[name] = self.calls.get(name, 0) + 1

    def add_engine(self, stats: dict) -> None:
        """Phase seconds the engine reported (floats only; counters are not times)."""
        for name in ENGINE_PHASES:
            value = stats.get(name)
            if isinstance(value, float):
                self.engine[name] = self.engine.get(name, 0.0) + value

    def total(self) -> float:
        return perf_counter() - self._start

    def summary(self, index=None) -> str:
        """One line: every phase, the index's own figures, the engine's phases, the total."""
        parts = []
        for name, seconds in self.seconds.items():
            calls = self.calls[name]
            suffix = f" ({calls} calls)" if calls > 1 else ""
            parts.append(f"{name} {seconds:.3f} s{suffix}")
            if name == "index" and index is not None:
                parts.append(_index_detail(index))
        if self.engine:
            inner = ", ".join(f"{name} {self.engine[name]:.3f} s" for name in self.engine)
            parts.append(f"engine phases: {inner}")
        return f"altsolver timings: {'; '.join(parts)}; total {self.total():.3f} s"


def _index_detail(index) -> str:
    """What the index read and how: files, parsed-cache answers, records materialised."""
    stats = index.stats
    kinds: dict[str, int] = {}
    for source in index.sources:
        kinds[source.kind] = kinds.get(source.kind, 0) + 1
    caches: dict[str, int] = {}
    for source in index.sources:
        if source.cache_status is not None:
            caches[source.cache_status] = caches.get(source.cache_status, 0) + 1
    read = ", ".join(f"{count} {kind}" for kind, count in kinds.items())
    cached = ", ".join(f"{count} {status}" for status, count in caches.items())
    return (
        f"index sources: {read}" + (f" (parsed cache: {cached})" if cached else "")
        + f"; records {stats['records_seconds']:.3f} s for {stats['records']} records of "
        f"{stats['names']} names (lazily, within the phases that follow)"
    )


def report(times: PhaseTimes, index=None) -> None:
    from conda.base.context import context  # the engine-free part of this module needs none

    text = times.summary(index)
    log.info(text)
    if context.verbosity >= 1 and not context.json and not context.quiet:
        print(text, file=sys.stderr)


def accepts_stats(function) -> bool:
    """Whether an engine entry point takes ``stats=`` (checked once per function)."""
    cached = _ACCEPTS.get(function)
    if cached is None:
        try:
            cached = "stats" in inspect.signature(function).parameters
        except (TypeError, ValueError):
            cached = False
        _ACCEPTS[function] = cached
    return cached


_ACCEPTS: dict = {}
