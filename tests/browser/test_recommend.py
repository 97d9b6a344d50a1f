"""The recommendation panel: run, read the explanations, accept only the ticked proposals."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from depotdispatch.services import audit
from tests.browser import world
from tests.browser.conftest import Server, axe_serious, shot, sign_in


def test_run_and_accept_some_proposals(page: Page, server: Server) -> None:
    sign_in(page, server, path=f"/depots/{world.DEPOT}/recommendation")
    expect(page.get_by_role("heading", level=1)).to_have_text("Recommendation for 2026-11-25")
    page.get_by_role("button", name="Run the recommendation").click()
    table = page.locator("table.proposals")
    expect(table).to_be_visible()
    proposed = table.locator("tbody tr").evaluate_all("rs => rs.map(r => r.dataset.block)")
    assert set(proposed) <= {"B1", "B2", "B3", "B4"} and len(proposed) >= 2
    expect(table.locator("tbody tr").first.locator("td").last).not_to_be_empty()  # an explanation
    shot(page, server, "recommendation")
    assert axe_serious(page) == []
    dropped = proposed[-1]
    page.get_by_label("Accept", exact=False).last.uncheck()
    page.get_by_role("button", name="Accept the ticked proposals").click()
    result = page.locator("#accept-result")
    expect(result).to_contain_text(f"{len(proposed) - 1} proposals accepted" if len(proposed) > 2
                                   else "1 proposal accepted")
    events = audit.events(server.app.uow(), world.DEPOT, kind="recommendation_accepted")
    assert sorted(e.block_id for e in events) == sorted(proposed[:-1])
    assert dropped not in {e.block_id for e in events}
    assert {e.actor for e in events} == {"dana"}
