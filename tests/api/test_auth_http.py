"""Sign-in, roles and tokens through HTTP, on both databases: every route is closed by default."""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta

import pytest
from fastapi import APIRouter, Depends
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from depotdispatch.adapters.blocks_csv import read_blocks
from depotdispatch.adapters.clock import Clock
from depotdispatch.asgi import create_app
from depotdispatch.bootstrap import App
from depotdispatch.config import Settings
from depotdispatch.domain.applicability import Applicability
from depotdispatch.domain.depots import Depot
from depotdispatch.domain.fleet import FleetEntry, VehicleType
from depotdispatch.domain.readings import SocReading
from depotdispatch.services import days, depots, fleet, identity, readings, schedules
from depotdispatch.web.deps import WebUser, check_csrf
from tests.auth_helpers import PASSWORD, api_client, client, make_user, sign_in, token_for
from tests.helpers import run_cli

DAY = date(2026, 11, 25)
NOW = datetime.fromisoformat("2026-11-25T04:00:00+02:00")
EV = VehicleType("XE", "bev", usable_kwh=400, kwh_per_km=1.3, vehicle_class="12m", charge_kw=150)
PROBLEM = "application/problem+json"
SAFE = {"get", "head", "options"}
PUBLIC = {"/healthz", "/signin", "/signout"}  # the only routes anyone may reach


@pytest.fixture
def two_depots(app: App) -> App:
    app.clock.fixed = NOW
    for depot_id in ("A", "B"):
        depots.add_depot(app.uow(), Depot(depot_id, f"Depot {depot_id}", "Europe/Vilnius"), NOW)
        schedules.import_blocks(app.uow(), depot_id, "b", read_blocks(b"block_id,pull_out,pull_in,distance_km\n"
                                                                       b"X1,05:00,09:00,60\n"),
                                Applicability(DAY, DAY), NOW)
        days.setup_day(app.uow(), depot_id, DAY, NOW)
        fleet.import_fleet(app.uow(), depot_id, [FleetEntry(1, f"E{depot_id}", EV)])
        readings.add_readings(app.uow(), [(1, SocReading(f"E{depot_id}", 95, NOW, "telematics"))], NOW)
    return app


def _url(path: str, depot: str) -> str:
    values = {"depot": depot, "service_date": DAY.isoformat(), "block_id": "X1", "schedule_id": "1",
              "recommendation_id": "1", "preview_id": "p1"}
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "x1"), path)  # a new parameter still walks


def _operations(c) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    spec = c.get("/api/v1/openapi.json")
    assert spec.status_code == 200, spec.text
    ops = [(m, p) for p, item in spec.json()["paths"].items() for m in item if m in SAFE | {"post", "put", "patch",
                                                                                            "delete"}]
    assert len(ops) >= 15, ops
    return ops + [("get", "/api/v1/openapi.json"), ("get", "/api/v1/docs"), ("get", "/api/v1/docs/start.js")]


def _send(c, method: str, url: str):  # type: ignore[no-untyped-def]
    return c.request(method.upper(), url, **({} if method in SAFE else {"json": {}}))


def _is_problem(r, status: int) -> bool:  # type: ignore[no-untyped-def]
    return r.status_code == status and r.headers["content-type"] == PROBLEM and r.json()["status"] == status


def _walk(app: App, server) -> list[str]:  # type: ignore[no-untyped-def]
    """Every operation of the server's OpenAPI document, as four callers; what is not closed as it must be."""
    def as_(role: str | None, depots: list[str] | None = None) -> TestClient:
        headers = {"Authorization": f"Bearer {token_for(app, role, depots)}"} if role else {}
        return TestClient(server, raise_server_exceptions=False, headers=headers)

    admin, anonymous, viewer = as_("admin"), as_(None), as_("viewer")
    dispatcher_a = as_("dispatcher", ["A"])
    wrong = []
    for method, path in _operations(admin):
        url = _url(path, "A")
        r = _send(anonymous, method, url)
        if not (_is_problem(r, 401) and r.headers["www-authenticate"].startswith("Bearer")):
            wrong.append(f"anonymous {method} {path}: {r.status_code}")
        if method not in SAFE and not _is_problem(r := _send(viewer, method, url), 403):
            wrong.append(f"viewer {method} {path}: {r.status_code}")
        if "{depot}" in path:
            r = _send(dispatcher_a, method, _url(path, "B"))
            if not (_is_problem(r, 404)
                    and r.json()["detail"] == "no depot 'B'; add it first with `depotdispatch depot add`"):
                wrong.append(f"dispatcher of A {method} {path} on B: {r.status_code}")
        if _send(admin, method, url).status_code in (401, 403):
            wrong.append(f"admin {method} {path}: refused")
    return wrong


