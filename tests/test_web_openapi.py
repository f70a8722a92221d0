"""Property-based tests of the JSON API, generated from the application's own OpenAPI document
(schemathesis): whatever the parameters, no server error, and every answer matches the schema."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings

EXAMPLES = 8  # per API route: enough to find a crash, few enough for CI (about a minute)


def test_the_openapi_document_describes_every_api_route(web_app: Any) -> None:
    from fastapi.testclient import TestClient

    doc = TestClient(web_app).get("/openapi.json").json()
    paths = set(doc["paths"])
    assert {"/api/search", "/api/job/{rid}/{jid}", "/api/job/{rid}/{jid}/equivalents",
            "/api/job/{rid}/{jid}/next-steps", "/api/gap", "/api/path", "/api/rome/{code}",
            "/api/referentials", "/api/referential/{rid}",
            "/api/referential/{rid}/validation"} == paths
    for path, item in doc["paths"].items():
        assert set(item) == {"get"}, path  # read-only
        assert {"200", "400", "404"} <= set(item["get"]["responses"]), path


def test_api_never_fails_and_answers_as_documented(web_app: Any) -> None:
    # schemathesis's pytest plugin does not run under this pytest: the cases are drawn from
    # each operation's strategy with hypothesis directly, and checked the same way
    schema = schemathesis.openapi.from_asgi("/openapi.json", web_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 10
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            # 200, or 400 / 404 with {"detail": …}: never a 5xx, always the documented shape
            case.call_and_validate()

        check()
