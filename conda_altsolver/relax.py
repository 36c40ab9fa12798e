"""Progressive relaxation: when the strict problem has no solution, loosen what may be loosened.

This is classic's ``_run_sat`` neutering, made explicit and bounded:

1. ask which specs conflict (the engine's ``conflicting_specs``, through ``conflicting``);
2. a pin among them is a configuration error (``SpecsConfigurationConflictError``): pins are
   never loosened;
3. every conflicting spec that only *targets* an installed record (an installed package or a
   history spec kept where it is) is loosened to its name, keeping its version when it has
   one; pins, hard locks (exact specs without target), optional specs and the user's explicit
   specs carry no target, so they are never touched;
4. ask again, at most ``max_steps`` times; the index and the engine's state are reused.

When nothing more may be loosened the conflict is left for the final solve to explain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from logging import getLogger

from conda.exceptions import SpecsConfigurationConflictError
from conda.models.match_spec import MatchSpec

log = getLogger("conda.altsolver.relax")

#: More steps than this means every step loosens almost nothing; stop and explain instead.
MAX_STEPS = 64


@dataclass
class Relaxation:
    """The specs to solve for after loosening, and what is still in conflict (if anything)."""

    specs: dict[MatchSpec, None]
    remaining: set[MatchSpec] = field(default_factory=set)
    loosened: list[tuple[MatchSpec, MatchSpec]] = field(default_factory=list)


def loosened(spec: MatchSpec) -> MatchSpec:
    """``spec`` without its target: its name, and its version when it has one."""
    if spec.get("version"):
        return MatchSpec(spec.name, version=spec.version)
    return MatchSpec(spec.name)


def may_loosen(spec: MatchSpec) -> bool:
    """Only targeted, required specs may be loosened (see the module docstring)."""
    return bool(spec.target) and not spec.optional


def relax(
    specs_map: dict[str, MatchSpec],
    extra_specs: Iterable[MatchSpec],
    explicit: Iterable[MatchSpec],
    pinned: Iterable[MatchSpec],
    conflicting: Callable[[Iterable[MatchSpec], Iterable[MatchSpec]], Iterable[MatchSpec]],
    prefix: str,
    max_steps: int = MAX_STEPS,
) -> Relaxation:
    """Loosen ``specs_map`` (in place) until the specs agree or nothing may be loosened."""
    explicit = tuple(explicit)
    pinned = tuple(pinned)
    result = Relaxation(specs=dict.fromkeys((*specs_map.values(), *extra_specs)))
    remaining = set(conflicting(tuple(result.specs), explicit) or ())
    for _step in range(max_steps):
        if not remaining:
            break
        log.debug("conflicting specs: %s", ", ".join(str(s.target or s) for s in remaining))
        _raise_for_pins(remaining, specs_map, explicit, pinned, prefix)
        changed = [spec for spec in remaining if may_loosen(spec)]
        if not changed:
            break
        for spec in changed:
            loose = loosened(spec)
            result.specs.pop(spec, None)
            result.specs.setdefault(loose)
            specs_map[spec.name] = loose
            result.loosened.append((spec, loose))
        remaining = set(conflicting(tuple(result.specs), explicit) or ())
    result.remaining = remaining
    return result


def _raise_for_pins(conflicts, specs_map, explicit, pinned, prefix) -> None:
    """A pin in the conflict: report the requests and the pins, as classic does."""
    pinned_conflicts = {spec for spec in conflicts if MatchSpec(spec, optional=True) in pinned}
    if not pinned_conflicts:
        return
    in_map = set(specs_map.values())
    requested = ({spec for spec in conflicts if spec in in_map} | set(explicit)) - pinned_conflicts
    # allow_retry stays as conda sets it: an unfrozen retry may not need the frozen specs
    raise SpecsConfigurationConflictError(
        sorted(str(spec) for spec in requested),
        sorted(str(spec) for spec in pinned_conflicts),
        prefix,
    )