def test_every_route_of_the_openapi_document_is_closed(two_depots: App) -> None:
    server = create_app(two_depots)
    assert _walk(two_depots, server) == []
    assert sum("{depot}" in p for _, p in _operations(TestClient(server, headers={
        "Authorization": f"Bearer {token_for(two_depots)}"}))) >= 14


def test_the_walk_fails_for_a_route_added_without_a_role(two_depots: App) -> None:
    server = create_app(two_depots)

    @server.post("/api/v1/depots/{depot}/leak")  # on the app itself, not behind the API router
    def leak(depot: str) -> dict[str, str]:
        return {"depot": depot}

    wrong = _walk(two_depots, server)
    assert any(w.startswith("anonymous post /api/v1/depots/{depot}/leak") for w in wrong)
    assert any(w.startswith("viewer post /api/v1/depots/{depot}/leak") for w in wrong)
    assert any(w.startswith("dispatcher of A post /api/v1/depots/{depot}/leak") for w in wrong)


def test_no_route_of_the_server_is_open_except_sign_in(two_depots: App) -> None:
    """Routes outside the OpenAPI document too (a page or an API route added on the app itself)."""
    server = create_app(two_depots)
    anonymous = client(two_depots)
    for route in server.routes:
        if not isinstance(route, APIRoute) or route.path in PUBLIC:
            continue
        for method in route.methods:
            r = _send(anonymous, method.lower(), _url(route.path, "A"))
            redirected = r.status_code == 303 and r.headers["location"].startswith("/signin")
            assert redirected or _is_problem(r, 401), (method, route.path, r.status_code)


def test_a_dispatcher_works_only_for_their_depot_and_a_viewer_only_reads(two_depots: App) -> None:
    app = two_depots
    base = f"/api/v1/depots/{{}}/days/{DAY}/plan"
    d = api_client(app, role="dispatcher", depots=["A"])
    assert d.get(base.format("A")).status_code == 200
    r = d.put(base.format("A") + "/assignments/X1", json={"vehicle_id": "EA", "plan_version": 0})
    assert r.status_code == 200, r.text
    assert d.get(base.format("B")).status_code == 404
    # a reading for depot B's vehicle counts as an unknown vehicle, depot A's is stored
    r = d.post("/api/v1/soc-readings", json={"readings": [
        {"vehicle_id": "EA", "soc_pct": 80, "measured_at": "2026-11-25T03:00:00+02:00"},
        {"vehicle_id": "EB", "soc_pct": 80, "measured_at": "2026-11-25T03:00:00+02:00"}]})
    assert r.status_code == 200 and r.json()["stored"] == 1 and [x["row"] for x in r.json()["rejected"]] == [1]
    v = api_client(app, role="viewer", depots=["B"])
    assert v.get(base.format("B")).status_code == 200
    assert v.get(base.format("A")).status_code == 404
    r = v.put(base.format("B") + "/assignments/X1", json={"vehicle_id": "EB", "plan_version": 0})
    assert _is_problem(r, 403) and "dispatcher" in r.json()["detail"]
    # schedules are an admin's: a dispatcher may not correct applicability
    r = d.put("/api/v1/depots/A/schedules/1/applicability", json={"start": "2026-11-25", "end": "2026-11-26"})
    assert _is_problem(r, 403)


