"""classic's notices printed during a successful solve (not errors): the "possible package
resolutions" warning when several solutions are equally good by every objective."""

from __future__ import annotations

from conda.common.io import dashlist

#: classic lists at most this many solutions, then says "... and others"
SHOWN_SOLUTIONS = 10


def alternatives_warning(solutions: list) -> str:
    """classic's text (``Resolve.solve``) for ``solutions``: the answer first, then the other
    optimal ones, each a list of dist strings; "" when there is only the answer."""
    count = len(solutions)
    if count < 2:
        return ""
    shown = [set(solution) for solution in solutions[:SHOWN_SOLUTIONS]]
    common = set.intersection(*shown)
    diffs = [sorted(solution - common) for solution in shown]
    many = count > SHOWN_SOLUTIONS
    return (
        f"\nWarning: {f'>{SHOWN_SOLUTIONS}' if many else count} possible package resolutions "
        f"(only showing differing packages):{dashlist(', '.join(diff) for diff in diffs)}"
        + ("\n  ... and others" if many else "")
    )
