"""Every route says what it returns: the OpenAPI document names a response model for each success."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from depotdispatch.asgi import create_app
from depotdispatch.bootstrap import App
from tests.auth_helpers import token_for


def test_every_json_route_names_its_response_model(app: App) -> None:
    auth = {"Authorization": f"Bearer {token_for(app)}"}
    doc = TestClient(create_app(app)).get("/api/v1/openapi.json", headers=auth).json()
    missing = []
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            ok = next((r for code, r in op["responses"].items() if code.startswith("2")), {})
            content = ok.get("content", {})
            if "text/csv" in content or not content:  # files, or no body
                continue
            schema = content.get("application/json", {}).get("schema", {})
            if "$ref" not in schema:
                missing.append(f"{method.upper()} {path}")
    assert missing == [], "routes without a response model: " + ", ".join(missing)
    board = doc["components"]["schemas"]["BoardBlockOut"]["properties"]
    assert {"block_id", "pull_out", "status", "vehicle_id", "viability", "reasons", "origin"} <= set(board)


# free-form on purpose: what an energy estimate used differs by model (distance, temperature, table, ...)
FREE_FORM = {("EnergyOut", "inputs")}


def _untyped(schema: dict[str, Any]) -> bool:
    """A schema that says nothing of its shape: anything, or an object or a list of anything."""
    options = schema.get("anyOf", [schema])
    for s in options:
        if s.get("type") == "null":
            continue
        if not s or (s.get("type") in ("object", None) and "$ref" not in s and "properties" not in s
                     and s.get("additionalProperties") in (None, True, {})):
            return True
        if s.get("type") == "array" and _untyped(s.get("items", {})):
            return True
    return False


def test_the_documents_of_every_response_say_their_shape(app: App) -> None:
    """Each field of a response model says what it holds (a model with properties, or a typed map or list):
    an `Any` or `dict[str, Any]` field is a shape the OpenAPI document and schemathesis cannot check."""
    auth = {"Authorization": f"Bearer {token_for(app)}"}
    schemas = TestClient(create_app(app)).get("/api/v1/openapi.json", headers=auth).json()["components"]["schemas"]
    untyped = sorted(f"{name}.{field}" for name, s in schemas.items() if name.endswith("Out")
                     for field, f in s.get("properties", {}).items()
                     if (name, field) not in FREE_FORM and _untyped(f))
    assert untyped == [], "response fields without a shape: " + ", ".join(untyped)
    for name in ("RecommendationOut", "ProposalOut", "UncoveredOut", "ChangeOutSuggestionOut", "ReplanOut", "MoveOut",
                 "ViabilityOut", "LiveRiskOut", "CandidateOut", "PreviewRowOut"):
        assert schemas[name].get("properties"), f"{name} has no properties"
    rec = schemas["RecommendationOut"]["properties"]
    assert rec["proposals"]["items"] == {"$ref": "#/components/schemas/RecommendedOut"}
    assert "optimality" in rec
