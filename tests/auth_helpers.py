"""Authenticated clients for tests of every stream: an API client with a bearer token, and a browser-like
client signed in through the real /signin form (its CSRF token sent as X-CSRF-Token by default).

    from tests.auth_helpers import api_client, web_client
    c = api_client(app)                                  # an admin's token
    c = api_client(app, role="dispatcher", depots=["B"])  # a dispatcher of depot B
    w = web_client(app, role="viewer")                   # signed in; w.csrf_token for forms
"""

from __future__ import annotations

import itertools

from fastapi.testclient import TestClient

from depotdispatch.asgi import create_app
from depotdispatch.bootstrap import App
from depotdispatch.domain.identity import User
from depotdispatch.services import identity

PASSWORD = "correct horse battery staple"
_names = itertools.count(1)


def make_user(app: App, role: str = "admin", depots: list[str] | None = None, name: str | None = None,
              password: str = PASSWORD) -> User:
    """A user of `role` (the depots must exist; dispatchers need at least one)."""
    return identity.add_user(app.uow(), name or f"{role}{next(_names)}", role, depots, password,
                             app.auth_clock.now())


def token_for(app: App, role: str = "admin", depots: list[str] | None = None, name: str | None = None,
              label: str | None = None) -> str:
    user = make_user(app, role, depots, name)
    return identity.issue_token(app.uow(), user.name, app.auth_clock.now(), label=label).token


def client(app: App, **kwargs: object) -> TestClient:
    """An anonymous client of the whole server (API and web)."""
    return TestClient(create_app(app), raise_server_exceptions=False, **kwargs)  # type: ignore[arg-type]


def api_client(app: App, role: str = "admin", depots: list[str] | None = None, name: str | None = None,
               label: str | None = None) -> TestClient:
    """A client whose every request carries a new user's bearer token."""
    c = client(app)
    c.headers["Authorization"] = f"Bearer {token_for(app, role, depots, name, label)}"
    return c


def sign_in(c: TestClient, name: str, password: str = PASSWORD, next_url: str = "/") -> object:
    """Fill in and send the sign-in form, as a browser would."""
    page = c.get("/signin")
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    return c.post("/signin", data={"name": name, "password": password, "next": next_url, "csrf_token": csrf},
                  follow_redirects=False)


def web_client(app: App, role: str = "admin", depots: list[str] | None = None,
               name: str | None = None) -> TestClient:
    """A client signed in through /signin; `csrf_token` is the session's, also sent as X-CSRF-Token."""
    user = make_user(app, role, depots, name)
    c = client(app)
    r = sign_in(c, user.name)
    assert r.status_code == 303, r.text  # type: ignore[attr-defined]
    session_id = identity.unseal(app.secret, c.cookies.get("dd_session"))
    found = identity.signed_in(app.uow(), session_id or "", app.auth_clock.now())
    assert found is not None
    c.csrf_token = found.csrf_token  # type: ignore[attr-defined]
    c.headers["X-CSRF-Token"] = found.csrf_token
    return c
