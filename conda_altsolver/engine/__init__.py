"""The solve engine: versions, specs, records, a lazy CDCL search and classic's objectives.

Standard library only; it never imports conda. Its contract is ``docs/dev/engine-api.md``.
"""

from .errors import EngineError, InvalidSpec, InvalidVersion, PackagesNotFound, Unsatisfiable

__all__ = ["EngineError", "InvalidSpec", "InvalidVersion", "PackagesNotFound", "Unsatisfiable"]
