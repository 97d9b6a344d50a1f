"""Errors on pages: readable partials (htmx swaps them in place), never a raw problem document."""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from depotdispatch.domain.errors import Conflict, DomainError, NotFound
from depotdispatch.domain.identity import NotAllowed
from depotdispatch.services import depots
from depotdispatch.web.deps import csrf_token, signed_in
from depotdispatch.web.templating import templates


def _status(exc: DomainError) -> int:
    if isinstance(exc, NotAllowed):
        return 403
    return 404 if isinstance(exc, NotFound) else 409 if isinstance(exc, Conflict) else 422


_DEPOT_PATH = re.compile(r"^/depots/([^/]+)/")


def _signed_in_depot(request: Request) -> tuple[Any, Any]:
    """The signed-in user and the depot of the path they may see, so an error page keeps the navigation
    (None, None when unknown: an error must render even when the session or the database is the problem)."""
    try:
        found = signed_in(request)
        if found is None:
            return None, None
        user = found.principal
        # an unknown page matched no route, so the depot is read from the path itself
        depot_id = request.path_params.get("depot") or next(iter(_DEPOT_PATH.findall(request.url.path)), None)
        if depot_id is None or not user.can_see(depot_id):
            return user, None
        return user, depots.get_depot(request.app.state.dd.uow(), depot_id)
    except Exception:  # noqa: BLE001 - the error page itself must not fail
        return None, None


def error_page(request: Request, status: int, title: str, detail: str, where: str = "") -> Response:
    partial = bool(request.headers.get("hx-request"))
    user, depot = (None, None) if partial else _signed_in_depot(request)
    return templates.TemplateResponse(request, "_error.html" if partial else "error.html", {
        "title": title, "detail": detail, "where": where, "partial": partial, "user": user, "depot": depot,
        "csrf": csrf_token(request)}, status_code=status)


async def domain_error(request: Request, exc: DomainError) -> Response:
    # where in a file helps (row, column of the upload); a form's field name is ours, not the dispatcher's
    where = exc.where() if exc.file or exc.row is not None else ""
    return error_page(request, _status(exc), exc.title, exc.detail, where)


async def http_error(request: Request, status: int, detail: str) -> Response:
    titles = {404: "Not found", 405: "Not allowed", 413: "Too large"}
    if status == 404 and detail == "Not Found":  # no such page (the router's own words say nothing more)
        detail = f"There is no page at {request.url.path}. Use the pages above, or go back to the board."
    return error_page(request, status, titles.get(status, "Something went wrong"), detail)


async def unexpected(request: Request, reference: str) -> Response:
    # not "nothing was changed": the request may have saved a change before it failed (as the API says)
    return error_page(request, 500, "Something went wrong on our side",
                      f"The server could not finish this request (reference {reference}, in the server log). "
                      "Whatever it had not yet saved was rolled back: reload the page to see what is stored "
                      "before trying again. If it happens again, tell your administrator the reference.")


async def invalid_form(request: Request, exc: Exception) -> Response:
    errors: list[dict[str, Any]] = getattr(exc, "errors", lambda: [])()
    first = errors[0] if errors else {}
    field = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
    return error_page(request, 422, "Some of what was sent is not right",
                      f"{field}: {first.get('msg', 'invalid')}" if field else "The form was not complete.")