def test_sign_in_sign_out_and_csrf_through_http(two_depots: App) -> None:
    app = two_depots
    make_user(app, "dispatcher", ["A"], name="dana")
    c = client(app)
    page = c.get("/signin?next=/api/v1/depots/A/board")
    # no inline script (the page's scripts are vendored files from our own origin)
    assert page.status_code == 200 and 'name="csrf_token"' in page.text
    assert re.search(r"<script(?![^>]*\bsrc=)", page.text) is None
    assert page.headers["cache-control"] == "no-store"
    # a forged sign-in (no or wrong token) is refused before the password is even looked at
    r = c.post("/signin", data={"name": "dana", "password": PASSWORD, "csrf_token": "forged"})
    assert r.status_code == 403 and "dd_session" not in c.cookies
    r = sign_in(c, "dana", next_url="/api/v1/depots/A/board")
    assert r.status_code == 303 and r.headers["location"] == "/api/v1/depots/A/board"
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("dd_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie and "Path=/" in cookie
    assert c.get("/api/v1/depots/A/board").status_code == 200
    assert c.get("/api/v1/docs").status_code == 200  # the API docs need a signed-in user, and have one
    # a change through the API with the session cookie needs the session's CSRF token
    plan = f"/api/v1/depots/A/days/{DAY}/plan/assignments/X1"
    r = c.put(plan, json={"vehicle_id": "EA", "plan_version": 0})
    assert _is_problem(r, 403) and "X-CSRF-Token" in r.json()["detail"]
    csrf = identity.signed_in(app.uow(), identity.unseal(app.secret, c.cookies["dd_session"]) or "",
                              app.auth_clock.now())
    assert csrf is not None
    r = c.put(plan, json={"vehicle_id": "EA", "plan_version": 0}, headers={"X-CSRF-Token": csrf.csrf_token})
    assert r.status_code == 200, r.text
    # sign-out is a form too: without the token it is refused, with it the session ends everywhere
    old = c.cookies["dd_session"]
    assert c.post("/signout", data={"csrf_token": "nope"}).status_code == 403
    r = c.post("/signout", data={"csrf_token": csrf.csrf_token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/signin"
    assert _is_problem(c.get("/api/v1/depots/A/board"), 401)
    replay = client(app)
    replay.cookies.set("dd_session", old)
    assert _is_problem(replay.get("/api/v1/depots/A/board"), 401)
    tampered = client(app)
    tampered.cookies.set("dd_session", old[:-1] + ("0" if old[-1] != "0" else "1"))
    assert _is_problem(tampered.get("/api/v1/depots/A/board"), 401)


def test_cookie_is_secure_behind_tls_and_next_never_leaves_the_site(two_depots: App) -> None:
    make_user(two_depots, "viewer", name="vic")
    c = client(two_depots, base_url="https://testserver")
    r = sign_in(c, "vic", next_url="//evil.example/steal")
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("dd_session="))
    assert "Secure" in cookie and "HttpOnly" in cookie
    assert r.headers["strict-transport-security"].startswith("max-age=")


def _limited(app: App, **limits: int) -> App:
    settings = Settings(signin_failures_per_account=limits.get("account", 3),
                        signin_failures_per_address=limits.get("address", 50), signin_window_minutes=15)
    return App(database_url=app.database_url, clock=app.clock, settings=settings,
               auth_clock=Clock(datetime.fromisoformat("2026-12-01T08:00:00+00:00")))


def test_sign_in_locks_an_account_out_and_says_when_to_retry(two_depots: App) -> None:
    app = _limited(two_depots, account=3)
    try:
        make_user(app, "dispatcher", ["A"], name="erin")
        c = client(app)
        for _ in range(2):
            r = sign_in(c, "erin", "wrong password!")
            assert r.status_code == 401 and "wrong name or password" in r.text
        r = sign_in(c, "erin", "wrong password!")  # the third failure locks the account
        assert r.status_code == 429 and "try again in 15 minutes (after 08:15 UTC)" in r.text
        r = sign_in(c, "Erin", PASSWORD)  # even the right password, in any case, waits
        assert r.status_code == 429 and int(r.headers["retry-after"]) == 900 and "dd_session" not in c.cookies
        app.auth_clock.fixed += timedelta(minutes=10)
        r = sign_in(c, "erin", PASSWORD)
        assert r.status_code == 429 and "try again in 5 minutes" in r.text
        app.auth_clock.fixed += timedelta(minutes=5, seconds=1)
        r = sign_in(c, "erin", PASSWORD)
        assert r.status_code == 303 and "dd_session" in c.cookies
        # a success forgets the account's failures
        assert sign_in(client(app), "erin", "wrong password!").status_code == 401
        assert sign_in(client(app), "erin", PASSWORD).status_code == 303
    finally:
        app.close()


def test_sign_in_is_limited_per_address_across_accounts(two_depots: App) -> None:
    app = _limited(two_depots, account=50, address=4)
    try:
        make_user(app, "viewer", name="fay")
        c = client(app)
        for name in ("x1", "x2", "x3"):
            assert sign_in(c, name, "guess-guess-guess").status_code == 401
        r = sign_in(c, "x4", "guess-guess-guess")
        assert r.status_code == 429 and "from this address" in r.text
        assert sign_in(c, "fay", PASSWORD).status_code == 429  # the address waits, whoever it is
        app.auth_clock.fixed += timedelta(minutes=16)
        assert sign_in(c, "fay", PASSWORD).status_code == 303
    finally:
        app.close()


def test_a_revoked_token_is_refused_at_once_and_so_is_a_disabled_users(two_depots: App, db_url: str) -> None:
    app = two_depots
    token = token_for(app, "viewer", name="gus", label="wallboard")
    c = client(app, headers={"Authorization": f"Bearer {token}"})
    assert c.get("/api/v1/depots/A/board").status_code == 200
    r = run_cli(db_url, "token", "revoke", "gus", "--json")
    assert r.code == 0 and r.json() == {"revoked": 1}
    r = c.get("/api/v1/depots/A/board")
    assert _is_problem(r, 401) and "revoked" in r.json()["detail"]
    token2 = token_for(app, "viewer", name="hal")
    c2 = client(app, headers={"Authorization": f"Bearer {token2}"})
    assert c2.get("/api/v1/depots/A/board").status_code == 200
    assert run_cli(db_url, "user", "disable", "hal").code == 0
    assert _is_problem(c2.get("/api/v1/depots/A/board"), 401)
    for bad in ("ddt_" + "x" * 43, "not-a-token", "ddt_" + "y" * 500):
        assert _is_problem(client(app, headers={"Authorization": f"Bearer {bad}"}).get("/api/v1/depots/A/board"),
                           401)


def test_password_hashes_are_never_logged_or_returned(two_depots: App, db_url: str,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "a very secret pass phrase"
    outputs = [run_cli(db_url, "user", "add", "ivy", "--role", "admin", "--password-stdin", "--json",
                       stdin=secret + "\n")]
    assert outputs[0].code == 0, outputs[0].stderr
    outputs += [run_cli(db_url, "user", "list", "--json"), run_cli(db_url, "token", "issue", "ivy", "--json")]
    outputs += [run_cli(db_url, "token", "list", "--json"), run_cli(db_url, "user", "add", "ivy", "--role", "admin",
                                                                    "--password-stdin", stdin=secret + "\n")]
    assert outputs[-1].code == 1 and "already exists" in outputs[-1].stderr
    c = client(two_depots)
    responses = [sign_in(c, "ivy", "wrong and wrong"), sign_in(c, "ivy", secret), c.get("/signin")]
    with two_depots.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT password_hash FROM users WHERE name = 'ivy'").scalar_one()
    assert stored.startswith("$argon2id$")
    text = caplog.text + "".join(o.stdout + o.stderr for o in outputs) + "".join(
        r.text + str(r.headers) for r in responses)
    assert secret not in text and stored not in text and "$argon2" not in text
    assert "password" not in outputs[1].json()["users"][0]


def test_docs_openapi_and_headers(two_depots: App) -> None:
    anonymous = client(two_depots)
    for path in ("/api/v1/docs", "/api/v1/openapi.json"):
        assert _is_problem(anonymous.get(path), 401)
    r = anonymous.get("/signin")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "same-origin" and "server" not in r.headers
    docs = api_client(two_depots).get("/api/v1/docs")
    assert docs.status_code == 200 and "<script>" not in docs.text  # no inline script: start.js
    # Swagger UI from our own vendored files: no CDN in the page or its CSP, and the files are served
    assert "http" not in docs.headers["content-security-policy"] and "cdn" not in docs.text
    for asset in ("/static/vendor/swagger-ui-bundle.js", "/static/vendor/swagger-ui.css"):
        assert asset in docs.text and anonymous.get(asset).status_code == 200
    assert "Bearer" in str(api_client(two_depots).get("/api/v1/openapi.json").json()["components"])


def test_cors_is_off_unless_configured_and_hosts_are_checked(two_depots: App) -> None:
    pre = {"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "GET"}
    r = client(two_depots).options("/api/v1/depots/A/board", headers=pre)
    assert "access-control-allow-origin" not in r.headers
    assert client(two_depots).get("/healthz", headers={"Host": "evil.example"}).status_code == 400
    configured = App(database_url=two_depots.database_url, clock=two_depots.clock,
                     settings=Settings(cors_origins=["https://elsewhere.example"]))
    try:
        r = client(configured).options("/api/v1/depots/A/board", headers=pre)
        assert r.headers["access-control-allow-origin"] == "https://elsewhere.example"
    finally:
        configured.close()


def test_web_user_redirects_to_sign_in_and_every_web_form_needs_the_csrf_token(two_depots: App) -> None:
    """What issue-13's pages get: WebUser, and check_csrf on every router in WEB_ROUTERS."""
    page = APIRouter()

    @page.get("/board")
    def board(user: WebUser) -> dict[str, str]:
        return {"user": user.name}

    @page.post("/board/note")
    def note(user: WebUser) -> dict[str, str]:
        return {"noted_by": user.actor}

    @page.get("/depots/{depot}/yard")
    def yard(depot: str, user: WebUser) -> dict[str, str]:
        return {"depot": depot}

    server = create_app(two_depots)
    server.include_router(page, dependencies=[Depends(check_csrf)])
    anonymous = TestClient(server, raise_server_exceptions=False)
    r = anonymous.get("/board?day=2026-11-25", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/signin?next=/board%3Fday%3D2026-11-25"
    r = anonymous.get("/board", headers={"HX-Request": "true"}, follow_redirects=False)
    assert r.status_code == 401 and r.headers["hx-redirect"] == "/signin?next=/board"
    make_user(two_depots, "dispatcher", ["A"], name="olga")
    c = TestClient(server, raise_server_exceptions=False)
    r = sign_in(c, "olga", next_url="/board")
    assert r.status_code == 303 and c.get("/board").json() == {"user": "olga"}
    assert c.post("/board/note").status_code == 403  # no token
    r = c.post("/board/note", data={"csrf_token": "forged"})
    assert r.status_code == 403 and "expired" in r.text
    token = identity.signed_in(two_depots.uow(), identity.unseal(two_depots.secret, c.cookies["dd_session"]) or "",
                               two_depots.auth_clock.now())
    assert token is not None
    assert c.post("/board/note", data={"csrf_token": token.csrf_token}).json() == {"noted_by": "olga"}
    assert c.post("/board/note", headers={"X-CSRF-Token": token.csrf_token}).status_code == 200  # htmx
    assert c.get("/depots/A/yard").status_code == 200 and c.get("/depots/B/yard").status_code == 404
    viewer = TestClient(server, raise_server_exceptions=False)
    make_user(two_depots, "viewer", name="quinn")
    assert sign_in(viewer, "quinn").status_code == 303
    found = identity.signed_in(two_depots.uow(), identity.unseal(two_depots.secret, viewer.cookies["dd_session"])
                               or "", two_depots.auth_clock.now())
    assert found is not None
    assert viewer.post("/board/note", headers={"X-CSRF-Token": found.csrf_token}).status_code == 403


def test_sessions_and_tokens_expire_on_real_time_even_with_a_fixed_clock(two_depots: App) -> None:
    app = App(database_url=two_depots.database_url, clock=two_depots.clock,
              auth_clock=Clock(datetime.fromisoformat("2026-12-01T08:00:00+00:00")))
    try:
        user = make_user(app, "viewer", name="pam")
        token = identity.issue_token(app.uow(), user.name, app.auth_clock.now(),
                                     expires_at=app.auth_clock.now() + timedelta(days=1)).token
        api = client(app, headers={"Authorization": f"Bearer {token}"})
        web = client(app)
        assert sign_in(web, "pam").status_code == 303
        assert api.get("/api/v1/depots/A/board").status_code == 200
        assert web.get("/api/v1/depots/A/board").status_code == 200
        app.auth_clock.fixed += timedelta(hours=12, seconds=1)
        assert _is_problem(web.get("/api/v1/depots/A/board"), 401)  # a session lasts 12 h
        assert api.get("/api/v1/depots/A/board").status_code == 200
        app.auth_clock.fixed += timedelta(hours=12)
        assert _is_problem(api.get("/api/v1/depots/A/board"), 401)  # the token's day is over
    finally:
        app.close()
