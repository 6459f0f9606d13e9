"""Property-based API test: requests generated from the app's own OpenAPI schema never get a 5xx.

Runs in-process (ASGI, no network). The example count per operation is bounded so the whole file stays well
under a minute; the map pages are cached per scenario, so their cost is paid only for new scenarios.
"""

from __future__ import annotations

import warnings

import pytest
from hypothesis import HealthCheck, settings

with warnings.catch_warnings():
    # schemathesis imports Starlette's test client, which prefers the httpx2 fork over httpx.
    warnings.simplefilter("ignore", UserWarning)
    import schemathesis
    from schemathesis.checks import not_a_server_error

from app.config import Settings
from app.main import build_state, create_app

#: Examples per operation: enough to hit every enum value and boundary, few enough to stay fast.
MAX_EXAMPLES = 10
#: Operations that render HTML pages.
PAGES = "^/(maps/|report$|$)"

_settings = Settings()
app = create_app(_settings)
# Load once up front; the lifespan keeps a state that is already there.
app.state.healthcircle = build_state(_settings)
# JSON operations get every schemathesis phase, including its boundary-value ("coverage") phase.
json_schema = schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path_regex=PAGES)
# Each new scenario of an HTML page renders a map (~1 s); the pages share their parameter validation with
# /api/coverage, so they get random examples only.
page_schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(path_regex=PAGES)
assert json_schema.config is not page_schema.config
page_schema.config.phases.coverage.enabled = False

_hypothesis = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


def _check(case: schemathesis.Case) -> None:
    response = case.call()
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} {case.query}: {response.text[:300]}"
    )
    case.validate_response(response, checks=[not_a_server_error])


@json_schema.parametrize()
@_hypothesis
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_json_api_has_no_server_errors(case: schemathesis.Case) -> None:
    _check(case)


@page_schema.parametrize()
@_hypothesis
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_pages_have_no_server_errors(case: schemathesis.Case) -> None:
    _check(case)
