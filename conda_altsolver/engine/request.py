"""What the caller asks the engine for: ``SpecRequest``, one spec with its role.

A request is required (the default), optional (constrains-like: it only restricts a name that
ends up installed) or targeted (``target`` is the installed record dict that classic's "update
count" objective tries to keep). These are exactly the three roles of classic's
``Resolve.solve`` spec groups (``specr``, ``speco``, and the targeted part of ``speca``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SpecRequest:
    """One match spec handed to ``solve``; ``target`` is a record dict or ``None``."""

    spec: str
    optional: bool = False
    target: dict | None = None
    #: who asked, for explanations only: "requested" | "pinned" | "installed" | "history" |
    #: "virtual" (not part of equality)
    role: str | None = None

    def __hash__(self):
        # A record dict is not hashable; requests are hashed by what identifies them.
        return hash((self.spec, self.optional, _target_key(self.target)))

    def __eq__(self, other):
        if not isinstance(other, SpecRequest):
            return NotImplemented
        return (
            self.spec == other.spec
            and self.optional == other.optional
            and _target_key(self.target) == _target_key(other.target)
        )


def _target_key(record: dict | None):
    """A record's identity as classic's ``dist_str`` sees it (channel, subdir, name, version,
    build), so that an installed record matches the repo record it came from."""
    if record is None:
        return None
    return (
        record.get("channel"),
        record.get("subdir"),
        record.get("name"),
        record.get("version"),
        record.get("build"),
    )


def role_of(parsed) -> str:
    """Who asked for a parsed request (anything with a ``.request`` ``SpecRequest``): its
    ``role`` when the caller set one, else what its flags say."""
    role = parsed.request.role
    if role:
        return role
    if parsed.request.target is not None:
        return "installed"
    return "constraint" if parsed.request.optional else "requested"


def as_request(item) -> SpecRequest:
    """Accept a bare spec string wherever a ``SpecRequest`` is expected."""
    if isinstance(item, SpecRequest):
        return item
    return SpecRequest(str(item))
