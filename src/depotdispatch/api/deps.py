"""Dependencies: the composition root's App, who is asking, what they may do, and the time a request is about.

Authorisation lives here and only here. `authorize` is applied to the whole `/api/v1` router, so a
route added later is closed by default: anonymous callers get 401, a depot the caller may not see
is a 404 (as if it did not exist), and an unsafe method needs at least a dispatcher of that depot.
Routes that need more say so by taking `Admin`; routes that write take `Dispatcher` to get the actor.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from depotdispatch.bootstrap import App
from depotdispatch.domain.errors import NotFound
from depotdispatch.domain.identity import NotAllowed, NotAuthenticated, Principal, Role
from depotdispatch.domain.servicetime import parse_instant
from depotdispatch.services import identity

SESSION_COOKIE = "dd_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_app(request: Request) -> App:
    # A safe request never writes, so on SQLite it must not queue behind (or block) the writers.
    dd: App = request.app.state.dd
    return dd.reading() if request.method in ("GET", "HEAD") else dd


AppDep = Annotated[App, Depends(get_app)]

_bearer = HTTPBearer(auto_error=False, description="An API token: `depotdispatch token issue NAME`.")
_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False,
                       description=f"A signed-in web session; unsafe methods also need the {CSRF_HEADER} header.")


def current_principal(request: Request,
                      bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
                      cookie: Annotated[str | None, Depends(_cookie)]) -> Principal:
    """The caller, from a bearer token or a web session (with its CSRF token on unsafe methods)."""
    dd: App = request.app.state.dd  # looked up by a reader: a GET never takes the write lock
    now = dd.auth_clock.now()
    if bearer is not None:
        writes = request.method not in SAFE_METHODS
        principal = identity.principal_for_token(dd.reader(), bearer.credentials, now,
                                                 writer=dd.uow if writes else None)
        if principal is None:
            raise NotAuthenticated("the token is unknown, revoked or expired; ask an admin for a new one")
        return principal
    session_id = identity.unseal(dd.secret, cookie)
    found = identity.signed_in(dd.reader(), session_id, now) if session_id else None
    if found is None:
        raise NotAuthenticated("sign in at /signin, or send an API token as `Authorization: Bearer <token>`")
    if request.method not in SAFE_METHODS and not hmac.compare_digest(
            request.headers.get(CSRF_HEADER, ""), found.csrf_token):
        raise NotAllowed(f"a change made with a web session needs the session's {CSRF_HEADER} header")
    return found.principal


def _no_depot(depot_id: str) -> NotFound:
    # the same words as for a depot that does not exist: a caller learns nothing about other depots
    return NotFound(f"no depot {depot_id!r}; add it first with `depotdispatch depot add`")


def _require(request: Request, principal: Principal, role: Role) -> Principal:
    depot = request.path_params.get("depot")
    if depot is not None and not principal.can_see(depot):
        raise _no_depot(depot)
    if not principal.has_role(role):
        raise NotAllowed(f"this needs the {role} role; {principal.name} is a {principal.role}")
    return principal


def authorize(request: Request, principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    """The default for every API route: reads need a viewer, anything else a dispatcher."""
    return _require(request, principal, "viewer" if request.method in SAFE_METHODS else "dispatcher")


def require_viewer(request: Request, principal: Annotated[Principal, Depends(authorize)]) -> Principal:
    return _require(request, principal, "viewer")


def require_dispatcher(request: Request, principal: Annotated[Principal, Depends(authorize)]) -> Principal:
    return _require(request, principal, "dispatcher")


def require_admin(request: Request, principal: Annotated[Principal, Depends(authorize)]) -> Principal:
    return _require(request, principal, "admin")


Viewer = Annotated[Principal, Depends(require_viewer)]
Dispatcher = Annotated[Principal, Depends(require_dispatcher)]
Admin = Annotated[Principal, Depends(require_admin)]


def request_now(app: AppDep, now: Annotated[str | None, Query(
        description="The time the answer is about, ISO 8601 with offset; default: the server's clock.")] = None
                ) -> datetime:
    return parse_instant(now) if now else app.clock.now()


NowDep = Annotated[datetime, Depends(request_now)]
