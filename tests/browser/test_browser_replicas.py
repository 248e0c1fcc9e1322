"""Two replicas of the app behind HAProxy with deploy/haproxy.cfg (what compose.yaml runs), six
browser visitors through the proxy, then one replica stopped.

The replicas and the proxy come from deploy/replicas.py: two ``streamlit run app.py`` on free
ports of 127.0.0.1 and Debian's haproxy in front of them with the repository's configuration (only
its port and its list of replicas swapped), all stopped whatever happens. Each visitor is a browser
context of its own whose User-Agent ends in "visitor-N", so the proxy's log says which replica
served each of its requests, the WebSocket (/_stcore/stream) included.

    v1, v2: train at the same time (784-32-10 seed 1, 784-64-10 seed 2), each gets its own run
    v3, v4: Dataset by a link, then Draw
    v5, v6: every page from the sidebar
    then the replica serving v1 is stopped: its visitors see Streamlit's "Connecting" and are
    served by the other replica, where the link brings their settings back (v1's run, trained
    again there, is the same to the digit) and only the trained model and runs are gone; the
    other replica's visitors notice nothing.
"""
from __future__ import annotations

import os
import re
import shutil
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from appserver import routed_pages
from streamlit_page import RUN_TIMEOUT_MS, assert_no_exception, wait_for_app
from visitors import (VIEWPORT, browse, chart_traces, check_dataset, go_to, press_train, runs_in_overlay, train,
                      wait_for_run)

from ui import lost_work
from deploy.replicas import HAPROXY, Proxy, Replica, running_proxy, running_replicas

SMALL = "preset=seed&train_size=0&epochs=3"   # seconds of training: v1 and v2 overlap
V1_RUN, V2_RUN = f"{SMALL}&hidden=32&seed=1", f"{SMALL}&hidden=64&seed=2"
TITLES = [title for _, title in routed_pages()]
RECONNECT_TIMEOUT_MS = 60_000   # the proxy's health checks notice a stopped replica within ~4 s
STATUS = '[data-testid="stStatusWidget"]'
# Counts, from now on, the moments Streamlit's status widget says "Connecting" (its WebSocket is
# gone and it is trying again): a MutationObserver sees it however short it is.
WATCH_CONNECTING = """() => {
    window.__connecting = 0;
    const look = () => {
        const widget = document.querySelector('%s');
        if (widget && /connecting/i.test(widget.textContent)) window.__connecting += 1;
    };
    new MutationObserver(look).observe(document.body, {subtree: true, childList: true, characterData: true});
}""" % STATUS


@pytest.fixture(scope="module")
def haproxy() -> str:
    path = shutil.which(HAPROXY) or shutil.which(HAPROXY, path="/usr/sbin:/sbin")
    if path is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("haproxy is missing on CI (.ci/run installs it)", pytrace=False)
        pytest.skip("haproxy is missing (apt-get install haproxy)")
    return path


def link(page: Page) -> dict[str, str]:
    """The page's settings in its link (without `held`, which says whether the session holds models)."""
    return {k: v for k, v in parse_qsl(urlsplit(page.url).query) if k != lost_work.HELD}


class Visitor:
    """A browser context of its own (one Streamlit session), tagged in its User-Agent."""

    def __init__(self, browser: Browser, n: int, agent: str):
        self.tag = f"visitor-{n}"
        self.page = browser.new_context(viewport=VIEWPORT, user_agent=f"{agent} {self.tag}").new_page()
        self.page.set_default_timeout(RUN_TIMEOUT_MS)
        self.replica_header = None   # X-Replica of the first page load

    def open(self, url: str, path: str) -> None:
        """First visit: record the replica the proxy names in X-Replica."""
        response = self.page.goto(f"{url}/{path}")
        self.replica_header = response.headers.get("x-replica")
        wait_for_app(self.page)
        assert_no_exception(self.page)

    def servers(self, proxy: Proxy, since: int = 0) -> set[str]:
        """Replicas that served this visitor's requests (from the `since`-th logged request on)."""
        return {r.server for r in proxy.requests()[since:] if r.agent.endswith(" " + self.tag)}

    def streams(self, proxy: Proxy, since: int = 0) -> list[str]:
        """Replicas of this visitor's WebSocket upgrades (answered 101) from the `since`-th request on."""
        return [r.server for r in proxy.requests()[since:]
                if r.agent.endswith(" " + self.tag) and r.path.startswith("/_stcore/stream") and r.status == 101]


def every_page(page: Page) -> None:
    """Follow the sidebar to every page; each must run without an exception."""
    for title in [*TITLES[1:], TITLES[0]]:
        go_to(page, title)
        expect(page.locator('[data-testid="stHeading"] h1').first).to_be_visible()


def warm_up(browser: Browser, replicas: list[Replica]) -> None:
    """One direct visit to each replica's "/" (not through the proxy, so not in its log): the
    first session of a server loads the data set and leaves Streamlit's legacy pages mode."""
    for replica in replicas:
        context = browser.new_context()
        try:
            page = context.new_page()
            page.goto(replica.url)
            expect(page.locator('[data-testid="stApp"]')).to_have_attribute(
                "data-test-script-state", "notRunning", timeout=RUN_TIMEOUT_MS)
        finally:
            context.close()


