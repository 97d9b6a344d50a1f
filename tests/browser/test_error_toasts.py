"""What a failed htmx request tells the dispatcher (issue 11 item 10): only what the page can know.
A refusal (4xx) changed nothing; a server failure (5xx) or a request without an answer may have taken
effect, so the toast says to reload and look instead of "nothing was changed"."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.helpers import Server, sign_in

FAILED_PAGE = ("<div class='error-box' role='alert'><h2>Something went wrong on our side</h2><p>The server could "
               "not finish this request (reference 0123456789ab, in the server log).</p></div>")


def _send(page: Page, verb: str, path: str) -> None:
    # the promise is not returned: a failed request is the point, not an error of the test
    page.evaluate("([verb, path]) => { htmx.ajax(verb, path, {target: '#toast', swap: 'none'}); }", [verb, path])


def test_a_failed_request_says_what_is_true_not_that_nothing_was_changed(page: Page, server: Server) -> None:
    sign_in(page, server)
    toast = page.locator("#toast")
    # a real refusal of the live server (a page that takes no POST: 405, not one htmx swaps in place)
    _send(page, "POST", page.url)
    expect(toast).to_have_text("The server refused this (405): nothing was changed. Reload the page and try again.")
    # a server failure: the live server has no bug to provoke, so this answer stands in for its 500 page
    page.route("**/fails-on-the-server", lambda route: route.fulfill(status=500, content_type="text/html",
                                                                      body=FAILED_PAGE))
    _send(page, "POST", "/fails-on-the-server")
    expect(toast).to_have_text("The server could not finish this (500, reference 0123456789ab): reload the page "
                               "to see whether it took effect before trying again.")
    _send(page, "GET", "/fails-on-the-server")
    expect(toast).to_have_text("The server could not load this part of the page (500, reference 0123456789ab); "
                               "reload the page.")
    # no answer at all: the live server is stopped, the change may or may not have arrived
    server.process.terminate()
    server.process.wait(10)
    _send(page, "POST", page.url)
    expect(toast).to_contain_text("No answer from the server: the change may or may not have arrived. Reload the "
                                  "page to see whether it took effect")
    expect(toast).not_to_contain_text("Nothing was changed")
