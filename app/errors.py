"""Turn library errors and rejected parameters into 4xx JSON a planner can act on."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from analysis.errors import HealthcircleError, SolverError
from app.compute import ClientGoneError, ServiceBusyError
from app.schemas import (
    MAX_BANDS,
    MAX_BUFFER_M,
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
    "buffer_m": f"a number of metres above 0, up to {MAX_BUFFER_M:g}",
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

    def __reduce__(self) -> tuple[Any, ...]:
        # rebuilt from its parts when it comes back from a worker process
        return (type(self), (self.parameter, self.message, self.allowed))

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


#: Longest quotation of a rejected input in an error body, characters.
MAX_QUOTED_CHARS = 80
#: Most problems listed in one 422 body (a 5,000-feature upload must not produce 5,000 lines).
MAX_PROBLEMS = 10


def quote_input(value: Any) -> str:
    """``repr`` of a rejected input, cut to :data:`MAX_QUOTED_CHARS` so error bodies stay small."""
    text = repr(value)
    return text if len(text) <= MAX_QUOTED_CHARS else text[: MAX_QUOTED_CHARS - 3] + "..."


def _parameter(err: dict[str, Any]) -> tuple[str, str]:
    """The parameter a pydantic error is about (``minutes``, ``count``, ``body``) and the path inside it."""
    loc = [str(part) for part in err.get("loc", ())]
    if loc and loc[0] in ("query", "path", "header", "cookie"):
        loc = loc[1:]
    elif loc and loc[0] == "body":
        loc = loc[1:]
        if err.get("type") == "json_invalid" or not loc or loc[0].isdigit():
            return "body", ""
    if not loc:
        return "request", ""
    return loc[0], ".".join(loc[1:])


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    errors = exc.errors()
    for err in errors[:MAX_PROBLEMS]:
        parameter, inner = _parameter(err)
        if err.get("type") == "json_invalid":
            position = err.get("loc", ("body", "?"))[-1]
            reason = (err.get("ctx") or {}).get("error", "invalid JSON")
            message = (
                f"the request body is not valid JSON ({reason} at character {position}); check the syntax"
            )
        else:
            message = str(err.get("msg", "invalid value"))
            if inner:
                message = f"{inner}: {message}"
            if "input" in err and err["input"] is not None and parameter != "body":
                message = f"{message} (got {quote_input(err['input'])})"
        problems.append(_problem(parameter, message, ALLOWED.get(parameter)))
    if len(errors) > MAX_PROBLEMS:
        more = len(errors) - MAX_PROBLEMS
        problems.append(_problem("request", f"... and {more} more problem(s) of the same request", None))
    return JSONResponse(status_code=422, content=_body(problems))


async def _on_busy(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceBusyError)
    logger.info("503 on %s: %s", request.url.path, exc)
    return JSONResponse(
        status_code=503,
        content={"detail": str(exc), "errors": []},
        headers={"Retry-After": str(exc.retry_after_s)},
    )


async def _on_client_gone(request: Request, exc: Exception) -> Response:
    # Nobody reads this answer; 499 (client closed request) keeps it out of the 5xx counts in the logs.
    return Response(status_code=499)


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
    app.add_exception_handler(ServiceBusyError, _on_busy)
    app.add_exception_handler(ClientGoneError, _on_client_gone)
