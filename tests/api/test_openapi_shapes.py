"""Every route says what it returns: the OpenAPI document names a response model for each success."""

from __future__ import annotations

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
