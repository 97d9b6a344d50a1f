"""Web dependencies: the signed-in user, and the CSRF check every unsafe web request passes.

`check_csrf` is applied to every web router by the composition root (`depotdispatch.asgi`), so a
form added later is protected by default. The token travels as the form field `csrf_token` or the
header `X-CSRF-Token` (htmx: `hx-headers`). Before sign-in, the sign-in form's token is an HMAC of a
random nonce cookie, so a sign-in cannot be forged from another site either.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from depotdispatch.bootstrap import App
from depotdispatch.domain.errors import InvalidInput
from depotdispatch.domain.identity import Principal
from depotdispatch.domain.servicetime import check_date, parse_date
from depotdispatch.services import identity

SESSION_COOKIE = "dd_session"  # the API reads the same cookie (api/deps.py)
SIGNIN_COOKIE = "dd_signin"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _service_date(value: object) -> date:
    """A date in a page's address or query, by the domain's rule and in its words (the error page says them)."""
    try:
        return check_date(value) if isinstance(value, date) else parse_date(str(value))
    except InvalidInput as exc:
        raise PydanticCustomError("service_date", exc.detail) from None


def _optional_date(value: object) -> date | None:
    return None if value is None or value == "" else _service_date(value)  # an empty picker means "today"


ServiceDate = Annotated[date, BeforeValidator(_service_date)]
OptionalDate = Annotated[date | None, BeforeValidator(_optional_date)]


class SignInRequired(Exception):
    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class CsrfRefused(Exception):
    pass


def get_app(request: Request) -> App:
    dd: App = request.app.state.dd
    return dd


def signed_in(request: Request) -> identity.SignedIn | None:
    """The request's session, looked up once per request."""
    if not hasattr(request.state, "signed_in"):
        app = get_app(request)
        session_id = identity.unseal(app.secret, request.cookies.get(SESSION_COOKIE))
        request.state.signed_in = (identity.signed_in(app.reader(), session_id, app.auth_clock.now())
                                   if session_id else None)
    found: identity.SignedIn | None = request.state.signed_in
    return found


def web_user(request: Request) -> Principal:
    """The signed-in user. As on the API, a `{depot}` in the path they may not see is a 404, and an
    unsafe method needs at least a dispatcher (403); pages that need an admin check `is_admin`."""
    found = signed_in(request)
    if found is None:
        raise SignInRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    principal = found.principal
    depot = request.path_params.get("depot")
    if depot is not None and not principal.can_see(depot):
        raise HTTPException(404, f"no depot {depot!r}")
    if request.method not in SAFE_METHODS and not principal.has_role("dispatcher"):
        raise HTTPException(403, f"this needs the dispatcher role; {principal.name} is a {principal.role}")
    return principal


WebUser = Annotated[Principal, Depends(web_user)]


def signin_nonce(request: Request) -> str:
    """The sign-in form's nonce: the browser's cookie, or a new one (the page sets the cookie)."""
    if not hasattr(request.state, "signin_nonce"):
        request.state.signin_nonce = request.cookies.get(SIGNIN_COOKIE) or secrets.token_urlsafe(24)
    nonce: str = request.state.signin_nonce
    return nonce


def csrf_token(request: Request) -> str:
    """The token a page puts in its forms (field `csrf_token`) and htmx in `X-CSRF-Token`."""
    found = signed_in(request)
    if found is not None:
        return found.csrf_token
    nonce = signin_nonce(request)
    return hmac.new(get_app(request).secret, f"signin:{nonce}".encode(), "sha256").hexdigest()


async def check_csrf(request: Request) -> None:
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, csrf_token(request)):
        raise CsrfRefused()


def cookie_secure(request: Request) -> bool:
    forced = get_app(request).settings.cookie_secure
    return forced if forced is not None else request.url.scheme == "https"


def safe_next(next_url: str | None) -> str:
    """Only a path on this site: never `//evil.example` or `https://...` (no open redirect)."""
    if not next_url or not next_url.startswith("/") or next_url.startswith("//") or "\\" in next_url:
        return "/"
    return next_url


def install(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        target = "/signin?next=" + quote(safe_next(exc.next_url), safe="/")
        if request.headers.get("HX-Request"):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, exc: CsrfRefused) -> Response:
        return HTMLResponse("<!doctype html><title>Form expired</title><h1>This form has expired</h1>"
                            "<p>Go back, reload the page and try again.</p>", status_code=403)
