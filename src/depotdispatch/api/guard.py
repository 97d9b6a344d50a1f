"""The API's outer guard (pure ASGI): bodies capped before they are read (413), control characters
refused in paths and queries, and an unexpected error answered with a 500 problem without dropping
the keep-alive connection (Starlette's ServerErrorMiddleware re-raises, and uvicorn then closes it)."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, unquote

from depotdispatch.domain.limits import control_character

MAX_JSON_BYTES = 4 * 1024 * 1024  # a 10,000-reading batch is ~1.5 MB
MAX_UPLOAD_BYTES = 20 * 1024 * 1024 + 64 * 1024  # a 20 MiB sheet and its multipart framing
log = logging.getLogger("depotdispatch.api")


class _TooLarge(Exception):
    pass


def error_reference(scope: MutableMapping[str, Any], exc: BaseException) -> str:
    """Log an unexpected error once per request (the 500 page or problem, then this guard, may both see
    it) and give the reference of that one log entry."""
    ref = scope.get("depotdispatch.error_ref")
    if ref is None:
        ref = scope["depotdispatch.error_ref"] = uuid.uuid4().hex[:12]
        log.error("unexpected error %s on %s %s", ref, scope.get("method"), scope.get("path"), exc_info=exc)
    return str(ref)


def internal_error(scope: MutableMapping[str, Any], exc: BaseException) -> str:
    """What a caller of a failed request can rely on, with the log reference. Not "nothing was changed":
    a request may have committed one change before the failure; what it had not committed was rolled
    back (the unit of work keeps nothing uncommitted)."""
    ref = error_reference(scope, exc)
    return (f"something went wrong on our side (reference {ref}, in the server log); whatever this request "
            "had not yet saved was rolled back, so reload to see what is stored before trying again")


def _problem(status: int, slug: str, title: str, detail: str, path: str) -> tuple[dict[str, Any], bytes]:
    body = json.dumps({"type": f"https://depotdispatch.org/problems/{slug}", "title": title, "status": status,
                       "detail": detail, "instance": path[:200]}).encode()
    start = {"type": "http.response.start", "status": status,
             "headers": [(b"content-type", b"application/problem+json"),
                         (b"content-length", str(len(body)).encode())]}
    return start, body


def _repeated_parameter(path: str, query: bytes) -> str | None:
    if not path.startswith("/api/") or not query:
        return None
    seen: set[str] = set()
    for name, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if name in seen:
            return name[:64]
        seen.add(name)
    return None


# renders the 500 page of a page (not /api/) request: (scope, receive, send, reference); the server that
# serves pages too gives one (the API does not know the pages)
PageError = Callable[[dict[str, Any], Any, Any, str], Awaitable[None]]


class Guard:
    def __init__(self, app: Any, page_error: PageError | None = None) -> None:
        self.app = app
        self.page_error = page_error

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        query = unquote(scope.get("query_string", b"").decode("latin-1"))
        bad = control_character(path, identifier=True) or control_character(query, identifier=True)
        if bad:
            await self._answer(send, 422, "invalid-request", "Invalid request",
                               f"the address contains the control character {bad}", path)
            return
        twice = _repeated_parameter(path, scope.get("query_string", b""))
        if twice:  # FastAPI would keep the last value of a scalar silently; no API parameter is a list
            await self._answer(send, 422, "invalid-request", "Invalid request",
                               f"the query gives {twice!r} more than once; give each parameter once", path)
            return
        headers = dict(scope.get("headers") or [])
        kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        limit = MAX_UPLOAD_BYTES if kind == b"multipart/form-data" else MAX_JSON_BYTES
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            await self._answer(send, 413, "too-large", "Request body too large",
                               f"the body is {int(length):,} bytes; the limit is {limit:,}", path)
            return
        seen = 0

        async def counted() -> dict[str, Any]:
            nonlocal seen
            message: dict[str, Any] = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:  # a chunked body without (or lying about) its length
                raise _TooLarge
            return message

        started = False

        async def tracked(message: dict[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except _TooLarge:
            if not started:
                await self._answer(send, 413, "too-large", "Request body too large",
                                   f"the body is larger than {limit:,} bytes", path)
        except Exception as exc:
            detail = internal_error(scope, exc)
            if started:
                return
            if self.page_error is not None and not path.startswith("/api/"):
                try:
                    await self.page_error(scope, receive, tracked, error_reference(scope, exc))
                    return
                except Exception:  # noqa: BLE001 - the page could not be drawn: the problem still answers
                    log.exception("the 500 page of %s failed", error_reference(scope, exc))
                    if started:
                        return
            await self._answer(send, 500, "internal-error", "Internal error", detail, path)

    @staticmethod
    async def _answer(send: Any, status: int, slug: str, title: str, detail: str, path: str) -> None:
        start, body = _problem(status, slug, title, detail, path)
        await send(start)
        await send({"type": "http.response.body", "body": body})
