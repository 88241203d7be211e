"""The OpenAPI document tells what the API answers: every error status with the one ErrorOut schema."""

import pytest

pytestmark = pytest.mark.django_db

ERROR = "#/components/schemas/ErrorOut"


def operations(client):
    spec = client.get("/api/v1/openapi.json").json()
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def schema_refs(response: dict) -> set[str]:
    schema = response["content"]["application/json"]["schema"]
    return {s["$ref"] for s in schema.get("anyOf", [schema]) if "$ref" in s}


def test_every_operation_documents_its_errors_with_error_out(client):
    for name, operation in operations(client):
        responses = operation["responses"]
        expected = {"400", "422"} if name == "GET /api/v1/health" else {"400", "401", "403", "422"}
        assert expected <= set(responses), name
        for status in expected:
            assert ERROR in schema_refs(responses[status]), (name, status)
        if "requestBody" in operation:
            assert {"413", "415"} <= set(responses), name


def test_a_save_documents_both_422_bodies(client):
    for name, operation in operations(client):
        if name.startswith("POST /api/v1/registry/") and "search" not in name:
            assert schema_refs(operation["responses"]["422"]) == {ERROR, "#/components/schemas/SaveOut"}, name


def test_money_and_identifiers_are_typed_strictly_in_the_spec(client):
    spec = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert spec["LineIn"]["properties"]["amount"]["type"] == "integer"
    assert spec["CardIn"]["properties"]["card_number"]["pattern"] == "^[0-9]{16}$"
    capital = spec["OrgIn"]["properties"]["capital"]["anyOf"][0]
    assert capital["type"] == "integer"
    assert capital["minimum"] == 0
