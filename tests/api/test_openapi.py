"""The OpenAPI document says what happens: a bounded schemathesis run against /openapi.json.

Every operation is fuzzed with valid and invalid requests (an admin token sent, so the routes
run to the end); no answer may be a 500, have a status the document does not list for that
operation, or a body or content type it does not describe. The run is bounded (a few examples
per operation and mode; past 55 s only the first MIN_EXAMPLES of each still run) because it
is a check that the document is honest, not a search for every bug; every operation has its
turn however slow the machine is, so nothing here depends on timing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import schemathesis
from api_support import Deployment
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from helmdeck.api.app import create_app
from helmdeck.store import open_store

EXAMPLES = 8  # per operation and generation mode
MIN_EXAMPLES = 3  # sent to each operation and mode even past the bound
BOUND_S = 55  # past this only MIN_EXAMPLES each: the run takes about a minute at most
STATUSES = {"200", "204", "400", "401", "403", "404", "409", "413"}


@pytest.fixture
def app(deployment: Deployment) -> Iterator[object]:
    with open_store(deployment.url) as store:
        yield create_app(store)


def test_document_lists_only_statuses_that_happen(app: object) -> None:
    doc = schemathesis.openapi.from_asgi("/openapi.json", app).raw_schema
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            codes = set(op["responses"])
            assert "422" not in codes and codes <= STATUSES, (method, path, codes)
            assert {"400", "401"} <= codes, (method, path)  # unknown query, no token
            if "requestBody" in op:
                assert "413" in codes, (method, path)
            if method in {"patch", "delete", "post"}:
                assert "403" in codes, (method, path)
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    if_match = next(p for p in doc["paths"]["/v1/helm_charts/{name}"]["patch"]["parameters"]
                    if p["in"] == "header")
    assert '`"N"`' in if_match["description"] and "409" in if_match["description"]
    schemes = doc["components"]["securitySchemes"]
    assert schemes["APIKeyHeader"]["name"] == "X-Auth-Token"
    assert schemes["HTTPBearer"]["scheme"] == "bearer"


def test_schemathesis_finds_no_undocumented_status_and_no_500(
    app: object, deployment: Deployment
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = {"Authorization": f"Bearer {deployment.admin}"}
    deadline = time.monotonic() + BOUND_S
    ran: dict[tuple[str, str], int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            ran[(operation.label, mode.value)] = fuzz(operation, mode, headers, deadline)
    short = sorted(key for key, n in ran.items() if n < MIN_EXAMPLES)
    assert len(ran) >= 2 * 16 and not short, f"schemathesis reached {ran}"


def fuzz(operation: schemathesis.APIOperation, mode: GenerationMode, headers: dict[str, str],
         deadline: float) -> int:
    """Up to EXAMPLES requests to ``operation``, each checked; how many were sent."""
    checks = [content_type_conformance, not_a_server_error, response_schema_conformance,
              status_code_conformance]
    if mode.is_negative:
        checks.append(negative_data_rejection)
    strategy = operation.as_strategy(generation_mode=mode)
    sent = 0

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        nonlocal sent
        case = data.draw(strategy)
        if sent >= MIN_EXAMPLES and time.monotonic() > deadline:
            return
        case.call_and_validate(headers=headers, checks=checks)
        sent += 1

    run()
    return sent
