"""The hall display's voice, in the browser: the state documents come from the test (routed)
and speechSynthesis is a stub the test drives, with the page's clock under the test's hand.

It holds: nothing from before the page loaded is spoken; a call that appears after a later
one (ids are taken before commit) is still announced; a browser that refuses speech until the
page is touched shows a button and speaks once it is pressed; a line whose end never comes is
dropped by the watchdog, and the next one is spoken."""

import json

import pytest

from e2e.conftest import wait_until
from servicehall.queueing.services import settings_for
from servicehall.testing import Personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SPEECH_STUB = """
window.__utterances = []; window.__cancels = 0;
window.SpeechSynthesisUtterance = function (text) { this.text = text; };
Object.defineProperty(window, "speechSynthesis", {configurable: true, value: {
  speak: function (u) { window.__utterances.push(u); },
  cancel: function () { window.__cancels += 1; }
}});
"""


def call(pk: int, number: str) -> dict:
    text = f"请{number}号到1号窗口办理"
    return {"id": pk, "number": number, "window": 1, "recall": False, "at": "2026-11-27T10:00:00+08:00", "text": text}


def document(version: str, calls: list[dict]) -> dict:
    return {"version": version, "center": {"code": "x", "name": "x"}, "notice": "", "windows": [], "calls": calls,
            "waiting": []}


def test_calls_are_spoken_once_each_in_order_despite_late_ids_refusals_and_lost_ends(live_server, page):
    key = settings_for(Personas.build().center_a).display_key
    served = {"doc": document("v1", [call(5, "A001")])}

    def fulfil(route):
        doc = served["doc"]
        if route.request.headers.get("if-none-match") == f'"{doc["version"]}"':
            route.fulfill(status=304, headers={"ETag": f'"{doc["version"]}"'})
        else:
            route.fulfill(status=200, body=json.dumps(doc, ensure_ascii=False),
                          headers={"ETag": f'"{doc["version"]}"', "Content-Type": "application/json; charset=utf-8"})

    page.add_init_script(SPEECH_STUB)
    page.clock.install()
    page.route("**/state", fulfil)
    page.goto(f"{live_server.url}/queue/display/{key}/")
    wait_until(page, "document.querySelectorAll('#calls tr').length === 1")

    def serve(doc):
        served["doc"] = doc
        page.clock.run_for(1100)  # the next poll

    def spoken():
        return page.evaluate("window.__utterances.map(u => u.text)")

    assert spoken() == []  # what was called before the page loaded is not spoken again

    serve(document("v2", [call(7, "A002"), call(5, "A001")]))
    wait_until(page, "window.__utterances.length === 1")
    page.evaluate("window.__utterances[0].onerror({error: 'not-allowed'})")  # no touch on the page yet
    button = page.get_by_role("button", name="浏览器未允许自动播报，请点击此处开启语音播报")
    button.wait_for(state="visible")
    button.click()
    wait_until(page, "window.__utterances.length === 2")
    assert button.is_hidden()
    page.evaluate("window.__utterances[1].onend()")
    page.clock.run_for(500)
    wait_until(page, "window.__utterances.length === 3")  # each call is spoken twice

    # A003's call committed after A002's although its id is smaller: it is still new.
    serve(document("v3", [call(7, "A002"), call(6, "A003"), call(5, "A001")]))
    wait_until(page, "window.hallAnnouncements.length === 2")
    assert page.evaluate("window.hallAnnouncements") == ["请A002号到1号窗口办理", "请A003号到1号窗口办理"]
    assert len(spoken()) == 3  # nothing is cut off: A003 waits for A002's second reading to end
    page.evaluate("window.__utterances[2].onend()")
    page.clock.run_for(500)
    wait_until(page, "window.__utterances.length === 4")

    # That reading never ends (a browser fault): the watchdog drops it and the queue goes on.
    page.clock.run_for(20000)
    wait_until(page, "window.__utterances.length === 5")
    assert page.evaluate("window.__cancels") == 1
    assert spoken() == ["请A002号到1号窗口办理"] * 3 + ["请A003号到1号窗口办理"] * 2
