"""Web routes take their dates typed (FastAPI `date` with the domain's rule, web/deps.py), not parsed by
hand in each route: a wrong date is the readable error page, in the domain's words, on every route that
has a date in its address or query."""

from __future__ import annotations

import re
import typing
from datetime import date

from fastapi.routing import APIRoute

from depotdispatch.asgi import WEB_ROUTERS
from depotdispatch.bootstrap import App
from depotdispatch.domain.depots import Depot
from depotdispatch.services import depots
from tests.auth_helpers import web_client
from tests.helpers import NOW

WRONG = "2026-13-01"
SAID = "is not a date of the form YYYY-MM-DD"
# the pages whose day (or range) is a query parameter
QUERY_DATES = [("/depots/V/late", "date"), ("/depots/V/recommendation", "date"), ("/depots/V/sheet", "date"),
               ("/depots/V/timeline", "date"), ("/depots/V/pullout", "date"), ("/depots/V/audit", "date"),
               ("/depots/V/kpis", "from"), ("/depots/V/kpis", "to"), ("/depots/V/kpis/blocks?measure=blocks", "from")]


def _dated_routes() -> list[APIRoute]:
    return [r for router in WEB_ROUTERS for r in router.routes
            if isinstance(r, APIRoute) and "{service_date}" in r.path]


def test_each_web_route_with_a_date_in_its_address_takes_it_typed() -> None:
    routes = _dated_routes()
    assert len(routes) >= 15  # the walk below has something to walk
    for route in routes:
        hints = typing.get_type_hints(route.endpoint)
        assert hints["service_date"] is date, f"{route.path}: service_date is {hints['service_date']}"


def test_a_wrong_date_is_the_readable_error_page_on_every_route(app: App) -> None:
    depots.add_depot(app.uow(), Depot("V", "Test depot", "UTC"), NOW)
    w = web_client(app)
    for route in _dated_routes():
        url = re.sub(r"\{(\w+)\}", lambda m: {"depot": "V", "service_date": WRONG}.get(m.group(1), "1"), route.path)
        for method in route.methods:
            r = w.request(method, url)
            assert r.status_code == 422, (method, url, r.status_code, r.text[:300])
            assert "text/html" in r.headers["content-type"] and WRONG in r.text and SAID in r.text, (method, url)
    for path, name in QUERY_DATES:
        r = w.get(path + ("&" if "?" in path else "?") + f"{name}={WRONG}")
        assert r.status_code == 422 and WRONG in r.text and SAID in r.text, (path, name, r.status_code)
        assert w.get(path + ("&" if "?" in path else "?") + f"{name}=").status_code == 200, (path, name)  # today
