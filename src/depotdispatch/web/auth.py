"""Sign-in and sign-out pages, on the pages' layout."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from depotdispatch.domain.identity import SignInRefused
from depotdispatch.services import identity
from depotdispatch.web.deps import (
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    cookie_secure,
    csrf_token,
    get_app,
    safe_next,
    signed_in,
    signin_nonce,
)
from depotdispatch.web.templating import templates  # the pages' layout (issue 13)

router = APIRouter(tags=["web"], include_in_schema=False)


def _page(request: Request, next_url: str, *, error: str | None = None, name: str = "",
          status: int = 200) -> Response:
    response = templates.TemplateResponse(request, "signin.html", {
        "csrf_token": csrf_token(request), "next": safe_next(next_url), "error": error, "name": name,
        "signed_in": signed_in(request)}, status_code=status)
    if signed_in(request) is None:
        response.set_cookie(SIGNIN_COOKIE, signin_nonce(request), max_age=3600, httponly=True, samesite="lax",
                            secure=cookie_secure(request), path="/signin")
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/signin")
def signin_page(request: Request, next: str = "/") -> Response:
    return _page(request, next)


@router.post("/signin")
def signin(request: Request, name: Annotated[str, Form(max_length=200)] = "",
           password: Annotated[str, Form(max_length=2000)] = "", next: Annotated[str, Form()] = "/") -> Response:
    app = get_app(request)
    now = app.auth_clock.now()
    address = request.client.host if request.client else "unknown"
    try:
        session = identity.sign_in(app.uow(), name, password, address, now, limits=app.settings.limits())
    except SignInRefused as exc:
        response = _page(request, next, error=exc.detail, name=name[:64], status=429 if exc.retry_after else 401)
        if exc.retry_after:
            response.headers["Retry-After"] = str(max(1, math.ceil((exc.retry_after - now).total_seconds())))
        return response
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, identity.seal(app.secret, session.session_id),
                        max_age=int((session.expires_at - now).total_seconds()), httponly=True, samesite="lax",
                        secure=cookie_secure(request), path="/")
    response.delete_cookie(SIGNIN_COOKIE, path="/signin")
    return response


@router.post("/signout")
def signout(request: Request) -> Response:
    app = get_app(request)
    session_id = identity.unseal(app.secret, request.cookies.get(SESSION_COOKIE))
    if session_id:
        identity.sign_out(app.uow(), session_id, app.auth_clock.now())
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=cookie_secure(request))
    return response
