"""Turn library errors and rejected parameters into 4xx JSON a planner can act on."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from analysis.errors import HealthcircleError, SolverError
from app.schemas import (
    MAX_BANDS,
    MAX_DISPATCH_MINUTES,
    MAX_ISOCHRONE_MINUTES,
    MAX_MINUTES,
    MIN_MINUTES,
    FacilityKind,
    Profile,
)

logger = logging.getLogger(__name__)


def _range(low: float, high: float, unit: str) -> str:
    return f"a number of {unit} from {low:g} to {high:g}"


#: What each query parameter accepts, quoted in every 422 message about it.
ALLOWED: dict[str, str] = {
    "minutes": _range(MIN_MINUTES, MAX_MINUTES, "minutes"),
    "dispatch_minutes": _range(0, MAX_DISPATCH_MINUTES, "minutes"),
    "mode": "one of " + ", ".join(p.value for p in Profile),
    "profile": "one of " + ", ".join(p.value for p in Profile),
    "kind": "one of " + ", ".join(k.value for k in FacilityKind),
    "include_planned": "true or false",
    "bands": f"1 to {MAX_BANDS} comma-separated minutes, "
    f"each from {MIN_MINUTES:g} to {MAX_ISOCHRONE_MINUTES:g}",
}


class QueryParameterError(ValueError):
    """A query parameter that passed type checks but not the endpoint's own rules."""

    def __init__(self, parameter: str, message: str, allowed: str | None = None) -> None:
        self.parameter = parameter
        self.message = message
        self.allowed = allowed if allowed is not None else ALLOWED.get(parameter)
        super().__init__(self.text)

    @property
    def text(self) -> str:
        """The message with the parameter name and the allowed range."""
        suffix = f"; allowed: {self.allowed}" if self.allowed else ""
        return f"{self.parameter}: {self.message}{suffix}"


def _problem(parameter: str, message: str, allowed: str | None) -> dict[str, Any]:
    return {"parameter": parameter, "message": message, "allowed": allowed}


def _body(problems: Sequence[dict[str, Any]]) -> dict[str, Any]:
    parts = []
    for p in problems:
        suffix = f"; allowed: {p['allowed']}" if p["allowed"] else ""
        parts.append(f"{p['parameter']}: {p['message']}{suffix}")
    return {"detail": " | ".join(parts), "errors": list(problems)}


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ()) if part not in ("query", "path", "body")]
        parameter = loc[0] if loc else "request"
        message = str(err.get("msg", "invalid value"))
        if "input" in err and err["input"] is not None:
            message = f"{message} (got {err['input']!r})"
        problems.append(_problem(parameter, message, ALLOWED.get(parameter)))
    return JSONResponse(status_code=422, content=_body(problems))


async def _on_parameter_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, QueryParameterError)
    return JSONResponse(status_code=422, content=_body([_problem(exc.parameter, exc.message, exc.allowed)]))


async def _on_library_error(request: Request, exc: Exception) -> JSONResponse:
    # Library errors carry planner-readable messages already; an infeasible model is a conflict of the
    # request with the data, everything else is an unusable parameter or input combination.
    status = 409 if isinstance(exc, SolverError) else 422
    logger.info("%s on %s: %s", type(exc).__name__, request.url.path, exc)
    return JSONResponse(status_code=status, content={"detail": str(exc), "errors": []})


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that map validation and library errors to 4xx JSON."""
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(QueryParameterError, _on_parameter_error)
    app.add_exception_handler(HealthcircleError, _on_library_error)
