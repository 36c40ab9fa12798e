"""The solve engine: versions, specs, records, a lazy CDCL search and classic's objectives.

Standard library only; it never imports conda. Its contract is ``docs/dev/engine-api.md``.
"""

from .consistency import inconsistent_records
from .errors import (
    EngineError,
    InvalidRecord,
    InvalidSpec,
    InvalidVersion,
    PackagesNotFound,
    Unsatisfiable,
)
from .policy import Policy
from .reduce import ValidityMemo
from .repo import Repo
from .repodata import RepodataError, load_repodata
from .request import SpecRequest
from .solve import conflicting_specs, reduced_index, solve
from .spec import MatchSpec, merge_specs, parse_spec
from .version import Version, VersionSpec, parse_version, parse_version_spec, version_key

__all__ = [
    "EngineError",
    "MatchSpec",
    "Version",
    "VersionSpec",
    "InvalidRecord",
    "InvalidSpec",
    "InvalidVersion",
    "PackagesNotFound",
    "Policy",
    "Repo",
    "RepodataError",
    "SpecRequest",
    "Unsatisfiable",
    "ValidityMemo",
    "conflicting_specs",
    "inconsistent_records",
    "load_repodata",
    "merge_specs",
    "parse_spec",
    "parse_version",
    "parse_version_spec",
    "reduced_index",
    "solve",
    "version_key",
]
