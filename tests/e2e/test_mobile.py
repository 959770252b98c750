"""Every page on a phone (390 px wide): screenshots in test-artifacts/e2e/mobile-*.png, no page
wider than the screen, the header's collector flag fully on screen, and tables that scroll inside
their own box rather than widening the page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from e2e.conftest import ARTIFACTS, Server, axe_violations, open_page
from e2e.seed import CHAT_LINE, FAILED_JOB, VIEWER
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.integration

WIDTH, HEIGHT = 390, 844


@pytest.fixture
def phone(browser: Browser, server: Server) -> Iterator[Page]:
    """A phone-sized page (any console or page error fails the test)."""
    with open_page(
        browser,
        server,
        viewport={"width": WIDTH, "height": HEIGHT},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    ) as page:
        yield page


def fits(page: Page, name: str) -> None:
    """Screenshot the page; require no horizontal overflow and no serious accessibility issue."""
    page.screenshot(path=str(ARTIFACTS / f"mobile-{name}.png"), full_page=True)
    widths = page.evaluate(
        "() => ({ page: document.documentElement.scrollWidth, screen: window.innerWidth })"
    )
    assert widths["page"] <= widths["screen"], f"{name}: the page is wider than the screen {widths}"
    # Anything wider than the screen must be inside a box that scrolls it (tables)
    escaping = page.evaluate(
        """(width) => [...document.querySelectorAll("main *, header *")]
            .filter((el) => {
              const box = el.getBoundingClientRect();
              if (box.width === 0 || box.right <= width + 0.5) return false;
              for (let up = el.parentElement; up; up = up.parentElement) {
                const style = getComputedStyle(up);
                if (["auto", "scroll", "hidden"].includes(style.overflowX)) return false;
              }
              return true;
            })
            .slice(0, 5)
            .map((el) => el.tagName.toLowerCase() + "." + (el.getAttribute("class") || ""))""",
        WIDTH,
    )
    assert escaping == [], f"{name}: elements reach past the right edge: {escaping}"
    violations = axe_violations(page)
    assert violations == [], f"{name}: accessibility violations {violations}"


def sign_in(page: Page, server: Server) -> None:
    page.goto("/")
    fits(page, "01-sign-in")
    page.get_by_label("API token").fill(server.token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Lookup", level=1)).to_be_visible()


def test_every_page_fits_a_phone(phone: Page, server: Server) -> None:
    page = phone
    # A watchlist with a member, so the members table is on screen too
    httpx.put(
        f"{server.url}/api/watchlists/1/members/{server.world.viewer_id}",
        headers={"Authorization": f"Bearer {server.token}"},
    ).raise_for_status()
    sign_in(page, server)
    # The header: every link reachable, the failing-collector flag whole and on screen
    flag = page.get_by_role("banner").get_by_role("alert").get_by_role("link")
    expect(flag).to_contain_text(f"Collector failing: {FAILED_JOB} failed")
    box = flag.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= WIDTH
    fits(page, "02-lookup")

    page.get_by_label("Username", exact=True).fill(VIEWER)
    page.get_by_role("button", name="Look up").click()
    expect(page.get_by_role("heading", name=VIEWER, level=2)).to_be_visible()
    fits(page, "03-lookup-result")

    page.goto(f"/persons/{server.world.viewer_id}")
    expect(page.get_by_text(CHAT_LINE).first).to_be_visible()
    fits(page, "04-person-overview")
    for tab, name in (
        ("Stats timeline", "05-person-timeline"),
        ("Interactions", "06-person-interactions"),
        ("Notes", "07-person-notes"),
        ("Attributes", "08-person-attributes"),
        ("Profile", "09-person-profile"),
    ):
        page.get_by_role("tab", name=tab).click()
        expect(page.get_by_role("tab", name=tab)).to_have_attribute("aria-selected", "true")
        expect(page.locator(".loading")).to_have_count(0)
        fits(page, name)

    page.goto("/owner")
    tips = page.get_by_role("table", name="Recent tips")
    expect(tips).to_contain_text("for the song")
    fits(page, "10-dashboard")
    # The tips table shows every column: scrolled inside its own box if it must be
    wrap = tips.locator("xpath=..")
    assert wrap.evaluate("(el) => getComputedStyle(el).overflowX") == "auto"

    page.goto("/sessions")
    expect(page.get_by_role("table", name="Sessions")).to_be_visible()
    fits(page, "11-sessions")
    page.goto(f"/sessions/{server.world.session_id}")
    expect(page.get_by_role("table", name="Session interactions")).to_contain_text(CHAT_LINE)
    fits(page, "12-session-detail")
    # The recap's figures reflow into rows that name each figure's column: nothing to scroll
    figures = page.get_by_role("group", name="This session against your median session")
    expect(figures).to_be_visible()
    assert figures.evaluate("(el) => el.scrollWidth <= el.clientWidth")

    page.goto("/watchlists")
    expect(page.get_by_role("table", name=re.compile("^Members of"))).to_contain_text(VIEWER)
    fits(page, "13-watchlists")

    page.goto("/search?q=violet+harmonica")
    expect(page.get_by_role("table", name=re.compile("^Search results"))).to_contain_text(
        "harmonica"
    )
    fits(page, "14-search")

    page.goto("/health")
    expect(page.get_by_role("table", name="Recent job runs")).to_be_visible()
    fits(page, "15-health")

    page.goto("/no/such/page")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    fits(page, "16-not-found")
