"""Error types raised by the analysis library.

Every message says what was wrong and how to fix it, in words a county planner understands.
The web app maps these to 4xx JSON responses.
"""

from __future__ import annotations


class HealthcircleError(Exception):
    """Base class of every error the library raises on purpose."""


class DataError(HealthcircleError, ValueError):
    """An input file or table is malformed, incomplete or inconsistent."""


class CRSError(DataError):
    """Coordinates are in an unexpected or undeclared coordinate reference system."""


class NetworkError(HealthcircleError, RuntimeError):
    """A road graph could not be built, loaded or used."""


class SnapError(NetworkError, ValueError):
    """A point lies farther from the road network than allowed."""


class ParameterError(HealthcircleError, ValueError):
    """A parameter is outside its allowed range or set of values."""


class SolverError(HealthcircleError, RuntimeError):
    """An optimisation model is infeasible, or the solver failed or ran out of time."""