@pytest.mark.timeout(1200)   # bounded waits throughout; slow on a loaded 2-core machine
def test_six_visitors_on_two_replicas_stay_put_and_survive_one_going_away(browser, haproxy):
    with running_replicas(2) as replicas, running_proxy([r.url for r in replicas]) as proxy:
        warm_up(browser, replicas)
        agent = browser.new_context().new_page()
        default_agent = agent.evaluate("navigator.userAgent")
        agent.context.close()
        visitors = [Visitor(browser, n, default_agent) for n in range(1, 7)]
        v1, v2, v3, v4, v5, v6 = visitors
        try:
            # --- six visitors through the proxy ---------------------------------------------
            v1.open(proxy.url, f"train?{V1_RUN}")
            v2.open(proxy.url, f"train?{V2_RUN}")
            v3.open(proxy.url, "dataset?split=test&class=3&seed=5&index=0")
            v4.open(proxy.url, "dataset?seed=9")
            v5.open(proxy.url, "")
            v6.open(proxy.url, "")
            press_train(v1.page, 1)                    # v1 and v2 train at the same time ...
            press_train(v2.page, 1)
            browse(v3.page, proxy.url, "split=test&class=3&seed=5")   # ... while the others browse
            browse(v4.page, proxy.url, "seed=9")
            every_page(v5.page)
            every_page(v6.page)
            first = wait_for_run(v1.page, 1)
            other = wait_for_run(v2.page, 1)

            # Each trainer got its own run: its own network in its runs, its own curve.
            assert re.match(r"^\d+\.\d\d%$", first) and re.match(r"^\d+\.\d\d%$", other)
            assert chart_traces(v1.page, 0) != chart_traces(v2.page, 0)
            v1_runs, v2_runs = runs_in_overlay(v1.page), runs_in_overlay(v2.page)
            assert len(v1_runs) == 1 and "784-32-10" in v1_runs[0], v1_runs
            assert len(v2_runs) == 1 and "784-64-10" in v2_runs[0], v2_runs

            # Each visitor stayed on one replica for every request of the visit, its WebSocket
            # included, and it is the one the proxy named on the first page load; both replicas
            # got visitors.
            home = {}
            for v in visitors:
                served = v.servers(proxy)
                assert len(served) == 1, (v.tag, served)
                [home[v.tag]] = served
                assert v.streams(proxy) and set(v.streams(proxy)) == served, (v.tag, v.streams(proxy))
                assert v.replica_header == home[v.tag], (v.tag, v.replica_header, home[v.tag])
            load = {server: sorted(t for t, s in home.items() if s == server) for server in set(home.values())}
            print(f"\nvisitors per replica: {load}")
            assert len(load) == 2 and all(len(tags) >= 2 for tags in load.values()), load

            # --- the replica serving v1 goes away ------------------------------------------
            gone = home[v1.tag]
            stay = next(s for s in load if s != gone)
            hit = [v for v in visitors if home[v.tag] == gone]
            spared = [v for v in visitors if home[v.tag] == stay]
            before = {v.tag: link(v.page) for v in hit}
            for v in visitors:
                v.page.evaluate(WATCH_CONNECTING)
            since = len(proxy.requests())
            replicas[int(gone.removeprefix("app")) - 1].stop()

            for v in hit:
                # Streamlit says it is connecting again, and reconnects through the proxy, which
                # sends it to the other replica: a new session there, run from the page's link.
                v.page.wait_for_function("() => window.__connecting > 0", timeout=RECONNECT_TIMEOUT_MS)
                expect(v.page.locator(STATUS)).to_have_count(0, timeout=RECONNECT_TIMEOUT_MS)
                wait_for_app(v.page)
                assert_no_exception(v.page)
                assert v.streams(proxy, since) == [stay], (v.tag, v.streams(proxy, since))
                if v is v1:   # it had trained: the new session says that its models are gone
                    expect(v.page.get_by_text(lost_work.LOST_NOTE[:60])).to_be_visible()
                # A reload lands there too, and the link brings the settings back.
                response = v.page.reload()
                assert response.headers.get("x-replica") == stay
                wait_for_app(v.page)
                assert_no_exception(v.page)
                assert link(v.page) == before[v.tag], (v.tag, link(v.page), before[v.tag])
                assert v.servers(proxy, since) == {stay}, (v.tag, v.servers(proxy, since))

            # v1 lost its trained model and its runs (they lived in the stopped process), not its
            # settings: the same run trained again on the other replica is the same to the digit.
            expect(v1.page.get_by_text("Runs so far")).to_have_count(0)
            assert train(v1.page, proxy.url, V1_RUN) == first
            assert len(runs_in_overlay(v1.page)) == 1

            # The other replica's visitors noticed nothing: no reconnect, same replica, same session.
            for v in spared:
                assert v.page.evaluate("window.__connecting") == 0, v.tag
                go_to(v.page, "Dataset")
                check_dataset(v.page)
            if v2 in spared:
                go_to(v2.page, "Train")
                assert wait_for_run(v2.page, 1) == other      # its run is still in its session
            for v in spared:
                assert v.servers(proxy, since) <= {stay}, (v.tag, v.servers(proxy, since))
                assert_no_exception(v.page)
        finally:
            for v in visitors:
                v.page.context.close()
