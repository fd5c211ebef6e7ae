"""OpenAPI links (issue 18 item 5): the spec tells SDKs and stateful testers which call follows
which, so Schemathesis chains create -> get/update/delete from the spec instead of guessing."""

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate

from api.openapi.converter import LinkSpec, add_links
from tests.helpers import register
from tests.spec import RAW_SPEC, SPEC, operations


def operations_by_id(spec: dict[str, Any]) -> dict[str, tuple[dict[str, Any], set[str]]]:
    """operationId -> (operation, its parameters as `in.name`)."""
    found = {}
    for path, _, op in operations(spec):
        params = [*spec["paths"][path].get("parameters", []), *op.get("parameters", [])]
        found[op["operationId"]] = (op, {f"{p['in']}.{p['name']}" for p in params})
    return found


def links_of(op_id: str, status: str) -> dict[str, Any]:
    op, _ = operations_by_id(SPEC)[op_id]
    return op["responses"][status].get("links", {})


def test_spec_with_links_is_valid_openapi() -> None:
    validate(RAW_SPEC)


@pytest.mark.parametrize(
    ("source", "status", "targets"),
    [
        ("createItem", "201", {"getItem", "updateItem", "replaceItem", "deleteItem"}),
        ("getItem", "200", {"getItem", "updateItem", "replaceItem", "deleteItem"}),
        ("updateItem", "200", {"getItem", "updateItem", "replaceItem", "deleteItem"}),
        # No link to refreshToken: see `_session_links` in api/http/operations.py.
        ("register", "201", {"getCurrentUser"}),
        ("login", "200", {"getCurrentUser"}),
        ("refreshToken", "200", {"getCurrentUser"}),
    ],
)
def test_natural_flows_are_linked(source: str, status: str, targets: set[str]) -> None:
    links = links_of(source, status)
    assert {link["operationId"] for link in links.values()} == targets


def test_every_link_names_a_real_operation_and_its_real_parameters() -> None:
    by_id = operations_by_id(SPEC)
    count = 0
    for op_id, (op, _) in by_id.items():
        for response in op["responses"].values():
            for name, link in response.get("links", {}).items():
                count += 1
                _, declared = by_id[link["operationId"]]
                assert set(link.get("parameters", {})) <= declared, (op_id, name, declared)
                for expression in link.get("parameters", {}).values():
                    assert expression.startswith("$response."), (op_id, name)
                needs = {p for p in declared if p.startswith("path.")}
                assert needs <= set(link.get("parameters", {})), (op_id, name, needs)
                # Every body field a link reads is one the source response declares.
                schema_ref = response["content"]["application/json"]["schema"]["$ref"]
                props = SPEC["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]["properties"]
                for expression in [*link.get("parameters", {}).values(), *_body_values(link)]:
                    if expression.startswith("$response.body#/"):
                        assert expression.removeprefix("$response.body#/") in props, (op_id, name)
                    elif expression.startswith("$response.header."):
                        header = expression.removeprefix("$response.header.")
                        assert header in response.get("headers", {}), (op_id, name, header)
    assert count >= 20


def _body_values(link: dict[str, Any]) -> list[str]:
    body = link.get("requestBody")
    return list(body.values()) if isinstance(body, dict) else []


def test_links_to_operations_a_build_lacks_are_left_out() -> None:
    """The table may name operations other builds add (upload metadata, deletion)."""
    table = {"createItem": [LinkSpec("Gone", "201", "noSuchOperation")]}
    assert "Gone" not in add_links(RAW_SPEC, table)["paths"]["/api/items"]["post"]["responses"][
        "201"
    ].get("links", {})


def test_a_link_to_a_parameter_the_target_lacks_is_refused() -> None:
    table = {
        "createItem": [LinkSpec("Bad", "201", "getItem", (("query.nope", "$response.body#/id"),))]
    }
    with pytest.raises(ValueError, match="no parameter"):
        add_links(RAW_SPEC, table)


# --- Schemathesis follows them ------------------------------------------------------------------

ITEM_FLOW = ("createItem", "getItem", "updateItem", "replaceItem", "deleteItem")


@pytest.mark.slow
def test_schemathesis_stateful_phase_follows_the_declared_links(
    app_factory: Callable[..., Flask],
) -> None:
    """Link inference is switched off, so every transition Schemathesis takes comes from our
    links; the ids it extracts are the created items' (a follow-up finds the item: 2xx/304/412,
    never the 404 a guessed id would get)."""
    import schemathesis

    app = app_factory(RATELIMIT_ENABLED=False)
    account = register(app.test_client())
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    schema.config.phases.stateful.inference.algorithms = []
    # Schemathesis also mines constants from every loaded module; what is loaded depends on the
    # rest of the run (and on lazy imports mid-run), which made generation flaky in a full suite.
    schema.config.analysis.constants.enabled = False
    schema = schema.include(operation_id=list(ITEM_FLOW))
    followed: Counter[tuple[str, int]] = Counter()
    server_errors: list[str] = []

    class Flow(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": {"Authorization": f"Bearer {account.token}"}}

        def step(self, input: Any) -> Any:
            output = super().step(input)
            if input.transition is not None and input.is_applied:
                assert not input.transition.is_inferred
                link = input.transition.id.split("] ", 1)[1].split(" ->", 1)[0]
                followed[(link, output.response.status_code)] += 1
            return output

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            if response.status_code >= 500:
                server_errors.append(f"{case.method} {case.formatted_path}: {response.status_code}")

    Flow.run(
        settings=settings(
            max_examples=40,
            stateful_step_count=5,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    assert not server_errors
    found = {link for (link, status), _ in followed.items() if status in (200, 204, 304, 412)}
    assert {"GetItem", "DeleteItem"} <= found, followed
    assert found & {"UpdateItem", "ReplaceItem"}, followed
