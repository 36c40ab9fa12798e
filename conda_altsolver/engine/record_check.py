"""Which field of a package record the engine cannot read, and why.

The pool reads records on its hot paths without checking their fields (a record read from a
repodata file had its commonest faults checked when it was materialised, ``repodata.py``).
When reading a name's records or a record's dependencies fails, the pool asks
``invalid_record`` which record is to blame and raises the ``InvalidRecord`` it returns, so
that a malformed record is an error naming it, never a stray ``TypeError``. This is the one
place that spells out the types the engine relies on (``docs/dev/engine-api.md``): it runs
only once something has already gone wrong.
"""

from __future__ import annotations

from .errors import InvalidRecord, InvalidVersion
from .version import version_key

#: fields with one value each: (field, the types it may have, their name); None always passes
_SCALARS = (
    ("build", (str,), "a string"),
    ("build_number", (int,), "an integer"),
    ("timestamp", (int, float), "a number"),
    ("subdir", (str,), "a string"),
    ("channel", (str,), "a string"),
    ("package_type", (str,), "a string"),
)
_TEXT_LISTS = ("depends", "constrains")  # lists of spec strings
_FEATURE_FIELDS = ("track_features", "features")  # a string, or strings


def invalid_record(records) -> InvalidRecord | None:
    """The error naming the first of ``records`` with a field the engine cannot read, or
    None when every one of them is well formed (then the fault lies elsewhere)."""
    for record in records:
        problem = record_problem(record)
        if problem is not None:
            return InvalidRecord(record, *problem)
    return None


def record_problem(record) -> tuple[str, str] | None:
    """(field, what is wrong with its value) for the first field of ``record`` the engine
    cannot read, or None."""
    get = record.get
    name = get("name")
    if type(name) is not str or not name:
        return "name", f"is {_shown(name)}, not a package name"
    version = get("version")
    if type(version) is not str:
        return "version", f"is {_shown(version)}, not a string"
    try:
        version_key(version)
    except InvalidVersion as exc:
        reason = str(exc).rpartition(": ")[2]
        return "version", f"is {version!r}, not a valid conda version ({reason})"
    for field, kinds, what in _SCALARS:
        value = get(field)
        if value is not None and not isinstance(value, kinds):
            return field, f"is {_shown(value)}, not {what}"
    timestamp = get("timestamp")
    if timestamp is not None:
        try:
            float(timestamp)  # the keys divide a timestamp in milliseconds by 1000
        except OverflowError:
            return "timestamp", f"is {_shown(timestamp)}, too large for a time"
    for field in _TEXT_LISTS:
        value = get(field)
        if value is None:
            continue
        if type(value) not in (list, tuple):
            return field, f"is {_shown(value)}, not a list"
        for item in value:
            if type(item) is not str:
                return field, f"holds {_shown(item)}, not a spec string"
    for field in _FEATURE_FIELDS:
        value = get(field)
        if value is None or type(value) is str:
            continue
        if type(value) not in (list, tuple, set, frozenset) or any(
                type(item) is not str for item in value):
            return field, f"is {_shown(value)}, not a string or a list of strings"
    return None


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
