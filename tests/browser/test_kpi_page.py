"""The KPI page in a real browser, on the demo depot: four plots drawn, and a number opens the blocks
behind it."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from datetime import datetime
from importlib import resources

import pytest
from playwright.sync_api import Page, expect

from depotdispatch.adapters.clock import Clock
from depotdispatch.adapters.gtfs import read_gtfs
from depotdispatch.bootstrap import App
from depotdispatch.domain.servicetime import to_local, zone
from depotdispatch.services import demo
from tests.auth_helpers import make_user
from tests.browser.helpers import PASSWORD, USER, Server, axe_serious, shot, sign_in, start_server

NOW = datetime.fromisoformat("2026-11-25T10:00:00-08:00")


@pytest.fixture
def demo_server(db_url: str, backend: str) -> Iterator[Server]:
    app = App(database_url=db_url, clock=Clock(NOW))
    with resources.as_file(resources.files("depotdispatch") / "demo_data" / "kcm_subset_2016.zip") as path:
        feed = read_gtfs(path)
    demo.seed(app.uow, feed, NOW, to_local(NOW, zone(demo.DEMO_DEPOT.timezone)).date())
    make_user(app, "viewer", [demo.DEMO_DEPOT.depot_id], name=USER, password=PASSWORD)
    url, proc = start_server(db_url, NOW.isoformat())
    try:
        yield Server(url, app, backend, proc, "", "")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        app.close()


def test_kpi_page_draws_four_plots_and_drills_down(page: Page, demo_server: Server) -> None:
    sign_in(page, demo_server, path="/depots/KCM/kpis")
    expect(page).to_have_url(re.compile(r"/depots/KCM/kpis"))
    expect(page.locator("body")).to_have_attribute("data-kpi-plots", "4")
    for plot in ("plot-ev-share", "plot-substitutions", "plot-overrides", "plot-accuracy"):
        expect(page.locator(f"#{plot} canvas")).to_have_count(1)
        painted = page.locator(f"#{plot} canvas").evaluate(
            "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;"
            " for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) n++; } return n; }")
        series = page.evaluate(f"echarts.getInstanceByDom(document.getElementById('{plot}')).getOption()"
                               ".series.reduce((n, s) => n + s.data.filter(x => x && x.value).length, 0)")
        assert painted > 2000 and series > 0, (plot, painted, series)  # data drawn, not an empty frame
    # every legend entry is shown (no scrolling legend with a pager hiding "ok that held"), and the plot
    # starts below the lines the wrapped legend needs: four entries do not fit one line of a third of 1440 px
    for plot in ("plot-ev-share", "plot-overrides", "plot-accuracy"):
        legend, top = page.evaluate(f"(() => {{ const o = echarts.getInstanceByDom(document.getElementById('{plot}'))"
                                    ".getOption(); return [o.legend[0].type, o.grid[0].top]; })()")
        assert legend == "plain" and top >= 36, (plot, legend, top)
    assert page.evaluate("echarts.getInstanceByDom(document.getElementById('plot-accuracy')).getOption()"
                         ".grid[0].top") >= 60
    shot(page, demo_server, "kpis")
    assert axe_serious(page) == []
    link = page.locator('a[data-kpi="substitutions"]')
    count = int(link.inner_text())
    assert count >= 1
    link.click()
    expect(page).to_have_url(re.compile(r"/depots/KCM/kpis/blocks\?.*measure=substitutions"))
    expect(page.locator(".kpi-blocks tbody tr")).to_have_count(count)
    first = page.locator(".kpi-blocks tbody tr").first
    expect(first.locator(".block-id")).not_to_be_empty()
    # the blocks behind the number are the API's
    api = demo_server.app  # same database
    from depotdispatch.services import kpi

    doc = kpi.report_doc(kpi.report(api.uow(), "KCM", *_range(page), NOW), "KCM")
    shown = page.locator(".kpi-blocks tbody tr .block-id").all_inner_texts()
    assert shown == [s["block_id"] for s in doc["diesel_substitutions"]]


def _range(page: Page):  # type: ignore[no-untyped-def]
    from datetime import date
    from urllib.parse import parse_qs, urlparse

    q = parse_qs(urlparse(page.url).query)
    return date.fromisoformat(q["from"][0]), date.fromisoformat(q["to"][0])
