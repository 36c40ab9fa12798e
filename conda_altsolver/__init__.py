"""conda-altsolver: a conda solver plugin with a native engine that gives classic's answers.

The adapter modules in this package speak conda; ``conda_altsolver.engine`` speaks plain data
and never imports conda.
"""

try:
    from ._version import __version__
except ImportError:  # a source tree that was never built or installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
